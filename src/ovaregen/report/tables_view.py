"""The plan's results and tables as :class:`~ovaregen.report.views.TableView` objects.

Formatting only: the numbers come from the plans (``Result`` fields, table frames), the cell
forms are those of :mod:`ovaregen.report.views`. :func:`results_view` is every result with its
estimate in its unit; :func:`effects_view` the effect sizes (the forest plot's numbers);
:func:`reproduction_view` the published figures against the reproduced ones;
:func:`completeness_view` the known values per variable; :func:`table_view` any other table,
its headers in words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import polars as pl

from ovaregen.analysis.left_out import total
from ovaregen.analysis.result import Analysis, Result, Table
from ovaregen.report.labels import header, is_machine_table, level
from ovaregen.report.table_one_view import is_table_one, table_one_view
from ovaregen.report.views import (
    DASH,
    Cell,
    Footnotes,
    TableView,
    fixed,
    interval_text,
    p_text,
    percent_text,
    plain,
    shortest,
    with_unit,
)

__all__ = [
    "completeness_view",
    "effects_view",
    "estimate_text",
    "is_machine_table",
    "reproduction_view",
    "results_view",
    "table_view",
]

RATIO_LABELS = {"odds ratio": "OR", "relative risk": "RR", "hazard ratio": "HR"}
PRIMARY = "Primary outcome"
LOW_AUC = (
    "AUC below 0.5: the marker does not predict the event in the stated direction; its "
    "Youden cut-off is not a usable threshold."
)

# --- estimates in words and units ---------------------------------------------------------


def _is_rate(result: Result) -> bool:
    return result.extra.get("numerator") is not None and result.extra.get("denominator") is not None


def _is_count_rate(result: Result) -> bool:
    return result.extra.get("kind") == "count_rate"


def _singular(words: str) -> str:
    head, _, rest = words.partition(" ")
    irregular = {"women": "woman", "pregnancies": "pregnancy", "infants": "infant"}
    single = irregular.get(head, head.removesuffix("s") if head.endswith("s") else head)
    return f"{single} {rest}".strip()


def _count_rate_unit(result: Result) -> str:
    unit = result.extra.get("unit")
    if isinstance(unit, str) and unit:
        return unit
    counted = str(result.extra.get("numerator_label") or "")
    over = str(result.extra.get("denominator_label") or "")
    return f"{counted} per {_singular(over)}".strip() if over else counted


def _effect_unit(result: Result) -> tuple[float, str]:
    """The scale and unit an effect estimate prints in (risk differences in points)."""
    effect = result.extra.get("effect")
    unit = str(result.extra.get("effect_unit") or "")
    if effect == "risk difference":
        return 100.0, "percentage points"
    if effect in RATIO_LABELS:
        return 1.0, ""
    return 1.0, unit


def estimate_text(result: Result) -> str:
    """The estimate in its unit, as the cell forms of :mod:`~ovaregen.report.views` say."""
    extra = result.extra
    effect = extra.get("effect")
    if _is_count_rate(result):
        return with_unit(plain(result.estimate), _count_rate_unit(result))
    if _is_rate(result):
        share = None if result.estimate is None else 100 * result.estimate
        return f"{percent_text(share)} ({extra['numerator']}/{extra['denominator']})"
    if effect in RATIO_LABELS:
        return f"{RATIO_LABELS[effect]} {plain(result.estimate)}"
    if effect:
        scale, unit = _effect_unit(result)
        value = None if result.estimate is None else result.estimate * scale
        return with_unit(plain(value), unit)
    if "marker" in extra and "cutoff" in extra:
        return f"AUC {plain(result.estimate)}"
    if "correlation" in result.method.lower():
        return f"r = {plain(result.estimate)}"
    if "minimum" in extra and "maximum" in extra:
        low, high = plain(extra["minimum"]), plain(extra["maximum"])
        return f"{plain(result.estimate)} (range {low} to {high})"
    if result.method.startswith("Kaplan") or result.id.endswith("_km"):
        return (
            "median not reached" if result.estimate is None else f"median {plain(result.estimate)}"
        )
    groups = extra.get("groups") or []
    if result.estimate is None and groups and all("events" in g for g in groups):
        return " vs ".join(_group_rate(g) for g in groups)
    return plain(result.estimate)


def _group_rate(group: Mapping[str, Any]) -> str:
    events, n = group["events"], group["n"]
    return f"{percent_text(100 * events / n if n else None)} ({events}/{n})"


def _share(value: Any) -> str:
    return percent_text(None if value is None else 100 * float(value), 1)


def _ci_text(result: Result) -> str:
    if _is_rate(result) and not _is_count_rate(result):
        return interval_text(result.ci_low, result.ci_high, 100.0, "%")
    scale, _ = _effect_unit(result) if result.extra.get("effect") else (1.0, "")
    return interval_text(result.ci_low, result.ci_high, scale)


def _label(result: Result, notes: Footnotes) -> Cell:
    text = result.title
    what = result.extra.get("estimate_label")
    if (
        isinstance(what, str)
        and what.lower() not in text.lower()
        and result.extra.get("effect") not in RATIO_LABELS
    ):
        text += f" — {what}"
    css = "label"
    if result.extra.get("primary") is True:
        css += " primary"
        if not text.startswith(PRIMARY):
            text = f"{PRIMARY}: {text}"
    return Cell(text, notes.cite(result.method, result.options), css)


def _row(result: Result, notes: Footnotes) -> list[Cell]:
    return [
        _label(result, notes),
        Cell(plain(result.n), css="num"),
        Cell(estimate_text(result), css="stat"),
        Cell(_ci_text(result), css="stat"),
        Cell(p_text(result.p_value), css="num"),
        Cell(str(total(result.left_out)), css="num"),
    ]


def _sub(label: str, estimate: str, ci: str, p: str, marks: tuple[str, ...] = ()) -> list[Cell]:
    return [
        Cell(label, marks[0] if marks else None, "label sub", marks[1:]),
        Cell(""),
        Cell(estimate, css="stat"),
        Cell(ci, css="stat"),
        Cell(p, css="num"),
        Cell(""),
    ]


def _derived_rows(result: Result, notes: Footnotes, separate: frozenset[str]) -> list[list[Cell]]:
    """Rows a result carries inside it: its relative risk, its odds ratios, its cut-off."""
    extra = result.extra
    rows = []
    if extra.get("relative_risk") is not None and "relative risk" not in separate:
        mark = notes.cite(extra.get("relative_risk_method"))
        rows.append(
            _sub(
                f"{result.title} — relative risk",
                f"RR {plain(extra['relative_risk'])}",
                interval_text(
                    extra.get("relative_risk_ci_low"), extra.get("relative_risk_ci_high")
                ),
                DASH,
                (mark,) if mark else (),
            )
        )
    terms = [] if "odds ratio" in separate else extra.get("terms") or []
    for term in terms:
        if isinstance(term, Mapping) and term.get("estimate") is not None:
            rows.append(
                _sub(
                    f"{result.title} — {header('', str(term.get('name', '')))}, per unit",
                    f"OR {plain(term['estimate'])}",
                    interval_text(term.get("ci_low"), term.get("ci_high")),
                    p_text(term.get("p_value")),
                )
            )
    if "marker" in extra and extra.get("cutoff") is not None:
        unusable = extra.get("cutoff_usable") is False or (result.estimate or 0) < 0.5
        marks = (notes.note(LOW_AUC),) if unusable else ()
        sensitivity, specificity = extra.get("sensitivity"), extra.get("specificity")
        rows.append(
            _sub(
                f"{result.title} — Youden cut-off (sensitivity {_share(sensitivity)}, "
                f"specificity {_share(specificity)})",
                f"≥ {with_unit(shortest(extra['cutoff']), str(extra.get('unit') or ''))}",
                DASH,
                DASH,
                marks,
            )
        )
    return rows


def results_view(analysis: Analysis, notes: Footnotes) -> TableView:
    """Every result: Result | n | Estimate | 95% CI | p | Left out (module docstring).

    Relative risks, odds ratios and ROC cut-offs carried inside a result get indented rows of
    their own; the primary outcome is flagged in words; "Left out" counts the women of the
    result's population it could not use (the document lists why).
    """
    separate = frozenset(str(r.extra.get("effect")) for r in analysis.results)
    rows: list[list[Cell]] = []
    for result in analysis.results:
        rows.append(_row(result, notes))
        rows.extend(_derived_rows(result, notes, separate))
    return TableView(
        "results",
        "Results, each on the women whose values it needs are known",
        ["Result", "n", "Estimate", "95% CI", "p", "Left out"],
        rows,
        (
            "Rates as % (numerator/denominator); risk differences in percentage points; "
            "Left out: women of the result's population whose needed values are unknown.",
        ),
        long=len(rows) > 25,
    )


def effects_view(analysis: Analysis, notes: Footnotes) -> TableView:
    """Every effect result, grouped by effect and unit: the forest plot's numbers."""
    effects = [r for r in analysis.results if r.extra.get("effect")]
    order: dict[tuple[str, str], int] = {}
    for result in effects:
        order.setdefault(
            (str(result.extra["effect"]), str(result.extra.get("effect_unit") or "")), len(order)
        )
    effects.sort(
        key=lambda r: order[(str(r.extra["effect"]), str(r.extra.get("effect_unit") or ""))]
    )
    rows = []
    for result in effects:
        effect, unit = str(result.extra["effect"]), str(result.extra.get("effect_unit") or "")
        label = _label(result, notes)
        rows.append(
            [
                Cell(
                    result.title if not label.text.startswith(PRIMARY) else label.text,
                    label.note,
                    label.css,
                ),
                Cell(f"{effect} ({unit})" if unit and unit != "ratio" else effect),
                Cell(estimate_text(result), css="stat"),
                Cell(_ci_text(result), css="stat"),
                Cell(p_text(result.p_value), css="num"),
            ]
        )
    return TableView(
        "effects",
        "Effect sizes with 95% confidence intervals",
        ["Comparison", "Effect", "Estimate", "95% CI", "p"],
        rows,
        (
            "Grouped by effect and unit, as the forest plot's panels; ratios against 1, "
            "differences against 0.",
        ),
        long=len(rows) > 25,
    )


# --- reproduction and completeness --------------------------------------------------------

STATUS_CSS = {
    "exact": "status-exact",
    "within tolerance": "status-within",
    "differs": "status-differs",
    "paper inconsistent": "status-inconsistent",
    "not reproduced": "status-missing",
}


def _decimals_of(value: float) -> int:
    """The decimals a published figure was printed with (39.1 → 1, 265 → 0, 0.05 → 2)."""
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _figure(value: float | None, decimals: int) -> str:
    """A figure with the paper's decimals; a tiny one (6.0062e-31) in scientific notation."""
    if value is not None and value != 0 and abs(value) < 10.0 ** -max(decimals, 4):
        return f"{value:.4e}"
    return fixed(value, decimals)


def _reproduced(value: float | None, published: float | None, decimals: int, exact: bool) -> str:
    """The reproduced figure rounded as the paper rounds; when a figure that is not exact
    would print as the published text, two more decimals show the difference."""
    text = _figure(value, decimals)
    if exact or value is None or published is None or text != _figure(published, decimals):
        return text
    if math.isclose(value, published, rel_tol=0, abs_tol=1e-9):
        return text
    return _figure(value, decimals + 2)


def reproduction_view(table: Table) -> TableView:
    """The ``reproduction`` table: Section | Figure | Published | Reproduced | Status | Note.

    Both figures with their unit, the reproduced one rounded as the paper rounds the published
    one; the status in words with a class per status (``status-exact`` …).
    """
    rows = []
    for row in table.frame.iter_rows(named=True):
        unit = str(row.get("unit") or "")
        published = row.get("published")
        decimals = row.get("decimals")
        if decimals is None:
            decimals = _decimals_of(published) if published is not None else 2
        status = str(row.get("status") or "")
        reproduced = _reproduced(row.get("reproduced"), published, decimals, status == "exact")
        note = str(row.get("note") or "")
        printed = str(row.get("published_text") or "")
        if printed:
            note = f"printed as “{printed}”" + (f"; {note}" if note else "")
        rows.append(
            [
                Cell(str(row.get("section") or "")),
                Cell(str(row.get("figure") or ""), css="label"),
                Cell(with_unit(_figure(published, decimals), unit), css="stat"),
                Cell(with_unit(reproduced, unit), css="stat"),
                Cell(status, css=STATUS_CSS.get(status, "status-missing")),
                Cell(note),
            ]
        )
    return TableView(
        table.id,
        table.title,
        ["Section", "Figure", "Published", "Reproduced", "Status", "Note"],
        rows,
        table.notes,
        long=len(rows) > 25,
    )


def completeness_view(table: Table) -> TableView:
    """The ``completeness`` table: Variable | Known | Of | % known (primary endpoint first)."""
    rows = []
    for row in table.frame.iter_rows(named=True):
        label = str(row.get("label") or header("", str(row.get("variable") or "")))
        role = str(row.get("role") or "")
        if role:
            label += f" ({role})"
        share = row.get("percent")
        if share is None and row.get("total"):
            share = 100 * (row.get("known") or 0) / row["total"]
        rows.append(
            [
                Cell(label, css="label primary" if "primary" in role else "label"),
                Cell(plain(row.get("known")), css="num"),
                Cell(plain(row.get("total")), css="num"),
                Cell(percent_text(share, 1), css="num"),
            ]
        )
    return TableView(
        table.id,
        table.title,
        ["Variable", "Known", "Of", "% known"],
        rows,
        table.notes,
        long=len(rows) > 25,
    )


# --- any other table ------------------------------------------------------------------------


def _cell(column: str, value: Any) -> Cell:
    if value is None:
        return Cell(DASH, css="num")
    if column in ("p_value", "p") or column.endswith("_p_value"):
        return Cell(p_text(value), css="num")
    if column == "percent" or column.endswith(("_percent", "%")):
        return Cell(percent_text(value, 1), css="num")
    if isinstance(value, bool):
        return Cell("yes" if value else "no")
    if isinstance(value, (int, float)):
        return Cell(plain(value, 3), css="num")
    return Cell(level(str(value)))


def _generic(table: Table, notes: Footnotes) -> TableView:
    frame = table.frame
    columns = [c for c in frame.columns if header(table.id, c) is not None]
    if "title" in columns and "id" in frame.columns and "label" in columns:
        columns.remove("title")
    methods = frame.get_column("method").to_list() if "method" in frame.columns else []
    hidden = [c for c in frame.columns if c not in columns and frame.schema[c] == pl.String]
    rows = []
    for index, record in enumerate(frame.iter_rows(named=True)):
        cells = [_cell(c, record[c]) for c in columns]
        if cells and not cells[0].text.strip():  # an empty label borrows the hidden id's text
            borrowed = next((str(record[c]) for c in hidden if record[c]), "")
            cells[0] = Cell(level(borrowed))
        mark = notes.cite(methods[index]) if methods and methods[index] else None
        if cells and mark and not cells[0].numeric:
            cells[0] = Cell(cells[0].text, mark, "label")
        rows.append(cells)
    headers = [header(table.id, c) or c for c in columns]
    return TableView(table.id, table.title, headers, rows, table.notes, long=frame.height > 25)


def table_view(table: Table, notes: Footnotes) -> TableView:
    """A plan table as printed: Table 1 as gtsummary, the reproduction and completeness tables
    by their own views, any other with its headers in words and its units."""
    if is_table_one(table):
        return table_one_view(table, notes)
    if table.id == "reproduction":
        return reproduction_view(table)
    if table.id == "completeness":
        return completeness_view(table)
    return _generic(table, notes)
