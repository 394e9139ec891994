"""The forest plot: one panel per effect measure and unit, each row its label, its estimate with
the 95% confidence interval drawn and written beside it, and the numbers per arm.

Ratios are drawn on a log axis with the line of no effect at 1, differences on a linear axis
with it at 0 (CONSORT 2010 item 17a: "estimated effect size and its precision"). Draws what it
is given; nothing here computes a statistic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from ovaregen.report.figures import (
    GREY,
    MARKERS,
    MAX_WIDTH,
    PALETTE,
    STYLE,
    svg_of,
    wrapped,
)

LABEL_WIDTH = 2.15
"""Inches of row labels left of the plot."""
PLOT_LEFT, PLOT_WIDTH = 2.3, 1.55
ESTIMATE_X, COUNTS_X = 3.95, 5.6
"""Where the written estimate and the numbers per arm start, in inches from the left."""
WIDTH = 6.95
LINE = 0.165
"""Inches per line of text."""
ROW_PAD, PANEL_HEAD, PANEL_FOOT = 0.1, 0.3, 0.5
RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
"""Ticks of a log axis, thinned to powers of ten when more than five fall in the range."""


@dataclass(frozen=True)
class ForestRow:
    """One estimate with its confidence interval (bounds may be missing), as text too."""

    label: str
    estimate: float | None
    low: float | None
    high: float | None
    text: str
    counts: str = ""
    primary: bool = False


@dataclass(frozen=True)
class ForestPanel:
    """The rows of one effect measure in one unit."""

    title: str
    axis_label: str
    ratio: bool
    rows: tuple[ForestRow, ...]
    counts_header: str = "n per arm"


def _drawable(value: float | None, ratio: bool) -> float | None:
    """The value if it can be drawn on the panel's axis (finite; positive on a log axis)."""
    if value is None or not math.isfinite(value) or (ratio and value <= 0):
        return None
    return value


def _row_lines(row: ForestRow) -> list[str]:
    """The row's label as wrapped, or its written estimate if that needs more lines."""
    named = row.label.lower().startswith("primary outcome")
    label = f"{row.label} (primary outcome)" if row.primary and not named else row.label
    lines = wrapped(label, LABEL_WIDTH, bold=row.primary)
    estimate = wrapped(row.text, COUNTS_X - ESTIMATE_X - 0.05, bold=row.primary)
    counts = wrapped(row.counts, WIDTH - COUNTS_X, bold=row.primary)
    return lines + [""] * (max(len(estimate), len(counts)) - len(lines))


def _panel_height(panel: ForestPanel) -> float:
    rows = sum(len(_row_lines(r)) * LINE + ROW_PAD for r in panel.rows)
    return PANEL_HEAD + rows + PANEL_FOOT


def _limits(panel: ForestPanel) -> tuple[float, float]:
    null = 1.0 if panel.ratio else 0.0
    values = [null]
    for row in panel.rows:
        drawn = (_drawable(v, panel.ratio) for v in (row.estimate, row.low, row.high))
        values += [v for v in drawn if v is not None]
    low, high = min(values), max(values)
    if panel.ratio:
        low, high = math.log10(low), math.log10(high)
        pad = max(0.08, 0.06 * (high - low))
        return 10 ** (low - pad), 10 ** (high + pad)
    pad = max(1e-9, 0.06 * (high - low)) if high > low else max(abs(high), 1.0) * 0.1
    return low - pad, high + pad


def _draw_panel(
    figure: Figure, axes: Axes, panel: ForestPanel, centres: list[float], height: float
) -> None:
    null = 1.0 if panel.ratio else 0.0
    low, high = _limits(panel)
    if panel.ratio:
        axes.set_xscale("log")
        ticks = [t for t in RATIO_TICKS if low <= t <= high]
        if len(ticks) > 5:
            ticks = [t for t in ticks if t in (0.01, 0.1, 1.0, 10.0, 100.0)]
        axes.set_xticks(ticks, [f"{t:g}" for t in ticks])
        axes.minorticks_off()
    axes.set_xlim(low, high)
    axes.set_ylim(height, 0)
    axes.axvline(null, color=GREY, linestyle="--", linewidth=0.9)
    axes.spines[["left", "top", "right"]].set_visible(False)
    axes.set_yticks([])
    axes.set_xlabel(panel.axis_label)
    rows_text = blended_transform_factory(figure.dpi_scale_trans, axes.transData)
    for row, y in zip(panel.rows, centres, strict=True):
        weight = "bold" if row.primary else "normal"
        colour, marker = (PALETTE[3], MARKERS[3]) if row.primary else (PALETTE[0], MARKERS[1])
        start, end = _drawable(row.low, panel.ratio), _drawable(row.high, panel.ratio)
        estimate = _drawable(row.estimate, panel.ratio)
        if start is not None and end is not None:
            axes.plot([start, end], [y, y], color=colour, linewidth=1.5)
        if estimate is not None:
            axes.plot([estimate], [y], marker, color=colour, markersize=6.5)
        lines = [line for line in _row_lines(row) if line]
        axes.text(
            0.05,
            y,
            "\n".join(lines),
            transform=rows_text,
            ha="left",
            va="center",
            fontweight=weight,
            linespacing=1.15,
        )
        columns = (
            (ESTIMATE_X, wrapped(row.text, COUNTS_X - ESTIMATE_X - 0.05, bold=row.primary)),
            (COUNTS_X, wrapped(row.counts, WIDTH - COUNTS_X, bold=row.primary)),
        )
        for x, pieces in columns:
            axes.text(
                x,
                y,
                "\n".join(pieces),
                transform=rows_text,
                ha="left",
                va="center",
                fontweight=weight,
                linespacing=1.15,
            )
    head = blended_transform_factory(figure.dpi_scale_trans, axes.transAxes)
    above = 1 + 0.08 / max(height, 0.1)
    axes.text(0.05, above, panel.title, transform=head, ha="left", va="bottom", fontweight="bold")
    for x, text in ((ESTIMATE_X, "Estimate (95% CI)"), (COUNTS_X, panel.counts_header)):
        axes.text(x, above, text, transform=head, ha="left", va="bottom", fontstyle="italic")


def forest(name: str, panels: Sequence[ForestPanel]) -> str:
    """A forest plot, one panel per (effect, unit), top to bottom in the order given."""
    panels = [p for p in panels if p.rows]
    heights = [_panel_height(p) for p in panels]
    total = sum(heights) + 0.1
    with matplotlib.rc_context(STYLE):
        figure = plt.figure(figsize=(min(WIDTH, MAX_WIDTH), total))
        top = total - 0.05
        for panel, height in zip(panels, heights, strict=True):
            body = height - PANEL_HEAD - PANEL_FOOT
            bottom = top - PANEL_HEAD - body
            axes = figure.add_axes(
                (PLOT_LEFT / WIDTH, bottom / total, PLOT_WIDTH / WIDTH, body / total)
            )
            centres: list[float] = []
            y = 0.0
            for row in panel.rows:
                size = len(_row_lines(row)) * LINE + ROW_PAD
                centres.append(y + size / 2)
                y += size
            _draw_panel(figure, axes, panel, centres, body)
            top -= height
        return svg_of(figure, name, tight=False)
