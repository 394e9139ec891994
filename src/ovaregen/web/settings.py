"""Server settings: where the data live and how sessions behave. No default secret exists:
sessions are random tokens stored (hashed) in the database, so nothing is to be configured."""

from __future__ import annotations

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
