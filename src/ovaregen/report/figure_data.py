"""From a plan's results and tables to the report's figures, and the number formats.

Selection and layout only: every number drawn or printed comes from the analysis plan
(``Result`` fields, ``detail`` objects, tables); nothing here computes a statistic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ovaregen.analysis.measures import PairedValues
from ovaregen.analysis.result import Analysis, Result
from ovaregen.report import figures
from ovaregen.stats.roc import RocResult

DASH = "—"


# --- numbers --------------------------------------------------------------------------------


def number(value: float | int | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (integers as they are; thousands kept)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)) or (float(value).is_integer() and abs(value) < 1e15):
        return f"{int(value):,}".replace(",", "\u2009")
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    if magnitude >= digits - 1:
        return f"{round(value):,}".replace(",", "\u2009")
    if magnitude < -4:
        return f"{value:.{digits - 1}e}"
    decimals = digits - 1 - magnitude
    return f"{value:.{decimals}f}"


def p_value(value: float | None) -> str:
    """A p-value: ``< 0.001`` below a thousandth, else three decimals (``> 0.999`` near 1)."""
    if value is None or not math.isfinite(value):
        return DASH
    if value < 0.001:
        return "< 0.001"
    if value > 0.999:
        return "> 0.999"
    return f"{value:.3f}"


def percent(value: float | None, decimals: int = 2) -> str:
    """A percentage given in percent."""
    return DASH if value is None or not math.isfinite(value) else f"{value:.{decimals}f}%"


def interval(low: float | None, high: float | None, scale: float = 1.0, digits: int = 3) -> str:
    """A confidence interval ``low to high`` (scaled, e.g. ×100 for a proportion)."""
    if low is None or high is None:
        return DASH
    return f"{number(low * scale, digits)} to {number(high * scale, digits)}"


# --- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A rendered figure: an id, its caption and the inline SVG."""

    id: str
    caption: str
    svg: str


def _result(analysis: Analysis, id: str) -> Result | None:
    try:
        return analysis.result(id)
    except KeyError:
        return None


def _frame(analysis: Analysis, id: str) -> pl.DataFrame | None:
    try:
        frame = analysis.table(id).frame
    except KeyError:
        return None
    return frame if frame.height else None


def _scatter(analysis: Analysis, stem: str) -> Figure | None:
    result = _result(analysis, "wbc_cd34_correlation")
    if result is None or not isinstance(result.detail, PairedValues) or not result.detail.x.size:
        return None
    points = result.detail
    shown = figures.thinned(points.x.size).size
    note = f" ({shown} of {points.x.size} points shown)" if shown < points.x.size else ""
    text = (
        f"r = {number(result.estimate)} (95% CI {interval(result.ci_low, result.ci_high)}), "
        f"p {_p_phrase(result.p_value)}, n = {result.n}"
    )
    svg = figures.scatter(
        f"{stem}-scatter",
        points.x,
        points.y,
        "Leukocytes on day 5 (10⁹/L)",
        "CD34+ cells on day 5 (cells/µL)",
        text,
    )
    caption = f"Day-5 leukocytes and CD34+ cells: {result.method}; {text}{note}."
    return Figure(f"{stem}-scatter", caption, svg)


def _p_phrase(value: float | None) -> str:
    text = p_value(value)
    return text if text.startswith(("<", ">")) else f"= {text}"


def _roc(analysis: Analysis, stem: str, id: str) -> Figure | None:
    result = _result(analysis, id)
    if result is None or not isinstance(result.detail, RocResult):
        return None
    roc: RocResult = result.detail
    if roc.curve is None or roc.auc is None:
        return None
    unit = result.extra.get("unit", "")
    cutoff = result.extra.get("cutoff")
    point = None
    cutoff_label = ""
    if cutoff is not None and roc.sensitivity is not None and roc.specificity is not None:
        point = (1 - roc.specificity, roc.sensitivity)
        cutoff_label = (
            f"Youden cut-off ≥ {number(cutoff)} {unit}: sensitivity "
            f"{percent(100 * roc.sensitivity, 1)}, specificity {percent(100 * roc.specificity, 1)}"
        )
    legend = f"AUC {number(roc.auc)} (95% CI {interval(roc.ci_low, roc.ci_high)})"
    panel = figures.RocPanel(
        label=result.title.removeprefix("ROC of "),
        false_positive=1 - np.asarray(roc.curve.specificities, dtype=float),
        sensitivity=np.asarray(roc.curve.sensitivities, dtype=float),
        legend=legend,
        cutoff_point=point,
        cutoff_label=cutoff_label,
    )
    caption = (
        f"{result.title}: {legend}, DeLong; {roc.n_cases} activated and {roc.n_controls} not. "
        + (f"{cutoff_label}." if cutoff_label else "No cut-off beats chance.")
    )
    return Figure(f"{stem}-{id}", caption, figures.roc(f"{stem}-{id}", panel))


def _symptoms(analysis: Analysis, stem: str) -> Figure | None:
    frame = _frame(analysis, "table3_gcsf_symptoms_by_day")
    if frame is None:
        return None
    days = sorted(frame.get_column("day").unique().to_list())
    grades = list(dict.fromkeys(frame.get_column("grade").to_list()))
    series = []
    for grade in grades:
        by_day = {
            row["day"]: row["percent"] or 0.0
            for row in frame.filter(pl.col("grade") == grade).iter_rows(named=True)
        }
        series.append((grade.replace("_", " "), [by_day.get(day, 0.0) for day in days]))
    svg = figures.stacked_bars(
        f"{stem}-gcsf",
        [f"day {day}" for day in days],
        series,
        "Day of G-CSF",
        "% of the women analysed",
    )
    total = number(frame.get_column("total").cast(pl.Int64).max())  # type: ignore[arg-type]
    caption = (
        f"G-CSF symptoms by day: grade reported, % of the {total} women analysed "
        "(Table 3; 'not recorded' = no grade that day)."
    )
    return Figure(f"{stem}-gcsf", caption, svg)


def _by_month(analysis: Analysis, stem: str) -> Figure | None:
    frame = _frame(analysis, "pregnancies_by_month")
    if frame is None:
        return None
    months = sorted(frame.get_column("months_after_treatment").unique().to_list())
    low, high = int(min(months)), int(max(months))
    axis = list(range(low, high + 1))
    series = []
    for conception in sorted(frame.get_column("conception").unique().to_list()):
        counts = {
            int(row["months_after_treatment"]): row["pregnancies"]
            for row in frame.filter(pl.col("conception") == conception).iter_rows(named=True)
        }
        series.append((conception, [counts.get(m, 0) for m in axis]))
    svg = figures.stacked_bars(
        f"{stem}-months",
        [str(m) for m in axis],
        series,
        "Months after injection",
        "Pregnancies",
    )
    total = int(frame.get_column("pregnancies").sum())
    caption = f"Time to pregnancy: {total} pregnancies by months after injection and conception."
    return Figure(f"{stem}-months", caption, svg)


def _kaplan_meier(analysis: Analysis, stem: str) -> Figure | None:
    frame = _frame(analysis, "time_to_pregnancy_km")
    result = _result(analysis, "time_to_pregnancy_km")
    if frame is None or result is None:
        return None

    def column(name: str) -> np.ndarray:
        return frame.get_column(name).cast(pl.Float64).fill_null(np.nan).to_numpy()

    censored = frame.filter(pl.col("n_censor") > 0).get_column("time").cast(pl.Float64)
    svg = figures.step_curve(
        f"{stem}-km",
        column("time"),
        column("survival"),
        column("ci_low"),
        column("ci_high"),
        censored.to_numpy(),
        "Months after injection",
        "Proportion not yet pregnant",
    )
    median = number(result.estimate) if result.estimate is not None else "not reached"
    caption = (
        f"Kaplan–Meier estimate of time to first pregnancy, n = {result.n}, "
        f"{result.extra.get('n_events')} pregnancies; median {median} months "
        f"(95% CI {interval(result.ci_low, result.ci_high)}); women who did not conceive "
        f"censored at their follow-up; {result.method}."
    )
    return Figure(f"{stem}-km", caption, svg)


def _boxes(analysis: Analysis, stem: str, table: str, what: str) -> Figure | None:
    frame = _frame(analysis, table)
    if frame is None:
        return None
    boxes = [
        figures.Box(
            f"{row['group']} (n = {row['n']})",
            row["minimum"],
            row["q1"],
            row["median"],
            row["q3"],
            row["maximum"],
        )
        for row in frame.iter_rows(named=True)
        if row["n"]
    ]
    if not boxes:
        return None
    svg = figures.box_plot(f"{stem}-{table}", boxes, "Age (years)")
    caption = f"{what}: median, quartiles, and whiskers at the range."
    return Figure(f"{stem}-{table}", caption, svg)


def _forest(analysis: Analysis, stem: str) -> Figure | None:
    results = [r for r in analysis.results if r.id.startswith("arm_difference_")]
    if not results:
        return None
    panels: dict[str, list[figures.ForestRow]] = {}
    for r in results:
        scale = 100.0 if r.extra.get("kind") == "binary" else 1.0
        label = (
            "Risk difference (percentage points)"
            if scale == 100.0
            else "Mean difference (units of each outcome)"
        )

        def scaled(value: float | None, factor: float = scale) -> float | None:
            return None if value is None else value * factor

        panels.setdefault(label, []).append(
            figures.ForestRow(r.title, scaled(r.estimate), scaled(r.ci_low), scaled(r.ci_high))
        )
    arms = [g["group"] for g in results[0].extra.get("groups", ())]
    order = " − ".join(arms) if len(arms) == 2 else "first arm − second arm"
    svg = figures.forest(f"{stem}-forest", list(panels.items()))
    caption = (
        f"Arm comparisons ({order}) with 95% CIs: mean differences (Welch) and risk "
        "differences (Wald); the dashed line is no difference."
    )
    return Figure(f"{stem}-forest", caption, svg)


def study_figures(analysis: Analysis, stem: str) -> list[Figure]:
    """Every figure the plan's results and tables allow, in reading order."""
    makers: list[Callable[[], Figure | None]] = [
        lambda: _scatter(analysis, stem),
        lambda: _roc(analysis, stem, "roc_cd34_activation"),
        lambda: _roc(analysis, stem, "roc_wbc_activation"),
        lambda: _boxes(analysis, stem, "age_by_activation_box", "Age by oocyte activation"),
        lambda: _symptoms(analysis, stem),
        lambda: _by_month(analysis, stem),
        lambda: _kaplan_meier(analysis, stem),
        lambda: _boxes(
            analysis,
            stem,
            "age_by_pregnancy_box",
            "Age at first injection of the women who became pregnant and of the others",
        ),
        lambda: _forest(analysis, stem),
    ]
    made = (maker() for maker in makers)
    return [figure for figure in made if figure is not None]


# --- the flow diagram -------------------------------------------------------------------------


def _count(frame: pl.DataFrame, stage: str, arm: str | None = None) -> Any:
    rows = frame.filter(pl.col("stage") == stage)
    if arm is not None and "arm" in rows.columns:
        rows = rows.filter(pl.col("arm") == arm)
    return rows.get_column("n").item() if rows.height == 1 else None


def _exclusion_lines(analysis: Analysis, limit: int = 8) -> tuple[str, ...]:
    frame = _frame(analysis, "exclusions")
    if frame is None:
        return ()
    failed = frame.filter(pl.col("failed") > 0).sort("failed", descending=True)
    lines = [f"{row['criterion']}: {row['failed']}" for row in failed.iter_rows(named=True)]
    if len(lines) > limit:
        lines = [*lines[: limit - 1], f"… {len(lines) - limit + 1} more criteria (see table)"]
    return tuple(lines)


def flow_figure(analysis: Analysis, stem: str) -> Figure | None:
    """The CONSORT-style diagram from the ``consort`` (study C) or ``flow`` table."""
    consort = _frame(analysis, "consort")
    if consort is not None:
        return _consort_figure(analysis, consort, stem)
    flow = _frame(analysis, "flow")
    if flow is None:
        return None
    box, side = figures.FlowBox, figures.FlowStage
    excluded = (
        f"Excluded (n = {_count(flow, 'screen_failed')})",
        "did not meet the inclusion criteria",
        *(
            ("by criterion (one may fail several):", *lines)
            if (lines := _exclusion_lines(analysis))
            else ()
        ),
    )
    stages = [
        side(
            main=(
                box((f"Recruited (n = {_count(flow, 'recruited')})", "assessed for eligibility")),
            )
        ),
        side(side=box(excluded)),
        side(main=(box((f"Met the inclusion criteria (n = {_count(flow, 'eligible')})",)),)),
        side(
            side=box(
                (
                    "Left the study",
                    f"withdrew: {_count(flow, 'withdrawn')}",
                    f"lost to follow-up: {_count(flow, 'lost_to_follow_up')}",
                )
            )
        ),
        side(main=(box((f"Analysed (n = {_count(flow, 'analysed')})", "status completed")),)),
    ]
    svg = figures.flow_diagram(f"{stem}-flow", stages)
    caption = "Participant flow, counted from each participant's status; exclusions by criterion."
    return Figure(f"{stem}-flow", caption, svg)


def _consort_figure(analysis: Analysis, consort: pl.DataFrame, stem: str) -> Figure:
    box, stage = figures.FlowBox, figures.FlowStage
    arms = [a for a in dict.fromkeys(consort.get_column("arm").to_list()) if a is not None]
    target = _count(consort, "target")
    lines = _exclusion_lines(analysis)
    stages = [
        stage(main=(box((f"Assessed for eligibility (n = {_count(consort, 'assessed')})",)),)),
        stage(
            side=box(
                (
                    f"Excluded (n = {_count(consort, 'excluded')})",
                    *(("by criterion:", *lines) if lines else ()),
                )
            )
        ),
        stage(
            main=(
                box(
                    (
                        f"Randomised (n = {_count(consort, 'randomised')})",
                        *((f"target enrolment: {target}",) if target is not None else ()),
                    )
                ),
            )
        ),
    ]
    if arms:
        stages += [
            stage(
                main=tuple(
                    box(
                        (
                            f"{arm} (n = {_count(consort, 'allocated', arm)})",
                            f"received treatment: {_count(consort, 'received', arm)}",
                        )
                    )
                    for arm in arms
                )
            ),
            stage(
                main=tuple(
                    box(
                        (
                            "Follow-up",
                            f"withdrew: {_count(consort, 'withdrawn', arm)}",
                            f"lost: {_count(consort, 'lost_to_follow_up', arm)}",
                        )
                    )
                    for arm in arms
                )
            ),
            stage(
                main=tuple(
                    box(
                        (
                            f"Completed follow-up (n = {_count(consort, 'analysed', arm)})",
                            f"analysed (ITT): {_count(consort, 'allocated', arm)}",
                        )
                    )
                    for arm in arms
                )
            ),
        ]
    svg = figures.flow_diagram(f"{stem}-flow", stages)
    caption = "CONSORT flow diagram: enrolment, allocation, follow-up and analysis by arm."
    return Figure(f"{stem}-flow", caption, svg)
