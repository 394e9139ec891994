"""A participant code is a pseudonym, never a name or an identity number (INTERCHANGE.md:
``participant_id`` "pseudonymous; never a name"; GDPR Art. 4(5), ICH E6(R3) on subject
identification codes).

The clinic generates codes itself (``SITE-0001``). A code typed by hand or imported is refused
when it looks like what identifies a person:
- a name: words of letters only (``Maria Garcia``, ``garcia``), or anything with a space;
- an e-mail address or a telephone number;
- an identity or record number: seven or more digits in a row (national IDs, health-card and
  hospital record numbers), or a Spanish DNI/NIE shape (``12345678Z``, ``X1234567L``).
A pseudonym begins with a letter or a digit (so that no code can start a spreadsheet formula
with ``=``, ``+``, ``-`` or ``@``: OWASP "CSV Injection"; the CSV writers neutralise such text
anyway, ``io.spreadsheet_safe``), has a digit and no run of seven: ``MAD1-0001``, ``C042``,
``A-17``.
"""

from __future__ import annotations

import re

_LONG_NUMBER = re.compile(r"\d{7,}")
_DNI_NIE = re.compile(r"^[XYZ]?\d{7,8}[A-Z]$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[\d ()./-]{9,}$")
_FIRST = re.compile(r"^[A-Za-z0-9]")
_ALLOWED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def pseudonym_problem(code: str) -> str | None:
    """Why ``code`` cannot be a participant's pseudonym, or None when it can."""
    text = code.strip()
    if not text:
        return "a participant code cannot be empty"
    if _PHONE.match(text) and sum(c.isdigit() for c in text) >= 9:
        return "looks like a telephone number; use a pseudonymous code such as SITE-0001"
    if not _FIRST.match(text):
        return (
            f"begins with {text[0]!r}; a code begins with a letter or a digit, like SITE-0001 "
            "(a spreadsheet reads a cell beginning with =, +, - or @ as a formula)"
        )
    if "@" in text:
        return "looks like an e-mail address; use a pseudonymous code such as SITE-0001"
    if _DNI_NIE.match(text.replace("-", "")):
        return "looks like an identity document number (DNI/NIE); use a pseudonymous code"
    if _LONG_NUMBER.search(text):
        return (
            "holds seven or more digits in a row, like an identity or record number; use a "
            "pseudonymous code such as SITE-0001"
        )
    if not _ALLOWED.match(text):
        return (
            "may hold only letters, digits, '.', '_' and '-' (no spaces), like SITE-0001; "
            "a name is never a code"
        )
    if not any(c.isdigit() for c in text):
        return "has no digit, like a name; use a pseudonymous code such as SITE-0001"
    return None
