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

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ovaregen.analysis.result import Analysis
from ovaregen.domain.protocols import load_protocol
from ovaregen.report.figure_data import Figure, flow_figure, number, study_figures
from ovaregen.report.tables_view import results_view, table_view
from ovaregen.report.views import Footnotes, TableView

DEFAULT_TITLE = "ovaregen study report"
STUDY_NAMES = {
    "regenera": "Study A — Stem Cell Regenera (autologous stem cells, G-CSF mobilisation)",
    "mensc": "Study B — MenSC long-term follow-up",
    "ucmsc-rct": "Study C — NCT05308342: UC-MSC + HRT vs HRT alone",
}
FLOW_TABLES = ("flow", "consort", "exclusions")
"""Tables shown with the flow diagram rather than among the results."""


# --- view models ------------------------------------------------------------------------------


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
    flow_tables = [table_view(t, notes) for t in analysis.tables if t.id in FLOW_TABLES]
    results = results_view(analysis, notes, published)
    tables = [table_view(t, notes) for t in analysis.tables if t.id not in FLOW_TABLES]
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
