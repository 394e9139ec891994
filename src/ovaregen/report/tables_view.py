"""The plan's results and tables as :class:`~ovaregen.report.views.TableView` objects.

Formatting only: the numbers come from the plans (``Result`` fields, table frames).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from ovaregen.analysis.result import Analysis, Result, Table
from ovaregen.report.figure_data import DASH, interval, number, p_value, percent
from ovaregen.report.views import Cell, Footnotes, TableView

# --- formatting of results ----------------------------------------------------------------------


def _is_rate(result: Result) -> bool:
    return result.extra.get("numerator") is not None and result.extra.get("denominator") is not None


def reproduced(result: Result) -> str:
    """The result as the papers print it: ``n/N (x%)`` for a rate, else its estimate."""
    if _is_rate(result):
        share = None if result.estimate is None else 100 * result.estimate
        return f"{result.extra['numerator']}/{result.extra['denominator']} ({percent(share)})"
    if "minimum" in result.extra and "maximum" in result.extra:
        return (
            f"{number(result.estimate)} ({number(result.extra['minimum'])}–"
            f"{number(result.extra['maximum'])})"
        )
    if result.id == "logistic_activation":
        return "; ".join(
            f"OR {term['name']} {number(term['estimate'])}" for term in result.extra["terms"]
        )
    if result.estimate is None and result.id.endswith("_km"):
        return "median not reached"
    label = result.extra.get("estimate_label")
    text = number(result.estimate)
    if result.id.startswith("roc_") and "groups" not in result.extra:
        text = f"AUC {text}"
        cutoff = result.extra.get("cutoff")
        if cutoff is not None:
            text += f"; cut-off ≥ {number(cutoff)} {result.extra.get('unit', '')}".rstrip()
    elif "groups" in result.extra and result.extra.get("groups"):
        text = _groups_text(result) + (f"; {label} {text}" if result.estimate is not None else "")
    return text


def _groups_text(result: Result) -> str:
    parts = []
    for group in result.extra["groups"]:
        if group.get("events") is not None:
            parts.append(f"{group['group']}: {group['events']}/{group['n']}")
        elif group.get("mean") is not None:
            parts.append(f"{group['group']}: {number(group['mean'])} (n = {group['n']})")
        elif group.get("auc") is not None:
            parts.append(f"{group['group']}: AUC {number(group['auc'])} (n = {group['n']})")
    return " vs ".join(parts)


def results_view(analysis: Analysis, notes: Footnotes, published: Mapping[str, str]) -> TableView:
    headers = ["Result", "n", "Reproduced", "95% CI", "p"]
    if published:
        headers.append("Published")
    rows = []
    for result in analysis.results:
        scale, unit = (100.0, "%") if _is_rate(result) else (1.0, "")
        ci = interval(result.ci_low, result.ci_high, scale)
        row = [
            Cell(result.title, notes.cite(result.method, result.options)),
            Cell(number(result.n), css="num"),
            Cell(reproduced(result)),
            Cell(f"{ci}{unit}" if ci != DASH else ci, css="num"),
            Cell(p_value(result.p_value), css="num"),
        ]
        if published:
            row.append(Cell(published.get(result.id, ""), css="published"))
        rows.append(row)
    return TableView(
        "results",
        "Results, each on its complete cases (numerator/denominator for rates)",
        headers,
        rows,
    )


# --- tables ---------------------------------------------------------------------------------------


TABLE_ONE_KEYS = ("variable", "label", "level", "summary")


def _prefixes(frame: pl.DataFrame) -> list[str]:
    return [c.removesuffix("_missing") for c in frame.columns if c.endswith("_missing")]


def _summary_cell(row: Mapping[str, Any], prefix: str) -> str:
    kind = row["summary"]

    def get(name: str) -> Any:
        return row.get(f"{prefix}_{name}")

    if kind == "n (%)":
        return f"{number(get('count'))} ({percent(get('percent'), 1)})"
    if kind == "mean (range)":
        return f"{number(get('mean'))} ({number(get('minimum'))}–{number(get('maximum'))})"
    if kind == "mean ± SD":
        return f"{number(get('mean'))} ± {number(get('sd'))}"
    if kind == "median (IQR)":
        return f"{number(get('median'))} ({number(get('q1'))}–{number(get('q3'))})"
    return number(get("mean"))


def _table_one(table: Table, notes: Footnotes) -> TableView:
    frame = table.frame
    prefixes = _prefixes(frame)
    first = frame.row(0, named=True) if frame.height else {}
    headers = ["Characteristic", "Summary"] + [
        "Overall" if p == "overall" else p.replace("_", " ") for p in prefixes
    ]
    has_test = frame.get_column("test").drop_nulls().len() > 0
    has_smd = frame.get_column("smd").drop_nulls().len() > 0
    headers += (["p"] if has_test else []) + (["SMD"] if has_smd else [])
    rows = []
    for row in frame.iter_rows(named=True):
        label = row["label"] if row["level"] is None else f"{row['label']}: {row['level']}"
        cells = [Cell(label), Cell(row["summary"])]
        cells += [Cell(_summary_cell(row, p), css="num") for p in prefixes]
        if has_test:
            cells.append(
                Cell(p_value(row["p_value"]) if row["test"] else "", notes.cite(row["test"]), "num")
            )
        if has_smd:
            cells.append(Cell(number(row["smd"]) if row["smd"] is not None else "", css="num"))
        rows.append(cells)
    missing = ", ".join(
        f"{p.replace('_', ' ')}: {first.get(f'{p}_missing')}" for p in prefixes if first
    )
    extra = (f"missing values (first row): {missing}",) if missing else ()
    return TableView(table.id, table.title, headers, rows, (*table.notes, *extra))


def _cell(column: str, value: Any, notes: Footnotes) -> Cell:
    if column == "method" and isinstance(value, str):
        return Cell("", notes.cite(value))
    if value is None:
        return Cell(DASH, css="num")
    if column in ("p_value", "p") or column.endswith("_p_value"):
        return Cell(p_value(value), css="num")
    if column == "percent" or column.endswith("_percent"):
        return Cell(percent(value, 1), css="num")
    if isinstance(value, bool):
        return Cell("yes" if value else "no")
    if isinstance(value, (int, float)):
        return Cell(
            number(value, 4 if column in ("estimate", "ci_low", "ci_high") else 3), css="num"
        )
    return Cell(str(value))


def _generic(table: Table, notes: Footnotes) -> TableView:
    frame = table.frame
    columns = [c for c in frame.columns if c != "title" or "id" not in frame.columns]
    headers = ["method" if c == "method" else c.replace("_", " ") for c in columns]
    rows = [
        [_cell(c, row[c], notes) for c in columns]
        for row in frame.select(columns).iter_rows(named=True)
    ]
    return TableView(table.id, table.title, headers, rows, table.notes, long=frame.height > 25)


def table_view(table: Table, notes: Footnotes) -> TableView:
    if all(key in table.frame.columns for key in TABLE_ONE_KEYS):
        return _table_one(table, notes)
    return _generic(table, notes)
