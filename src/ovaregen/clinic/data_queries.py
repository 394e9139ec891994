"""Queries by people: the monitor's query cycle on one value of one form (issue 13 item 2).

The rules, as OpenClinica's discrepancy notes and REDCap's Data Resolution Workflow have them
(ICH E6(R3) §3.11.4 and Appendix B: queries raised, answered and resolved, documented):
- a monitor or data manager (``Permission.RAISE_QUERY``) raises a query on one value of one
  form — a participant, a visit, a field — with a message; the value as it was is kept;
- the site (``Permission.ANSWER_QUERY``) answers with a message and may change the value: the
  change is the ordinary form save (``clinic.enrolment.save_visit``, ``clinic.ecrf``: a reason
  for change, the form's version checked), and the answer keeps the old and the new value;
- the raiser closes the answered query (resolved) or re-opens it with a further message; a
  closed query may be re-opened too. States: open → answered → closed, answered → open,
  closed → open; any other step is refused (``QueryStateError``, 409), as is a step based on
  an older version of the query (``QueryConflictError``, 409);
- every step is a message of the thread (who, role, UTC time, text, value change) and an
  entry of the audit trail (``store.audit.record``, 21 CFR 11.10(e));
- a visit that reveals the arm (``Visit.arm_revealing``) is no visit for a blinded reader
  (``clinic.views``): she can neither raise nor see a query on it;
- raising a computed check (``clinic.queries``) while a query raised from the same check is
  still open or answered gives that query back instead of a second one.

Who may take each step is the routes' access dependency; which women's queries a reader sees
is ``clinic.scope`` (``clinic.query_lists``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ovaregen.clinic import ecrf, enrolment
from ovaregen.clinic.queries import QueryKind
from ovaregen.clinic.scope import visible
from ovaregen.clinic.studies import NotFoundError, StudyError, protocol_of
from ovaregen.clinic.views import Reader, hidden_visits, visit_seen
from ovaregen.domain.protocols import Visit
from ovaregen.io.units import number_text
from ovaregen.store import audit
from ovaregen.store.models import DataQuery, Participant, QueryMessage, Study, utc_now

MESSAGE_LIMIT = 2000
"""The longest message of a thread (characters), as a reason for change."""
ENTITY = "data_query"
"""The audit trail's entity of a query."""


class QueryState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Step(StrEnum):
    """A step of the cycle, kept as a message of the thread."""

    RAISE = "raise"
    ANSWER = "answer"
    CLOSE = "close"
    REOPEN = "reopen"


TRANSITIONS: dict[Step, tuple[frozenset[QueryState], QueryState]] = {
    Step.ANSWER: (frozenset({QueryState.OPEN}), QueryState.ANSWERED),
    Step.CLOSE: (frozenset({QueryState.ANSWERED}), QueryState.CLOSED),
    Step.REOPEN: (frozenset({QueryState.ANSWERED, QueryState.CLOSED}), QueryState.OPEN),
}
"""Each step: the states it may start from and the state it leads to."""


class QueryInputError(ValueError):
    """A field of a query request is wrong (422): ``field`` and why, nothing is saved."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class QueryStateError(StudyError):
    """A step the query's state does not allow (409)."""


class QueryConflictError(StudyError):
    """The query changed since the person opened it (409)."""


@dataclass(frozen=True)
class Raised:
    """The query a raise gave: a new one, or (``already``) the open one of the same check."""

    query: DataQuery
    already: bool = False


def value_shown(value: Any) -> str | None:
    """A saved value as the thread shows it (None: unknown)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number_text(float(value))
    return str(value)


def queried_field(
    study: str, visit_id: str, variable: str, reader: Reader
) -> tuple[Visit, ecrf.Field]:
    """The visit and field a query is about; an unknown one — and an arm-revealing visit for
    a blinded reader, answered alike — is ``QueryInputError``."""
    protocol = protocol_of(study)
    try:
        visit = visit_seen(protocol, visit_id, reader)
    except NotFoundError:
        raise QueryInputError("visit", f"{visit_id!r} is not a visit of study {study}") from None
    fields = ecrf.visit_fields(visit)
    for fld in fields:
        if fld.name == variable:
            return visit, fld
    raise QueryInputError(
        "variable",
        f"{variable!r} is not a field of the {visit.label} form; expected one of "
        + ", ".join(f.name for f in fields),
    )


def _message(text: str | None, *, required: bool, default: str = "") -> str:
    message = (text or "").strip()
    if not message and required:
        raise QueryInputError("message", "empty; write what is to be checked or answered")
    if len(message) > MESSAGE_LIMIT:
        raise QueryInputError(
            "message", f"{len(message)} characters; at most {MESSAGE_LIMIT} are kept"
        )
    return message or default


def _check_kind(text: str) -> str:
    if not text:
        return ""
    try:
        return QueryKind(text).value
    except ValueError:
        raise QueryInputError(
            "check",
            f"{text!r} is not a kind of computed check; expected one of "
            + ", ".join(k.value for k in QueryKind),
        ) from None


def _saved_value(session: Session, participant: Participant, visit: str, variable: str) -> Any:
    entry = ecrf.form_entry(session, participant, visit)
    return (entry.data or {}).get(variable) if entry is not None else None


def _thread_step(
    session: Session,
    query: DataQuery,
    step: Step,
    reader: Reader,
    text: str,
    change: tuple[str | None, str | None] | None = None,
) -> QueryMessage:
    message = QueryMessage(
        query_id=query.id,
        action=step.value,
        username=reader.username,
        role=reader.role,
        at=utc_now(),
        text=text,
        value_changed=change is not None,
        old_value=change[0] if change else None,
        new_value=change[1] if change else None,
    )
    session.add(message)
    return message


def open_from_check(
    session: Session, participant: Participant, visit: str, variable: str, check: str
) -> DataQuery | None:
    """The query raised from computed check ``check`` on this value, still open or answered."""
    return session.execute(
        select(DataQuery)
        .where(
            DataQuery.participant_id == participant.id,
            DataQuery.visit == visit,
            DataQuery.variable == variable,
            DataQuery.from_check == check,
            DataQuery.state != QueryState.CLOSED.value,
        )
        .order_by(DataQuery.id)
        .limit(1)
    ).scalar_one_or_none()


def raise_query(
    session: Session,
    participant: Participant,
    *,
    visit: str,
    variable: str,
    message: str | None,
    reader: Reader,
    from_check: str = "",
) -> Raised:
    """Open a query on one value (module docstring), audited; the open one of the same check
    when there is one."""
    schedule_visit, fld = queried_field(participant.study.name, visit, variable, reader)
    check = _check_kind(from_check)
    text = _message(message, required=True)
    if check:
        already = open_from_check(session, participant, schedule_visit.id, fld.name, check)
        if already is not None:
            return Raised(already, already=True)
    now = utc_now()
    shown = value_shown(_saved_value(session, participant, schedule_visit.id, fld.name))
    query = DataQuery(
        participant_id=participant.id,
        visit=schedule_visit.id,
        variable=fld.name,
        value_when_raised=shown,
        from_check=check,
        state=QueryState.OPEN.value,
        raised_by=reader.username,
        raised_at=now,
        last_action_at=now,
    )
    session.add(query)
    session.flush()
    _thread_step(session, query, Step.RAISE, reader, text)
    audit.record(
        session,
        username=reader.username,
        action=audit.Action.CREATE,
        entity=ENTITY,
        entity_id=query.id,
        study=participant.study.name,
        participant=participant.code,
        changes={
            "state": [None, QueryState.OPEN.value],
            "field": [None, f"{schedule_visit.id}.{fld.name}"],
            "value_when_raised": [None, shown],
            "from_check": [None, check],
            "message": [None, text],
        },
        reason=text,
    )
    return Raised(query)


def _may_step(query: DataQuery, step: Step, expected_version: int) -> QueryState:
    """The state ``step`` leads to; ``QueryStateError`` when the query's state does not allow
    it, ``QueryConflictError`` when the person's version is not the saved one."""
    starts, leads_to = TRANSITIONS[step]
    state = QueryState(query.state)
    if state not in starts:
        allowed = " or ".join(sorted(s.value for s in starts))
        raise QueryStateError(
            f"query {query.id} is {state.value}: it cannot be {_DONE[step]} "
            f"(only a query that is {allowed} can)"
        )
    if expected_version != query.version:
        raise QueryConflictError(
            f"query {query.id} was changed after you opened it (now version {query.version}, "
            f"you had version {expected_version}); nothing was saved: reload it and try again"
        )
    return leads_to


_DONE = {Step.ANSWER: "answered", Step.CLOSE: "closed", Step.REOPEN: "re-opened"}


def _advance(
    session: Session,
    query: DataQuery,
    step: Step,
    reader: Reader,
    text: str,
    *,
    expected_version: int,
    change: tuple[str | None, str | None] | None = None,
) -> DataQuery:
    """Move the query by ``step``: its new state, a message of the thread, an audit entry."""
    leads_to = _may_step(query, step, expected_version)
    before = query.state
    query_id, version = query.id, query.version
    try:
        with session.begin_nested():
            query.state = leads_to.value
            query.last_action_at = utc_now()
            session.flush()
    except StaleDataError:
        raise QueryConflictError(
            f"query {query_id} was changed by someone else while you saved (you had version "
            f"{version}); nothing was saved: reload it and try again"
        ) from None
    _thread_step(session, query, step, reader, text, change)
    changes: dict[str, list[Any]] = {
        "state": [before, leads_to.value],
        "message": [None, text],
    }
    if change is not None:
        changes[f"{query.visit}.{query.variable}"] = [change[0], change[1]]
    audit.record(
        session,
        username=reader.username,
        action=audit.Action.UPDATE,
        entity=ENTITY,
        entity_id=query.id,
        study=query.participant.study.name,
        participant=query.participant.code,
        changes=changes,
        reason=text,
    )
    return query


@dataclass(frozen=True)
class NewValue:
    """The value an answer sets: the text typed, its unit, the form's version opened and the
    reason for the change (``clinic.ecrf``)."""

    text: str | None
    unit: str | None = None
    form_version: int | None = None
    reason: str = ""


def answer_query(
    session: Session,
    query: DataQuery,
    *,
    message: str | None,
    reader: Reader,
    expected_version: int,
    new_value: NewValue | None = None,
) -> DataQuery:
    """The site's answer, changing the value through the form save when ``new_value`` is
    given and differs from the saved one (old and new kept in the thread)."""
    _may_step(query, Step.ANSWER, expected_version)
    text = _message(message, required=True)
    change = None
    if new_value is not None:
        participant = query.participant
        visit, fld = queried_field(participant.study.name, query.visit, query.variable, reader)
        try:
            value, _warning = ecrf.parse_value(fld, new_value.text, new_value.unit)
        except ValueError as error:
            raise QueryInputError("value", f"{fld.variable.description}: {error}") from None
        old = _saved_value(session, participant, visit.id, fld.name)
        if value != old:
            enrolment.save_visit(
                session,
                participant,
                visit.id,
                {fld.name: value},
                username=reader.username,
                expected_version=new_value.form_version,
                reason=new_value.reason,
            )
            change = (value_shown(old), value_shown(value))
    return _advance(
        session,
        query,
        Step.ANSWER,
        reader,
        text,
        expected_version=expected_version,
        change=change,
    )


def close_query(
    session: Session,
    query: DataQuery,
    *,
    message: str | None,
    reader: Reader,
    expected_version: int,
) -> DataQuery:
    """The raiser accepts the answer: the query is closed (resolved)."""
    text = _message(message, required=False, default="closed: answer accepted")
    return _advance(session, query, Step.CLOSE, reader, text, expected_version=expected_version)


def reopen_query(
    session: Session,
    query: DataQuery,
    *,
    message: str | None,
    reader: Reader,
    expected_version: int,
) -> DataQuery:
    """The raiser is not satisfied (or a closed query needs another look): open again, with a
    message saying why."""
    _may_step(query, Step.REOPEN, expected_version)
    text = _message(message, required=True)
    return _advance(session, query, Step.REOPEN, reader, text, expected_version=expected_version)


def query_seen(session: Session, study: Study, query_id: int, reader: Reader) -> DataQuery:
    """One query of ``study`` the reader sees: of a woman of her sites (``clinic.scope``), on
    a visit she may see; any other is "no query" (404), as an unknown id is."""
    found = session.execute(
        select(DataQuery)
        .join(Participant, Participant.id == DataQuery.participant_id)
        .where(
            DataQuery.id == query_id,
            Participant.study_id == study.id,
            visible(study, reader.access),
        )
    ).scalar_one_or_none()
    if found is None or found.visit in hidden_visits(study.name, reader):
        raise NotFoundError(f"no query {query_id} in study {study.name}")
    return found


def thread_of(session: Session, query: DataQuery) -> list[QueryMessage]:
    """The query's messages, first to last."""
    return list(
        session.execute(
            select(QueryMessage)
            .where(QueryMessage.query_id == query.id)
            .order_by(QueryMessage.at, QueryMessage.id)
        ).scalars()
    )
