"""Figures of the study report: matplotlib (Agg), each rendered to one inline ``<svg>`` string.

Every function here draws numbers it is given (by the analysis plans, through
:mod:`ovaregen.report.figure_data`); none computes a statistic. Text stays text in the SVG
(``svg.fonttype = none``): searchable, small, and no font is embedded or fetched. The XML
prologue, the DOCTYPE and the metadata block (which name external URIs) are removed, and the
ids matplotlib writes are salted with the figure's name so that several SVGs can share one page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

MAX_POINTS = 3000
"""At most this many points (or curve vertices) are drawn; more are thinned by a fixed stride."""
PALETTE = ("#1b6ca8", "#d1495b", "#edae49", "#66a182", "#8d6a9f", "#5c5c5c", "#00798c")
STYLE: Any = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "figure.dpi": 72,
}


def _svg(figure: Figure, name: str) -> str:
    """The figure as an inline ``<svg>`` element (module docstring), and the figure closed."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"ovaregen-{name}"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    return text.replace("<svg ", f'<svg class="figure" role="img" aria-label="{name}" ', 1)


def _new(width: float, height: float) -> tuple[Figure, Axes]:
    with matplotlib.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(width, height))
    return figure, axes


def thinned(count: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Indices of at most :data:`MAX_POINTS` of ``count`` items, first and last kept."""
    if count <= MAX_POINTS:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, MAX_POINTS).round().astype(np.int64))


def scatter(
    name: str, x: np.ndarray, y: np.ndarray, x_label: str, y_label: str, annotation: str
) -> str:
    """A scatter plot of (x, y) with the correlation written in the corner."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _new(5.2, 3.8)
        keep = thinned(x.size)
        axes.scatter(x[keep], y[keep], s=10, alpha=0.6, color=PALETTE[0], edgecolors="none")
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.text(0.02, 0.97, annotation, transform=axes.transAxes, va="top", ha="left", fontsize=9)
        return _svg(figure, name)


@dataclass(frozen=True)
class RocPanel:
    """One ROC curve: 1 − specificity and sensitivity per threshold, and its Youden point."""

    label: str
    false_positive: np.ndarray
    sensitivity: np.ndarray
    legend: str
    cutoff_point: tuple[float, float] | None
    cutoff_label: str


def roc(name: str, panel: RocPanel) -> str:
    """An ROC curve with the chance diagonal and the Youden cut-off marked."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _new(4.2, 4.0)
        keep = thinned(panel.false_positive.size)
        axes.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=0.8)
        axes.plot(
            panel.false_positive[keep],
            panel.sensitivity[keep],
            color=PALETTE[0],
            linewidth=1.6,
            label=panel.legend,
        )
        if panel.cutoff_point is not None:
            axes.plot(*panel.cutoff_point, "o", color=PALETTE[1], label=panel.cutoff_label)
        axes.set_xlim(-0.01, 1.01)
        axes.set_ylim(-0.01, 1.01)
        axes.set_xlabel("1 − specificity")
        axes.set_ylabel("Sensitivity")
        axes.set_title(panel.label)
        axes.set_aspect("equal")
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8, frameon=False)
        return _svg(figure, name)


def stacked_bars(
    name: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    x_label: str,
    y_label: str,
) -> str:
    """Bars per category, stacked by series (in the order given)."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _new(max(4.5, min(9.0, 0.25 * len(categories) + 3)), 3.4)
        positions = np.arange(len(categories))
        bottom = np.zeros(len(categories))
        for index, (label, values) in enumerate(series):
            heights = np.asarray(values, dtype=float)
            axes.bar(
                positions,
                heights,
                bottom=bottom,
                label=label,
                color=PALETTE[index % len(PALETTE)],
                width=0.75,
            )
            bottom += heights
        axes.set_xticks(positions, list(categories))
        if len(categories) > 20:
            for tick in axes.get_xticklabels()[1::2]:
                tick.set_visible(False)
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _svg(figure, name)


def step_curve(
    name: str,
    times: np.ndarray,
    survival: np.ndarray,
    ci_low: np.ndarray,
    ci_high: np.ndarray,
    censored: np.ndarray,
    x_label: str,
    y_label: str,
) -> str:
    """A Kaplan–Meier curve from (0, 1), its pointwise band, and ticks at censoring times."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _new(5.2, 3.6)
        t = np.concatenate([[0.0], times])
        s = np.concatenate([[1.0], survival])
        low = np.concatenate([[1.0], np.nan_to_num(ci_low, nan=np.nan)])
        high = np.concatenate([[1.0], np.nan_to_num(ci_high, nan=np.nan)])
        axes.fill_between(t, low, high, step="post", color=PALETTE[0], alpha=0.15, linewidth=0)
        axes.step(t, s, where="post", color=PALETTE[0], linewidth=1.6)
        if censored.size:
            heights = np.interp(censored, t, s, left=1.0)
            index = np.searchsorted(t, censored, side="right") - 1
            heights = s[np.clip(index, 0, s.size - 1)]
            axes.plot(censored, heights, "|", color="#333333", markersize=7, label="censored")
            axes.legend(fontsize=8, frameon=False)
        axes.set_ylim(0, 1.02)
        axes.set_xlim(left=0)
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        return _svg(figure, name)


@dataclass(frozen=True)
class Box:
    """One box of a box plot, as the plan summarised it."""

    label: str
    minimum: float
    q1: float
    median: float
    q3: float
    maximum: float


def box_plot(name: str, boxes: Sequence[Box], y_label: str) -> str:
    """Box plots from given quartiles, whiskers at the given minimum and maximum."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _new(max(3.2, 1.4 * len(boxes) + 1.2), 3.4)
        stats = [
            {
                "label": b.label,
                "whislo": b.minimum,
                "q1": b.q1,
                "med": b.median,
                "q3": b.q3,
                "whishi": b.maximum,
                "fliers": [],
            }
            for b in boxes
        ]
        drawn = axes.bxp(stats, showfliers=False, patch_artist=True, widths=0.5)
        for index, patch in enumerate(drawn["boxes"]):
            patch.set_facecolor(PALETTE[index % len(PALETTE)])
            patch.set_alpha(0.55)
        for median in drawn["medians"]:
            median.set_color("#222222")
        axes.set_ylabel(y_label)
        return _svg(figure, name)


@dataclass(frozen=True)
class ForestRow:
    """One estimate with its confidence interval (bounds may be missing)."""

    label: str
    estimate: float | None
    low: float | None
    high: float | None


def forest(name: str, panels: Sequence[tuple[str, Sequence[ForestRow]]]) -> str:
    """A forest plot, one panel per scale (x label), the null line at 0."""
    panels = [p for p in panels if p[1]]
    with matplotlib.rc_context(STYLE):
        heights = [max(1.2, 0.38 * len(rows) + 0.6) for _, rows in panels] or [1.0]
        figure, axes_list = plt.subplots(
            len(heights),
            1,
            figsize=(6.4, sum(heights) + 0.4),
            gridspec_kw={"height_ratios": heights},
            squeeze=False,
        )
        for axes, (x_label, rows) in zip(axes_list[:, 0], panels, strict=False):
            positions = np.arange(len(rows))[::-1]
            for y, row in zip(positions, rows, strict=True):
                if row.estimate is None:
                    continue
                if row.low is not None and row.high is not None:
                    axes.plot([row.low, row.high], [y, y], color=PALETTE[0], linewidth=1.4)
                axes.plot([row.estimate], [y], "s", color=PALETTE[0], markersize=6)
            axes.axvline(0, color="#777777", linestyle="--", linewidth=0.8)
            axes.set_yticks(positions, [row.label for row in rows])
            axes.set_ylim(-0.7, len(rows) - 0.3)
            axes.set_xlabel(x_label)
        figure.tight_layout()
        return _svg(figure, name)


@dataclass(frozen=True)
class FlowBox:
    """A box of the flow diagram: its lines of text (the first one bold)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class FlowStage:
    """One row of the flow: main box(es) (one per arm), or a side box of those who left, drawn
    to the right of the arrow that passes by it."""

    main: tuple[FlowBox, ...] = ()
    side: FlowBox | None = None


LINE = 0.2


def _box_height(box: FlowBox) -> float:
    return LINE * len(box.lines) + 0.16


def _draw_box(axes: Axes, x: float, top: float, width: float, box: FlowBox) -> float:
    """Draw a box whose top centre is (x, top); return its bottom."""
    height = _box_height(box)
    axes.add_patch(
        FancyBboxPatch(
            (x - width / 2, top - height),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.05",
            facecolor="#f3f6fa",
            edgecolor="#1b6ca8",
            linewidth=1.0,
        )
    )
    for index, line in enumerate(box.lines):
        axes.text(
            x,
            top - 0.08 - LINE * (index + 0.5),
            line,
            ha="center",
            va="center",
            fontsize=8.5,
            fontweight="bold" if index == 0 else "normal",
        )
    return top - height


def _arrow(axes: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    axes.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": "#444444", "linewidth": 0.9},
    )


def flow_diagram(name: str, stages: Sequence[FlowStage]) -> str:
    """A CONSORT-style flow: main boxes down the left (or one column per arm) joined by arrows,
    side boxes (exclusions, losses) to the right of the arrows."""
    width_total, gap, main_x, main_width = 9.0, 0.3, 2.3, 3.8
    side_x, side_width = 6.7, 4.4
    heights = [
        max(_box_height(b) for b in (*stage.main, *((stage.side,) if stage.side else ())))
        for stage in stages
    ]
    total = sum(heights) + gap * (len(stages) - 1) + 0.1
    with matplotlib.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(width_total * 0.78, total * 0.78))
        axes.set_xlim(0, width_total)
        axes.set_ylim(0, total)
        axes.axis("off")
        top = total - 0.05
        previous: list[tuple[float, float]] = []
        for stage, height in zip(stages, heights, strict=True):
            if stage.main:
                columns = len(stage.main)
                if columns == 1:
                    centres, width = [main_x], main_width
                else:
                    span = width_total / columns
                    centres = [span * (i + 0.5) for i in range(columns)]
                    width = min(main_width, span - 0.3)
                for index, centre in enumerate(centres):
                    if previous and len(previous) in (1, columns):
                        source = previous[0] if len(previous) == 1 else previous[index]
                        if source[0] == centre:
                            _arrow(axes, source, (centre, top))
                        else:
                            axes.plot(
                                [source[0], source[0], centre],
                                [source[1], top + gap / 2, top + gap / 2],
                                color="#444444",
                                linewidth=0.9,
                            )
                            _arrow(axes, (centre, top + gap / 2), (centre, top))
                bottoms = [
                    _draw_box(axes, c, top, width, b)
                    for c, b in zip(centres, stage.main, strict=True)
                ]
                previous = list(zip(centres, bottoms, strict=True))
            if stage.side is not None:
                bottom = _draw_box(axes, side_x, top, side_width, stage.side)
                middle = (top + bottom) / 2
                for centre, _ in previous[:1]:
                    _arrow(axes, (centre, middle), (side_x - side_width / 2, middle))
            top -= height + gap
        return _svg(figure, name)
