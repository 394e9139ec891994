"""The self-contained HTML study report: one document for one or several analysed studies.

``render_report(analyses)`` lays out, per study: what the study is (its protocol), the
dataset's data-quality warnings, the participant flow (an inline SVG diagram), every result with
its numerator and denominator (and the published figure beside it when given), Table 1 and the
plan's other tables, the figures, and numbered footnotes naming each method and its options.

Everything is inline (CSS, SVG); no URL is referenced. The templates (Jinja2, autoescape on)
only render: the numbers come from the plans and are formatted here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ovaregen.analysis.result import Analysis, Result, Table
from ovaregen.domain.protocols import load_protocol
from ovaregen.report.figure_data import (
    DASH,
    Figure,
    flow_figure,
    interval,
    number,
    p_value,
    percent,
    study_figures,
)

DEFAULT_TITLE = "ovaregen study report"
STUDY_NAMES = {
    "regenera": "Study A — Stem Cell Regenera (autologous stem cells, G-CSF mobilisation)",
    "mensc": "Study B — MenSC long-term follow-up",
    "ucmsc-rct": "Study C — NCT05308342: UC-MSC + HRT vs HRT alone",
}
FLOW_TABLES = ("flow", "consort", "exclusions")
"""Tables shown with the flow diagram rather than among the results."""


# --- footnotes --------------------------------------------------------------------------------


class Footnotes:
    """Numbered footnotes, one per distinct method and options, numbered in order of use."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.items: list[tuple[int, str]] = []

    def cite(self, method: str | None, options: Mapping[str, Any] | None = None) -> int | None:
        """The number of the footnote of this method and options (made on first use)."""
        if not method:
            return None
        text = method
        if options:
            text += ". Options: " + "; ".join(
                f"{key.replace('_', ' ')}: {_option(value)}" for key, value in options.items()
            )
        if text not in self._numbers:
            self._numbers[text] = len(self.items) + 1
            self.items.append((self._numbers[text], text))
        return self._numbers[text]


def _option(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return number(value)
    return str(value)


# --- view models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell: text, an optional footnote number, a CSS class (``num`` for numbers)."""

    text: str
    note: int | None = None
    css: str = ""


@dataclass(frozen=True)
class TableView:
    """A table ready to print."""

    id: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    notes: tuple[str, ...] = ()
    long: bool = False


@dataclass(frozen=True)
class StudyView:
    """One study section."""

    anchor: str
    heading: str
    about: list[tuple[str, str]]
    populations: list[tuple[str, str, str]]
    warnings: tuple[str, ...]
    flow: Figure | None
    flow_tables: list[TableView]
    results: TableView
    tables: list[TableView]
    figures: list[Figure]
    published_count: int = 0
    result_warnings: list[tuple[str, str]] = field(default_factory=list)
    assumptions: tuple[str, ...] = ()


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


def _results_table(analysis: Analysis, notes: Footnotes, published: Mapping[str, str]) -> TableView:
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


def _table(table: Table, notes: Footnotes) -> TableView:
    if all(key in table.frame.columns for key in TABLE_ONE_KEYS):
        return _table_one(table, notes)
    return _generic(table, notes)


# --- the study --------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "study"


def _about(analysis: Analysis) -> list[tuple[str, str]]:
    rows = [("Dataset", analysis.dataset), ("Analysis plan", analysis.plan)]
    try:
        protocol = load_protocol(analysis.protocol_name)
    except (KeyError, FileNotFoundError, ValueError):
        protocol = None
    if protocol is not None:
        rows += [
            ("Protocol", protocol.title),
            ("Design", protocol.design),
            ("Registry", protocol.registry),
            ("Source", protocol.source),
        ]
        if protocol.target_enrolment is not None:
            rows.append(("Target enrolment", str(protocol.target_enrolment)))
    rows += [
        ("Protocol version", analysis.protocol_version),
        ("Diagnosis rules version", analysis.rules_version),
    ]
    return rows


def _study(
    analysis: Analysis,
    index: int,
    notes: Footnotes,
    published: Mapping[str, str],
    assumptions: Sequence[str] = (),
) -> StudyView:
    stem = f"s{index}-{_slug(analysis.plan)}"
    flow_tables = [_table(t, notes) for t in analysis.tables if t.id in FLOW_TABLES]
    results = _results_table(analysis, notes, published)
    tables = [_table(t, notes) for t in analysis.tables if t.id not in FLOW_TABLES]
    return StudyView(
        anchor=stem,
        heading=STUDY_NAMES.get(analysis.plan, analysis.plan),
        about=_about(analysis),
        populations=[(p.id, p.definition, number(p.n)) for p in analysis.populations],
        warnings=analysis.warnings,
        flow=flow_figure(analysis, stem),
        flow_tables=flow_tables,
        results=results,
        tables=tables,
        figures=study_figures(analysis, stem),
        published_count=sum(1 for r in analysis.results if r.id in published),
        result_warnings=[(r.title, w) for r in analysis.results for w in r.warnings],
        assumptions=tuple(assumptions),
    )


def _version() -> str:
    try:
        return version("ovaregen")
    except PackageNotFoundError:
        return "unknown"


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("ovaregen.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["svg"] = Markup  # SVG written by matplotlib, its text escaped
    return environment


def render_report(
    analyses: Sequence[Analysis],
    *,
    published: Mapping[str, Mapping[str, str]] | None = None,
    assumptions: Mapping[str, Sequence[str]] | None = None,
    title: str = DEFAULT_TITLE,
) -> str:
    """One self-contained HTML document for the analysed studies (module docstring).

    ``published`` maps a plan name to {result id: the figure as published}; those results show
    the published text beside the reproduced one. ``assumptions`` maps a plan name to what the
    data's maker had to choose (for a synthetic cohort: where the paper is silent or
    inconsistent); they are printed with the study's description.
    """
    notes = Footnotes()
    studies = [
        _study(
            analysis,
            index,
            notes,
            (published or {}).get(analysis.plan, {}),
            (assumptions or {}).get(analysis.plan, ()),
        )
        for index, analysis in enumerate(analyses, start=1)
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title,
        version=_version(),
        studies=studies,
        footnotes=notes.items,
        figure_count=sum(len(s.figures) + (s.flow is not None) for s in studies),
    )
