"""The sections of one study in the report, in the order a STROBE or CONSORT reader expects.

:func:`study_sections` places the plan's tables and figures: the flow tables with the flow
diagram, Table 1 and the paper's tables, the results with the primary outcome and the
multiplicity note, effect sizes with the forest plot, harms, the women left out, the
reproduction with its count of statuses, the other figures. Tables and figures are numbered
as they are placed (:class:`Numbering`: one count through the combined report). The tables
that only repeat results in machine form (:func:`machine_tables`) are not placed: the
document links them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ovaregen.analysis.result import Analysis, Table
from ovaregen.report.figure_data import study_figures
from ovaregen.report.figure_view import Figure
from ovaregen.report.flow_data import flow_figure
from ovaregen.report.left_out_view import Accounting, left_out_view
from ovaregen.report.tables_view import (
    completeness_view,
    effects_view,
    is_machine_table,
    reproduction_view,
    results_view,
    table_view,
)
from ovaregen.report.views import Footnotes, TableView

FLOW_TABLES = ("flow", "consort", "exclusions")
"""Tables shown with the participant flow."""
HARMS_TABLES = ("harms_by_arm", "adverse_events_by_arm")
"""Tables shown under harms (CONSORT item 19)."""
OWN_VIEWS = ("completeness", "reproduction")
"""Plan tables printed through a view of their own, in their own section."""


@dataclass(frozen=True)
class PlacedFigure:
    """A figure in the document: its number and its element id."""

    figure: Figure
    number: int
    anchor: str


@dataclass(frozen=True)
class Section:
    """One section of a study: its anchor, heading, lines of text, tables and figures."""

    kind: str
    anchor: str
    title: str
    lines: tuple[str, ...] = ()
    tables: tuple[TableView, ...] = ()
    figures: tuple[PlacedFigure, ...] = ()
    figures_first: bool = False


PAPER_NUMBER = re.compile(r"^Table (\d+)\s*[:.]\s*(.+)$", re.S)


def _paper_numbered(title: str) -> str:
    """A title that begins with the paper's table number ("Table 1: baseline …") keeps that
    number as a reference after the text, so that it does not read as the report's own
    ("Baseline … (the paper's Table 1)")."""
    match = PAPER_NUMBER.match(title)
    if match is None:
        return title
    text = match.group(2)
    return f"{text[:1].upper()}{text[1:]} (the paper's Table {match.group(1)})"


class Numbering:
    """Table and figure numbers running through the combined report, in reading order."""

    def __init__(self) -> None:
        self.tables = 0
        self.figures = 0

    def table(self, view: TableView) -> TableView:
        self.tables += 1
        return replace(view, number=self.tables, title=_paper_numbered(view.title))

    def figure(self, figure: Figure, stem: str) -> PlacedFigure:
        self.figures += 1
        suffix = figure.id.removeprefix(f"{stem}-")
        return PlacedFigure(figure, self.figures, f"{stem}-figure-{suffix}")


def _mentions_multiplicity(text: str) -> bool:
    return "multiplicity" in text.lower()


def quality_warnings(analysis: Analysis) -> tuple[str, ...]:
    """The dataset's and plan's warnings printed under data quality (the multiplicity note
    goes with the results)."""
    return tuple(w for w in analysis.warnings if not _mentions_multiplicity(w))


def _multiplicity(analysis: Analysis) -> tuple[str, ...]:
    """The plan's notes on multiple comparisons (CONSORT item 18), wherever the plan put them."""
    notes = [w for w in analysis.warnings if _mentions_multiplicity(w)]
    notes += [n for t in analysis.tables for n in t.notes if _mentions_multiplicity(n)]
    return tuple(dict.fromkeys(notes))


def _primary_line(analysis: Analysis) -> str:
    primary = [r for r in analysis.results if r.extra.get("primary") is True]
    if not primary:
        return "The plan marks no result as the primary outcome."
    return f"Primary outcome: {primary[0].title} (marked in the table)."


def _status_line(table: Table) -> str:
    """How many published figures each status counts ("31 exact, 4 within tolerance, …")."""
    counts = Counter(table.frame.get_column("status").to_list())
    order = ("exact", "within tolerance", "paper inconsistent", "differs", "not reproduced")
    words = {"differs": "differ"}
    parts = [f"{counts.get(status, 0)} {words.get(status, status)}" for status in order]
    return f"{table.frame.height} published figures: " + ", ".join(parts) + "."


def _table(analysis: Analysis, id: str) -> Table | None:
    try:
        return analysis.table(id)
    except KeyError:
        return None


def study_sections(
    analysis: Analysis,
    stem: str,
    notes: Footnotes,
    numbering: Numbering,
    machine: list[Table],
    accounted: Accounting,
) -> list[Section]:
    def tables(*views: TableView) -> tuple[TableView, ...]:
        return tuple(numbering.table(v) for v in views)

    def figures(*made: Figure | None) -> tuple[PlacedFigure, ...]:
        return tuple(numbering.figure(f, stem) for f in made if f is not None)

    def printed(ids: Sequence[str]) -> list[Table]:
        return [t for t in analysis.tables if t.id in ids and t not in machine]

    drawn = study_figures(analysis, stem)
    forest = [f for f in drawn if f.id == f"{stem}-forest"]
    others = [f for f in drawn if f not in forest]
    sections = [Section("about", f"{stem}-about", "What the study is")]
    warnings = quality_warnings(analysis)
    sections.append(
        Section(
            "quality",
            f"{stem}-quality",
            "Data quality",
            () if warnings else ("The dataset passed validation with no warning.",),
        )
    )
    completeness = _table(analysis, "completeness")
    if completeness is not None:
        sections.append(
            Section(
                "completeness",
                f"{stem}-completeness",
                "Completeness: known values of each variable",
                ("Known n of N in the analysis population; the primary endpoint first.",),
                tables(completeness_view(completeness)),
            )
        )
    flow = flow_figure(analysis, stem)
    sections.append(
        Section(
            "flow",
            f"{stem}-flow",
            "Participant flow",
            ("Counted from each participant's status, with the reasons for leaving each stage.",),
            tables(*(table_view(t, notes) for t in printed(FLOW_TABLES))),
            figures(flow),
            figures_first=True,
        )
    )
    placed = {*FLOW_TABLES, *HARMS_TABLES, *OWN_VIEWS}
    publication = [t for t in analysis.tables if t.id not in placed and t not in machine]
    sections.append(
        Section(
            "tables",
            f"{stem}-tables",
            "Publication tables",
            (
                "The characteristics of the women (Table 1 of the paper) and its other tables, "
                "as the paper prints them, reproduced from this dataset."
                if publication
                else "The plan has no further table.",
            ),
            tables(*(table_view(t, notes) for t in publication)),
        )
    )
    sections.append(
        Section(
            "results",
            f"{stem}-results",
            "Results",
            (_primary_line(analysis), *_multiplicity(analysis)),
            tables(results_view(analysis, notes)),
        )
    )
    effects = effects_view(analysis, notes)
    if effects.rows or forest:
        sections.append(
            Section(
                "effects",
                f"{stem}-effects",
                "Effect sizes",
                ("Each comparison with its 95% confidence interval; the forest plot draws them.",),
                tables(effects) if effects.rows else (),
                figures(*forest),
            )
        )
    harms = printed(HARMS_TABLES)
    if harms:
        sections.append(
            Section(
                "harms",
                f"{stem}-harms",
                "Harms",
                ("Adverse events by arm: women with an event and number of events.",),
                tables(*(table_view(t, notes) for t in harms)),
            )
        )
    left = left_out_view(analysis)
    sections.append(
        Section(
            "left-out",
            f"{stem}-left-out",
            "Women left out of each result",
            (accounted.line,),
            tables(left) if left.rows else (),
        )
    )
    reproduction = _table(analysis, "reproduction")
    if reproduction is not None:
        sections.append(
            Section(
                "reproduction",
                f"{stem}-reproduction",
                "Published figures reproduced",
                (_status_line(reproduction),),
                tables(reproduction_view(reproduction)),
            )
        )
    sections.append(
        Section(
            "figures",
            f"{stem}-figures",
            "Figures",
            (
                "Every further figure the dataset allows; the counts drawn are in the captions."
                if others
                else "No further figure: the dataset does not hold the data.",
            ),
            (),
            figures(*others),
        )
    )
    return sections


def machine_tables(analysis: Analysis) -> list[Table]:
    """The plan's tables that only repeat results in machine form (linked, not printed)."""
    return [t for t in analysis.tables if t.id not in OWN_VIEWS and is_machine_table(t)]
