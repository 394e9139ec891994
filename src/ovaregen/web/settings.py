"""Server settings: where the data live and how sessions behave. No default secret exists:
sessions are random tokens stored (hashed) in the database, so nothing is to be configured."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest request body accepted by default (a workbook import fits; 413 beyond)."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    session_idle: timedelta = timedelta(minutes=30)
    """A session unused this long expires (logged out)."""
    session_absolute: timedelta = timedelta(hours=12)
    """A session expires this long after login whatever its use."""
    secure_cookies: bool = False
    """Mark cookies Secure (behind HTTPS); also set when a request arrives over https."""
    trusted_proxies: frozenset[str] = frozenset()
    """Addresses of reverse proxies whose ``X-Forwarded-For`` is believed; none by default,
    so the client is the connecting address."""
    max_body_bytes: int = MAX_BODY_BYTES
    """Request bodies larger than this are refused (413) before they are read."""
    anchor_dir: Path | None = None
    """A folder (append-only, kept apart from the database) the server writes signed audit
    checkpoints into; none by default."""
    anchor_key: Path | None = None
    """The Ed25519 private key file the checkpoints are signed with (kept apart from the
    database); required with ``anchor_dir``."""
    anchor_every: timedelta = timedelta(hours=1)
    """How often the server writes a checkpoint when ``anchor_dir`` is set."""
    questionnaire_lifetime: timedelta = timedelta(days=14)
    """How long a participant's questionnaire link stays usable (``clinic.questionnaire_links``)."""


def encoded(settings: Settings) -> str:
    """``settings`` as JSON, for the server processes of ``serve --workers`` (each builds its
    application from the parent's settings: ``decoded``)."""
    return json.dumps(
        {
            "data_dir": str(settings.data_dir),
            "database_url": settings.database_url,
            "session_idle": settings.session_idle.total_seconds(),
            "session_absolute": settings.session_absolute.total_seconds(),
            "secure_cookies": settings.secure_cookies,
            "trusted_proxies": sorted(settings.trusted_proxies),
            "max_body_bytes": settings.max_body_bytes,
            "anchor_dir": None if settings.anchor_dir is None else str(settings.anchor_dir),
            "anchor_key": None if settings.anchor_key is None else str(settings.anchor_key),
            "anchor_every": settings.anchor_every.total_seconds(),
            "questionnaire_lifetime": settings.questionnaire_lifetime.total_seconds(),
        }
    )


def decoded(text: str) -> Settings:
    """The settings ``encoded`` wrote."""
    raw = json.loads(text)
    return Settings(
        data_dir=Path(raw["data_dir"]),
        database_url=raw["database_url"],
        session_idle=timedelta(seconds=raw["session_idle"]),
        session_absolute=timedelta(seconds=raw["session_absolute"]),
        secure_cookies=bool(raw["secure_cookies"]),
        trusted_proxies=frozenset(raw["trusted_proxies"]),
        max_body_bytes=int(raw["max_body_bytes"]),
        anchor_dir=None if raw["anchor_dir"] is None else Path(raw["anchor_dir"]),
        anchor_key=None if raw["anchor_key"] is None else Path(raw["anchor_key"]),
        anchor_every=timedelta(seconds=raw["anchor_every"]),
        questionnaire_lifetime=timedelta(seconds=raw["questionnaire_lifetime"]),
    )
