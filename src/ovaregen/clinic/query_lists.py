"""Lists of the queries people raised (``clinic.data_queries``): per study, per site, per
participant, per form — only those a reader may see.

The rules:
- a reader sees the queries of the women of her sites (``clinic.scope``): another site's
  query is never listed nor counted;
- a query on a visit a blinded reader may not see (``Visit.arm_revealing``, ``clinic.views``)
  is neither listed nor counted for her;
- ages are whole days (UTC) since the query was raised and since its last step, as
  OpenClinica's "days open" and "days since updated" columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ovaregen.clinic.data_queries import QueryState
from ovaregen.clinic.scope import visible
from ovaregen.clinic.studies import protocol_of
from ovaregen.clinic.views import Reader, hidden_visits
from ovaregen.domain.variables import variable as dictionary_variable
from ovaregen.store import audit
from ovaregen.store.models import DataQuery, Participant, QueryMessage, Site, Study


def days_between(at: datetime, today: date) -> int:
    """Whole days from ``at`` (its UTC date) to ``today``."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return (today - aware.astimezone(UTC).date()).days


def _description(name: str) -> str:
    try:
        return dictionary_variable(name).description
    except KeyError:
        return name


@dataclass(frozen=True)
class QueryRow:
    """One query as a list shows it."""

    id: int
    version: int
    participant: str
    site: str
    visit: str
    visit_label: str
    variable: str
    description: str
    state: QueryState
    from_check: str
    value_when_raised: str | None
    raised_by: str
    raised_at: datetime
    last_action_at: datetime
    days_open: int
    days_since_last_action: int
    last_message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "participant": self.participant,
            "site": self.site,
            "visit": self.visit,
            "variable": self.variable,
            "description": self.description,
            "state": self.state.value,
            "from_check": self.from_check,
            "value_when_raised": self.value_when_raised,
            "raised_by": self.raised_by,
            "raised_at": audit.timestamp(self.raised_at),
            "last_action_at": audit.timestamp(self.last_action_at),
            "days_open": self.days_open,
            "days_since_last_action": self.days_since_last_action,
            "last_message": self.last_message,
        }


def _seen(study: Study, reader: Reader) -> list[ColumnElement[bool]]:
    """The conditions on ``DataQuery`` (joined to ``Participant``) of the queries she sees."""
    conditions = [Participant.study_id == study.id, visible(study, reader.access)]
    hidden = hidden_visits(study.name, reader)
    if hidden:
        conditions.append(DataQuery.visit.not_in(sorted(hidden)))
    return conditions


def _last_messages(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    last: dict[int, str] = {}
    for query_id, text in session.execute(
        select(QueryMessage.query_id, QueryMessage.text)
        .where(QueryMessage.query_id.in_(wanted))
        .order_by(QueryMessage.at, QueryMessage.id)
    ):
        last[int(query_id)] = text
    return last


def queries_raised(
    session: Session,
    study: Study,
    reader: Reader,
    *,
    state: QueryState | None = None,
    site: str | None = None,
    participant: Participant | None = None,
    query: DataQuery | None = None,
    today: date | None = None,
) -> list[QueryRow]:
    """The raised queries of ``study`` the reader sees, oldest first, filtered."""
    conditions = _seen(study, reader)
    if query is not None:
        conditions.append(DataQuery.id == query.id)
    if state is not None:
        conditions.append(DataQuery.state == state.value)
    if site:
        conditions.append(Site.code == site)
    if participant is not None:
        conditions.append(DataQuery.participant_id == participant.id)
    rows = session.execute(
        select(DataQuery, Participant.code, Site.code)
        .join(Participant, Participant.id == DataQuery.participant_id)
        .join(Site, Site.id == Participant.site_id)
        .where(*conditions)
        .order_by(DataQuery.raised_at, DataQuery.id)
    ).all()
    labels = {v.id: v.label for v in protocol_of(study.name).schedule}
    last = _last_messages(session, (found.id for found, _, _ in rows))
    day = today or datetime.now(UTC).date()
    return [
        QueryRow(
            id=found.id,
            version=found.version,
            participant=code,
            site=site_code,
            visit=found.visit,
            visit_label=labels.get(found.visit, found.visit),
            variable=found.variable,
            description=_description(found.variable),
            state=QueryState(found.state),
            from_check=found.from_check,
            value_when_raised=found.value_when_raised,
            raised_by=found.raised_by,
            raised_at=found.raised_at,
            last_action_at=found.last_action_at,
            days_open=days_between(found.raised_at, day),
            days_since_last_action=days_between(found.last_action_at, day),
            last_message=last.get(found.id, ""),
        )
        for found, code, site_code in rows
    ]


def state_counts(rows: Iterable[QueryRow]) -> dict[QueryState, int]:
    """How many of ``rows`` are in each state (every state named, zero included)."""
    counts = dict.fromkeys(QueryState, 0)
    for row in rows:
        counts[row.state] += 1
    return counts


def participant_counts(
    session: Session, participant: Participant, reader: Reader
) -> dict[QueryState, int]:
    """Her queries by state, those the reader sees (the participant page's panel)."""
    return state_counts(queries_raised(session, participant.study, reader, participant=participant))


def field_markers(
    session: Session, participant: Participant, visit: str, reader: Reader
) -> Mapping[str, list[tuple[int, str]]]:
    """Field name → (query id, state) of the form's queries not closed, for the marker
    beside each queried field."""
    if visit in hidden_visits(participant.study.name, reader):
        return {}
    found: dict[str, list[tuple[int, str]]] = {}
    for query_id, name, state in session.execute(
        select(DataQuery.id, DataQuery.variable, DataQuery.state)
        .where(
            DataQuery.participant_id == participant.id,
            DataQuery.visit == visit,
            DataQuery.state != QueryState.CLOSED.value,
        )
        .order_by(DataQuery.id)
    ):
        found.setdefault(name, []).append((int(query_id), state))
    return found


def raised_from_checks(
    session: Session, study: Study, reader: Reader
) -> dict[tuple[str, str, str, str], int]:
    """(participant code, visit, variable, check kind) → the query raised from that computed
    check and not closed: the computed-checks list links to it instead of raising again."""
    rows = session.execute(
        select(
            DataQuery.id,
            Participant.code,
            DataQuery.visit,
            DataQuery.variable,
            DataQuery.from_check,
        )
        .join(Participant, Participant.id == DataQuery.participant_id)
        .where(
            *_seen(study, reader),
            DataQuery.from_check != "",
            DataQuery.state != QueryState.CLOSED.value,
        )
        .order_by(DataQuery.id)
    )
    found: dict[tuple[str, str, str, str], int] = {}
    for query_id, code, visit, name, check in rows:
        found.setdefault((code, visit, name, check), int(query_id))
    return found
