"""Adverse events by arm in a randomised trial (CONSORT Harms 2022; ICH E3 §12.2).

Over the analysed population (every randomised woman, with or without an event), per arm: the
women with ≥ 1 event, with a serious one, with one of grade ≥ 3, by worst grade and by term,
and their events; for each, the risk difference first − second arm with Newcombe's hybrid score
CI (which, unlike Wald's, does not collapse to "0 to 0" where no woman has the event) and
Fisher's exact p (``ovaregen.stats.adverse_events``). Result ids: ``adverse_events_<measure>``,
a term's ``adverse_events_term_<key>`` (the term lower-cased, every run of other characters
than letters and digits an underscore).

Two tables: ``adverse_events_by_arm`` (the machine table, one row per measure) and
``harms_by_arm``, the table a journal prints (CONSORT Harms 2022, items 17–19: events AND
women, per arm, over the women at risk): rows by category — overall (any, serious, grade ≥ 3),
worst CTCAE grade (each woman once), event term, and the serious events by term — and per arm
the women with the event, their percentage of the arm's women at risk (in the header) and the
number of events.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from ovaregen.analysis.result import Population, Result, Table
from ovaregen.stats.adverse_events import (
    GRADES,
    AdverseEventRow,
    AdverseEventTable,
    adverse_events_by_arm,
)

_NOT_A_WORD = re.compile(r"[\W_]+")


def measure_id(measure: str) -> str:
    """The result id of a table row: ``any`` → ``adverse_events_any``, ``term:Pelvic pain``
    → ``adverse_events_term_pelvic_pain`` (letters and digits of any script kept)."""
    if measure.startswith("term:"):
        key = _NOT_A_WORD.sub("_", measure.removeprefix("term:").strip().lower()).strip("_")
        return f"adverse_events_term_{key or 'unnamed'}"
    return f"adverse_events_{measure}"


def _unique_ids(rows: tuple[AdverseEventRow, ...]) -> list[str]:
    """One id per row: terms that differ only in punctuation ("Pelvic pain", "pelvic-pain")
    are distinct rows of the table, so the second gets ``_2``, and so on."""
    ids: list[str] = []
    for row in rows:
        id = base = measure_id(row.measure)
        number = 1
        while id in ids:
            number += 1
            id = f"{base}_{number}"
        ids.append(id)
    return ids


def _result(
    id: str, row: AdverseEventRow, table: AdverseEventTable, population: Population
) -> Result:
    first, second = table.arms
    return Result(
        id=id,
        title=f"Adverse events: {row.label}",
        method=f"{row.difference.method}; Fisher's exact test",
        n=row.n_first + row.n_second,
        population=population.id,
        p_value=row.p_value,
        estimate=row.risk_difference,
        ci_low=row.ci_low,
        ci_high=row.ci_high,
        conf_level=table.conf_level,
        options={**row.difference.options, "p_value": "Fisher's exact test (two-sided)"},
        warnings=(*row.warnings, *table.warnings),
        extra={
            "kind": "adverse_events",
            "measure": row.measure,
            "estimate_label": f"risk difference ({first} − {second})",
            "effect": "risk difference",
            "effect_unit": "percentage points",
            "groups": [
                {
                    "group": first,
                    "women": row.women_first,
                    "n": row.n_first,
                    "events": row.events_first,
                },
                {
                    "group": second,
                    "women": row.women_second,
                    "n": row.n_second,
                    "events": row.events_second,
                },
            ],
        },
        detail=row,
    )


CTCAE_GRADES = {1: "mild", 2: "moderate", 3: "severe", 4: "life-threatening", 5: "death"}
"""The CTCAE v5 words of each grade."""
SUMMARY_LABELS = {
    "any": "Any adverse event",
    "serious": "Any serious adverse event",
    "grade_3_or_more": "Any event of grade ≥ 3",
}
"""The words of the overall rows of the harms table."""


def harms(
    events: pl.DataFrame,
    women: pl.DataFrame,
    arms: tuple[str, str],
    population: Population,
) -> tuple[tuple[Result, ...], tuple[Table, ...]]:
    """The results and the tables (module docstring) of adverse events by arm; ``women`` has
    participant_id and arm of every analysed woman (the denominators)."""
    analysed = women.select("participant_id", "arm")
    table = adverse_events_by_arm(events, analysed, arms, interval="newcombe")
    results = tuple(
        _result(id, row, table, population)
        for id, row in zip(_unique_ids(table.rows), table.rows, strict=True)
    )
    notes = (
        table.method,
        "women counted once per row; events: every event of that kind",
        *table.warnings,
    )
    machine = Table(
        "adverse_events_by_arm", "Adverse events by arm (CONSORT Harms)", table.frame(), notes
    )
    return results, (machine, harms_table(events, analysed, table))


def harms_table(events: pl.DataFrame, women: pl.DataFrame, table: AdverseEventTable) -> Table:
    """``harms_by_arm``: the publication table of adverse events by arm (module docstring)."""
    serious = adverse_events_by_arm(
        events.filter(pl.col("serious").fill_null(False)), women, table.arms, interval="newcombe"
    )
    rows = [("Overall", SUMMARY_LABELS[m], table.row(m)) for m in SUMMARY_LABELS]
    rows += [
        ("Worst grade (CTCAE)", f"Grade {k} ({CTCAE_GRADES[k]})", table.row(f"worst_grade_{k}"))
        for k in GRADES
    ]
    terms = [row for row in table.rows if row.measure.startswith("term:")]
    rows += [("Event term", row.label, row) for row in terms]
    rows += [
        ("Serious events, by term", table.term(row.label).label, row)
        for row in serious.rows
        if row.measure.startswith("term:")
    ]
    first, second = table.arms
    heads = (f"{first} (n = {table.n_first})", f"{second} (n = {table.n_second})")
    columns: dict[str, Any] = {"category": pl.String, "adverse event": pl.String}
    for head in heads:
        columns |= {f"{head}: women": pl.Int64, f"{head}: %": pl.Float64}
        columns |= {f"{head}: events": pl.Int64}
    frame = pl.DataFrame(
        [
            (
                category,
                label,
                *_cells(row.women_first, row.n_first, row.events_first),
                *_cells(row.women_second, row.n_second, row.events_second),
            )
            for category, label, row in rows
        ],
        schema=columns,
        orient="row",
    )
    notes = (
        f"Women at risk: {first} {table.n_first}, {second} {table.n_second} — every analysed "
        "woman of the arm, with or without an event (CONSORT Harms 2022).",
        "women: with ≥ 1 such event, each counted once per row; %: of the arm's women at risk; "
        "events: every event of that kind (a woman may have several).",
        "Worst grade: each woman once, at her highest known CTCAE grade (1 mild, 2 moderate, "
        "3 severe, 4 life-threatening, 5 death).",
        "The risk difference between the arms of each row, with its Newcombe 95% CI and "
        "Fisher's exact p, is among the results (Adverse events: …).",
        *(
            ()
            if any(row.measure.startswith("term:") for row in serious.rows)
            else ("No serious adverse event recorded.",)
        ),
        *table.warnings,
    )
    return Table("harms_by_arm", "Adverse events by arm: women and events", frame, notes)


def _cells(women: int, n: int, events: int) -> tuple[int, float | None, int]:
    """women, their percentage of the n at risk (None when n = 0), events."""
    return women, (100 * women / n if n else None), events
