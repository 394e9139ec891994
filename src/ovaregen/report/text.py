"""Plain-text renderings for the terminal: protocols, screening summaries, explanations.

Renderers only format what the domain computed; they compute nothing clinical.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import polars as pl

from ovaregen.analysis.result import Analysis
from ovaregen.domain.criteria import Role, truth_label
from ovaregen.domain.derivation import Derivation
from ovaregen.domain.diagnoses import POI_SOURCES, RULES_VERSION
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.screening import Explanation
from ovaregen.domain.variables import variable

_MARK = {True: "✔", False: "✘", None: "?"}


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _unit(name: str) -> str:
    try:
        unit = variable(name).unit
    except KeyError:
        return ""
    return f" {unit}" if unit else ""


def render_protocol_list(protocols: Iterable[Protocol]) -> str:
    lines = []
    for p in protocols:
        registry = f" [{p.registry}]" if p.registry else ""
        lines.append(f"{p.name:<10} v{p.version:<11} {p.title}{registry}")
    return "\n".join(lines)


def render_protocol(p: Protocol) -> str:
    """A protocol as a study coordinator reads it: criteria, arms, schedule, endpoints."""
    rules = p.rules()
    edition = p.poi_edition
    lines = [
        f"{p.title}",
        f"protocol {p.name}, version {p.version}" + (f", {p.registry}" if p.registry else ""),
        f"design: {p.design}",
        f"source: {p.source}",
        "POI edition: "
        + (
            f"{edition.value} — {POI_SOURCES[edition]}"
            if edition
            else f"none (screening reports POI by {p.label_poi_edition.value}, the default)"
        ),
        f"settings: {p.settings.describe()}",
    ]
    if p.target_enrolment:
        lines.append(f"target enrolment: {p.target_enrolment}")
    lines += ["", "Inclusion (all must be true):"]
    lines += [f"  {c.id:<42} {c.description}" for c in rules.inclusion]
    lines += ["", "Exclusion (each must be false):"]
    lines += [f"  {c.id:<42} {c.description}" for c in rules.exclusion] or ["  none"]
    lines += ["", "Arms:"]
    lines += [f"  {a.id:<12} {a.label} — {a.description}" for a in p.arms]
    lines += ["", "Schedule of assessments:"]
    for visit in p.schedule:
        extra = ", pregnancies" if visit.pregnancies else ""
        lines.append(f"  {visit.label} ({visit.timing}): {', '.join(visit.records)}{extra}")
        if visit.window is not None:
            lines.append(f"    window: {visit.window.describe()} from the treatment date")
    if p.window_source:
        lines += ["", f"Visit windows: {p.window_source}"]
    lines += ["", "Endpoints:"]
    for e in p.endpoints:
        lines.append(f"  {e.label}{' (primary)' if e.primary else ''}: {e.definition}")
    if p.gcsf_titration:
        lines += ["", f"G-CSF titration table: {p.gcsf_titration}"]
    return "\n".join(lines)


def render_explanation(explanation: Explanation) -> str:
    """Each criterion with its value, inputs and source, indented by its place in the rule."""
    p = explanation.protocol
    lines = [
        f"participant {explanation.participant_id} — protocol {p.name} v{p.version}, "
        f"ovaregen rules {RULES_VERSION}",
        f"eligible: {truth_label(explanation.eligible)}",
        f"POSEIDON group: {explanation.poseidon_group}",
        f"settings: {p.settings.describe()}",
        "",
    ]
    for result in explanation.results:
        c = result.criterion
        indent = "    " * result.depth
        role = {Role.INCLUSION: "inclusion", Role.EXCLUSION: "exclusion"}.get(c.role, "")
        head = f"{indent}{_MARK[result.value]} {c.id} = {truth_label(result.value)}"
        lines.append(f"{head}   ({role}) {c.description}" if role else f"{head}   {c.description}")
        if result.depth == 0 or not c.parts:
            inputs = ", ".join(
                f"{k} = {_value(v)}{_unit(k) if v is not None else ''}"
                for k, v in result.inputs.items()
            )
            lines.append(f"{indent}      inputs: {inputs}")
        lines.append(f"{indent}      source: {c.source}")
    return "\n".join(lines)


def render_screening_summary(result: pl.DataFrame, protocol: Protocol) -> str:
    """Counts of eligible / not / unknown, and the criteria that rule women out most often."""
    counts = {label: 0 for label in ("true", "false", "unknown")}
    counts.update(dict(result.group_by("eligible").len().iter_rows()))
    lines = [
        f"protocol {protocol.name} v{protocol.version}: {result.height} participants screened",
        f"rules: ovaregen rules {RULES_VERSION}; POI by {protocol.label_poi_edition.value}",
        f"settings: {protocol.settings.describe()}",
        f"eligible: {counts['true']}   not eligible: {counts['false']}   "
        f"unknown: {counts['unknown']}",
    ]
    for column, title in (("failed_criteria", "ruled out by"), ("unknown_criteria", "unknown")):
        tally = (
            result.select(pl.col(column).str.split(";").explode())
            .filter(pl.col(column) != "")
            .group_by(column)
            .len()
            .sort(["len", column], descending=[True, False])
            .head(8)
        )
        if tally.height:
            lines.append(f"{title}: " + ", ".join(f"{c} ({n})" for c, n in tally.iter_rows()))
    return "\n".join(lines)


def render_derived_summary(derivation: Derivation) -> str:
    """Endpoint counts of a derived cohort, each with its denominator."""
    table = derivation.participants
    n = table.height

    def count(column: str) -> str:
        known = table.filter(pl.col(column).is_not_null())
        yes = known.filter(pl.col(column)).height
        share = (
            f" ({100 * yes / known.height:.2f}% of {known.height} known)" if known.height else ""
        )
        return f"{yes}{share}; unknown {n - known.height}"

    lines = [
        f"protocol {derivation.protocol.name} v{derivation.protocol.version}: "
        f"{n} participants derived",
        f"eligible: {count('eligible')}",
        f"oocyte activation: {count('oocyte_activation')}",
        f"pregnant: {count('pregnant')}",
    ]
    lines += [
        f"{m.label}: {m.numerator} {m.numerator_label} / {m.denominator} {m.denominator_label}"
        + (f" = {100 * m.proportion:.2f}%" if m.proportion is not None else "")
        for m in derivation.live_birth
    ]
    worst = ", ".join(
        f"{grade} {n_}" for grade, n_ in derivation.worst_symptom.select("grade", "n").iter_rows()
    )
    lines.append(f"worst G-CSF symptom grade over days 1–4: {worst}")
    return "\n".join(lines)


def _number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}g}"


def _p(value: float | None) -> str:
    if value is None:
        return ""
    return "  p < 0.0001" if value < 1e-4 else f"  p = {value:.4g}"


def render_analysis_summary(analysis: Analysis) -> str:
    """One line per result: id, estimate [CI] (numerator/denominator), p-value, n."""
    lines = [
        f"plan {analysis.plan} — protocol {analysis.protocol_name} version "
        f"{analysis.protocol_version}, rules {analysis.rules_version}",
        *(f"population {p.id}: n = {p.n}" for p in analysis.populations),
    ]
    for result in analysis.results:
        text = f"  {result.id}: "
        if result.extra.get("terms"):
            text += ", ".join(
                f"{t['name']} OR {_number(t['estimate'])} "
                f"[{_number(t['ci_low'])}, {_number(t['ci_high'])}]"
                for t in result.extra["terms"]
            )
        else:
            text += _number(result.estimate)
            if result.ci_low is not None or result.ci_high is not None:
                text += f" [{_number(result.ci_low)}, {_number(result.ci_high)}]"
            if "numerator" in result.extra and "denominator" in result.extra:
                text += f" ({result.extra['numerator']}/{result.extra['denominator']})"
            if result.statistic is not None:
                text += f"  statistic {_number(result.statistic)}"
        text += f"{_p(result.p_value)}  n = {result.n}"
        if result.warnings:
            text += f"  ({len(result.warnings)} note{'s' if len(result.warnings) > 1 else ''})"
        lines.append(text)
    return "\n".join(lines)
