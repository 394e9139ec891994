"""Protocol deviations: opened by the system when a save departs from the protocol, recorded
by hand by the site, reviewed by an investigator; every step audited.

Rules (ICH E6(R3) §2.5 and §3.2: the investigator documents and explains any deviation from
the protocol; OpenClinica/REDCap practice of a deviation log per site):
- the system opens one (detected by ``system``) in the transaction of the save that causes it,
  so a rolled-back save leaves none:
  - a follow-up visit saved with a visit date outside its window (``domain.visit_windows``),
    once per date: saving the same date again opens nothing new;
  - a randomised woman (in a study without randomisation: an enrolled one) whose screening is
    changed so that her eligibility is no longer true (false, or unknown);
- the investigator or coordinator records one by hand (kind and description);
- an investigator reviews it with a comment: status open → reviewed, once; the review of a
  stale version is refused (409);
- a deviation names no arm: it is opened from values both arms record, so two women who differ
  only in their arm have the same deviations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ovaregen.clinic import flow
from ovaregen.clinic.ecrf import FormRefusedError, form_entry
from ovaregen.clinic.scope import Access, visible
from ovaregen.clinic.studies import NotFoundError, StudyError, protocol_of
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.record import home_visit
from ovaregen.domain.visit_windows import ANCHOR
from ovaregen.store import audit
from ovaregen.store.models import (
    AllocationSlot,
    Participant,
    ProtocolDeviation,
    Study,
    utc_now,
)

SYSTEM = "system"
"""``detected_by`` of a deviation the software found."""
OPEN = "open"
REVIEWED = "reviewed"
STATUSES = (OPEN, REVIEWED)
VISIT_OUT_OF_WINDOW = "visit_out_of_window"
ELIGIBILITY_LOST = "eligibility_lost"
HAND_KINDS: Mapping[str, str] = {
    "informed_consent": "informed consent",
    "eligibility": "eligibility",
    "procedure": "study procedure not done as the protocol says",
    "treatment": "treatment or dosing",
    "visit_schedule": "visit missed or out of schedule",
    "other": "other",
}
"""Kinds a person may record (the usual categories of a site's deviation log)."""
KIND_LABELS: Mapping[str, str] = {
    VISIT_OUT_OF_WINDOW: "visit out of its window",
    ELIGIBILITY_LOST: "eligibility lost after randomisation",
    **HAND_KINDS,
}
ENTITY = "protocol_deviation"
DESCRIPTION_MAX = 2000
ROW_ID_LIMIT = 2**31
"""Ids are 32-bit integers (PostgreSQL ``integer``): a larger one is simply unknown."""


class DeviationConflictError(StudyError):
    """The deviation was reviewed by someone else since it was opened on screen (409)."""


def as_date(value: Any) -> date | None:
    """A form's date value (ISO text or a date), else None."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def treatment_date(session: Session, protocol: Protocol, participant: Participant) -> date | None:
    """Day 0 of her windows: the treatment date on the form of the visit that holds it."""
    entry = form_entry(session, participant, home_visit(protocol, ANCHOR))
    return as_date(entry.data.get(ANCHOR)) if entry else None


def _open(
    session: Session,
    participant: Participant,
    *,
    kind: str,
    description: str,
    visit: str,
    detected_by: str,
) -> ProtocolDeviation:
    deviation = ProtocolDeviation(
        participant_id=participant.id,
        kind=kind,
        visit=visit,
        description=description,
        detected_at=utc_now(),
        detected_by=detected_by,
        status=OPEN,
        review_comment="",
    )
    session.add(deviation)
    session.flush()
    audit.record(
        session,
        username=detected_by,
        action=audit.Action.CREATE,
        entity=ENTITY,
        entity_id=deviation.id,
        study=participant.study.name,
        participant=participant.code,
        changes=audit.differences(
            {}, {"kind": kind, "visit": visit, "description": description, "status": OPEN}
        ),
        reason="protocol deviation detected" if detected_by == SYSTEM else "recorded by hand",
    )
    return deviation


def open_for_visit_date(
    session: Session, participant: Participant, visit_id: str, previous: date | None
) -> ProtocolDeviation | None:
    """After a visit's save: open a deviation when its visit date is outside its window and
    differs from the date saved before (``previous``); None otherwise."""
    protocol = protocol_of(participant.study.name)
    visit = next((v for v in protocol.schedule if v.id == visit_id), None)
    if visit is None or visit.window is None:
        return None
    entry = form_entry(session, participant, visit_id)
    seen = as_date(entry.data.get("visit_date")) if entry else None
    treated = treatment_date(session, protocol, participant)
    if seen is None or treated is None or seen == previous:
        return None
    window = visit.window
    if window.contains(treated, seen):
        return None
    day = (seen - treated).days
    return _open(
        session,
        participant,
        kind=VISIT_OUT_OF_WINDOW,
        visit=visit_id,
        description=(
            f"{visit.label} done on {seen.isoformat()}, day {day} after the treatment date "
            f"{treated.isoformat()}; its window is {window.describe()}, "
            f"{window.opens(treated).isoformat()} to {window.closes(treated).isoformat()}"
        ),
        detected_by=SYSTEM,
    )


def is_randomised(session: Session, participant: Participant) -> bool:
    """Allocated, in a randomised study; enrolled, in a study without randomisation."""
    if not participant.study.randomised:
        return participant.status in flow.ENROLLED_STATUSES
    return bool(
        session.execute(
            select(exists().where(AllocationSlot.participant_id == participant.id))
        ).scalar()
    )


def open_for_eligibility(
    session: Session, participant: Participant, was: str | None, now: str, visit_id: str
) -> ProtocolDeviation | None:
    """After eligibility is recomputed: open a deviation when a randomised woman's eligibility
    was true and is no longer (``was`` and ``now`` as stored: true/false/unknown)."""
    if was != "true" or now == "true" or not is_randomised(session, participant):
        return None
    reasons = participant.failed_criteria if now == "false" else participant.unknown_criteria
    listed = reasons.replace(";", ", ")
    return _open(
        session,
        participant,
        kind=ELIGIBILITY_LOST,
        visit=visit_id,
        description=(
            f"the screening was changed after randomisation: eligibility is now {now}"
            + (f" ({'failed' if now == 'false' else 'unknown'}: {listed})" if listed else "")
        ),
        detected_by=SYSTEM,
    )


def record_deviation(
    session: Session, participant: Participant, kind: str, description: str, *, username: str
) -> ProtocolDeviation:
    """A deviation recorded by hand; ``FormRefusedError`` names the field that is wrong."""
    kind, description = kind.strip(), description.strip()
    errors = {}
    if kind not in HAND_KINDS:
        errors["kind"] = f"kind {kind!r} is not one of {', '.join(HAND_KINDS)}"
    if not description:
        errors["description"] = "required: say what departed from the protocol"
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = f"at most {DESCRIPTION_MAX} characters"
    if errors:
        raise FormRefusedError(errors)
    return _open(
        session, participant, kind=kind, description=description, visit="", detected_by=username
    )


def deviation_of(
    session: Session, participant: Participant, deviation_id: int
) -> ProtocolDeviation:
    """One of her deviations (404 for another woman's or an unknown id)."""
    found = (
        session.get(ProtocolDeviation, deviation_id) if 0 < deviation_id < ROW_ID_LIMIT else None
    )
    if found is None or found.participant_id != participant.id:
        raise NotFoundError(
            f"no protocol deviation {deviation_id} for participant {participant.code}"
        )
    return found


def review_deviation(
    session: Session,
    participant: Participant,
    deviation_id: int,
    comment: str,
    *,
    expected_version: int | None,
    username: str,
) -> ProtocolDeviation:
    """Mark an open deviation reviewed with the reviewer's comment; audited."""
    deviation = deviation_of(session, participant, deviation_id)
    comment = comment.strip()
    if not comment:
        raise FormRefusedError({"comment": "required: say how the deviation was assessed"})
    if len(comment) > DESCRIPTION_MAX:
        raise FormRefusedError({"comment": f"at most {DESCRIPTION_MAX} characters"})
    if expected_version is not None and expected_version != deviation.version:
        raise DeviationConflictError(
            f"deviation {deviation.id} changed since you opened it (version {expected_version}, "
            f"now {deviation.version}, {deviation.status} by {deviation.reviewed_by or 'nobody'})"
        )
    if deviation.status != OPEN:
        raise StudyError(
            f"deviation {deviation.id} is already reviewed by {deviation.reviewed_by}: "
            "expected an open deviation"
        )
    before = {"status": deviation.status, "review_comment": deviation.review_comment}
    try:
        with session.begin_nested():
            deviation.status = REVIEWED
            deviation.reviewed_by = username
            deviation.reviewed_at = utc_now()
            deviation.review_comment = comment
            session.flush()
    except StaleDataError:
        raise DeviationConflictError(
            f"deviation {deviation_id} was reviewed by someone else at the same moment"
        ) from None
    audit.record(
        session,
        username=username,
        action=audit.Action.UPDATE,
        entity=ENTITY,
        entity_id=deviation.id,
        study=participant.study.name,
        participant=participant.code,
        changes=audit.differences(before, {"status": REVIEWED, "review_comment": comment}),
        reason="protocol deviation reviewed",
    )
    return deviation


def deviations_of(session: Session, participant: Participant) -> Sequence[ProtocolDeviation]:
    """Her deviations, oldest first."""
    return (
        session.execute(
            select(ProtocolDeviation)
            .where(ProtocolDeviation.participant_id == participant.id)
            .order_by(ProtocolDeviation.id)
        )
        .scalars()
        .all()
    )


def deviations_seen(
    session: Session, study: Study, access: Access, status: str | None = None
) -> Sequence[ProtocolDeviation]:
    """The deviations of the study's women the reader sees (her sites), by site and code."""
    query = (
        select(ProtocolDeviation)
        .join(Participant, ProtocolDeviation.participant_id == Participant.id)
        .where(Participant.study_id == study.id, visible(study, access))
        .order_by(Participant.code, ProtocolDeviation.id)
    )
    if status is not None:
        if status not in STATUSES:
            raise FormRefusedError({"status": f"status {status!r} is not one of open, reviewed"})
        query = query.where(ProtocolDeviation.status == status)
    return session.execute(query).scalars().all()


def deviation_json(deviation: ProtocolDeviation) -> dict[str, Any]:
    """A deviation as the API gives it."""
    return {
        "id": deviation.id,
        "participant": deviation.participant.code,
        "site": deviation.participant.site.code,
        "kind": deviation.kind,
        "kind_label": KIND_LABELS.get(deviation.kind, deviation.kind),
        "visit": deviation.visit or None,
        "description": deviation.description,
        "detected_at": deviation.detected_at.isoformat(),
        "detected_by": deviation.detected_by,
        "status": deviation.status,
        "reviewed_by": deviation.reviewed_by,
        "reviewed_at": deviation.reviewed_at.isoformat() if deviation.reviewed_at else None,
        "review_comment": deviation.review_comment,
        "version": deviation.version,
    }
