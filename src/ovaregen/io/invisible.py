"""Characters that cannot be seen in a spreadsheet cell but change what a name or value is.

A header name ``afc`` followed by a zero-width space is not the column ``afc``: the column would
be read as an unknown one and the real ``afc`` left empty, with nothing on screen to show why.
Refused, and named, are: Unicode format characters (category Cf: zero-width space U+200B,
zero-width joiners, word joiner U+2060, soft hyphen U+00AD, a byte-order mark U+FEFF inside the
text, bidirectional marks), control characters (Cc) other than tab, line feed and carriage
return, and every space other than the ordinary one (category Zs: no-break space U+00A0, thin
and narrow spaces, ideographic space) — a spreadsheet shows those as an ordinary space.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_ALLOWED_CONTROLS = frozenset("\t\n\r")


@dataclass(frozen=True)
class Invisible:
    """One invisible character of a text: where it is (0-based) and what it is."""

    position: int
    character: str

    @property
    def code(self) -> str:
        """``U+200B``."""
        return f"U+{ord(self.character):04X}"

    @property
    def name(self) -> str:
        """``ZERO WIDTH SPACE`` (control characters have no Unicode name: ``CONTROL``)."""
        return unicodedata.name(self.character, "CONTROL CHARACTER")

    def describe(self) -> str:
        """``U+200B ZERO WIDTH SPACE``."""
        return f"{self.code} {self.name}"


def is_invisible(character: str) -> bool:
    """Whether ``character`` is refused in a header name (see the module docstring)."""
    category = unicodedata.category(character)
    if category == "Cc":
        return character not in _ALLOWED_CONTROLS
    return category == "Cf" or (category == "Zs" and character != " ")


def invisible_characters(text: str) -> list[Invisible]:
    """Every invisible character of ``text``, in order."""
    return [Invisible(i, c) for i, c in enumerate(text) if is_invisible(c)]


def visible(text: str) -> str:
    """``text`` with each invisible character written as ``<U+200B>``, so it can be seen."""
    return "".join(f"<U+{ord(c):04X}>" if is_invisible(c) else c for c in text)


def without_invisible(text: str) -> str:
    """``text`` with its invisible characters removed (what the user most likely meant)."""
    return "".join(c for c in text if not is_invisible(c))


CONTROL_PATTERN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
"""A regular expression (Polars and Python ``re``) for the control characters refused in any
cell of a dataset and in any value sent to the clinic (``web.control_chars``): NUL, the other
C0 controls except tab, line feed and carriage return, and DEL. No database stores a NUL in text
(PostgreSQL refuses it), and none is typed on purpose."""
