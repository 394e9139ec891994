"""Known devices: proof that a browser has logged in as a user before.

After a successful login the browser receives a device token for that username: the time it
was issued and an HMAC-SHA256 over the username and that time, keyed with the user's current
password hash (a secret only the database holds; no separate key to configure). The login
throttle (``clinic.throttle``) counts a known device's attempts only with its own username at
its own address, so an attack elsewhere cannot keep the owner out (OWASP, "Slow Down Online
Guessing Attacks with Device Cookies"). A token is valid for ``DEVICE_LIFETIME``; changing the
password (a reset) invalidates every token of that user. The token grants no access by itself:
the password is still checked.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

DEVICE_LIFETIME = timedelta(days=90)


def _mac(username: str, password_hash: str, issued: int) -> str:
    message = f"ovaregen-device|{username}|{issued}".encode()
    return hmac.new(password_hash.encode("utf-8"), message, hashlib.sha256).hexdigest()


def device_token(username: str, password_hash: str, now: datetime) -> str:
    """A new device token for ``username`` (``ISSUED.MAC``)."""
    issued = int(now.timestamp())
    return f"{issued}.{_mac(username, password_hash, issued)}"


def is_known_device(token: str | None, username: str, password_hash: str, now: datetime) -> bool:
    """Whether ``token`` was issued to ``username`` under its current password, and is fresh."""
    if not token or token.count(".") != 1:
        return False
    issued_text, mac = token.split(".")
    if not (issued_text.isascii() and issued_text.isdigit()) or len(issued_text) > 12:
        return False
    issued = int(issued_text)
    age = now.timestamp() - issued
    if not 0 <= age <= DEVICE_LIFETIME.total_seconds():
        return False
    expected = _mac(username, password_hash, issued)
    return hmac.compare_digest(mac.encode("utf-8"), expected.encode("utf-8"))
