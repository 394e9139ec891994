"""From a plan's results and tables to the report's figures.

Selection and layout only: every number drawn or printed comes from the analysis plan
(``Result`` fields, ``detail`` objects, tables); nothing here computes a statistic. Each figure
carries the counts it draws (:class:`~ovaregen.report.figure_view.Tally`), which add up to the
count its caption states. Captions carry no "Figure n." prefix: the document numbers figures
through the whole report. The number formats are kept importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import polars as pl

from ovaregen.analysis.measures import PairedValues
from ovaregen.analysis.result import Analysis, Result
from ovaregen.report import figures
from ovaregen.report.figure_view import Figure, Tally
from ovaregen.report.flow_data import flow_figure
from ovaregen.report.forest_data import forest_figure
from ovaregen.report.numbers import DASH, interval, number, p_value, percent
from ovaregen.stats.roc import RocResult

__all__ = [
    "DASH",
    "Figure",
    "Tally",
    "flow_figure",
    "interval",
    "number",
    "p_value",
    "percent",
    "study_figures",
]


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


def _accounted(analysis: Analysis, result: Result, drawn: int) -> tuple[str, tuple[Tally, ...]]:
    """The women of the result's population that the figure does not draw, and why (from
    ``Result.left_out``): a sentence for the caption and a tally of the whole population."""
    population = next((p for p in analysis.populations if p.id == result.population), None)
    if population is None:
        return "", ()
    counts = {"drawn": drawn}
    for item in result.left_out:
        counts[f"left out: {item.reason}"] = counts.get(f"left out: {item.reason}", 0) + item.count
    tally = (Tally("analysis population", counts, population.n),)
    if not result.left_out and drawn == population.n:
        return "", tally
    reasons = "; ".join(f"{item.reason}: {item.count}" for item in result.left_out)
    return (
        f" Of the n = {population.n} women of the analysis population, "
        f"{population.n - drawn} are not drawn ({reasons or 'no reason recorded'}).",
        tally,
    )


def _p_phrase(value: float | None) -> str:
    text = p_value(value)
    return text if text.startswith(("<", ">")) else f"= {text}"


def _scatter(analysis: Analysis, stem: str) -> Figure | None:
    result = _result(analysis, "wbc_cd34_correlation")
    if result is None or not isinstance(result.detail, PairedValues) or not result.detail.x.size:
        return None
    points = result.detail
    shown = int(figures.thinned(points.x.size).size)
    note = f" ({shown} of {points.x.size} points shown)" if shown < points.x.size else ""
    text = f"r = {number(result.estimate)}, p {_p_phrase(result.p_value)}, n = {points.x.size}"
    svg = figures.scatter(
        f"{stem}-scatter",
        points.x,
        points.y,
        "Leukocytes on day 5 (10⁹/L)",
        "CD34+ cells on day 5 (cells/µL)",
        text,
    )
    left, accounting = _accounted(analysis, result, points.x.size)
    caption = (
        f"Day-5 leukocytes and CD34+ cells, one point per woman (n = {points.x.size}): "
        f"{result.method}; r = {number(result.estimate)} "
        f"(95% CI {interval(result.ci_low, result.ci_high)}), p {_p_phrase(result.p_value)}"
        f"{note}.{left}"
    )
    tally = Tally(
        "women drawn", {"drawn": shown, "thinned out": points.x.size - shown}, points.x.size
    )
    return Figure(f"{stem}-scatter", caption, svg, (tally, *accounting))


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
    women = roc.n_cases + roc.n_controls
    left, accounting = _accounted(analysis, result, int(women))
    caption = (
        f"{result.title}: {legend}, DeLong; n = {women}, {roc.n_cases} activated and "
        f"{roc.n_controls} not. "
        + (f"{cutoff_label}." if cutoff_label else "No cut-off beats chance.")
        + (" The AUC is below 0.5: the marker does no better than chance." if roc.auc < 0.5 else "")
        + left
    )
    tally = Tally(
        "women in the curve",
        {"activated": int(roc.n_cases), "not activated": int(roc.n_controls)},
        int(women),
    )
    svg = figures.roc(f"{stem}-{id}", panel)
    return Figure(f"{stem}-{id}", caption, svg, (tally, *accounting))


def _symptoms(analysis: Analysis, stem: str) -> Figure | None:
    frame = _frame(analysis, "table3_gcsf_symptoms_by_day")
    if frame is None:
        return None
    days = sorted(frame.get_column("day").unique().to_list())
    grades = list(dict.fromkeys(frame.get_column("grade").to_list()))
    rows = list(frame.iter_rows(named=True))
    series = []
    for grade in grades:
        by_day = {row["day"]: row["percent"] or 0.0 for row in rows if row["grade"] == grade}
        series.append((grade.replace("_", " "), [by_day.get(day, 0.0) for day in days]))
    svg = figures.stacked_bars(
        f"{stem}-gcsf",
        [f"day {day}" for day in days],
        series,
        "Day of G-CSF",
        "% of the women analysed",
    )
    total = int(frame.get_column("total").cast(pl.Int64).max())  # type: ignore[arg-type]
    tallies = tuple(
        Tally(
            f"day {day}",
            {
                str(row["grade"]).replace("_", " "): int(row["n"] or 0)
                for row in rows
                if row["day"] == day
            },
            total,
        )
        for day in days
    )
    caption = (
        f"G-CSF symptoms by day: grade reported, % of the n = {total} women analysed, each bar "
        "summing to 100% (Table 3; 'not recorded' = no grade that day)."
    )
    return Figure(f"{stem}-gcsf", caption, svg, tallies)


CONCEPTION = {"ivf": "IVF", "spontaneous": "spontaneous"}
"""The words of the conception codes (INTERCHANGE.md)."""


def _month_bin(months: float) -> int:
    """The whole month a time falls in: bar m counts times from m to under m + 1 months."""
    return math.floor(months)


def _by_month(analysis: Analysis, stem: str) -> Figure | None:
    frame = _frame(analysis, "pregnancies_by_month")
    if frame is None:
        return None
    rows = [r for r in frame.iter_rows(named=True) if r["months_after_treatment"] is not None]
    if not rows:
        return None
    bins = [_month_bin(float(r["months_after_treatment"])) for r in rows]
    axis = list(range(min(bins), max(bins) + 1))
    series: list[tuple[str, list[float]]] = []
    counts: dict[str, int] = {}
    for conception in sorted({str(r["conception"]) for r in rows}):
        heights = dict.fromkeys(axis, 0)
        for row, month in zip(rows, bins, strict=True):
            if str(row["conception"]) == conception:
                heights[month] += int(row["pregnancies"])
                key = f"{conception}, month {month}"
                counts[key] = counts.get(key, 0) + int(row["pregnancies"])
        series.append((CONCEPTION.get(conception, conception), [float(heights[m]) for m in axis]))
    svg = figures.stacked_bars(
        f"{stem}-months",
        [str(m) for m in axis],
        series,
        "Months after injection (whole months)",
        "Pregnancies",
    )
    total = sum(int(r["pregnancies"]) for r in rows)
    fractional = sorted(
        {float(r["months_after_treatment"]) for r in rows} - {float(m) for m in bins}
    )
    binned = (
        " Times between whole months are counted in the month they fall in ("
        + ", ".join(f"{t:g} months in bar {_month_bin(t)}" for t in fractional)
        + ")."
        if fractional
        else ""
    )
    unknown = frame.filter(pl.col("months_after_treatment").is_null())
    missing = int(unknown.get_column("pregnancies").sum()) if unknown.height else 0
    left = f" {missing} pregnancies with unknown timing are not drawn." if missing else ""
    caption = (
        f"Time to pregnancy: n = {total} pregnancies by months after injection and conception; "
        f"bar m counts the pregnancies from m to under m + 1 months.{binned}{left}"
    )
    return Figure(f"{stem}-months", caption, svg, (Tally("pregnancies", counts, total),))


def _regular_times(horizon: float) -> list[float]:
    """Ticks for the numbers at risk: a step of 1, 2, 3, 6, 12 or 24 months, at most 7 ticks."""
    step = next((s for s in (1, 2, 3, 6, 12, 24) if horizon / s <= 6), 48)
    return [float(step * k) for k in range(int(horizon // step) + 1)]


def _at_risk(frame: pl.DataFrame, total: int, times: list[float]) -> list[tuple[float, int]]:
    """Women at risk just before each time, read off the plan's Kaplan–Meier table: the
    ``n_risk`` of the first tabulated time at or after it (none left after the last)."""
    table = frame.select(pl.col("time").cast(pl.Float64), pl.col("n_risk").cast(pl.Int64))
    at_risk = []
    for t in times:
        later = table.filter(pl.col("time") >= t).get_column("n_risk")
        if t <= 0:
            at_risk.append((t, total))
        else:
            at_risk.append((t, int(later[0] or 0) if later.len() else 0))
    return at_risk


def _kaplan_meier(analysis: Analysis, stem: str) -> Figure | None:
    frame = _frame(analysis, "time_to_pregnancy_km")
    result = _result(analysis, "time_to_pregnancy_km")
    if frame is None or result is None:
        return None

    def column(name: str) -> np.ndarray:
        return frame.get_column(name).cast(pl.Float64).fill_null(np.nan).to_numpy()

    censored_rows = frame.filter(pl.col("n_censor") > 0)
    times = column("time")
    n = result.n
    events = int(frame.get_column("n_event").sum())
    censored = int(frame.get_column("n_censor").sum())
    curve = figures.SurvivalCurve(
        times=times,
        survival=column("survival"),
        ci_low=column("ci_low"),
        ci_high=column("ci_high"),
        censored=censored_rows.get_column("time").cast(pl.Float64).to_numpy(),
        at_risk=_at_risk(frame, n, _regular_times(float(np.nanmax(times)) if times.size else 0)),
    )
    svg = figures.step_curve(
        f"{stem}-km", curve, "Months after injection", "Proportion not yet pregnant"
    )
    left, accounting = _accounted(analysis, result, n)
    median = f"{number(result.estimate)} months" if result.estimate is not None else "not reached"
    bounds = (result.ci_low, result.ci_high)
    ci = f" (95% CI {interval(*bounds)})" if None not in bounds else ""
    caption = (
        f"Kaplan–Meier estimate of time to first pregnancy: n = {n} women, {events} pregnant "
        f"(events), {censored} censored at their last follow-up without pregnancy; median "
        f"{median}{ci}; "
        f"{result.method}. Numbers at risk under the plot.{left}"
    )
    tally = Tally("women", {"events": events, "censored": censored}, n)
    return Figure(f"{stem}-km", caption, svg, (tally, *accounting))


def _boxes(
    analysis: Analysis, stem: str, table: str, what: str, result_id: str = ""
) -> Figure | None:
    """Box plots from a plan's summary table; ``result_id`` names the comparison whose women
    they are (for the women left out)."""
    frame = _frame(analysis, table)
    if frame is None:
        return None
    rows = [row for row in frame.iter_rows(named=True) if row["n"]]
    boxes = [
        figures.Box(
            f"{row['group']} (n = {row['n']})",
            row["minimum"],
            row["q1"],
            row["median"],
            row["q3"],
            row["maximum"],
        )
        for row in rows
    ]
    if not boxes:
        return None
    svg = figures.box_plot(f"{stem}-{table}", boxes, "Age (years)")
    women = sum(int(row["n"]) for row in rows)
    result = _result(analysis, result_id) if result_id else None
    left, accounting = _accounted(analysis, result, women) if result else ("", ())
    caption = f"{what}, n = {women}: median, quartiles, and whiskers at the range.{left}"
    tally = Tally("women", {str(row["group"]): int(row["n"]) for row in rows}, women)
    return Figure(f"{stem}-{table}", caption, svg, (tally, *accounting))


def study_figures(analysis: Analysis, stem: str) -> list[Figure]:
    """Every figure the plan's results and tables allow, in reading order."""
    makers: list[Callable[[], Figure | None]] = [
        lambda: _scatter(analysis, stem),
        lambda: _roc(analysis, stem, "roc_cd34_activation"),
        lambda: _roc(analysis, stem, "roc_wbc_activation"),
        lambda: _boxes(
            analysis,
            stem,
            "age_by_activation_box",
            "Age by oocyte activation",
            "age_by_activation",
        ),
        lambda: _symptoms(analysis, stem),
        lambda: _by_month(analysis, stem),
        lambda: _kaplan_meier(analysis, stem),
        lambda: _boxes(
            analysis,
            stem,
            "age_by_pregnancy_box",
            "Age at first injection of the women who became pregnant and of the others",
        ),
        lambda: forest_figure(analysis, stem),
    ]
    made = (maker() for maker in makers)
    return [figure for figure in made if figure is not None]
