"""The combined study report as one HTML document, in the order a STROBE or CONSORT reader expects.

Per study (section stem ``s{i}-{plan}``): what the study is (``-about``), data quality
(``-quality``) and completeness (``-completeness``: STROBE 12c), participant flow (``-flow``:
STROBE 13, CONSORT 13–14), the publication tables with Table 1 first (``-tables``: STROBE 14–15,
CONSORT 15), results (``-results``: STROBE 16–17, CONSORT 16–18), effect sizes (``-effects``),
harms (``-harms``: CONSORT 19), the women each result left out (``-left-out``), the published
figures reproduced (``-reproduction``) and the other figures (``-figures``); then the
appendices: machine tables (``#appendix-machine-tables``), methods (``#footnotes``) and
checklists (``#appendix-checklists``). Tables and figures are numbered through the whole report
in reading order, and the contents list nests study, section, table and figure.

Everything is inline (CSS, SVG); the only links lead to the report's own table files
(``<stem>-tables/…``, written by :mod:`ovaregen.report.document`). The templates (Jinja2,
autoescape on) only render: the numbers come from the plans and the table views.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ovaregen.analysis.result import Analysis
from ovaregen.domain.protocols import load_protocol
from ovaregen.report.checklists import ChecklistItem, checklist_for
from ovaregen.report.left_out_view import Accounting, accounting
from ovaregen.report.study_sections import (
    Numbering,
    Section,
    machine_tables,
    quality_warnings,
    study_sections,
)
from ovaregen.report.tables_view import table_view
from ovaregen.report.views import Footnotes, TableView

DEFAULT_TITLE = "ovaregen study report"
STUDY_NAMES = {
    "regenera": "Study A — Stem Cell Regenera (autologous stem cells, G-CSF mobilisation)",
    "mensc": "Study B — MenSC long-term follow-up",
    "ucmsc-rct": "Study C — NCT05308342: UC-MSC + HRT vs HRT alone",
}
GLOBAL_ANCHORS = {
    "footnotes": "Methods and options",
    "appendix-machine-tables": "Appendix: machine tables",
    "appendix-checklists": "Appendix: reporting checklists",
}
"""The report's global anchors and their headings."""
CHECKSUM_SHOWN = 12
"""Hex digits of the SHA-256 printed in the header (the full value is in the study's about)."""


# --- view models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """The header facts of one study: where its data come from and what rules analysed them."""

    dataset: str
    checksum: str | None
    protocol_version: str
    rules_version: str
    registry: str
    synthetic: str | None

    @property
    def checksum_short(self) -> str:
        return "" if self.checksum is None else self.checksum[:CHECKSUM_SHOWN] + "…"


@dataclass(frozen=True)
class ChecklistRow:
    """A checklist item and the parts of this report covering it: (link, heading) pairs; none
    when the item needs the authors' prose or names a part this study's report lacks."""

    item: ChecklistItem
    places: tuple[tuple[str, str], ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyView:
    """One study section of the report."""

    anchor: str
    heading: str
    provenance: Provenance
    about: list[tuple[str, str]]
    populations: list[tuple[str, str, int]]
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    sections: list[Section]
    accounting: Accounting
    machine_tables: list[TableView]
    checklist: list[ChecklistRow] = field(default_factory=list)

    def printed_tables(self) -> list[TableView]:
        """The tables printed in the study, in reading order."""
        return [table for section in self.sections for table in section.tables]

    def table_anchor(self, table: TableView) -> str:
        """The element id of a printed table (``{stem}-table-{id}``)."""
        return f"{self.anchor}-table-{table.id}"


@dataclass(frozen=True)
class ReportView:
    """The whole document before rendering.

    ``footnotes`` are the methods cited by the printed tables; ``file_footnotes`` add those
    only the machine tables cite (their files carry the marks; the page does not print them).
    """

    title: str
    version: str
    generated: str
    studies: list[StudyView]
    footnotes: Footnotes
    file_footnotes: Footnotes


# --- the study --------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "study"


def _protocol_rows(analysis: Analysis) -> tuple[list[tuple[str, str]], str]:
    try:
        protocol = load_protocol(analysis.protocol_name)
    except (KeyError, FileNotFoundError, ValueError):
        return [], ""
    rows = [
        ("Protocol", protocol.title),
        ("Design", protocol.design),
        ("Registry", protocol.registry or "not registered (none given in the protocol)"),
        ("Source", protocol.source),
    ]
    if protocol.target_enrolment is not None:
        rows.append(("Target enrolment", str(protocol.target_enrolment)))
    return rows, protocol.registry


def _provenance(analysis: Analysis, registry: str) -> Provenance:
    return Provenance(
        dataset=analysis.dataset,
        checksum=analysis.dataset_checksum,
        protocol_version=analysis.protocol_version,
        rules_version=analysis.rules_version,
        registry=registry,
        synthetic=analysis.synthetic,
    )


def _about(analysis: Analysis, protocol_rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    rows = [("Dataset", analysis.dataset)]
    if analysis.dataset_checksum:
        rows.append(("Dataset SHA-256", analysis.dataset_checksum))
    rows += [("Analysis plan", analysis.plan), *protocol_rows]
    rows += [
        ("Protocol version", analysis.protocol_version),
        ("Diagnosis rules version", analysis.rules_version),
    ]
    return rows


def _checklist(analysis: Analysis, stem: str, places: Mapping[str, str]) -> list[ChecklistRow]:
    """Each checklist item with links to the parts of the report covering it (``places``:
    element id → its heading); a part this report does not hold is named, not linked."""
    rows = []
    for item in checklist_for(analysis.plan):
        found, missing = [], []
        for href in item.hrefs(stem):
            target = href.removeprefix("#")
            if target in places:
                found.append((href, places[target]))
            else:
                missing.append(target.removeprefix(f"{stem}-"))
        rows.append(ChecklistRow(item, tuple(found), tuple(missing)))
    return rows


def _study(
    analysis: Analysis,
    index: int,
    notes: Footnotes,
    numbering: Numbering,
    assumptions: Sequence[str] = (),
) -> StudyView:
    stem = f"s{index}-{_slug(analysis.plan)}"
    protocol_rows, registry = _protocol_rows(analysis)
    accounted = accounting(analysis)
    sections = study_sections(analysis, stem, notes, numbering, machine_tables(analysis), accounted)
    places = {
        stem: STUDY_NAMES.get(analysis.plan, analysis.plan),
        **{s.anchor: s.title for s in sections},
        **GLOBAL_ANCHORS,
    }
    return StudyView(
        anchor=stem,
        heading=STUDY_NAMES.get(analysis.plan, analysis.plan),
        provenance=_provenance(analysis, registry),
        about=_about(analysis, protocol_rows),
        populations=[(p.id, p.definition, p.n) for p in analysis.populations],
        assumptions=tuple(assumptions),
        warnings=quality_warnings(analysis),
        sections=sections,
        accounting=accounted,
        machine_tables=[],  # made after every printed table: see build_report
        checklist=_checklist(analysis, stem, places),
    )


# --- the document -----------------------------------------------------------------------------


def _version() -> str:
    try:
        return version("ovaregen")
    except PackageNotFoundError:
        return "unknown"


def _css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string, every character but letters, digits and spaces escaped
    (inside ``<style>`` HTML escaping does not apply). Each escape ends with a space, which CSS
    consumes as its terminator (CSS Syntax §4.3.7), so a space after it in ``text`` survives."""
    escaped = "".join(c if c.isalnum() or c == " " else f"\\{ord(c):06x} " for c in text)
    return Markup(f'"{escaped}"')


def _svg_labelled(svg: str, caption_id: str) -> Markup:
    """An inline figure named for assistive technology by its caption (``aria-labelledby``),
    not by its id."""
    return Markup(
        svg.replace(
            '<svg class="figure" ', f'<svg class="figure" aria-labelledby="{caption_id}" ', 1
        )
    )


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("ovaregen.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["svg"] = Markup  # SVG written by matplotlib, its text escaped
    environment.filters["css_string"] = _css_string
    environment.filters["svg_labelled"] = _svg_labelled
    return environment


def build_report(
    analyses: Sequence[Analysis],
    *,
    assumptions: Mapping[str, Sequence[str]] | None = None,
    title: str = DEFAULT_TITLE,
    generated: datetime | None = None,
) -> ReportView:
    """The document's view model: studies with their numbered tables and figures.

    ``assumptions`` maps a plan name to what the data's maker had to choose (for a synthetic
    cohort: where the paper is silent or inconsistent); ``generated`` is the time printed in
    the header (default: now, UTC).
    """
    notes = Footnotes()
    numbering = Numbering()
    studies = [
        _study(analysis, index, notes, numbering, (assumptions or {}).get(analysis.plan, ()))
        for index, analysis in enumerate(analyses, start=1)
    ]
    # the machine tables cite on a copy: their methods keep the printed marks, and a method
    # only they use gets a mark after the printed ones, never printed on the page
    file_notes = copy.deepcopy(notes)
    studies = [
        replace(study, machine_tables=[table_view(t, file_notes) for t in machine])
        for study, machine in zip(studies, (machine_tables(a) for a in analyses), strict=True)
    ]
    moment = (generated or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return ReportView(
        title=title,
        version=_version(),
        generated=moment.isoformat().replace("+00:00", "Z"),
        studies=studies,
        footnotes=notes,
        file_footnotes=file_notes,
    )


def render_html(report: ReportView, *, tables_dir: str | None = None) -> str:
    """The HTML of ``report``; ``tables_dir`` (relative to the HTML file) holds its table files
    (CSV and Word links beside each table; None: no link)."""
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, tables_dir=tables_dir)


def render_report(
    analyses: Sequence[Analysis],
    *,
    assumptions: Mapping[str, Sequence[str]] | None = None,
    title: str = DEFAULT_TITLE,
    generated: datetime | None = None,
) -> str:
    """One self-contained HTML document for the analysed studies, without table files."""
    report = build_report(analyses, assumptions=assumptions, title=title, generated=generated)
    return render_html(report)
