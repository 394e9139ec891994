"""The plan's primary outcome result, and outcomes and visits named in words for figures.

A plan marks its primary outcome result with ``extra["primary"] = True`` (exactly one per plan,
or none); its words come from the data dictionary and the protocol's schedule, never ids.
"""

from __future__ import annotations

from ovaregen.analysis.left_out import readable
from ovaregen.analysis.result import Analysis, Result
from ovaregen.domain.protocols import ProtocolError, load_protocol


def primary_result(analysis: Analysis) -> Result | None:
    """The result the plan marks as its primary outcome, or None."""
    return next((r for r in analysis.results if r.extra.get("primary") is True), None)


def visit_label(analysis: Analysis, visit: str) -> str:
    """The protocol's label of a visit ("Follow-up, 3 months"), else the id in words."""
    try:
        schedule = load_protocol(analysis.protocol_name).schedule
    except (ProtocolError, OSError, KeyError, ValueError):
        return visit.replace("_", " ")
    return next((v.label for v in schedule if v.id == visit), visit.replace("_", " "))


def outcome_words(analysis: Analysis, result: Result) -> str:
    """A result's outcome and visit in words ("AMH after treatment, Follow-up, 3 months"); its
    title when it names no outcome."""
    outcome = str(result.extra.get("outcome") or "")
    if not outcome:
        return result.title
    visit = str(result.extra.get("visit") or "")
    return readable(outcome) + (f", {visit_label(analysis, visit).lower()}" if visit else "")
