"""Readable words for the plans' tables: column headers (with units), levels, machine tables.

A plan table keeps its machine column ids in its CSV (``INTERCHANGE.md``); the printed table
says them in words. :data:`HEADERS` names the columns of each known table, ``None`` hiding a
column that only repeats an id; :func:`header` falls back to the words of the data dictionary
(:func:`ovaregen.analysis.left_out.readable`, with the dictionary unit) and then to the id in
words. :func:`is_machine_table` picks the tables that only repeat results in machine form:
they go to an appendix as CSV files, not printed.
"""

from __future__ import annotations

import re

from ovaregen.analysis.left_out import readable, unit_of
from ovaregen.analysis.result import Table

COMMON: dict[str, str | None] = {
    "n": "n",
    "total": "Of",
    "percent": "%",
    "p_value": "p",
    "p": "p",
    "df": "df",
    "ci_low": "95% CI, lower",
    "ci_high": "95% CI, upper",
    "estimate": "Estimate",
    "statistic": "Statistic",
    "label": "Item",
    "method": None,
    "id": None,
    "title": "Result",
    "unknown": "Unknown",
    "known": "Known",
    "note": "Note",
    "grade": "Grade",
    "group": "Group",
    "level": "Level",
    "arm": "Arm",
}
"""Headers of columns that mean the same in every table."""

HEADERS: dict[str, dict[str, str | None]] = {
    "flow": {"stage": None, "label": "Stage", "n": "Women"},
    "consort": {"stage": None, "label": "Stage", "arm": "Arm", "n": "Women"},
    "exclusions": {
        "criterion": None,
        "role": "Role",
        "description": "Criterion",
        "failed": "Not met",
        "unknown": "Unknown",
        "screen_failed": "Screen failures (any criterion)",
    },
    "gcsf_worst_symptom": {
        "grade": "Worst G-CSF symptom grade",
        "n": "Women",
        "total": "Of",
    },
    "table3_gcsf_symptoms_by_day": {
        "day": "G-CSF day",
        "grade": "Symptom grade",
        "n": "Women",
        "total": "Of",
    },
    "menses_transition": {
        "at_injection": "Menses at injection",
        "at_followup": "Menses at follow-up",
        "n": "Women",
    },
    "pregnancies_by_conception": {
        "conception": "Conception",
        "pregnancies": "Pregnancies",
        "women": "Women",
        "live_births": "Live births",
        "miscarriages": "Miscarriages",
        "infants_live_born": "Infants born alive",
        "months_median": "Months to pregnancy, median",
        "months_min": "Months, minimum",
        "months_max": "Months, maximum",
    },
    "table2_pregnancy_by_factor": {
        "factor": "Factor",
        "level": "Level",
        "pregnant": "Pregnant",
        "total": "Women",
        "chi_square": "χ² (Yates)",
        "difference_pp": "Difference (percentage points)",
        "difference_ci_low_pp": "Difference, 95% CI lower",
        "difference_ci_high_pp": "Difference, 95% CI upper",
        "odds_ratio": "OR",
        "odds_ratio_ci_low": "OR, 95% CI lower",
        "odds_ratio_ci_high": "OR, 95% CI upper",
        "id": None,
    },
    "women_by_pregnancies": {"pregnancies": "Pregnancies per woman", "women": "Women"},
    "table3_complications": {
        "group": "Counted in",
        "item": "Complication",
        "column": None,
        "n": "Count",
        "known": "Known",
        "total": "Of",
    },
    "live_birth_measures": {
        "id": None,
        "label": "Measure",
        "numerator": "Numerator",
        "numerator_label": "Counts",
        "denominator": "Denominator",
        "denominator_label": "Over",
        "proportion": "Proportion",
        "unknown": "Unknown",
        "note": "Definition",
    },
    "logistic_activation_terms": {
        "name": "Term",
        "term": "Term",
        "odds_ratio": "OR",
        "estimate": "OR",
        "coefficient": "Coefficient (log odds)",
        "std_error": "Standard error",
        "z_value": "z",
    },
    "harms_by_arm": {"category": "Category", "adverse event": "Adverse event"},
}
"""Headers per known table (``None``: the column is not printed)."""

MACHINE_TABLES = frozenset(
    {
        "outcomes",
        "comparisons",
        "correlation",
        "roc",
        "logistic_activation",
        "arm_comparisons",
        "arm_summaries",
        "time_to_pregnancy",
        "time_to_pregnancy_km",
        "pregnancies_by_month",
        "age_by_activation_box",
        "age_by_pregnancy_box",
        "adverse_events_by_arm",
        "group_differences",
    }
)
"""Tables that repeat the results table, the effects table or a figure's data in machine
form (one result per row, every field): each is in the results, the effects or a figure
already; printed, they would say everything twice."""

LEVEL_WORDS = {"true": "yes", "false": "no", "not_recorded": "not recorded", "ivf": "IVF"}


def is_machine_table(table: Table) -> bool:
    """Whether ``table`` only repeats results in machine form (an appendix CSV, not printed).

    The known ones (:data:`MACHINE_TABLES`), and any frame of results (``id`` and ``method``
    columns: one result per row, as ``results.json`` has them).
    """
    columns = set(table.frame.columns)
    return table.id in MACHINE_TABLES or {"id", "method"} <= columns


def words(identifier: str) -> str:
    """An id in words: ``screen_failed`` → ``Screen failed``; ``afc_post`` kept readable."""
    text = re.sub(r"[_\s]+", " ", identifier).strip()
    return text[:1].upper() + text[1:] if text else identifier


def header(table_id: str, column: str) -> str | None:
    """The printed header of ``column`` in table ``table_id`` (None: not printed)."""
    for names in (HEADERS.get(table_id, {}), COMMON):
        if column in names:
            return names[column]
    if column.endswith("%") or " " in column or ":" in column:  # already in words
        return column[:1].upper() + column[1:]
    if column.endswith("_percent"):
        return f"{header(table_id, column.removesuffix('_percent')) or words(column)}, %"
    known = readable(column)
    if known != column.replace("_", " "):
        unit = unit_of(column)
        return words(known) + (f" ({unit})" if unit else "")
    return words(column)


def level(value: str) -> str:
    """A level as words: ``true`` → ``yes``, ``not_recorded`` → ``not recorded``."""
    return LEVEL_WORDS.get(value.lower(), value.replace("_", " ") if "_" in value else value)
