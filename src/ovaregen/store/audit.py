"""The audit trail: who changed what, when (UTC), from which value to which, and why.

Every create, update and delete of study data appends one ``AuditEntry`` in the same
transaction as the change. Entries are append-only (database triggers refuse UPDATE and
DELETE) and hash-chained: each entry's SHA-256 covers its content and the previous entry's
hash, and ``audit_head`` holds the last one, so ``verify`` detects an entry changed, removed
from the middle, or removed from the end. Writers lock ``audit_head`` (``FOR UPDATE``;
SQLite's immediate transactions serialise them anyway), which keeps the chain in id order.
Source: 21 CFR Part 11 §11.10(e) and ICH E6(R3) on audit trails.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from ovaregen.store.models import AuditEntry, AuditHead, utc_now

GENESIS_HASH = "0" * 64
"""The previous hash of the first entry."""
VERIFY_BATCH = 5_000


class Action:
    """The kinds of change the trail records."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    IMPORT = "import"
    ALLOCATE = "allocate"
    UNBLIND = "unblind"
    SETUP = "setup"
    EXPORT = "export"


def timestamp(at: datetime) -> str:
    """``at`` as ISO 8601 UTC with microseconds (naive values are taken as UTC)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: AuditEntry) -> str:
    """The SHA-256 of an entry's content and its previous hash."""
    content = {
        "id": entry.id,
        "at": timestamp(entry.at),
        "username": entry.username,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "study": entry.study,
        "participant": entry.participant,
        "changes": entry.changes,
        "reason": entry.reason,
        "previous_hash": entry.previous_hash,
    }
    return hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a recorded value (dates as ISO text)."""
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed (missing = None)."""
    changed: dict[str, list[Any]] = {}
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before != after or type(before) is not type(after):
            if before is None and after is None:
                continue
            changed[key] = [_plain(before), _plain(after)]
    return changed


@dataclass(frozen=True)
class NewEntry:
    """One change to append (``record_many`` numbers, timestamps and chains it)."""

    username: str
    action: str
    entity: str
    entity_id: object
    changes: Mapping[str, Any]
    study: str = ""
    participant: str = ""
    reason: str = ""


def _locked_head(session: Session) -> AuditHead:
    return session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()


def _chained(head: AuditHead, new: NewEntry, at: datetime) -> AuditEntry:
    entry = AuditEntry(
        id=head.last_id + 1,
        at=at,
        username=new.username,
        action=new.action,
        entity=new.entity,
        entity_id=str(new.entity_id),
        study=new.study,
        participant=new.participant,
        changes=_plain(dict(new.changes)),
        reason=new.reason,
        previous_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry)
    head.last_id = entry.id
    head.last_hash = entry.hash
    return entry


def record(
    session: Session,
    *,
    username: str,
    action: str,
    entity: str,
    entity_id: object,
    changes: Mapping[str, Any],
    study: str = "",
    participant: str = "",
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction."""
    head = _locked_head(session)
    new = NewEntry(username, action, entity, entity_id, changes, study, participant, reason)
    entry = _chained(head, new, utc_now())
    session.add(entry)
    session.flush()
    return entry


def record_many(session: Session, entries: Iterable[NewEntry]) -> int:
    """Append ``entries`` in order, inside the caller's transaction, with one lock of the
    head and one multi-row insert (an import's thousands of entries); returns how many."""
    head = _locked_head(session)
    at = utc_now()
    rows = [
        {column.key: getattr(entry, column.key) for column in AuditEntry.__table__.columns}
        for entry in (_chained(head, new, at) for new in entries)
    ]
    if rows:
        session.execute(insert(AuditEntry), rows)
        session.flush()
    return len(rows)


@dataclass(frozen=True)
class ChainProblem:
    """One place where the stored trail does not match its chain."""

    entry_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "chain head"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class Verification:
    entries: int
    problems: tuple[ChainProblem, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def _entries(session: Session) -> Iterator[AuditEntry]:
    last = 0
    while True:
        batch = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.id > last)
                .order_by(AuditEntry.id)
                .limit(VERIFY_BATCH)
            )
            .scalars()
            .all()
        )
        if not batch:
            return
        yield from batch
        last = batch[-1].id
        session.expunge_all()


def verify(session: Session) -> Verification:
    """Recompute the chain; report changed, missing (by id gap or at the end) entries."""
    problems: list[ChainProblem] = []
    previous_hash, previous_id, count = GENESIS_HASH, 0, 0
    for entry in _entries(session):
        count += 1
        if entry.id != previous_id + 1:
            missing = (
                f"{previous_id + 1}"
                if entry.id == previous_id + 2
                else f"{previous_id + 1}–{entry.id - 1}"
            )
            problems.append(ChainProblem(entry.id, f"entries {missing} are missing (deleted)"))
        if entry.previous_hash != previous_hash:
            problems.append(ChainProblem(entry.id, "does not chain to the entry before it"))
        if entry_hash(entry) != entry.hash:
            problems.append(
                ChainProblem(entry.id, "content changed after it was written (hash mismatch)")
            )
        previous_hash, previous_id = entry.hash, entry.id
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    if head is None:
        problems.append(ChainProblem(None, "the chain head is missing"))
    elif head.last_id != previous_id or head.last_hash != previous_hash:
        problems.append(
            ChainProblem(
                None,
                f"the chain ends at entry {previous_id} but the head records entry "
                f"{head.last_id}: entries at the end were deleted or the head was changed",
            )
        )
    return Verification(count, tuple(problems))


@dataclass(frozen=True)
class AuditFilter:
    """Which entries an audit view or export shows (all when empty)."""

    participant: str | None = None
    username: str | None = None
    study: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    hidden_entities: tuple[str, ...] = ()
    """Entities left out (a blinded reader's view leaves the arm-revealing forms out)."""


def filtered(statement: Select[Any], where: AuditFilter) -> Select[Any]:
    """``statement`` restricted to the entries ``where`` selects."""
    if where.participant:
        statement = statement.where(AuditEntry.participant == where.participant)
    if where.username:
        statement = statement.where(AuditEntry.username == where.username)
    if where.study:
        statement = statement.where(AuditEntry.study == where.study)
    if where.since is not None:
        statement = statement.where(AuditEntry.at >= where.since)
    if where.until is not None:
        statement = statement.where(AuditEntry.at <= where.until)
    if where.hidden_entities:
        statement = statement.where(AuditEntry.entity.not_in(where.hidden_entities))
    return statement


def query(
    session: Session, where: AuditFilter, *, limit: int | None = None
) -> Sequence[AuditEntry]:
    """Entries matching ``where``, oldest first."""
    statement = filtered(select(AuditEntry), where).order_by(AuditEntry.id)
    if limit is not None:
        statement = statement.limit(limit)
    return session.execute(statement).scalars().all()
