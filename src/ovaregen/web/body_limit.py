"""The request body limit: a pure ASGI middleware, so nothing larger is read or buffered.

A body whose ``Content-Length`` exceeds the limit is answered 413 at once, before a byte
of it is read (and before the login check, so an anonymous client cannot make the server
read 400 MB to learn it is not logged in: issue 11). A body without a length (chunked) is
counted chunk by chunk as the application reads it; the chunk that crosses the limit
raises ``BodyTooLargeError`` (an ``HTTPException`` 413, so the application's own handler
renders it), and if the application has not answered yet the middleware answers 413 itself.
Nothing is buffered here.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Refusal = Callable[[Scope, int, str], Response]
"""Renders a refusal (scope, status, message) as the application does (JSON or a page)."""


def too_large_message(limit: int) -> str:
    return (
        f"the request is too large: at most {limit / 1024 / 1024:g} MB is accepted; "
        "nothing was saved"
    )


class BodyTooLargeError(HTTPException):
    """The request body grew past the limit while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(limit))


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes with 413 (``refuse`` renders it)."""

    def __init__(self, app: ASGIApp, *, limit: int, refuse: Refusal) -> None:
        self.app = app
        self.limit = limit
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await self.refuse(scope, 400, "the Content-Length header is not a number")(
                scope, receive, send
            )
            return
        if declared is not None and declared > self.limit:
            await self.refuse(scope, 413, too_large_message(self.limit))(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLargeError(self.limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLargeError as error:
            if started:
                raise
            await self.refuse(scope, 413, str(error.detail))(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared length (None when absent, -1 when not a non-negative integer)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else -1
    return None
