"""Server settings: where the data live and how sessions behave. No default secret exists:
sessions are random tokens stored (hashed) in the database, so nothing is to be configured."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


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
