"""Adverse events by arm in a randomised trial (CONSORT Harms 2022; ICH E3 §12.2).

Over the analysed population (every randomised woman, with or without an event), per arm: the
women with ≥ 1 event, with a serious one, with one of grade ≥ 3, by worst grade and by term,
and their events; for each, the risk difference first − second arm (Wald CI) with Fisher's
exact p (``ovaregen.stats.adverse_events``). Result ids: ``adverse_events_<measure>``, a
term's ``adverse_events_term_<key>`` (the term lower-cased, every run of other characters than
letters and digits an underscore).
"""

from __future__ import annotations

import re

import polars as pl

from ovaregen.analysis.result import Population, Result, Table
from ovaregen.stats.adverse_events import AdverseEventRow, AdverseEventTable, adverse_events_by_arm

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
            "estimate_label": "risk difference",
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


def harms(
    events: pl.DataFrame,
    women: pl.DataFrame,
    arms: tuple[str, str],
    population: Population,
) -> tuple[tuple[Result, ...], Table]:
    """The results and the table of adverse events by arm; ``women`` has participant_id and
    arm of every analysed woman (the denominators)."""
    table = adverse_events_by_arm(events, women.select("participant_id", "arm"), arms)
    results = tuple(
        _result(id, row, table, population)
        for id, row in zip(_unique_ids(table.rows), table.rows, strict=True)
    )
    notes = (
        table.method,
        "women counted once per row; events: every event of that kind",
        *table.warnings,
    )
    return results, Table(
        "adverse_events_by_arm", "Adverse events by arm (CONSORT Harms)", table.frame(), notes
    )
