"""Drawing the participant flow (STROBE item 13, CONSORT 2010 item 13 and its diagram).

Boxes of text joined by arrows: main boxes down the page (one column, or one per arm), side
boxes for those who left the flow to the right of the arrow that passes them, headings for the
CONSORT phases and full-width notes. Every line is measured and wrapped to its box and every box
grows with its text, so no text leaves its box; the diagram is at most 7 inches wide and its text
9 pt. Draws what it is given (:mod:`ovaregen.report.flow_data` chooses the words and counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

from ovaregen.report.figures import PALETTE, STYLE, svg_of, wrapped

WIDTH = 6.9
"""The diagram's width in inches (within the 7-inch printable width)."""
LINE = 0.165
"""Inches per line of 9 pt text."""
PAD = 0.07
GAP = 0.26
HEADING = 0.24
MAIN_X, MAIN_WIDTH = 1.72, 3.24
SIDE_LEFT = 3.62
SIDE_WIDTH = WIDTH - SIDE_LEFT - 0.04
INK = "#222222"


@dataclass(frozen=True)
class FlowBox:
    """A box of the flow diagram: its lines of text, the first one bold."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class FlowStage:
    """One row of the flow: a heading (a CONSORT phase), main box(es) (one per arm), a side box
    of those who left drawn to the right of the arrow that passes it, or a full-width note."""

    main: tuple[FlowBox, ...] = ()
    side: FlowBox | None = None
    heading: str = ""
    note: FlowBox | None = None


def _lines(box: FlowBox, width: float) -> list[tuple[str, bool]]:
    room = width - 2 * PAD
    return [
        (piece, index == 0)
        for index, line in enumerate(box.lines)
        for piece in wrapped(line, room, bold=index == 0)
    ]


def _height(box: FlowBox, width: float) -> float:
    return LINE * len(_lines(box, width)) + 2 * PAD


def _draw_box(axes: Axes, left: float, top: float, width: float, box: FlowBox) -> float:
    """Draw a box whose top-left corner is (left, top); return its bottom."""
    lines = _lines(box, width)
    height = LINE * len(lines) + 2 * PAD
    axes.add_patch(
        FancyBboxPatch(
            (left, top - height),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.04",
            facecolor="#ffffff",
            edgecolor=PALETTE[0],
            linewidth=1.1,
        )
    )
    for index, (line, bold) in enumerate(lines):
        axes.text(
            left + PAD,
            top - PAD - LINE * (index + 0.5),
            line,
            ha="left",
            va="center",
            color=INK,
            fontweight="bold" if bold else "normal",
        )
    return top - height


def _arrow(axes: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    axes.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": INK,
            "linewidth": 0.9,
            "shrinkA": 0,
            "shrinkB": 0,
        },
    )


def _columns(count: int) -> tuple[list[float], float]:
    if count == 1:
        return [MAIN_X], MAIN_WIDTH
    span = WIDTH / count
    return [span * (i + 0.5) for i in range(count)], span - 0.24


def _stage_height(stage: FlowStage) -> float:
    heights: list[float] = []
    if stage.main:
        _, width = _columns(len(stage.main))
        heights.append(max(_height(b, width) for b in stage.main))
    if stage.side is not None:
        heights.append(_height(stage.side, SIDE_WIDTH))
    if stage.note is not None:
        heights.append(_height(stage.note, WIDTH - 0.08))
    return (HEADING if stage.heading else 0.0) + max(heights, default=0.0)


def _join(
    axes: Axes, previous: list[tuple[float, float]], centres: list[float], top: float
) -> None:
    if not previous or len(previous) not in (1, len(centres)):
        return
    for index, centre in enumerate(centres):
        source = previous[0] if len(previous) == 1 else previous[index]
        if abs(source[0] - centre) < 1e-9:
            _arrow(axes, source, (centre, top))
            continue
        elbow = top + GAP / 2
        axes.plot([source[0], source[0], centre], [source[1], elbow, elbow], color=INK, lw=0.9)
        _arrow(axes, (centre, elbow), (centre, top))


def flow_diagram(name: str, stages: Sequence[FlowStage]) -> str:
    """The flow diagram of ``stages``, top to bottom (module docstring)."""
    heights = [_stage_height(stage) for stage in stages]
    total = sum(heights) + GAP * (len(stages) - 1) + 0.1
    with matplotlib.rc_context(STYLE):
        figure = plt.figure(figsize=(WIDTH, total))
        axes = figure.add_axes((0, 0, 1, 1))
        axes.set_xlim(0, WIDTH)
        axes.set_ylim(0, total)
        axes.axis("off")
        top = total - 0.05
        previous: list[tuple[float, float]] = []
        for stage, height in zip(stages, heights, strict=True):
            if stage.heading:
                axes.text(
                    0.04,
                    top - HEADING / 2,
                    stage.heading,
                    ha="left",
                    va="center",
                    color=PALETTE[0],
                    fontweight="bold",
                )
            body = top - HEADING if stage.heading else top
            if stage.main:
                centres, width = _columns(len(stage.main))
                _join(axes, previous, centres, body)
                bottoms = [
                    _draw_box(axes, centre - width / 2, body, width, box)
                    for centre, box in zip(centres, stage.main, strict=True)
                ]
                previous = list(zip(centres, bottoms, strict=True))
            if stage.side is not None:
                bottom = _draw_box(axes, SIDE_LEFT, body, SIDE_WIDTH, stage.side)
                middle = (body + bottom) / 2
                for centre, _ in previous[:1]:
                    _arrow(axes, (centre, middle), (SIDE_LEFT, middle))
            if stage.note is not None:
                _draw_box(axes, 0.04, body, WIDTH - 0.08, stage.note)
            top -= height + GAP
        return svg_of(figure, name, tight=False)
