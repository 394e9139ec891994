"""The audit trail: who changed what, when (UTC), from which value to which, and why.

Every create, update and delete of study data appends one ``AuditEntry`` in the same
transaction as the change. Entries are append-only (database triggers refuse UPDATE and
DELETE) and hash-chained: each entry's SHA-256 covers its content and the previous entry's
hash, and ``audit_head`` holds the last one, so ``verify`` detects an entry changed, removed
from the middle, or removed from the end.

The chain is a single line, so its writers take turns at ``audit_head`` (``FOR UPDATE``;
SQLite's immediate transactions serialise them anyway). To keep that turn short, an entry is
queued when the change is made and chained at the transaction's commit: the head is locked,
the transaction's entries numbered, timestamped (the commit's time, so times rise with ids)
and inserted, and the lock ends with the commit. A savepoint rolled back takes its entries with
it; a transaction rolled back leaves none; a transaction that reads the trail sees its own
entries (they are chained at that read). Locking the head at the first change instead held it
across the whole save and capped a multi-centre server's saves per second at the rate one
transaction at a time could run (``bench/bench_multicentre.py``, docs/benchmarks.md).

A chain alone cannot detect someone who holds the database and rewrites it whole (cuts the
tail and fixes the head, or recomputes every hash after a rewrite); ``verify`` therefore also
checks the chain against ``Mark``s, points of the chain recorded outside the database (the
signed checkpoints of ``store.anchor``).
Source: 21 CFR Part 11 §11.10(e) and ICH E6(R3) on audit trails.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ClauseElement, ColumnElement, Select, event, func, insert, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.util import find_tables

from ovaregen.store.models import AuditEntry, AuditHead, utc_now

GENESIS_HASH = "0" * 64
"""The previous hash of the first entry."""
VERIFY_BATCH = 5_000
_PENDING = "ovaregen_audit_pending"
_MARKS = "ovaregen_audit_savepoints"


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
    return _hash_after(entry, entry.previous_hash)


def _hash_after(entry: AuditEntry, previous_hash: str) -> str:
    """The SHA-256 of an entry's content chained to ``previous_hash``."""
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
        "previous_hash": previous_hash,
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


def _entry(new: NewEntry) -> AuditEntry:
    """A not yet chained entry (no id, time or hashes) of ``new``."""
    return AuditEntry(
        username=new.username,
        action=new.action,
        entity=new.entity,
        entity_id=str(new.entity_id),
        study=new.study,
        participant=new.participant,
        changes=_plain(dict(new.changes)),
        reason=new.reason,
    )


def _chain(head: AuditHead, entry: AuditEntry, at: datetime) -> None:
    """Number, timestamp and hash ``entry`` as the one after ``head``; move the head."""
    entry.id = head.last_id + 1
    entry.at = at
    entry.previous_hash = head.last_hash
    entry.hash = entry_hash(entry)
    head.last_id = entry.id
    head.last_hash = entry.hash


def _pending(session: Session) -> list[AuditEntry]:
    found: list[AuditEntry] = session.info.setdefault(_PENDING, [])
    return found


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
    """Append one entry to the chain when the caller's transaction commits (module
    docstring); its id, time and hashes are set then."""
    new = NewEntry(username, action, entity, entity_id, changes, study, participant, reason)
    entry = _entry(new)
    _pending(session).append(entry)
    return entry


def record_many(session: Session, entries: Iterable[NewEntry]) -> int:
    """Append ``entries`` in order when the caller's transaction commits, with the others of
    that transaction in one multi-row insert (an import's thousands); returns how many."""
    queued = [_entry(new) for new in entries]
    _pending(session).extend(queued)
    return len(queued)


def _chain_pending(session: Session) -> None:
    """At commit: lock the head, chain the transaction's entries in the order they were
    recorded, and insert them — the head is held only from here to the commit."""
    pending = session.info.pop(_PENDING, None)
    session.info.pop(_MARKS, None)
    if not pending:
        return
    head = _locked_head(session)
    at = utc_now()
    for entry in pending:
        _chain(head, entry, at)
    columns = [column.key for column in AuditEntry.__table__.columns]
    session.execute(
        insert(AuditEntry), [{key: getattr(entry, key) for key in columns} for entry in pending]
    )
    session.flush()


def _marked(session: Session, transaction: SessionTransaction) -> None:
    """A savepoint begins: remember how many entries were queued before it."""
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[id(transaction)] = len(_pending(session))


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A rollback: a savepoint's entries go with its changes; the whole transaction's all go."""
    marks: dict[int, int] = session.info.get(_MARKS, {})
    if previous.nested and id(previous) in marks:
        del _pending(session)[marks.pop(id(previous)) :]
    elif not previous.nested and previous.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)


def _read_own_entries(state: ORMExecuteState) -> None:
    """A read of the trail within the transaction sees the transaction's own entries: they
    are chained first (outside a savepoint, whose rollback would take them)."""
    session = state.session
    if (
        state.is_select
        and session.info.get(_PENDING)
        and not session.in_nested_transaction()
        and isinstance(state.statement, ClauseElement)
        and AuditEntry.__table__ in find_tables(state.statement, include_joins=True)
    ):
        _chain_pending(session)


event.listen(Session, "before_commit", _chain_pending)
event.listen(Session, "do_orm_execute", _read_own_entries)
event.listen(Session, "after_transaction_create", _marked)
event.listen(Session, "after_soft_rollback", _rolled_back)


@dataclass(frozen=True)
class ChainProblem:
    """One place where the stored trail does not match its chain (or a mark of it)."""

    entry_id: int | None
    problem: str
    marked: bool = False
    """A disagreement with a ``Mark``: the problem names the mark itself."""

    def __str__(self) -> str:
        if self.marked:
            return self.problem
        where = f"entry {self.entry_id}" if self.entry_id is not None else "chain head"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class Mark:
    """A point of the chain recorded outside the database: after ``entries`` entries the
    last was ``last_id`` and the chain's hash was ``head_hash``; ``label`` names where it
    was recorded ("the checkpoint of 2026-12-01 14:40:00 UTC (file.json)")."""

    entries: int
    last_id: int
    head_hash: str
    label: str


@dataclass(frozen=True)
class Verification:
    entries: int
    problems: tuple[ChainProblem, ...]
    marks_checked: int = 0

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


@dataclass
class _Reached:
    """What the walk found at a mark's last entry: the recomputed hash, entries so far."""

    recomputed: str
    entries: int


def _mark_problems(
    marks: Sequence[Mark], reached: Mapping[int, _Reached], last_id: int
) -> list[ChainProblem]:
    """How the stored trail disagrees with each mark (oldest first): a cut tail, a missing
    entry, a rewrite (even with every later hash recomputed), a wrong count."""
    problems: list[ChainProblem] = []
    good: Mark | None = None
    for mark in sorted(marks, key=lambda m: m.last_id):
        found = reached.get(mark.last_id)
        recorded = f"{mark.label} recorded {mark.entries} entries, up to entry {mark.last_id}"
        if found is None:
            if last_id == 0:
                text = f"every entry is missing (the trail is empty): {recorded}"
            elif last_id < mark.last_id:
                text = f"entries after {last_id} are missing: {recorded}"
            else:
                text = f"entry {mark.last_id} is missing: {recorded}"
            problems.append(ChainProblem(mark.last_id, text, marked=True))
            continue
        if found.recomputed != mark.head_hash:
            since = 1 if good is None else good.last_id + 1
            where = (
                f"an entry among entries {since}–{mark.last_id} was"
                if since < mark.last_id
                else f"entry {mark.last_id} was"
            )
            after_good = "" if good is None else f" ({good.label} matches up to entry {since - 1})"
            problems.append(
                ChainProblem(
                    mark.last_id,
                    f"{where} rewritten, removed or reordered: the chain's hash at entry "
                    f"{mark.last_id} differs from the one {mark.label} recorded{after_good}",
                    marked=True,
                )
            )
            continue
        if found.entries != mark.entries:
            problems.append(
                ChainProblem(
                    mark.last_id,
                    f"{found.entries} entries up to entry {mark.last_id}, but {recorded}",
                    marked=True,
                )
            )
            continue
        good = mark
    return problems


def verify(session: Session, marks: Sequence[Mark] = ()) -> Verification:
    """Recompute the chain; report changed, missing (by id gap or at the end) entries, and
    where the trail disagrees with ``marks`` (points of the chain recorded elsewhere)."""
    problems: list[ChainProblem] = []
    wanted = {mark.last_id for mark in marks}
    reached: dict[int, _Reached] = {0: _Reached(GENESIS_HASH, 0)}  # an empty trail's mark
    previous_hash, previous_id, count = GENESIS_HASH, 0, 0
    recomputed = GENESIS_HASH
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
        recomputed = _hash_after(entry, recomputed)
        if entry.id in wanted:
            reached[entry.id] = _Reached(recomputed, count)
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
    problems.extend(_mark_problems(marks, reached, previous_id))
    return Verification(count, tuple(problems), len(marks))


def head_of(session: Session) -> tuple[int, int, str]:
    """(entries, last id, last hash) of the trail as stored, for a checkpoint of it."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    entries = session.execute(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.id <= head.last_id)
    ).scalar_one()
    return entries, head.last_id, head.last_hash


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
    seen: ColumnElement[bool] | None = None
    """The entries the reader's sites let her see (``clinic.scope.audit_visible``); None:
    every entry (the archive copy on the command line)."""


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
    if where.seen is not None:
        statement = statement.where(where.seen)
    return statement


def query(
    session: Session, where: AuditFilter, *, limit: int | None = None
) -> Sequence[AuditEntry]:
    """Entries matching ``where``, oldest first."""
    statement = filtered(select(AuditEntry), where).order_by(AuditEntry.id)
    if limit is not None:
        statement = statement.limit(limit)
    return session.execute(statement).scalars().all()
