"""Descriptive tables as flat frames (one CSV each): numbers only, one row per variable/level.

A :class:`~ovaregen.stats.descriptive.TableOne` becomes one row per continuous variable and one
per level of a categorical variable; per group (then ``overall``) the columns
``<group>_n``, ``_mean``, ``_sd``, ``_min``, ``_max``, ``_median``, ``_q1``, ``_q3`` (continuous)
or ``<group>_count``, ``_percent`` (categorical, % of the group's known values), and ``_missing``;
then the test, its p-value and the standardised mean difference.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from ovaregen.stats.descriptive import Categorical, Continuous, TableOne

CONTINUOUS_FIELDS = ("n", "mean", "sd", "minimum", "maximum", "median", "q1", "q3")


def column_key(group: str) -> str:
    """A group name as a column prefix: lower case, non-alphanumerics as ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", group.lower()).strip("_") or "group"


def _cells(prefix: str, summary: Continuous | Categorical, level: int | None) -> dict[str, Any]:
    cells: dict[str, Any] = {f"{prefix}_missing": summary.missing}
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
    records: list[dict[str, Any]] = []
    for row in table.rows:
        summaries = [*row.by_group, row.overall]
        levels: list[int | None]
        if isinstance(row.overall, Categorical):
            levels = list(range(len(row.overall.levels)))
        else:
            levels = [None]
        for index, level in enumerate(levels):
            record: dict[str, Any] = {
                "variable": row.variable.column,
                "label": row.variable.label,
                "level": row.overall.levels[level].level  # type: ignore[union-attr]
                if level is not None
                else None,
                "summary": "n (%)" if level is not None else row.variable.summary.value,
            }
            for prefix, summary in zip(prefixes, summaries, strict=True):
                record.update(_cells(prefix, summary, level))
            first = index == 0
            record["test"] = row.test.method if (row.test is not None and first) else None
            record["statistic"] = row.test.statistic if (row.test is not None and first) else None
            record["p_value"] = row.test.p_value if (row.test is not None and first) else None
            record["smd"] = row.smd if first else None
            records.append(record)
    schema: dict[str, Any] = {
        "variable": pl.String,
        "label": pl.String,
        "level": pl.String,
        "summary": pl.String,
    }
    for prefix in prefixes:
        schema[f"{prefix}_missing"] = pl.Int64
        for name in CONTINUOUS_FIELDS:
            schema[f"{prefix}_{name}"] = pl.Int64 if name == "n" else pl.Float64
        schema[f"{prefix}_count"] = pl.Int64
        schema[f"{prefix}_percent"] = pl.Float64
    schema.update(
        {"test": pl.String, "statistic": pl.Float64, "p_value": pl.Float64, "smd": pl.Float64}
    )
    return pl.DataFrame(records, schema=schema) if records else pl.DataFrame(schema=schema)
