"""Descriptive tables as flat frames (one CSV each): numbers only, one row per variable/level.

A :class:`~ovaregen.stats.descriptive.TableOne` becomes one row per continuous variable and one
per level of a categorical variable. ``type`` is ``continuous``, ``categorical`` or
``dichotomous`` (a yes/no pair: a report prints its "yes" row only, gtsummary's dichotomous
type). Per group (then ``overall``) the columns ``<group>_group`` (the group's name as given,
"Overall" for overall), ``<group>_size`` (the column's N: women in the
group; overall: every woman, those of unknown group included), ``_missing`` (value unknown),
``_n``, ``_mean``, ``_sd``, ``_minimum``, ``_maximum``, ``_median``, ``_q1``, ``_q3``
(continuous) or ``_count``, ``_percent`` (categorical, % of the group's known values); then the
test, its statistic, p-value and warnings (``; ``-joined, e.g. small expected counts) and the
standardised mean difference, on the variable's first row.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from ovaregen.stats.descriptive import Categorical, Continuous, TableOne, dichotomous_level

OVERALL = "Overall"
CONTINUOUS_FIELDS = ("n", "mean", "sd", "minimum", "maximum", "median", "q1", "q3")


def column_key(group: str) -> str:
    """A group name as a column prefix: lower case, non-alphanumerics as ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", group.lower()).strip("_") or "group"


def _cells(
    prefix: str, group: str, size: int, summary: Continuous | Categorical, level: int | None
) -> dict[str, Any]:
    cells: dict[str, Any] = {
        f"{prefix}_group": group,
        f"{prefix}_size": size,
        f"{prefix}_missing": summary.missing,
    }
    if isinstance(summary, Continuous):
        for name in CONTINUOUS_FIELDS:
            cells[f"{prefix}_{name}"] = getattr(summary, name)
        cells[f"{prefix}_count"] = None
        cells[f"{prefix}_percent"] = None
    else:
        chosen = summary.levels[level] if level is not None else None
        for name in CONTINUOUS_FIELDS:
            cells[f"{prefix}_{name}"] = summary.n if name == "n" else None
        cells[f"{prefix}_count"] = chosen.count if chosen else None
        cells[f"{prefix}_percent"] = chosen.percent if chosen else None
    return cells


def table_one_frame(table: TableOne) -> pl.DataFrame:
    """The Table 1 as a frame (module docstring); groups in the table's order."""
    prefixes = [column_key(group) for group in table.groups] + ["overall"]
    sizes = [*table.group_sizes, table.overall_size]
    names = [*table.groups, OVERALL]
    records: list[dict[str, Any]] = []
    for row in table.rows:
        summaries = [*row.by_group, row.overall]
        levels: list[int | None]
        kind = "continuous"
        if isinstance(row.overall, Categorical):
            levels = list(range(len(row.overall.levels)))
            seen = [level.level for level in row.overall.levels]
            kind = "dichotomous" if dichotomous_level(seen) else "categorical"
        else:
            levels = [None]
        for index, level in enumerate(levels):
            record: dict[str, Any] = {
                "variable": row.variable.column,
                "label": row.variable.label,
                "level": row.overall.levels[level].level  # type: ignore[union-attr]
                if level is not None
                else None,
                "type": kind,
                "summary": "n (%)" if level is not None else row.variable.summary.value,
            }
            for prefix, name, size, summary in zip(prefixes, names, sizes, summaries, strict=True):
                record.update(_cells(prefix, name, size, summary, level))
            test = row.test if index == 0 else None
            record["test"] = test.method if test is not None else None
            record["statistic"] = test.statistic if test is not None else None
            record["p_value"] = test.p_value if test is not None else None
            record["test_warning"] = "; ".join(test.warnings) if test and test.warnings else None
            record["smd"] = row.smd if index == 0 else None
            records.append(record)
    schema: dict[str, Any] = {
        "variable": pl.String,
        "label": pl.String,
        "level": pl.String,
        "type": pl.String,
        "summary": pl.String,
    }
    for prefix in prefixes:
        schema[f"{prefix}_group"] = pl.String
        schema[f"{prefix}_size"] = pl.Int64
        schema[f"{prefix}_missing"] = pl.Int64
        for name in CONTINUOUS_FIELDS:
            schema[f"{prefix}_{name}"] = pl.Int64 if name == "n" else pl.Float64
        schema[f"{prefix}_count"] = pl.Int64
        schema[f"{prefix}_percent"] = pl.Float64
    schema.update(
        {
            "test": pl.String,
            "statistic": pl.Float64,
            "p_value": pl.Float64,
            "test_warning": pl.String,
            "smd": pl.Float64,
        }
    )
    return pl.DataFrame(records, schema=schema) if records else pl.DataFrame(schema=schema)
