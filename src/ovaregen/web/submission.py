"""Reading a submitted HTML form: its text fields and the version the person opened."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request


async def submitted(request: Request) -> dict[str, str]:
    """The text fields of a submitted form."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


Submitted = Annotated[dict[str, str], Depends(submitted)]


def version_of(text: str | None) -> int | None:
    """The ``version`` hidden field as a number (None for a form never saved)."""
    text = (text or "").strip()
    return int(text) if text.isdigit() else None
