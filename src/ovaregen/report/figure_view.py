"""A figure of the report as the document places it: id, caption, inline SVG, and the counts
it draws (so that a test can check that the drawn counts add up to what the caption states)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tally:
    """Counts drawn in one part of a figure (the bars of a histogram, the two groups of a ROC
    curve, the branches of a flow box) and the total stated for them in the caption or the box:
    the counts sum to the total."""

    what: str
    counts: Mapping[str, int]
    total: int


@dataclass(frozen=True)
class Figure:
    """A rendered figure: an id (unique per study stem), its caption (without a number: the
    document numbers figures through the whole report), the inline SVG, and its tallies."""

    id: str
    caption: str
    svg: str
    tallies: tuple[Tally, ...] = field(default=(), compare=False)
