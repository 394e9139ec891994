"""Form, participant and study (database) locks, and the one guard every data change passes.

The data manager or the administrator (``Permission.LOCK``) locks one form of a woman (a
visit, or her pregnancies or adverse-event list), her whole casebook, or the study database
before the final analysis (ICH E6(R3) §4.2.5 and Annex 1 §3.16: data are locked when they are
final; 21 CFR Part 11 §11.10(e): who did what, when and why). Locking and unlocking need a
reason and are audited; a lock row is never deleted: unlocking closes it (``released_*``), so
the history stays. A thing has at most one open lock: the clinic checks, and the database's
partial unique indexes (revision 0014) refuse a second open row even when two requests pass that
check at the same moment; the loser is told it is already locked, by whom.

Locked data refuse every change (``refuse_form_change``, ``refuse_participant_change``,
``refuse_study_change``, called by the clinic's write functions themselves, so no route can
forget them) with ``LockedError``, whose message names the lock: what, by whom, when, why.
Reading stays allowed, and so does monitoring (queries, source verification, signatures: a
locked form is still checked; only a data change is refused), as does emergency unblinding
(a safety action, not a data change).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ovaregen.clinic.studies import StudyError, protocol_of
from ovaregen.store import audit
from ovaregen.store.models import DataLock, Participant, Study, utc_now

STUDY = "study"
PARTICIPANT = "participant"
FORM = "form"
SCOPES = (STUDY, PARTICIPANT, FORM)

PREGNANCIES = "pregnancies"
"""The form name of a woman's pregnancy list (locked as one form)."""
ADVERSE_EVENTS = "adverse_events"
"""The form name of a woman's adverse-event list (locked as one form)."""
LIST_FORMS = (PREGNANCIES, ADVERSE_EVENTS)

LOCK_ACTION = "lock"
UNLOCK_ACTION = "unlock"
REASON_LIMIT = 2000


class LockedError(StudyError):
    """A change of locked data (423 Locked); the message names the lock."""

    def __init__(self, lock: DataLock, what: str, study_name: str) -> None:
        self.lock = lock
        self.lock_json = lock_json(lock, study_name)
        super().__init__(
            f"{what} is locked: {describe(lock)}; nothing was saved. A data manager or an "
            "administrator must unlock it, with a reason, before it can change"
        )


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def target(lock: DataLock, study_name: str) -> str:
    """What a lock holds, in words: the study, a woman's casebook, or one form of hers."""
    if lock.scope == STUDY:
        return f"study {study_name} (database lock)"
    code = lock.participant.code if lock.participant is not None else "?"
    if lock.scope == PARTICIPANT:
        return f"participant {code}'s casebook"
    return f"form {lock.visit} of participant {code}"


def describe(lock: DataLock) -> str:
    """Who locked it, when and why (the refusal's and the pages' sentence)."""
    return f"locked by {lock.locked_by} on {_when(lock.locked_at)} (reason: {lock.lock_reason})"


@dataclass(frozen=True)
class LockState:
    """A study's locks as the final analysis export records them."""

    study_lock: DataLock | None
    participants_locked: int
    forms_locked: int

    def as_json(self) -> dict[str, Any]:
        lock = self.study_lock
        return {
            "study_locked": lock is not None,
            "locked_since": audit.timestamp(lock.locked_at) if lock is not None else None,
            "locked_by": lock.locked_by if lock is not None else None,
            "lock_reason": lock.lock_reason if lock is not None else None,
            "participants_locked": self.participants_locked,
            "forms_locked": self.forms_locked,
        }


def _open(study: Study) -> Any:
    return select(DataLock).where(DataLock.study_id == study.id, DataLock.released_at.is_(None))


def study_lock(session: Session, study: Study) -> DataLock | None:
    """The study's open database lock, if any."""
    found = session.execute(_open(study).where(DataLock.scope == STUDY)).scalars()
    return next(iter(found), None)


def participant_lock(session: Session, participant: Participant) -> DataLock | None:
    """Her open casebook lock, if any."""
    query = _open(participant.study).where(
        DataLock.scope == PARTICIPANT, DataLock.participant_id == participant.id
    )
    return next(iter(session.execute(query).scalars()), None)


def form_locks(session: Session, participant: Participant) -> dict[str, DataLock]:
    """Her open form locks by form name."""
    query = _open(participant.study).where(
        DataLock.scope == FORM, DataLock.participant_id == participant.id
    )
    return {lock.visit or "": lock for lock in session.execute(query).scalars()}


def lock_holding(session: Session, participant: Participant, form: str | None) -> DataLock | None:
    """The lock that holds her form ``form`` (None: her casebook): the study's first, then
    hers, then the form's."""
    found = study_lock(session, participant.study) or participant_lock(session, participant)
    if found is None and form is not None:
        found = form_locks(session, participant).get(form)
    return found


def locks_holding(
    session: Session, participant: Participant, forms: Sequence[str]
) -> dict[str, DataLock | None]:
    """The lock holding each of her ``forms`` (as ``lock_holding``, in at most three look-ups:
    a page of several forms, such as the G-CSF log's five days)."""
    found = study_lock(session, participant.study) or participant_lock(session, participant)
    if found is not None:
        return dict.fromkeys(forms, found)
    own = form_locks(session, participant)
    return {form: own.get(form) for form in forms}


def locked_forms(
    session: Session, study: Study, participants: Sequence[Participant]
) -> dict[int, frozenset[str]]:
    """Each woman's forms that refuse changes (as ``lock_holding``: the study's lock, then
    hers, then the form's), in one look-up for any number of women: the forms a lock may name
    (``form_names``) when the study or her casebook is locked."""
    every = frozenset(form_names(study))
    ids = {p.id for p in participants}
    held: dict[int, set[str]] = {i: set() for i in ids}
    for lock in session.execute(_open(study)).scalars():
        if lock.scope == STUDY:
            return dict.fromkeys(ids, every)
        if lock.participant_id not in ids:
            continue
        if lock.scope == PARTICIPANT:
            held[lock.participant_id] |= every
        elif lock.scope == FORM and lock.visit:
            held[lock.participant_id].add(lock.visit)
    return {i: frozenset(forms) for i, forms in held.items()}


def refuse_study_change(session: Session, study: Study) -> None:
    """``LockedError`` when the study database is locked (new participants, imports, the
    allocation list)."""
    lock = study_lock(session, study)
    if lock is not None:
        raise LockedError(lock, f"study {study.name}", study.name)


def refuse_participant_change(session: Session, participant: Participant) -> None:
    """``LockedError`` when her casebook or the study is locked (status, enrolment,
    randomisation)."""
    lock = lock_holding(session, participant, None)
    if lock is not None:
        raise LockedError(lock, f"participant {participant.code}", participant.study.name)


def refuse_form_change(session: Session, participant: Participant, form: str) -> None:
    """``LockedError`` when her form ``form`` (a visit id or a list), her casebook or the study
    is locked."""
    lock = lock_holding(session, participant, form)
    if lock is not None:
        raise LockedError(
            lock, f"form {form} of participant {participant.code}", participant.study.name
        )


def form_names(study: Study) -> tuple[str, ...]:
    """The forms a lock may name: the protocol's visits, then the two lists."""
    return tuple(v.id for v in protocol_of(study.name).schedule) + LIST_FORMS


def _reason(reason: str, what: str) -> str:
    reason = reason.strip()
    if not reason:
        raise StudyError(f"reason: {what} needs a reason (none was given); nothing was changed")
    if len(reason) > REASON_LIMIT:
        raise StudyError(
            f"reason: {len(reason)} characters, expected at most {REASON_LIMIT}; nothing changed"
        )
    return reason


def _open_lock(
    session: Session, study: Study, participant: Participant | None, form: str | None
) -> DataLock | None:
    if participant is None:
        return study_lock(session, study)
    if form is None:
        return participant_lock(session, participant)
    return form_locks(session, participant).get(form)


def _refuse_held(
    session: Session, study: Study, participant: Participant | None, form: str | None
) -> None:
    """The clinic's own check that the thing is not locked already (the database's partial
    unique indexes of revision 0014 hold it too, against two requests at the same moment)."""
    held = _open_lock(session, study, participant, form)
    if held is not None:
        raise StudyError(f"{target(held, study.name)} is already {describe(held)}")


def _audit(session: Session, lock: DataLock, study: Study, action: str, reason: str) -> None:
    what = {"scope": lock.scope, "form": lock.visit} if lock.visit else {"scope": lock.scope}
    released = action == UNLOCK_ACTION
    audit.record(
        session,
        username=lock.released_by if released and lock.released_by else lock.locked_by,
        action=action,
        entity="data_lock",
        entity_id=lock.id,
        study=study.name,
        participant=lock.participant.code if lock.participant is not None else "",
        changes={**{k: [None, v] for k, v in what.items()}, "locked": [released, not released]},
        reason=reason,
    )


def lock(
    session: Session,
    study: Study,
    participant: Participant | None = None,
    form: str | None = None,
    *,
    username: str,
    reason: str,
) -> DataLock:
    """Lock the study (no participant), her casebook (no form) or one form of hers; audited.
    Refused (``StudyError``) without a reason, for an unknown form, or when already locked
    (also when another request locked it at the same moment: one open lock of each thing,
    held by the database's partial unique indexes)."""
    if form is not None and participant is None:
        raise StudyError("form: a form lock names the participant whose form it is")
    if form is not None and form not in form_names(study):
        raise StudyError(
            f"form: {form!r} is not a form of study {study.name}; expected one of "
            + ", ".join(form_names(study))
        )
    reason = _reason(reason, "locking")
    scope = STUDY if participant is None else PARTICIPANT if form is None else FORM
    _refuse_held(session, study, participant, form)
    row = DataLock(
        scope=scope,
        study_id=study.id,
        participant_id=participant.id if participant is not None else None,
        visit=form,
        locked_at=utc_now(),
        locked_by=username,
        lock_reason=reason,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Someone locked the same thing at the same moment: the open-lock index refused this
        # second row (nothing was saved); her lock stands and is named as above.
        _refuse_held(session, study, participant, form)
        raise StudyError(
            "someone locked this at the same moment; reload to see the lock; nothing was changed"
        ) from None
    session.refresh(row)
    _audit(session, row, study, LOCK_ACTION, reason)
    return row


def unlock(
    session: Session,
    study: Study,
    participant: Participant | None = None,
    form: str | None = None,
    *,
    username: str,
    reason: str,
) -> DataLock:
    """Close the open lock of the study, her casebook or her form, with a reason; audited.
    The row stays (the lock history). ``StudyError`` when there is no such lock or someone
    unlocked it at the same moment."""
    reason = _reason(reason, "unlocking")
    held = _open_lock(session, study, participant, form)
    if held is None:
        what = (
            f"study {study.name}"
            if participant is None
            else f"participant {participant.code}'s casebook"
            if form is None
            else f"form {form} of participant {participant.code}"
        )
        raise StudyError(f"{what} is not locked: there is nothing to unlock")
    try:
        with session.begin_nested():
            held.released_at = utc_now()
            held.released_by = username
            held.release_reason = reason
            session.flush()
    except StaleDataError:
        raise StudyError(
            "this lock was changed by someone else at the same moment; reload and try again"
        ) from None
    _audit(session, held, study, UNLOCK_ACTION, reason)
    return held


def _newest_first(session: Session, query: Any) -> Sequence[DataLock]:
    return (
        session.execute(query.order_by(DataLock.locked_at.desc(), DataLock.id.desc()))
        .scalars()
        .all()
    )


def history(session: Session, study: Study) -> Sequence[DataLock]:
    """Every lock of the study, open and closed, newest first."""
    query = select(DataLock).where(DataLock.study_id == study.id)
    return _newest_first(session, query)


def participant_history(session: Session, participant: Participant) -> Sequence[DataLock]:
    """Her locks (casebook and forms), open and closed, newest first."""
    query = select(DataLock).where(DataLock.participant_id == participant.id)
    return _newest_first(session, query)


def lock_state(session: Session, study: Study, participant_ids: Sequence[int]) -> LockState:
    """The study's lock and how many of these women's casebooks and forms are locked."""

    def counted(scope: str) -> int:
        if not participant_ids:
            return 0
        query = select(func.count(DataLock.id)).where(
            DataLock.study_id == study.id,
            DataLock.released_at.is_(None),
            DataLock.scope == scope,
            DataLock.participant_id.in_(participant_ids),
        )
        return int(session.execute(query).scalar_one())

    return LockState(study_lock(session, study), counted(PARTICIPANT), counted(FORM))


def lock_json(lock: DataLock, study_name: str) -> dict[str, Any]:
    """A lock for the API (never an arm: locks are blind-neutral)."""
    return {
        "id": lock.id,
        "scope": lock.scope,
        "what": target(lock, study_name),
        "participant": lock.participant.code if lock.participant is not None else None,
        "form": lock.visit,
        "locked_at": audit.timestamp(lock.locked_at),
        "locked_by": lock.locked_by,
        "lock_reason": lock.lock_reason,
        "released_at": audit.timestamp(lock.released_at) if lock.released_at else None,
        "released_by": lock.released_by,
        "release_reason": lock.release_reason,
    }
