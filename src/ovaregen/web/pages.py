"""Server-rendered pages: Jinja2 with autoescape, the layout's context in one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from ovaregen.clinic.roles import ROLE_LABELS, Permission, Role
from ovaregen.io.units import measured_text
from ovaregen.web.dependencies import Actor
from ovaregen.web.sessions import CSRF_FIELD

TEMPLATES = Path(__file__).parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["measured"] = lambda value: (
    measured_text(float(value))
    if isinstance(value, int | float) and not isinstance(value, bool)
    else value
)
"""``{{ v|measured }}``: a number at the measurement's precision (``io.units.measured_text``)."""
templates = Jinja2Templates(env=_environment)


def _idle_seconds(request: Request) -> int:
    """How long the session lives unused (the page warns before it ends)."""
    settings = getattr(request.app.state, "settings", None)
    return int(settings.session_idle.total_seconds()) if settings is not None else 0


def role_label(actor: Actor) -> str:
    """Her roles where she is (the page's study and woman, else anywhere), in words."""
    return "; ".join(ROLE_LABELS[Role(role)] for role in sorted(actor.roles)) or "no role"


def page(
    request: Request,
    name: str,
    actor: Actor | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """Render template ``name`` with the layout's context (who is logged in, CSRF token)."""
    return templates.TemplateResponse(
        request,
        name,
        {
            "actor": actor,
            "role_label": role_label(actor) if actor else None,
            "csrf_field": CSRF_FIELD,
            "csrf_token": actor.csrf_token if actor else "",
            "session_idle_seconds": _idle_seconds(request),
            "Permission": Permission,
            **context,
        },
        status_code=status_code,
    )
