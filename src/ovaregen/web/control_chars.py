"""Refusing control characters in what is submitted, in one place for every route.

PostgreSQL text cannot hold U+0000 (a NUL in a form field answered 500 there: issue 11), and
no field of a clinic record has a use for the other C0 control characters or DEL. So the address,
the query parameters, the fields of a form (``application/x-www-form-urlencoded`` and the
text fields of ``multipart/form-data``; uploaded files are data and are not looked at) and
every key and string of a JSON body are checked before the application sees them: a
character U+0000–U+001F other than tab, line feed and carriage return, or U+007F, is
answered 422
naming the field (never echoing its value, which may be a password). The body is read here
(the body limit, outside this middleware, bounds it) and handed on unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ovaregen.io.invisible import CONTROL_PATTERN

Refusal = Callable[[Scope, int, str], Response]
_CHECKED = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "application/json"}
)

FORBIDDEN = re.compile(CONTROL_PATTERN)
"""The control characters no value may hold, by the one rule the dataset reader applies too
(``io.invisible.CONTROL_PATTERN``)."""


def control_character_message(field: str, character: str) -> str:
    return (
        f"{field} contains the control character U+{ord(character):04X}, which is not "
        "accepted (only tab, line feed and carriage return are): nothing was saved"
    )


def _json_strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            yield inner, str(key)
            yield from _json_strings(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{where}[{index}]")


def first_forbidden(pairs: Iterator[tuple[str, str]]) -> tuple[str, str] | None:
    """The first (field, character) whose text holds a forbidden control character."""
    for field, text in pairs:
        found = FORBIDDEN.search(text)
        if found:
            return field, found.group()
    return None


def _query_pairs(scope: Scope) -> Iterator[tuple[str, str]]:
    yield "the address", scope.get("path", "")
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        yield f"the query parameter {name!r}", name
        yield f"the query parameter {name!r}", value


def _form_pairs(body: bytes) -> Iterator[tuple[str, str]]:
    """Name and value of every field, bytes read as latin-1 (a C0 byte is the same
    character in UTF-8 and latin-1; only the name is decoded as UTF-8, to be shown)."""
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    for name, value in pairs:
        shown = FORBIDDEN.sub("?", name.encode("latin-1").decode("utf-8", "replace"))
        yield f"the field {shown!r}", name
        yield f"the field {shown!r}", value


async def _multipart_pairs(headers: Headers, body: bytes) -> list[tuple[str, str]]:
    async def stream() -> Any:
        yield body

    try:
        form = await MultiPartParser(headers, stream()).parse()
    except MultiPartException:
        return []  # the application answers the malformed form
    pairs: list[tuple[str, str]] = []
    for name, value in form.multi_items():
        shown = FORBIDDEN.sub("?", name)
        pairs.append((f"the field {shown!r}", name))
        if isinstance(value, UploadFile):
            await value.close()
        else:
            pairs.append((f"the field {shown!r}", value))
    return pairs


def _json_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        document = json.loads(body)
    except ValueError:
        return []  # the application answers the malformed body
    return [
        (f"the field {FORBIDDEN.sub('?', where) or '(body)'!r}", text)
        for where, text in _json_strings(document, "")
    ]


class ControlCharacters:
    """Refuse requests whose address, query, form fields or JSON hold control characters (422)."""

    def __init__(self, app: ASGIApp, *, refuse: Refusal) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = first_forbidden(_query_pairs(scope))
        if found is not None:
            await self._refuse(found, scope, receive, send)
            return
        headers = Headers(scope=scope)
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in _CHECKED and not kind.endswith("+json"):
            await self.app(scope, receive, send)
            return
        body, last = await _read_body(receive)
        if kind == "application/x-www-form-urlencoded":
            found = first_forbidden(_form_pairs(body))
        elif kind == "multipart/form-data":
            found = first_forbidden(iter(await _multipart_pairs(headers, body)))
        else:
            found = first_forbidden(iter(_json_pairs(body)))
        if found is not None:
            await self._refuse(found, scope, receive, send)
            return
        await self.app(scope, _replay(body, last, receive), send)

    async def _refuse(
        self, found: tuple[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        field, character = found
        response = self.refuse(scope, 422, control_character_message(field, character))
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body, and the message that ended it when it was not a body chunk."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message  # the client went away
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if last is not None:
                return last
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
