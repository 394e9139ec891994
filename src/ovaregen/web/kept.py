"""Nothing typed is lost when the session ends before a form is saved (issue 10).

A form posted without a live session is not saved: the login page answers instead, carrying the
typed entries as hidden fields (``kept:<name>``, never stored on the server) and the form's
address. After the login the entries are shown on a confirmation page whose button posts them
to the form again, with the new session's CSRF token — so they are saved only when the person
confirms, and through the same checks (limits, reasons, versions) as any save.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import FormData

from ovaregen.web.sessions import CSRF_FIELD

KEPT_PREFIX = "kept:"
MAX_KEPT = 200
"""At most this many entries are carried (a form of the schedule has far fewer)."""
MAX_LENGTH = 2000
"""Longer texts are cut (no form field takes more)."""
_NOT_KEPT = frozenset({CSRF_FIELD, "username", "password", "next"})


def kept_entries(form: FormData | Mapping[str, object]) -> dict[str, str]:
    """The typed entries of a submitted form, without tokens or credentials."""
    kept: dict[str, str] = {}
    for name, value in form.items():
        if isinstance(value, str) and name not in _NOT_KEPT and len(kept) < MAX_KEPT:
            kept[name[:200]] = value[:MAX_LENGTH]
    return kept


def carried_entries(form: FormData) -> dict[str, str]:
    """The entries a login form carried back (``kept:<name>`` fields)."""
    return {
        name.removeprefix(KEPT_PREFIX): value
        for name, value in form.items()
        if name.startswith(KEPT_PREFIX) and isinstance(value, str)
    }
