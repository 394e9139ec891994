"""The role of each between-arm comparison of Study C, and the multiplicity note (ICH E9 §5.6;
CONSORT 2010 items 17 and 18).

A trial that reports many comparisons — outcomes × visits, adverse events — has one
confirmatory test: the primary outcome fixed in the protocol before unblinding (ICH E9 §2.2.2).
Every other comparison is unadjusted for multiplicity and reads as supporting or exploratory
evidence. ``extra["role"]`` of each result says which:

* ``primary`` — the protocol's ``primary_outcome`` analysis, ``primary_outcome_ancova`` (and
  ``ancova_<measure>_<visit>``, which repeats it at the same visit with the same baseline);
* ``secondary`` — the protocol's endpoints (``endpoints``: ovarian reserve, menses, pregnancy,
  adverse events) at the time points the protocol file names: the primary outcome's visit (its
  "main time point", whose values participants.csv holds: the unsuffixed ``arm_difference_*``)
  and the end of follow-up (the last scheduled follow-up visit: the protocol's rationale names
  "the 12-month values" secondary), the outcomes counted over the whole follow-up (pregnancy,
  live birth, complications) and the adverse-event summary rows (any, serious, grade ≥ 3);
* ``exploratory`` — everything else: the visits between (6 months), outcomes the protocol does
  not name (oocyte activation, Study A's criterion), and the adverse events by worst grade and
  by term, each of which multiplies the comparisons without a hypothesis.

A relative risk (``arm_ratio_*``) takes its risk difference's role and shares its test; a
result that repeats another (``extra["repeats"]``: the unsuffixed ids repeat the primary
follow-up visit's) is counted once in the note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from ovaregen.analysis.result import Result
from ovaregen.domain.protocols import Protocol

PRIMARY_ID = "primary_outcome_ancova"
"""The result id of the protocol's primary analysis."""

NOT_IN_THE_PROTOCOL = ("oocyte_activation",)
"""Outcomes the plan compares that the protocol's endpoints do not name."""
WHOLE_FOLLOW_UP = ("pregnant", "has_live_birth", "any_complication")
"""Outcomes counted over the whole follow-up rather than at a visit."""
HARMS_SUMMARY = ("adverse_events_any", "adverse_events_serious", "adverse_events_grade_3_or_more")
"""The adverse-event rows of the protocol's safety endpoint."""


def main_visits(protocol: Protocol) -> tuple[str, ...]:
    """The visits whose comparisons are secondary: the primary outcome's (or the primary
    follow-up visit) and the last follow-up visit (module docstring)."""
    main = protocol.primary_outcome.visit if protocol.primary_outcome else None
    visits = [main or protocol.primary_followup_visit]
    if protocol.followup_visits:
        visits.append(protocol.followup_visits[-1].id)
    return tuple(dict.fromkeys(v for v in visits if v))


def _split_visit(name: str, protocol: Protocol) -> tuple[str, str | None]:
    """(outcome, visit id) of ``<outcome>_<visit>``; visit None when unsuffixed."""
    for visit in protocol.followup_visits:
        if name.endswith(f"_{visit.id}"):
            return name.removesuffix(f"_{visit.id}"), visit.id
    return name, None


def role_of(id: str, protocol: Protocol) -> tuple[str, str | None]:
    """(role, id of the result it repeats or None) of result ``id`` (module docstring)."""
    primary = protocol.primary_outcome
    if id == PRIMARY_ID:
        return "primary", None
    if id.startswith("adverse_events_"):
        return ("secondary" if id in HARMS_SUMMARY else "exploratory"), None
    if id.startswith("ancova_"):
        outcome, visit = _split_visit(id.removeprefix("ancova_"), protocol)
        if primary and (outcome, visit) == (primary.measure, primary.visit):
            return "primary", PRIMARY_ID
        return ("secondary" if visit in main_visits(protocol) else "exploratory"), None
    family = "arm_ratio_" if id.startswith("arm_ratio_") else "arm_difference_"
    outcome, visit = _split_visit(id.removeprefix(family), protocol)
    if outcome in NOT_IN_THE_PROTOCOL:
        return "exploratory", None
    if visit is None:
        if outcome in WHOLE_FOLLOW_UP:
            return "secondary", None
        return "secondary", f"{family}{outcome}_{protocol.primary_followup_visit}"
    return ("secondary" if visit in main_visits(protocol) else "exploratory"), None


def with_roles(results: Sequence[Result], protocol: Protocol) -> tuple[Result, ...]:
    """``results`` with ``extra["role"]`` (and ``extra["repeats"]`` where one repeats another
    result present); only the primary analysis keeps ``extra["primary"]``."""
    ids = {r.id for r in results}
    out = []
    for result in results:
        role, repeats = role_of(result.id, protocol)
        extra = {k: v for k, v in result.extra.items() if k != "primary"}
        extra["role"] = role
        if result.id == PRIMARY_ID:
            extra["primary"] = True
        if repeats in ids:
            extra["repeats"] = repeats
        out.append(replace(result, extra=extra))
    return tuple(out)


def multiplicity_note(results: Sequence[Result], primary_title: str | None) -> str:
    """How many between-arm comparisons the table reports and how to read them (docstring)."""
    counted = [r for r in results if not r.id.startswith("arm_ratio_") and "repeats" not in r.extra]
    roles = Counter(str(r.extra.get("role")) for r in counted)
    primary = (
        f"only the primary outcome ({primary_title}) is confirmatory"
        if primary_title and roles["primary"]
        else "the protocol's primary outcome could not be analysed: none of them is confirmatory"
    )
    return (
        f"Multiplicity: {len(counted)} between-arm comparisons are reported "
        f"({roles['primary']} primary, {roles['secondary']} secondary, "
        f"{roles['exploratory']} exploratory; relative risks share their risk difference's "
        f"test, results repeated under a second id are counted once); {primary}. The "
        "secondary and exploratory comparisons are not adjusted for multiplicity: their p-values "
        "and intervals describe the data and do not test hypotheses (ICH E9 §5.6; CONSORT 2010 "
        "item 18)."
    )
