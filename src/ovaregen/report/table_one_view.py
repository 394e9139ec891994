"""Table 1 as researchers print it: R gtsummary ``tbl_summary() |> add_overall() |> add_p()``.

From a plan's Table 1 frame (:func:`ovaregen.analysis.table_frames.table_one_frame`):

- headers ``Characteristic``, ``Overall, n = 145``, ``<group>, n = 46``, …, ``p-value`` (and
  ``SMD`` where the plan gives one, as R tableone prints it); a one-group table shows Overall
  only (its group column would repeat it);
- a continuous variable on one row, its label carrying its summary: ``Age (years), mean ±
  SD`` → ``39.2 ± 3.75``; ``median (IQR)`` → ``40 (38 to 41)``; ``mean (range)`` (as the
  papers print) → ``39.1 (26 to 44)``; the decimals fixed per variable from its size;
- a yes/no variable on one row: the count and percentage of "yes", ``46 (31.7%)``;
- a categorical variable: a header row ``Ethnicity, n (%)`` and one indented row per level;
- an ``Unknown`` row under every variable with a missing value, counted per column;
  percentages are of the known values (gtsummary's and tableone's default);
- the test's footnote letter on the variable's label, and a footnote for a test warning (a
  chi-square with an expected count below 5). The Overall column holds every woman, those
  of unknown group too, and the table says how many those are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ovaregen.analysis.result import Table
from ovaregen.report.labels import level as level_words
from ovaregen.report.views import DASH, Cell, Footnotes, TableView, fixed, p_text, plain

TABLE_ONE_KEYS = ("variable", "label", "level", "summary")
"""The columns that make a plan table a Table 1 frame."""


def is_table_one(table: Table) -> bool:
    """Whether ``table`` is a Table 1 frame."""
    return all(key in table.frame.columns for key in TABLE_ONE_KEYS)


def _prefixes(columns: Sequence[str]) -> list[str]:
    """Group column prefixes, Overall last (as the frame orders them)."""
    return [c.removesuffix("_missing") for c in columns if c.endswith("_missing")]


def _decimals(value: float | None) -> int:
    """Decimals for a variable summarised around ``value``: 0 from 100, 1 from 10, 2 from 1."""
    if value is None or not math.isfinite(value) or value == 0:
        return 2
    size = abs(value)
    return 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3


def _continuous(row: Mapping[str, Any], prefix: str, decimals: int) -> str:
    def get(name: str) -> str:
        return fixed(row.get(f"{prefix}_{name}"), decimals)

    if not row.get(f"{prefix}_n"):
        return DASH
    kind = row["summary"]
    if kind == "mean ± SD":
        return f"{get('mean')} ± {get('sd')}"
    if kind == "median (IQR)":
        return f"{get('median')} ({get('q1')} to {get('q3')})"
    if kind == "mean (range)":
        return f"{get('mean')} ({get('minimum')} to {get('maximum')})"
    return get("mean")


def _count(row: Mapping[str, Any], prefix: str) -> str:
    count, share = row.get(f"{prefix}_count"), row.get(f"{prefix}_percent")
    if count is None:
        return DASH
    return f"{count} ({fixed(share, 1)}%)" if share is not None else f"{count} ({DASH})"


class _Columns:
    """The table's columns: which group prefixes print, their names and sizes."""

    def __init__(self, frame_columns: Sequence[str], first: Mapping[str, Any]) -> None:
        prefixes = _prefixes(frame_columns)
        self.groups = [p for p in prefixes if p != "overall"]
        self.sizes = {p: self._size(first, p) for p in prefixes}
        self.names = {p: str(first.get(f"{p}_group") or p.replace("_", " ")) for p in prefixes}
        self.names["overall"] = "Overall"
        grouped = sum(self.sizes[p] for p in self.groups)
        self.unknown_group = self.sizes.get("overall", 0) - grouped if self.groups else 0
        one_group = len(self.groups) == 1 and self.unknown_group == 0
        shown = [] if one_group else self.groups
        self.shown = (["overall"] if "overall" in prefixes else []) + shown

    @staticmethod
    def _size(first: Mapping[str, Any], prefix: str) -> int:
        size = first.get(f"{prefix}_size")
        if size is None:  # a frame of before the sizes: the first row's n and missing
            size = (first.get(f"{prefix}_n") or 0) + (first.get(f"{prefix}_missing") or 0)
        return int(size)

    def headers(self) -> list[str]:
        return [f"{self.names[p]}, n = {self.sizes[p]}" for p in self.shown]


def _variables(frame_rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The frame's rows grouped by variable, in order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in frame_rows:
        grouped.setdefault(str(row["variable"]), []).append(row)
    return list(grouped.values())


def _label_marks(row: Mapping[str, Any], notes: Footnotes) -> tuple[str, ...]:
    marks = [notes.cite(row.get("test"))] if row.get("test") else []
    warning = row.get("test_warning")
    if warning:
        marks.append(notes.note(f"{row['label']}: {warning}"))
    return tuple(m for m in marks if m)


def _variable_rows(
    rows: list[dict[str, Any]],
    columns: _Columns,
    notes: Footnotes,
    tail: tuple[bool, bool],
) -> list[list[Cell]]:
    has_test, has_smd = tail
    first = rows[0]
    kind = first.get("type") or ("continuous" if first["level"] is None else "categorical")
    marks = _label_marks(first, notes)

    def ends(row: Mapping[str, Any] | None) -> list[Cell]:
        cells = []
        if has_test:
            cells.append(Cell(p_text(row["p_value"]) if row else "", css="num"))
        if has_smd:
            cells.append(
                Cell(plain(row["smd"]) if row and row["smd"] is not None else "", css="num")
            )
        return cells

    def label(text: str, css: str = "label") -> Cell:
        return Cell(text, marks[0] if marks else None, css, marks[1:])

    out: list[list[Cell]] = []
    if kind == "continuous":
        decimals = _decimals(first.get("overall_mean"))
        out.append(
            [
                label(f"{first['label']}, {first['summary']}"),
                *(Cell(_continuous(first, p, decimals), css="stat") for p in columns.shown),
                *ends(first),
            ]
        )
    elif kind == "dichotomous":
        yes = next((r for r in rows if level_words(str(r["level"])) == "yes"), rows[0])
        out.append(
            [
                label(f"{first['label']}, n (%)"),
                *(Cell(_count(yes, p), css="stat") for p in columns.shown),
                *ends(first),
            ]
        )
    else:
        out.append([label(f"{first['label']}, n (%)"), *(Cell("") for _ in columns.shown)])
        out[0] += ends(first)
        for row in rows:
            out.append(
                [
                    Cell(level_words(str(row["level"])), css="label sub"),
                    *(Cell(_count(row, p), css="stat") for p in columns.shown),
                    *ends(None),
                ]
            )
    missing = {p: int(first.get(f"{p}_missing") or 0) for p in columns.shown}
    if any(missing.values()):
        out.append(
            [
                Cell("Unknown", css="label sub unknown"),
                *(Cell(str(missing[p]), css="stat") for p in columns.shown),
                *ends(None),
            ]
        )
    return out


def table_one_view(table: Table, notes: Footnotes) -> TableView:
    """``table`` (a Table 1 frame) as gtsummary prints it (module docstring)."""
    frame = table.frame
    records = list(frame.iter_rows(named=True))
    columns = _Columns(frame.columns, records[0] if records else {})
    has_test = "p_value" in frame.columns and frame.get_column("test").drop_nulls().len() > 0
    has_smd = "smd" in frame.columns and frame.get_column("smd").drop_nulls().len() > 0
    headers = ["Characteristic", *columns.headers()]
    headers += (["p-value"] if has_test else []) + (["SMD"] if has_smd else [])
    rows = [
        row
        for variable in _variables(records)
        for row in _variable_rows(variable, columns, notes, (has_test, has_smd))
    ]
    extra = ["Percentages are of the women with the value known; Unknown counts the others."]
    if columns.unknown_group:
        names = [columns.names[p] for p in columns.groups]
        groups = (
            f"neither {names[0]} nor {names[1]}"
            if len(names) == 2
            else ("in none of " + ", ".join(names))
        )
        extra.append(
            f"{columns.unknown_group} women whose group is unknown ({groups}) are counted "
            "in the Overall column only."
        )
    if has_smd:
        extra.append("SMD: standardised mean difference between the two groups (R tableone).")
    return TableView(table.id, table.title, headers, rows, (*table.notes, *extra))
