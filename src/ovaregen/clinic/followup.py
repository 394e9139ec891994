"""Follow-up after treatment: the long-term complications checklist, menses at follow-up,
pregnancies and adverse events.

Rules:
- follow-up data are recorded only for a participant who was enrolled (status ongoing,
  completed, withdrawn or lost to follow-up); a woman still in screening has none;
- the checklist (every ``COMPLICATIONS`` flag, empty = unknown) and ``menses_followup`` are the
  visit ``long_term_followup`` of ``clinic.ecrf`` (dictionary variables, so they round-trip to
  the interchange format);
- a pregnancy holds exactly the columns of pregnancies.csv (INTERCHANGE.md), validated with the
  data dictionary and with the coherence rules of ``io.coherence``: infants born alive only
  after a live birth, a live birth has at least one, and deaths in the first year and
  congenital anomalies are among the infants born alive (an anomaly may count an affected
  fetus after a stillbirth, miscarriage or termination);
- an adverse event is graded with CTCAE (1 mild, 2 moderate, 3 severe, 4 life-threatening,
  5 death related to the event), with the CTCAE version used; grade 5 and outcome fatal go
  together, and an event resulting in death is serious (ICH E2A);
- every create, change and delete is audited with old → new values; a change or delete needs a
  reason and is based on the version the person opened (21 CFR 11.10(e); ICH E6 R3 §4.2.1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ovaregen.clinic import flow, locks
from ovaregen.clinic.ecrf import (
    Entry,
    Field,
    FormRefusedError,
    ReasonRequiredError,
    form_entry,
    parse_entry,
    save_form,
)
from ovaregen.clinic.studies import NotFoundError, StudyError, protocol_of
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.record import UNSCHEDULED, home_visit
from ovaregen.domain.variables import COMPLICATIONS, DatasetFile, variable
from ovaregen.store import audit
from ovaregen.store.models import AdverseEvent, FormEntry, Participant, Pregnancy

FOLLOWUP_VISIT = UNSCHEDULED
"""The form of the checklist items no schedule visit records (``domain.record.UNSCHEDULED``)."""
PREGNANCY_COLUMNS = (
    "conception",
    "months_after_treatment",
    "outcome",
    "infants_live_born",
    "infant_death_first_year",
    "congenital_anomaly",
)
"""The columns of pregnancies.csv besides participant_id (INTERCHANGE.md)."""
_FETUS_COUNTED_OUTCOMES = ("stillbirth", "miscarriage", "termination")

CTCAE_GRADES = {
    1: "mild",
    2: "moderate",
    3: "severe",
    4: "life-threatening",
    5: "death related to the event",
}
"""CTCAE grades (NCI CTCAE v5.0, "Grades")."""
CTCAE_VERSIONS = ("5.0", "4.03")
DEFAULT_CTCAE_VERSION = "5.0"
RELATEDNESS = {
    "unrelated": "not related",
    "unlikely": "unlikely",
    "possible": "possible",
    "probable": "probable",
    "definite": "definite",
    "unknown": "unknown",
}
"""Relatedness of the event to the study treatment (WHO-UMC causality categories), in the
words of adverse_events.csv (``domain.record_variables.AE_RELATEDNESS``)."""
AE_OUTCOMES = {
    "ongoing": "ongoing",
    "recovered": "recovered",
    "recovered_with_sequelae": "recovered with sequelae",
    "fatal": "fatal",
    "unknown": "unknown",
}
"""Outcome of the event, in the words of adverse_events.csv (``AE_OUTCOMES`` there)."""
_LABELS = {"related": RELATEDNESS, "outcome": AE_OUTCOMES}
"""A choice may be typed as its word or as its label ("not related")."""
R = TypeVar("R", Pregnancy, AdverseEvent)
"""A follow-up record table (``RecordKind``)."""

_YES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


def require_enrolled(participant: Participant) -> None:
    """Refuse (409) follow-up data for a woman who was never enrolled."""
    if participant.status not in flow.ENROLLED_STATUSES:
        raise StudyError(
            f"participant {participant.code} is {participant.status.replace('_', ' ')}: "
            "treatment and follow-up data are recorded only after enrolment"
        )


def _texts(values: Mapping[str, Any]) -> dict[str, str]:
    """Submitted values as the text a form would send (JSON numbers and booleans included)."""
    return {k: "" if v is None else str(v) for k, v in values.items()}


# ---- complications checklist and menses at follow-up ------------------------------------


def followup_fields(protocol: Protocol) -> tuple[Field, ...]:
    """The checklist items the protocol's schedule does not record at a visit (each value is
    held once: where the schedule records it, it is entered on that visit's form)."""
    return tuple(
        Field(variable(name))
        for name in (*COMPLICATIONS, "menses_followup")
        if home_visit(protocol, name) == FOLLOWUP_VISIT
    )


def followup_visits(protocol: Protocol) -> tuple[str, ...]:
    """The visits whose forms hold the checklist items the schedule records."""
    homes = (home_visit(protocol, name) for name in (*COMPLICATIONS, "menses_followup"))
    return tuple(dict.fromkeys(h for h in homes if h != FOLLOWUP_VISIT))


def followup_entry(session: Session, participant: Participant) -> FormEntry | None:
    return form_entry(session, participant, FOLLOWUP_VISIT)


def save_followup(
    session: Session,
    participant: Participant,
    texts: Mapping[str, Any],
    *,
    username: str,
    expected_version: int | None,
    reason: str = "",
) -> Entry:
    """Validate and save the checklist (audited by ``ecrf.save_form``); warnings returned."""
    require_enrolled(participant)
    fields = followup_fields(protocol_of(participant.study.name))
    known = {f.name for f in fields}
    elsewhere = sorted(set(texts) - known - {"version", "reason", "csrf_token"})
    if elsewhere:
        raise FormRefusedError(
            {
                name: f"{name}: recorded on the visit form that holds it, not here"
                for name in elsewhere
            }
        )
    entry = parse_entry(fields, _texts(texts))
    save_form(
        session,
        participant,
        FOLLOWUP_VISIT,
        entry.values,
        username=username,
        expected_version=expected_version,
        reason=reason,
    )
    return entry


# ---- pregnancies ---------------------------------------------------------------------------


def pregnancy_fields() -> tuple[Field, ...]:
    return tuple(Field(variable(name, DatasetFile.PREGNANCIES)) for name in PREGNANCY_COLUMNS)


def pregnancy_values(pregnancy: Pregnancy) -> dict[str, Any]:
    return {name: getattr(pregnancy, name) for name in PREGNANCY_COLUMNS}


def _incoherent(values: Mapping[str, Any]) -> dict[str, str]:
    """Coherence of outcome and infant counts (only values that are known are judged)."""
    errors: dict[str, str] = {}
    outcome, born = values.get("outcome"), values.get("infants_live_born")
    if outcome == "live_birth" and born == 0:
        errors["infants_live_born"] = (
            "infants born alive: 0 does not fit outcome live_birth; expected at least 1"
        )
    if outcome not in (None, "live_birth") and born is not None and born > 0:
        errors["infants_live_born"] = (
            f"infants born alive: {born} does not fit outcome {outcome}; "
            "expected 0 (or outcome live_birth)"
        )
    for column, label in (
        ("infant_death_first_year", "infants who died in their first year"),
        ("congenital_anomaly", "infants with a congenital anomaly"),
    ):
        count = values.get(column)
        if count is None or count == 0:
            continue
        if column == "congenital_anomaly" and outcome in _FETUS_COUNTED_OUTCOMES:
            continue
        if born is None:
            if outcome not in (None, "live_birth"):
                errors[column] = (
                    f"{label}: {count} does not fit outcome {outcome}, where no infant is born "
                    "alive; expected 0"
                )
            continue
        if count > born:
            errors[column] = (
                f"{label}: {count} is more than the infants born alive ({born}); "
                f"expected at most {born}"
            )
    return errors


def parse_pregnancy(texts: Mapping[str, Any]) -> dict[str, Any]:
    """A pregnancy's values from a form or JSON; ``FormRefusedError`` names each bad field."""
    entry = parse_entry(pregnancy_fields(), _texts(texts))
    errors = _incoherent(entry.values)
    if errors:
        raise FormRefusedError(errors)
    return entry.values


@dataclass(frozen=True)
class RecordKind(Generic[R]):
    """A participant's repeatable follow-up record (pregnancy, adverse event): its table, its
    audit entity, how people call it, and how its values are read and validated."""

    model: type[R]
    entity: str
    label: str
    values_of: Callable[[R], dict[str, Any]]
    parse: Callable[[Mapping[str, Any]], dict[str, Any]]
    form: str
    """The form name a lock of the whole list uses (``clinic.locks``)."""


def _records(session: Session, kind: RecordKind[R], participant: Participant) -> Sequence[R]:
    model = kind.model
    return (
        session.execute(
            select(model).where(model.participant_id == participant.id).order_by(model.id)
        )
        .scalars()
        .all()
    )


def _record(session: Session, kind: RecordKind[R], participant: Participant, row_id: int) -> R:
    found = session.get(kind.model, row_id)
    if found is None or found.participant_id != participant.id:
        raise NotFoundError(f"no {kind.label} {row_id} of participant {participant.code}")
    return found


def _check_version(kind: str, row_id: int, version: int, expected: int | None) -> None:
    if expected != version:
        raise StudyError(
            f"this {kind} ({row_id}) was changed by someone else after you opened it (now "
            f"version {version}, yours {expected}); nothing was saved: reload and try again"
        )


def _reason(reason: str, what: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReasonRequiredError(f"give a reason for {what}")
    return reason


def _audit(
    session: Session,
    participant: Participant,
    *,
    username: str,
    action: str,
    entity: str,
    entity_id: int,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    reason: str = "",
) -> None:
    audit.record(
        session,
        username=username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        study=participant.study.name,
        participant=participant.code,
        changes=audit.differences(old, new),
        reason=reason,
    )


def _flush(session: Session, kind: str, row_id: int) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise StudyError(
            f"this {kind} ({row_id}) was changed by someone else at the same moment; "
            "nothing was saved: reload and try again"
        ) from None


def _add(
    session: Session,
    kind: RecordKind[R],
    participant: Participant,
    texts: Mapping[str, Any],
    *,
    username: str,
) -> R:
    require_enrolled(participant)
    locks.refuse_form_change(session, participant, kind.form)
    values = kind.parse(texts)
    row = kind.model(participant_id=participant.id, **values)
    session.add(row)
    session.flush()
    _audit(
        session,
        participant,
        username=username,
        action=audit.Action.CREATE,
        entity=kind.entity,
        entity_id=row.id,
        old={},
        new=values,
    )
    return row


def _update(
    session: Session,
    kind: RecordKind[R],
    participant: Participant,
    row_id: int,
    texts: Mapping[str, Any],
    *,
    username: str,
    expected_version: int | None,
    reason: str,
) -> R:
    require_enrolled(participant)
    locks.refuse_form_change(session, participant, kind.form)
    row = _record(session, kind, participant, row_id)
    _check_version(kind.label, row.id, row.version, expected_version)
    values = kind.parse(texts)
    old = kind.values_of(row)
    if not audit.differences(old, values):
        return row
    reason = _reason(reason, "the change")
    for name, value in values.items():
        setattr(row, name, value)
    _flush(session, kind.label, row.id)
    _audit(
        session,
        participant,
        username=username,
        action=audit.Action.UPDATE,
        entity=kind.entity,
        entity_id=row.id,
        old=old,
        new=values,
        reason=reason,
    )
    return row


def _delete(
    session: Session,
    kind: RecordKind[R],
    participant: Participant,
    row_id: int,
    *,
    username: str,
    reason: str,
    expected_version: int | None,
) -> None:
    require_enrolled(participant)
    locks.refuse_form_change(session, participant, kind.form)
    row = _record(session, kind, participant, row_id)
    if expected_version is None:
        raise FormRefusedError(
            {
                "version": f"deleting a {kind.label} needs the version you are deleting (the "
                "version of the record as you read it); nothing was deleted"
            }
        )
    _check_version(kind.label, row.id, row.version, expected_version)
    reason = _reason(reason, f"deleting the {kind.label}")
    old = kind.values_of(row)
    session.delete(row)
    _flush(session, kind.label, row_id)
    _audit(
        session,
        participant,
        username=username,
        action=audit.Action.DELETE,
        entity=kind.entity,
        entity_id=row_id,
        old=old,
        new={},
        reason=reason,
    )


PREGNANCY = RecordKind(
    Pregnancy, "pregnancy", "pregnancy", pregnancy_values, parse_pregnancy, locks.PREGNANCIES
)


def pregnancies_of(session: Session, participant: Participant) -> Sequence[Pregnancy]:
    return _records(session, PREGNANCY, participant)


def pregnancy_of(session: Session, participant: Participant, pregnancy_id: int) -> Pregnancy:
    return _record(session, PREGNANCY, participant, pregnancy_id)


def add_pregnancy(
    session: Session, participant: Participant, texts: Mapping[str, Any], *, username: str
) -> Pregnancy:
    """Record a pregnancy after treatment; audited."""
    return _add(session, PREGNANCY, participant, texts, username=username)


def update_pregnancy(
    session: Session,
    participant: Participant,
    pregnancy_id: int,
    texts: Mapping[str, Any],
    *,
    username: str,
    expected_version: int | None,
    reason: str,
) -> Pregnancy:
    """Change a pregnancy (all its columns; empty = unknown); version-checked, reason, audited."""
    return _update(
        session,
        PREGNANCY,
        participant,
        pregnancy_id,
        texts,
        username=username,
        expected_version=expected_version,
        reason=reason,
    )


def delete_pregnancy(
    session: Session,
    participant: Participant,
    pregnancy_id: int,
    *,
    username: str,
    reason: str,
    expected_version: int | None,
) -> None:
    """Delete a pregnancy recorded in error; the version deleted and a reason are required
    (a deletion never removes a record changed since it was read); old values audited."""
    _delete(
        session,
        PREGNANCY,
        participant,
        pregnancy_id,
        username=username,
        reason=reason,
        expected_version=expected_version,
    )


# ---- adverse events ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventValues:
    """An adverse event's validated values."""

    term: str
    onset_date: str | None
    grade: int
    ctcae_version: str
    serious: bool
    related: str
    outcome: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def event_values(event: AdverseEvent) -> dict[str, Any]:
    return {
        name: getattr(event, name)
        for name in ("term", "onset_date", "grade", "ctcae_version", "serious", "related")
    } | {"outcome": event.outcome}


def _choice(
    errors: dict[str, str], name: str, label: str, text: str, choices: Sequence[str]
) -> str:
    word = text.strip().lower().replace(" ", "_")
    by_label = {label.replace(" ", "_"): key for key, label in _LABELS.get(name, {}).items()}
    word = by_label.get(word, word)
    if word not in choices:
        shown = f'"{text}"' if text.strip() else "nothing"
        errors[name] = f"{label}: {shown} is not accepted; expected one of {', '.join(choices)}"
    return word


def parse_event(texts: Mapping[str, Any]) -> EventValues:
    """An adverse event from a form or JSON; ``FormRefusedError`` names each bad field."""
    given = _texts(texts)
    errors: dict[str, str] = {}
    term = given.get("term", "").strip()
    if not term or len(term) > 200:
        errors["term"] = "term: expected the event's name (1–200 characters)"
    onset_text = given.get("onset_date", "").strip()
    onset: str | None = None
    if onset_text:
        try:
            onset = date.fromisoformat(onset_text).isoformat()
        except ValueError:
            errors["onset_date"] = f'onset date: "{onset_text}" is not a date; expected YYYY-MM-DD'
    grade_text = given.get("grade", "").strip()
    grade = int(grade_text) if grade_text in {str(g) for g in CTCAE_GRADES} else 0
    if not grade:
        shown = f'"{grade_text}"' if grade_text else "nothing"
        errors["grade"] = f"CTCAE grade: {shown} is not a grade; expected a whole number 1–5"
    version = given.get("ctcae_version", "").strip() or DEFAULT_CTCAE_VERSION
    if version not in CTCAE_VERSIONS:
        errors["ctcae_version"] = (
            f'CTCAE version: "{version}" is not offered; '
            f"expected one of {', '.join(CTCAE_VERSIONS)}"
        )
    serious_text = given.get("serious", "").strip().lower()
    serious = _YES.get(serious_text)
    if serious is None:
        shown = f'"{serious_text}"' if serious_text else "nothing"
        errors["serious"] = f"serious: {shown} is not accepted; expected yes or no"
    related = _choice(
        errors, "related", "relatedness", given.get("related", ""), tuple(RELATEDNESS)
    )
    outcome = _choice(errors, "outcome", "outcome", given.get("outcome", ""), tuple(AE_OUTCOMES))
    if grade == 5 and "outcome" not in errors and outcome != "fatal":
        errors["outcome"] = (
            f"outcome: {outcome} does not fit CTCAE grade 5 (death related to the event); "
            "expected fatal"
        )
    if outcome == "fatal" and grade and grade != 5:
        errors["grade"] = f"CTCAE grade: {grade} does not fit outcome fatal; expected 5"
    if outcome == "fatal" and serious is False:
        errors["serious"] = (
            "serious: no does not fit outcome fatal; an event resulting in death is serious"
        )
    if errors:
        raise FormRefusedError(errors)
    assert serious is not None
    return EventValues(term, onset, grade, version, serious, related, outcome)


ADVERSE_EVENT = RecordKind(
    AdverseEvent,
    "adverse_event",
    "adverse event",
    event_values,
    lambda texts: parse_event(texts).as_dict(),
    locks.ADVERSE_EVENTS,
)


def events_of(session: Session, participant: Participant) -> Sequence[AdverseEvent]:
    return _records(session, ADVERSE_EVENT, participant)


def event_of(session: Session, participant: Participant, event_id: int) -> AdverseEvent:
    return _record(session, ADVERSE_EVENT, participant, event_id)


def add_event(
    session: Session, participant: Participant, texts: Mapping[str, Any], *, username: str
) -> AdverseEvent:
    """Record an adverse event; audited."""
    return _add(session, ADVERSE_EVENT, participant, texts, username=username)


def update_event(
    session: Session,
    participant: Participant,
    event_id: int,
    texts: Mapping[str, Any],
    *,
    username: str,
    expected_version: int | None,
    reason: str,
) -> AdverseEvent:
    """Change an adverse event; version-checked, reason required, audited."""
    return _update(
        session,
        ADVERSE_EVENT,
        participant,
        event_id,
        texts,
        username=username,
        expected_version=expected_version,
        reason=reason,
    )


def delete_event(
    session: Session,
    participant: Participant,
    event_id: int,
    *,
    username: str,
    reason: str,
    expected_version: int | None,
) -> None:
    """Delete an adverse event recorded in error; the version deleted and a reason are
    required; audited."""
    _delete(
        session,
        ADVERSE_EVENT,
        participant,
        event_id,
        username=username,
        reason=reason,
        expected_version=expected_version,
    )
