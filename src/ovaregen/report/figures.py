"""Figures of the study report: matplotlib (Agg), each rendered to one inline ``<svg>`` string.

Every function here draws numbers it is given (by the analysis plans, through
:mod:`ovaregen.report.figure_data`); none computes a statistic. Text stays text in the SVG
(``svg.fonttype = none``): searchable, small, and no font is embedded or fetched. The XML
prologue, the DOCTYPE and the metadata block (which name external URIs) are removed, and the
ids matplotlib writes are salted with the figure's name so that several SVGs can share one page.

Print and screen rules: no figure is wider than :data:`MAX_WIDTH` inches (the A4 printable
width), no text smaller than 9 pt at that natural size, and the SVG scales down with the page
(``max-width: 100%``, its viewBox kept). Colours are the Okabe–Ito palette (Okabe & Ito 2008,
"Color Universal Design"), always with a second cue — a hatch for bars and boxes, a marker
shape or line style for lines and points — and a legend that names each.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

MAX_POINTS = 3000
"""At most this many points (or curve vertices) are drawn; more are thinned by a fixed stride."""
MAX_WIDTH = 7.0
"""Widest figure, in inches: the printable width of an A4 page, so that 9 pt prints as 9 pt."""
TEXT_SIZE = 9.0
"""Every figure text, in points, at the figure's natural size."""
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
"""Okabe–Ito: blue, orange, bluish green, vermillion, sky blue, reddish purple, yellow, black."""
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "+++", "ooo", "---")
"""The second cue of bars and boxes, one per palette colour."""
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
"""The second cue of points, one per palette colour."""
LINE_STYLES = ("-", "--", "-.", ":")
"""The second cue of lines."""
GREY = "#555555"
STYLE: Any = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
    "font.size": TEXT_SIZE,
    "axes.titlesize": TEXT_SIZE + 1,
    "axes.labelsize": TEXT_SIZE,
    "xtick.labelsize": TEXT_SIZE,
    "ytick.labelsize": TEXT_SIZE,
    "legend.fontsize": TEXT_SIZE,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.6,
    "figure.dpi": 72,
}


def _own_ids(text: str, name: str) -> str:
    """Every element id of the SVG (matplotlib numbers them ``axes_1``, ``line2d_3`` … in each
    figure) prefixed with the figure's name, and the references to them (``url(#…)``,
    ``href="#…"``) with it, so that the ids of a page holding many figures stay unique."""
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    if not ids:
        return text
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', text)
    text = re.sub(
        r"url\(#([^)]+)\)",
        lambda m: f"url(#{name}-{m.group(1)})" if m.group(1) in ids else m.group(0),
        text,
    )
    return re.sub(
        r'href="#([^"]+)"',
        lambda m: f'href="#{name}-{m.group(1)}"' if m.group(1) in ids else m.group(0),
        text,
    )


def svg_of(figure: Figure, name: str, tight: bool = True) -> str:
    """The figure as an inline ``<svg>`` element (module docstring), and the figure closed.

    The width and height stay in points (the natural size: text prints at its size) and the
    inline style lets the page scale the figure down, never up."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"ovaregen-{name}"}):
        figure.savefig(
            buffer,
            format="svg",
            bbox_inches="tight" if tight else None,
            pad_inches=0.05,
            metadata={"Date": None},
        )
    plt.close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = _own_ids(text, name)
    return text.replace(
        "<svg ",
        f'<svg class="figure" role="img" data-figure="{name}" '
        'style="max-width: 100%; height: auto" preserveAspectRatio="xMinYMin meet" ',
        1,
    )


def new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of at most :data:`MAX_WIDTH` inches and its one axes, in the report's style."""
    with matplotlib.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(min(width, MAX_WIDTH), height))
    return figure, axes


@cache
def _font_path(bold: bool) -> str:
    """The file of the style's first font (DejaVu Sans ships with matplotlib)."""
    weight = "bold" if bold else "normal"
    return str(
        font_manager.findfont(FontProperties(family=STYLE["font.sans-serif"][0], weight=weight))
    )


@cache
def _advance(char: str, bold: bool) -> float:
    """The advance width of ``char`` in points, set at 1 pt."""
    font = font_manager.get_font(_font_path(bold))
    font.set_size(72, 72)
    return float(font.load_char(ord(char)).linearHoriAdvance) / 65536 / 72


def text_width(text: str, size: float = TEXT_SIZE, bold: bool = False) -> float:
    """The width of ``text`` in inches, set in the report's font at ``size`` points (the sum of
    its glyphs' advances: kerning only narrows it)."""
    return sum(_advance(char, bold) for char in text) * size / 72


_COUNT = re.compile(r"\(n = [^)\s]*\)")
_UNBROKEN = re.compile(r"\(n = [^)\s]*\)|\S+")
"""Words, with a count "(n = 145)" kept whole on its line."""


def wrapped(text: str, width: float, size: float = TEXT_SIZE, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` inches (measured; a word
    longer than the width is broken by characters). 6 % is kept in hand for other fonts."""
    room = width / 1.06
    if text_width(text, size, bold) <= room:
        return [text]
    lines: list[str] = []
    current = ""
    for word in _UNBROKEN.findall(text):
        trial = f"{current} {word}" if current else word
        if text_width(trial, size, bold) <= room:
            current = trial
            continue
        if current:
            lines.append(current)
        rest = word
        while text_width(rest, size, bold) > room and len(rest) > 1:
            cut = len(rest) - 1
            while cut > 1 and text_width(rest[:cut], size, bold) > room:
                cut -= 1
            lines.append(rest[:cut])
            rest = rest[cut:]
        current = rest
    if current:
        lines.append(current)
    return lines


def short_label(text: str, width: int = 28) -> str:
    """A tick or legend label on at most two lines of ``width`` characters, a count
    "(n = 46)" kept whole."""
    kept = _COUNT.sub(lambda m: m.group(0).replace(" ", "\u00a0"), text)
    lines = textwrap.wrap(kept, width, max_lines=2, placeholder="…")
    return "\n".join(lines).replace("\u00a0", " ") or text


def thinned(count: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Indices of at most :data:`MAX_POINTS` of ``count`` items, first and last kept."""
    if count <= MAX_POINTS:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, MAX_POINTS).round().astype(np.int64))


def _legend_below(axes: Axes, columns: int = 2, offset: float = -0.2) -> None:
    axes.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, offset),
        frameon=False,
        ncol=columns,
        handlelength=2.4,
    )


def scatter(
    name: str, x: np.ndarray, y: np.ndarray, x_label: str, y_label: str, annotation: str
) -> str:
    """A scatter plot of (x, y) with the correlation written in the corner."""
    with matplotlib.rc_context(STYLE):
        figure, axes = new_figure(5.2, 3.8)
        keep = thinned(x.size)
        axes.scatter(
            x[keep],
            y[keep],
            s=14,
            alpha=0.7,
            color=PALETTE[0],
            marker=MARKERS[0],
            edgecolors="none",
            label="one woman",
        )
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.text(0.02, 0.97, annotation, transform=axes.transAxes, va="top", ha="left")
        _legend_below(axes, 1, -0.16)
        return svg_of(figure, name)


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
    """An ROC curve (solid) with the chance diagonal (dashed) and the Youden cut-off (diamond)."""
    with matplotlib.rc_context(STYLE):
        figure, axes = new_figure(4.4, 4.2)
        keep = thinned(panel.false_positive.size)
        axes.plot(
            [0, 1], [0, 1], color=GREY, linestyle=LINE_STYLES[1], linewidth=0.9, label="chance"
        )
        axes.plot(
            panel.false_positive[keep],
            panel.sensitivity[keep],
            color=PALETTE[0],
            linestyle=LINE_STYLES[0],
            linewidth=1.8,
            label=short_label(panel.legend, 44),
        )
        if panel.cutoff_point is not None:
            axes.plot(
                *panel.cutoff_point,
                MARKERS[3],
                color=PALETTE[3],
                markersize=7,
                linestyle="none",
                label=short_label(panel.cutoff_label, 44),
            )
        axes.set_xlim(-0.01, 1.01)
        axes.set_ylim(-0.01, 1.01)
        axes.set_xlabel("1 − specificity")
        axes.set_ylabel("Sensitivity")
        axes.set_title(short_label(panel.label, 44))
        axes.set_aspect("equal")
        _legend_below(axes, 1, -0.16)
        return svg_of(figure, name)


def stacked_bars(
    name: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    x_label: str,
    y_label: str,
) -> str:
    """Bars per category, stacked by series (in the order given), each series its colour and
    hatch, the legend below the plot."""
    with matplotlib.rc_context(STYLE):
        figure, axes = new_figure(max(4.5, min(MAX_WIDTH, 0.22 * len(categories) + 2.2)), 3.6)
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
                hatch=HATCHES[index % len(HATCHES)],
                edgecolor="#222222",
                linewidth=0.5,
                width=0.75,
            )
            bottom += heights
        axes.set_xticks(positions, list(categories))
        if len(categories) > 16:
            for tick in axes.get_xticklabels()[1::2]:
                tick.set_visible(False)
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        _legend_below(axes, min(4, len(series)), -0.18)
        return svg_of(figure, name)


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
    """Box plots from given quartiles, whiskers at the given minimum and maximum; each box its
    colour and hatch, named on the axis."""
    with matplotlib.rc_context(STYLE):
        figure, axes = new_figure(max(3.4, 1.6 * len(boxes) + 1.2), 3.6)
        stats = [
            {
                "label": short_label(b.label, 18),
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
            patch.set_hatch(HATCHES[index % len(HATCHES)])
            patch.set_alpha(0.75)
        for median in drawn["medians"]:
            median.set_color("#000000")
            median.set_linewidth(1.6)
        axes.set_ylabel(y_label)
        return svg_of(figure, name)


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan–Meier estimate as the plan tabulated it, and the numbers at risk to print."""

    times: np.ndarray
    survival: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    censored: np.ndarray
    at_risk: Sequence[tuple[float, int]]
    """(time, women still at risk just before it), at the regular times of the x axis."""


def step_curve(name: str, curve: SurvivalCurve, x_label: str, y_label: str) -> str:
    """A Kaplan–Meier curve from (0, 1), its pointwise band, ticks at censoring times, and the
    numbers at risk under the plot at the x axis's ticks."""
    with matplotlib.rc_context(STYLE):
        figure, (axes, table) = plt.subplots(
            2,
            1,
            figsize=(5.6, 4.3),
            gridspec_kw={"height_ratios": [5, 1]},
            sharex=True,
        )
        t = np.concatenate([[0.0], curve.times])
        s = np.concatenate([[1.0], curve.survival])
        low = np.concatenate([[1.0], curve.ci_low])
        high = np.concatenate([[1.0], curve.ci_high])
        axes.fill_between(
            t,
            low,
            high,
            step="post",
            color=PALETTE[4],
            alpha=0.35,
            linewidth=0,
            label="95% pointwise confidence band",
        )
        axes.step(
            t, s, where="post", color=PALETTE[0], linewidth=1.8, label="Kaplan–Meier estimate"
        )
        if curve.censored.size:
            index = np.searchsorted(t, curve.censored, side="right") - 1
            heights = s[np.clip(index, 0, s.size - 1)]
            axes.plot(
                curve.censored,
                heights,
                "|",
                color="#000000",
                markersize=8,
                linestyle="none",
                label="censored (follow-up ended)",
            )
        axes.set_ylim(0, 1.02)
        axes.set_xlim(left=0, right=max([*(x for x, _ in curve.at_risk), float(t.max())]) * 1.02)
        axes.set_ylabel(y_label)
        axes.legend(loc="lower left", frameon=False)
        times = [x for x, _ in curve.at_risk]
        axes.set_xticks(times)
        axes.tick_params(labelbottom=True)
        table.axis("off")
        table.set_ylim(0, 1)
        table.text(0, 0.95, "Number at risk", transform=table.transAxes, va="top", ha="left")
        for x, n in curve.at_risk:
            table.text(x, 0.25, str(n), ha="center", va="center")
        axes.set_xlabel(x_label)
        figure.tight_layout()
        return svg_of(figure, name)
