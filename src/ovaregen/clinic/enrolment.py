"""Screening, eligibility, enrolment and the participant's flow status.

Rules:
- the screening form is the protocol's visit ``screening`` (the first visit of the schedule
  when a protocol has none: Study B records its baseline at the first injection);
- after every save of the screening form, eligibility is recomputed from the saved values by
  the protocol's criteria (``domain.screening``, CRITERIA.md "Study eligibility") and stored on
  the participant with the failed and unknown top-level criteria, audited;
- a woman is enrolled only when eligible and, where the screening form records it, her signed
  informed consent is recorded (ICH E6(R3) §2.8: consent before any trial procedure);
- visits after screening take data only once she is enrolled;
- a follow-up visit saved out of its window, and a screening change that leaves a randomised
  woman no longer eligible, open a protocol deviation in the same transaction
  (``clinic.deviations``);
- flow statuses follow CONSORT 2010 (screen failed before enrolment; withdrawn, lost to
  follow-up or completed after it), each change with a reason, audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from ovaregen.clinic import deviations, ecrf, flow, locks
from ovaregen.clinic.studies import StudyError, protocol_of
from ovaregen.domain.criteria import Role as CriterionRole
from ovaregen.domain.criteria import truth_label
from ovaregen.domain.protocols import Protocol, Visit
from ovaregen.domain.schema import conform, dtype_of
from ovaregen.domain.screening import Explanation, explain
from ovaregen.domain.variables import DatasetFile, Kind, variable
from ovaregen.io.units import measured_text
from ovaregen.store import audit
from ovaregen.store.models import FormEntry, Participant, utc_now

SCREENING = "screening"
"""The id of the screening visit in a protocol's schedule."""
CONSENT = "consent"


def screening_visit(protocol: Protocol) -> Visit:
    """The visit whose form decides eligibility: ``screening``, else the first visit."""
    for visit in protocol.schedule:
        if visit.id == SCREENING:
            return visit
    return protocol.schedule[0]


def _typed(name: str, value: Any) -> Any:
    if value is not None and variable(name).kind is Kind.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def screening_frame(code: str, values: Mapping[str, Any]) -> pl.DataFrame:
    """A one-row canonical participants frame of canonical form values (others unknown)."""
    known = {name: value for name, value in values.items() if name != "participant_id"}
    schema: dict[str, pl.DataType] = {"participant_id": pl.String()}
    schema.update({name: dtype_of(variable(name)) for name in known})
    row = {"participant_id": [code]} | {name: [_typed(name, v)] for name, v in known.items()}
    return conform(pl.DataFrame(row, schema=schema), DatasetFile.PARTICIPANTS)


def assess(protocol: Protocol, code: str, values: Mapping[str, Any]) -> Explanation:
    """Every criterion of ``protocol`` for one woman's screening values."""
    return explain(screening_frame(code, values), protocol, code)


def top_level(explanation: Explanation, value: bool | None) -> list[str]:
    """Ids of the judged (depth 0) criteria whose value is ``value``."""
    return [r.criterion.id for r in explanation.results if r.depth == 0 and r.value is value]


def failed_ids(explanation: Explanation) -> list[str]:
    """Judged criteria that rule her out: an inclusion false or an exclusion true."""
    return [
        r.criterion.id
        for r in explanation.results
        if r.depth == 0
        and r.value is not None
        and r.value is (r.criterion.role is CriterionRole.EXCLUSION)
    ]


def plain(value: Any) -> Any:
    """A JSON-safe criterion input (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def meaning(role: CriterionRole, value: str) -> str:
    """What a criterion's value means for the woman's eligibility, which pages colour by:
    ``good`` (an inclusion true, an exclusion false), ``bad`` (the opposite), ``unknown``, or
    ``neutral`` for a diagnosis' component, which is not judged on its own (CRITERIA.md
    "Study eligibility": exclusion criteria must be false)."""
    if value == "unknown":
        return "unknown"
    if role is CriterionRole.COMPONENT:
        return "neutral"
    wanted = "true" if role is CriterionRole.INCLUSION else "false"
    return "good" if value == wanted else "bad"


def criteria_json(explanation: Explanation) -> list[dict[str, Any]]:
    """The explanation criterion by criterion, as the API and the live page show it."""
    return [
        {
            "id": r.criterion.id,
            "description": r.criterion.description,
            "source": r.criterion.source,
            "role": r.criterion.role.value,
            "value": truth_label(r.value),
            "meaning": meaning(r.criterion.role, truth_label(r.value)),
            "depth": r.depth,
            "inputs": {k: plain(v) for k, v in r.inputs.items()},
            "inputs_shown": {
                k: measured_text(float(v))
                for k, v in r.inputs.items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            },
        }
        for r in explanation.results
    ]


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    return {
        "eligible": truth_label(explanation.eligible),
        "poseidon_group": explanation.poseidon_group,
        "criteria": criteria_json(explanation),
    }


def record_eligibility(session: Session, participant: Participant, *, username: str) -> Explanation:
    """Recompute eligibility from the saved screening form and store it; audited if changed."""
    protocol = protocol_of(participant.study.name)
    entry = ecrf.form_entry(session, participant, screening_visit(protocol).id)
    explanation = assess(protocol, participant.code, entry.data if entry else {})
    before = {
        "eligible": participant.eligible,
        "failed_criteria": participant.failed_criteria,
        "unknown_criteria": participant.unknown_criteria,
    }
    after = {
        "eligible": truth_label(explanation.eligible),
        "failed_criteria": ";".join(failed_ids(explanation)),
        "unknown_criteria": ";".join(top_level(explanation, None)),
    }
    status = _screening_status(participant.status, participant.eligible, after["eligible"])
    before["status"], after["status"] = participant.status, status
    changes = audit.differences(before, after)
    if changes:
        participant.eligible = after["eligible"]
        participant.failed_criteria = after["failed_criteria"]
        participant.unknown_criteria = after["unknown_criteria"]
        participant.status = status
        session.flush()
        audit.record(
            session,
            username=username,
            action=audit.Action.UPDATE,
            entity="participant",
            entity_id=participant.id,
            study=participant.study.name,
            participant=participant.code,
            changes=changes,
            reason="eligibility recomputed from the screening form",
        )
        deviations.open_for_eligibility(
            session,
            participant,
            before["eligible"],
            after["eligible"],
            entry.visit if entry else "",
        )
    return explanation


def _screening_status(status: str, was: str | None, eligible: str) -> str:
    """A woman in screening whose saved screening is false fails screening (its failed
    criteria are her reasons); one who failed because her screening was false is back in
    screening when a correction makes it true or unknown (a screen failure set by hand, with
    its reason, stays). Eligibility unknown stays in screening: the "to decide" worklist.
    Enrolled women keep their status (CONSORT: screening is decided once)."""
    if status == flow.SCREENING and eligible == "false":
        return flow.SCREEN_FAILED
    if status == flow.SCREEN_FAILED and was == "false" and eligible != "false":
        return flow.SCREENING
    return status


def check_entry_allowed(participant: Participant, visit_id: str) -> None:
    """Refuse data for visits after screening before the woman is enrolled (StudyError)."""
    protocol = protocol_of(participant.study.name)
    if visit_id != screening_visit(protocol).id and participant.status in flow.NOT_ENROLLED:
        raise StudyError(
            f"participant {participant.code} is not enrolled (status "
            f"{participant.status.replace('_', ' ')}): only the screening form takes data "
            "before enrolment"
        )


@dataclass(frozen=True)
class Saved:
    """A saved form, and the eligibility recomputed when it was the screening form."""

    entry: FormEntry
    explanation: Explanation | None


def save_visit(
    session: Session,
    participant: Participant,
    visit_id: str,
    values: Mapping[str, Any],
    *,
    username: str,
    expected_version: int | None,
    reason: str = "",
) -> Saved:
    """Save one visit's canonical values (``ecrf.save_form`` rules), then eligibility."""
    check_entry_allowed(participant, visit_id)
    saved_before = ecrf.form_entry(session, participant, visit_id)
    previous = deviations.as_date(saved_before.data.get("visit_date")) if saved_before else None
    entry = ecrf.save_form(
        session,
        participant,
        visit_id,
        values,
        username=username,
        expected_version=expected_version,
        reason=reason,
    )
    deviations.open_for_visit_date(session, participant, visit_id, previous)
    protocol = protocol_of(participant.study.name)
    if visit_id != screening_visit(protocol).id:
        return Saved(entry, None)
    return Saved(entry, record_eligibility(session, participant, username=username))


def records_consent(protocol: Protocol) -> bool:
    """Whether the protocol's screening form records signed informed consent (Study B's
    does not: the enrolment page asks only for what the protocol has)."""
    return CONSENT in screening_visit(protocol).records


ENROLLED_ON = "enrolled_on"
"""The enrolment page's date input (empty = today)."""


def enrolment_date(
    session: Session, participant: Participant, text: str, *, today: date
) -> date | None:
    """The enrolment date the enroller gave (None when empty: today), or ``FormRefusedError``
    naming the field: a date YYYY-MM-DD, not in the future, not before the screening visit's
    ``screening_date`` when the screening form records one (a retrospective case keeps its
    real date; ICH E6(R3) §2.12 accurate records)."""
    text = text.strip()
    if not text:
        return None
    try:
        given = date.fromisoformat(text)
    except ValueError:
        raise ecrf.FormRefusedError(
            {ENROLLED_ON: f'enrolment date: "{text}" is not a date; expected YYYY-MM-DD'}
        ) from None
    if given > today:
        raise ecrf.FormRefusedError(
            {
                ENROLLED_ON: f"enrolment date: {given.isoformat()} is in the future; "
                f"expected today ({today.isoformat()}) or earlier"
            }
        )
    visit = screening_visit(protocol_of(participant.study.name))
    entry = ecrf.form_entry(session, participant, visit.id)
    screened = (entry.data if entry else {}).get("screening_date")
    if isinstance(screened, str) and given < date.fromisoformat(screened):
        raise ecrf.FormRefusedError(
            {
                ENROLLED_ON: f"enrolment date: {given.isoformat()} is before the screening "
                f"date {screened}; expected {screened} or later"
            }
        )
    return given


def enrol(
    session: Session,
    participant: Participant,
    *,
    username: str,
    enrolled_on: str = "",
    today: date | None = None,
) -> None:
    """Enrol an eligible, consented woman who is still in screening, on the date given
    (``enrolment_date``; today when none); audited (refused while her casebook or the study
    is locked, ``clinic.locks``)."""
    locks.refuse_participant_change(session, participant)
    protocol = protocol_of(participant.study.name)
    visit = screening_visit(protocol)
    now = utc_now()
    given = enrolment_date(session, participant, enrolled_on, today=today or now.date())
    if participant.status != flow.SCREENING:
        failed = participant.failed_criteria if participant.status == flow.SCREEN_FAILED else ""
        raise StudyError(
            f"participant {participant.code} cannot be enrolled: her status is "
            f"{participant.status.replace('_', ' ')}"
            + (f" ({failed.replace(';', ', ')})" if failed else "")
            + ", expected screening"
        )
    if participant.eligible != "true":
        listed = participant.failed_criteria or participant.unknown_criteria
        raise StudyError(
            f"participant {participant.code} cannot be enrolled: eligibility is "
            f"{participant.eligible or 'not assessed'}, expected true"
            + (f" ({listed.replace(';', ', ')})" if listed else "")
        )
    if CONSENT in visit.records:
        entry = ecrf.form_entry(session, participant, visit.id)
        if not entry or entry.data.get(CONSENT) is not True:
            raise StudyError(
                f"participant {participant.code} cannot be enrolled: signed informed consent "
                "is not recorded on the screening form (consent must be yes)"
            )
    before = {"status": participant.status, "enrolled_at": participant.enrolled_at}
    participant.status = flow.ONGOING
    participant.enrolled_at = (
        now if given is None or given == now.date() else datetime.combine(given, time(), UTC)
    )
    session.flush()
    audit.record(
        session,
        username=username,
        action=audit.Action.UPDATE,
        entity="participant",
        entity_id=participant.id,
        study=participant.study.name,
        participant=participant.code,
        changes=audit.differences(
            before, {"status": participant.status, "enrolled_at": participant.enrolled_at}
        ),
        reason="enrolled" if given is None else f"enrolled on {given.isoformat()} (date given)",
    )


def change_status(
    session: Session, participant: Participant, status: str, *, reason: str, username: str
) -> None:
    """Set a flow status allowed from the current one (``STATUS_CHANGES``), with a reason
    (refused while her casebook or the study is locked, ``clinic.locks``)."""
    locks.refuse_participant_change(session, participant)
    reason = reason.strip()
    if status not in flow.STATUS_CHANGES:
        raise StudyError(
            f"status {status!r} cannot be set here: expected one of "
            + ", ".join(flow.STATUS_CHANGES)
        )
    if participant.status not in flow.STATUS_CHANGES[status]:
        allowed = " or ".join(sorted(flow.STATUS_CHANGES[status]))
        raise StudyError(
            f"participant {participant.code} cannot become {status.replace('_', ' ')}: her "
            f"status is {participant.status.replace('_', ' ')}, expected {allowed}"
        )
    if not reason:
        raise StudyError("a status change needs a reason")
    before = participant.status
    participant.status = status
    session.flush()
    audit.record(
        session,
        username=username,
        action=audit.Action.UPDATE,
        entity="participant",
        entity_id=participant.id,
        study=participant.study.name,
        participant=participant.code,
        changes={"status": [before, status]},
        reason=reason,
    )
