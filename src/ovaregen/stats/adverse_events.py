"""Adverse events by arm in a randomised trial, as the CONSORT Harms extension asks.

CONSORT Harms 2022 (Junqueira et al., BMJ 2023;381:e073725; after Ioannidis et al., Ann Intern
Med 2004) asks for each arm the number of participants with at least one event — overall, by
worst severity grade, serious, and by event term — over all randomised participants analysed
(with or without events), with the number of events beside it, and an absolute measure of the
difference between arms: here the risk difference. Grades are CTCAE (1 mild … 5 death).

:func:`adverse_events_by_arm` gives one row per measure, in this order:

* ``any`` — women with ≥ 1 event; ``serious`` — with ≥ 1 serious event; ``grade_3_or_more`` —
  with ≥ 1 event of grade 3 to 5;
* ``worst_grade_1`` … ``worst_grade_5`` — women whose worst (highest known) grade is that grade;
  each woman is in at most one of them;
* ``term:<term>`` — women with ≥ 1 event of that term, one row per term in alphabetical order;
  terms are compared case-insensitively with surrounding whitespace stripped ("Headache",
  " headache ") and shown as first written (stripped).

Each row has, per arm, the women counted, the denominator (every analysed woman of the arm) and
the events that define the row (all events, the serious ones, those of grade ≥ 3, of grade k, of
the term); the risk difference first − second arm with the Wald interval of R
``prop.test(correct = FALSE)`` (:func:`ovaregen.stats.contingency.risk_difference`; the default)
or, with ``interval="newcombe"``, Newcombe's hybrid score interval, which does not collapse to
"0 to 0" where no woman or every woman has the event (``tests/reference/effects.R``,
:func:`ovaregen.stats.newcombe.newcombe_risk_difference`), and Fisher's exact two-sided p of R
``fisher.test`` (:func:`ovaregen.stats.contingency.fisher_exact`, which reports no test where
no woman, or every woman, has the event; R gives p = 1 there). The numbers match
``tests/reference/adverse_events.R`` (Wald) and ``tests/reference/plans.R`` (Newcombe).

Unknowns are counted and warned, never guessed: an event of unknown grade counts in ``any`` and
in its term but in no grade row (a woman whose only events are of unknown grade is in no
worst-grade row, and the worst grade of the others is their highest known one); an event of
unknown seriousness is not counted as serious; an event without a term is in no term row; events
of participants who are not among the analysed women are ignored, and women with an unknown arm
are left out with their events. A misuse (a missing column, a grade outside 1–5, an arm outside
the two given, a woman listed twice) raises ValueError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from ovaregen.stats.contingency import TableLike, fisher_exact, risk_difference
from ovaregen.stats.newcombe import newcombe_risk_difference
from ovaregen.stats.result import Estimate

__all__ = ["AdverseEventRow", "AdverseEventTable", "adverse_events_by_arm", "term_key"]

Interval = Literal["wald", "newcombe"]
"""The confidence interval of the risk differences (module docstring)."""
INTERVALS: dict[str, tuple[str, Callable[..., Estimate]]] = {
    "wald": ("Wald confidence interval (R prop.test(correct = FALSE))", risk_difference),
    "newcombe": ("Newcombe hybrid score confidence interval (Wilson)", newcombe_risk_difference),
}


def method_of(interval: Interval = "wald") -> str:
    """The method text of a table whose risk differences have this ``interval``."""
    return (
        "Adverse events by arm (CONSORT Harms 2022): women with ≥ 1 event over all analysed "
        f"women of each arm; risk difference with {INTERVALS[interval][0]}; "
        "Fisher's exact test (R fisher.test)"
    )


METHOD = method_of("wald")
GRADES = (1, 2, 3, 4, 5)
EVENT_COLUMNS = ("participant_id", "term", "grade", "serious")
WOMEN_COLUMNS = ("participant_id", "arm")

_ARM_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("arm", pl.String),
    ("women", pl.Int64),
    ("n", pl.Int64),
    ("percent", pl.Float64),
    ("events", pl.Int64),
)
TABLE_SCHEMA: dict[str, Any] = {
    "measure": pl.String,
    "label": pl.String,
    **{f"{side}_{name}": dtype for side in ("first", "second") for name, dtype in _ARM_COLUMNS},
    **dict.fromkeys(("risk_difference", "ci_low", "ci_high", "p_value"), pl.Float64),
}
"""The columns of :meth:`AdverseEventTable.frame`: first_arm, first_women, first_n, …"""


@dataclass(frozen=True)
class AdverseEventRow:
    """One measure: per arm the women counted of ``n_*`` and their events; the comparison.

    ``risk_difference`` (first − second) with ``ci_low``/``ci_high`` comes from ``difference``,
    ``p_value`` (Fisher's exact) from ``fisher``; both keep their method and warnings.
    """

    measure: str
    label: str
    women_first: int
    n_first: int
    events_first: int
    women_second: int
    n_second: int
    events_second: int
    risk_difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    difference: Estimate
    fisher: Estimate

    @property
    def warnings(self) -> tuple[str, ...]:
        """The warnings of the risk difference and of Fisher's test."""
        return (*self.difference.warnings, *self.fisher.warnings)


@dataclass(frozen=True)
class AdverseEventTable:
    """Adverse events by arm: ``rows`` in the order of the module docstring.

    ``n`` women analysed (``n_first`` + ``n_second``), ``n_events`` events counted (of those
    women), ``n_events_ignored`` left out (of participants not among them, or of women whose arm
    is unknown).
    """

    method: str
    arms: tuple[str, str]
    n: int
    n_first: int
    n_second: int
    n_events: int
    n_events_ignored: int
    rows: tuple[AdverseEventRow, ...]
    conf_level: float
    options: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def row(self, measure: str) -> AdverseEventRow:
        """The row of ``measure`` (``"any"``, ``"worst_grade_3"``, ``"term:Headache"``, …)."""
        for row in self.rows:
            if row.measure == measure:
                return row
        raise KeyError(measure)

    def term(self, term: str) -> AdverseEventRow:
        """The row of ``term``, compared as the terms are (case and outer spaces ignored)."""
        key = term_key(term)
        for row in self.rows:
            if row.measure.startswith("term:") and term_key(row.label) == key:
                return row
        raise KeyError(term)

    def frame(self) -> pl.DataFrame:
        """The table, one row per measure (columns :data:`TABLE_SCHEMA`); percent = 100 · women /
        n, null when n = 0."""
        first, second = self.arms
        rows = [
            (
                row.measure,
                row.label,
                *_arm_cells(first, row.women_first, row.n_first, row.events_first),
                *_arm_cells(second, row.women_second, row.n_second, row.events_second),
                row.risk_difference,
                row.ci_low,
                row.ci_high,
                row.p_value,
            )
            for row in self.rows
        ]
        return pl.DataFrame(rows, schema=TABLE_SCHEMA, orient="row")


def term_key(term: str) -> str:
    """How terms are compared: surrounding whitespace stripped, letter case ignored."""
    return term.strip().lower()


def adverse_events_by_arm(
    events: pl.DataFrame,
    women: pl.DataFrame,
    arms: tuple[str, str],
    *,
    conf_level: float = 0.95,
    interval: Interval = "wald",
) -> AdverseEventTable:
    """The adverse-event table of a two-arm trial (module docstring).

    ``events``: one row per event with ``participant_id``, ``term`` (text), ``grade`` (CTCAE
    1–5, null = unknown) and ``serious`` (Boolean, null = unknown). ``women``: every analysed
    woman with ``participant_id`` and ``arm``, whether she had an event or not — the
    denominators. ``arms = (first, second)``: risk differences are first − second, with the
    ``interval`` named ("wald" or "newcombe"). Identifiers are matched as text. Neither frame is
    modified.
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}")
    difference = INTERVALS[interval][1]
    first, second = arms
    if first == second:
        raise ValueError(f"the two arms must differ, got {arms!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    analysed, unknown_arm = _women(women, arms)
    table = _events(events)
    counted = table.join(analysed, on="participant_id", how="inner").sort("_row")
    everyone = pl.concat([analysed.select("participant_id"), unknown_arm])
    outside = table.join(everyone, on="participant_id", how="anti").get_column("participant_id")
    notes: list[str] = []
    if unknown_arm.height:
        left_out = table.height - counted.height - outside.len()
        notes.append(
            f"{_n(unknown_arm.height, 'woman', 'women')} with an unknown arm left out, with "
            f"their {_n(left_out, 'event', 'events')}"
        )
    if outside.len():
        notes.append(
            f"{_n(outside.len(), 'event', 'events')} of "
            f"{_n(outside.n_unique(), 'participant', 'participants')} not among the analysed "
            "women ignored"
        )
    notes.extend(_unknowns(counted))
    n_arm = (
        analysed.filter(pl.col("arm") == first).height,
        analysed.filter(pl.col("arm") == second).height,
    )
    overall = (
        # every counted event (a column, not pl.lit(True): Polars 2.1 mis-sizes a filled literal)
        ("any", "women with ≥ 1 adverse event", pl.col("_row").is_not_null()),
        ("serious", "women with ≥ 1 serious adverse event", pl.col("serious")),
        ("grade_3_or_more", "women with ≥ 1 event of grade ≥ 3", pl.col("grade") >= 3),
    )
    rows = [
        _row(
            measure, label, counted, selected.fill_null(False), arms, n_arm, conf_level, difference
        )
        for measure, label, selected in overall
    ]
    rows.extend(_worst_grade_rows(counted, arms, n_arm, conf_level, difference))
    for key, shown in _terms(counted):
        selected = pl.col("_key") == key
        rows.append(
            _row(f"term:{shown}", shown, counted, selected, arms, n_arm, conf_level, difference)
        )
    return AdverseEventTable(
        method=method_of(interval),
        arms=(first, second),
        n=n_arm[0] + n_arm[1],
        n_first=n_arm[0],
        n_second=n_arm[1],
        n_events=counted.height,
        n_events_ignored=table.height - counted.height,
        rows=tuple(rows),
        conf_level=conf_level,
        options={
            "comparison": f"{first} minus {second}",
            "denominator": "all analysed women of the arm, with or without events",
            **(
                {"ci": "Wald", "continuity_correction": False}
                if interval == "wald"
                else {"ci": "Newcombe hybrid score (Wilson)"}
            ),
            "p_value": "Fisher's exact test (two-sided)",
            "worst_grade": "highest known CTCAE grade of the woman",
            "terms": "compared case-insensitively, whitespace stripped; shown as first written",
        },
        warnings=tuple(notes),
    )


Difference = Callable[..., Estimate]
"""A risk difference of a 2 × 2 table (``table, *, conf_level``)."""


def _worst_grade_rows(
    counted: pl.DataFrame,
    arms: tuple[str, str],
    n_arm: tuple[int, int],
    conf_level: float,
    difference: Difference,
) -> list[AdverseEventRow]:
    """worst_grade_1 … 5: women by their highest known grade; events of that grade."""
    worst = (
        counted.filter(pl.col("grade").is_not_null())
        .group_by("participant_id", "arm")
        .agg(pl.col("grade").max().alias("worst"))
    )
    rows = []
    for grade in GRADES:
        women = [worst.filter((pl.col("worst") == grade) & (pl.col("arm") == arm)) for arm in arms]
        events = [
            counted.filter((pl.col("grade") == grade) & (pl.col("arm") == arm)) for arm in arms
        ]
        rows.append(
            _compare(
                f"worst_grade_{grade}",
                f"women whose worst grade is {grade}",
                (women[0].height, women[1].height),
                (events[0].height, events[1].height),
                n_arm,
                conf_level,
                difference,
            )
        )
    return rows


def _women(women: pl.DataFrame, arms: tuple[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(analysed women with a known arm, women with an unknown arm), identifiers as text."""
    _require(women, WOMEN_COLUMNS, "women")
    frame = women.select(pl.col("participant_id").cast(pl.String), pl.col("arm").cast(pl.String))
    if frame.get_column("participant_id").null_count():
        raise ValueError("women: a participant_id is missing")
    repeated = frame.filter(pl.col("participant_id").is_duplicated())
    if repeated.height:
        names = sorted(set(repeated.get_column("participant_id").to_list()))
        raise ValueError(f"women listed more than once: {names}")
    known = frame.filter(pl.col("arm").is_not_null())
    outside = known.filter(~pl.col("arm").is_in(list(arms)))
    if outside.height:
        labels = sorted(set(outside.get_column("arm").to_list()))
        raise ValueError(f"arm labels outside {arms!r}: {labels}")
    return known, frame.filter(pl.col("arm").is_null()).select("participant_id")


def _events(events: pl.DataFrame) -> pl.DataFrame:
    """The events with identifiers as text, grade as Int64, the term's key, the row number."""
    _require(events, EVENT_COLUMNS, "events")
    grade = events.get_column("grade")
    if grade.dtype == pl.Null:
        grade = grade.cast(pl.Int64)
    elif not grade.dtype.is_numeric():
        raise ValueError(f"events: grade must be a CTCAE grade 1–5, got dtype {grade.dtype}")
    values = grade.drop_nulls().cast(pl.Float64).to_numpy()
    bad = values[(values != np.round(values)) | (values < 1) | (values > 5)]
    if bad.size:
        raise ValueError(f"events: grades outside CTCAE 1–5: {sorted(set(bad.tolist()))}")
    serious = events.get_column("serious")
    if serious.dtype not in (pl.Boolean, pl.Null):
        raise ValueError(f"events: serious must be Boolean, got dtype {serious.dtype}")
    term = pl.col("term").cast(pl.String).str.strip_chars()
    return (
        events.select(
            pl.col("participant_id").cast(pl.String),
            pl.when(term == "").then(None).otherwise(term).alias("term"),
            pl.lit(grade.cast(pl.Int64)).alias("grade"),
            pl.col("serious").cast(pl.Boolean),
        )
        .with_columns(pl.col("term").str.to_lowercase().alias("_key"))
        .with_row_index("_row")
    )


def _require(frame: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"{what}: columns missing: {', '.join(missing)}")


def _unknowns(counted: pl.DataFrame) -> list[str]:
    """The warnings about events of unknown grade, seriousness or term."""
    notes = []
    unknown_grade = counted.filter(pl.col("grade").is_null())
    if unknown_grade.height:
        women = set(unknown_grade.get_column("participant_id").to_list())
        graded = set(counted.filter(pl.col("grade").is_not_null())["participant_id"].to_list())
        notes.append(
            f"{_n(unknown_grade.height, 'event', 'events')} of unknown grade (in "
            f"{_n(len(women), 'woman', 'women')}): counted in 'any' and in their term, in no "
            f"grade row; the worst-grade rows leave out {_n(len(women - graded), 'woman', 'women')}"
            f" whose only events are of unknown grade, and for {len(women & graded)} the worst "
            "grade is the highest known one"
        )
    unknown_serious = counted.filter(pl.col("serious").is_null())
    if unknown_serious.height:
        women_count = unknown_serious.get_column("participant_id").n_unique()
        notes.append(
            f"{_n(unknown_serious.height, 'event', 'events')} of unknown seriousness (in "
            f"{_n(women_count, 'woman', 'women')}): not counted as serious"
        )
    no_term = counted.filter(pl.col("_key").is_null()).height
    if no_term:
        notes.append(f"{_n(no_term, 'event', 'events')} without a term: counted in no term row")
    return notes


def _terms(counted: pl.DataFrame) -> list[tuple[str, str]]:
    """(key, term as first written) of each term, sorted by key."""
    firsts = (
        counted.filter(pl.col("_key").is_not_null())
        .group_by("_key")
        .agg(pl.col("term").sort_by("_row").first())
        .sort("_key")
    )
    return list(zip(firsts.get_column("_key"), firsts.get_column("term"), strict=True))


def _row(
    measure: str,
    label: str,
    counted: pl.DataFrame,
    selected: pl.Expr,
    arms: tuple[str, str],
    n_arm: tuple[int, int],
    conf_level: float,
    difference: Difference,
) -> AdverseEventRow:
    chosen = counted.filter(selected)
    by_arm = [chosen.filter(pl.col("arm") == arm) for arm in arms]
    women = [frame.get_column("participant_id").n_unique() for frame in by_arm]
    return _compare(
        measure,
        label,
        (women[0], women[1]),
        (by_arm[0].height, by_arm[1].height),
        n_arm,
        conf_level,
        difference,
    )


def _compare(
    measure: str,
    label: str,
    women: tuple[int, int],
    events: tuple[int, int],
    n_arm: tuple[int, int],
    conf_level: float,
    difference: Difference,
) -> AdverseEventRow:
    table: TableLike = [[women[0], n_arm[0] - women[0]], [women[1], n_arm[1] - women[1]]]
    estimate = difference(table, conf_level=conf_level)
    fisher = fisher_exact(table, conf_level=conf_level, odds_ratio_estimate=False)
    return AdverseEventRow(
        measure=measure,
        label=label,
        women_first=women[0],
        n_first=n_arm[0],
        events_first=events[0],
        women_second=women[1],
        n_second=n_arm[1],
        events_second=events[1],
        risk_difference=estimate.estimate,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        p_value=fisher.p_value,
        difference=estimate,
        fisher=fisher,
    )


def _arm_cells(arm: str, women: int, n: int, events: int) -> tuple[Any, ...]:
    """arm, women, n, percent = 100 · women / n (None when n = 0), events."""
    return arm, women, n, (100 * women / n if n else None), events


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
