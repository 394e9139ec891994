"""What a reader may see of the study record: the one place where the blind is applied to a
view (DESIGN.md "The study record"; INTERCHANGE.md "Blinding").

A blinded reader's view of two women who differ only in their arm is the same view:
- arms are read through ``clinic.blinding`` only;
- a visit that reveals the arm (``Visit.arm_revealing``: in Study C the cell injection, which
  only one arm has) does not exist for a blinded reader — not in the schedule, not as a page
  or API answer (the same "no such visit" as for an unknown id), not in the queries;
- its audit entries are left out of the trail, and arm-revealing values are removed from any
  other entry (an import records every value of a woman in one entry);
- exports leave the arm and the arm-revealing columns out (``clinic.exchange``).

Routes build every view of study data through these functions, with the reader their access
dependency gives them; which women a reader sees at all (her sites) is ``clinic.scope``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic.roles import Permission, Role, is_blinded, may
from ovaregen.clinic.scope import EVERYWHERE, NOWHERE, Access
from ovaregen.clinic.studies import NotFoundError, protocol_of
from ovaregen.domain.protocols import PROTOCOL_NAMES, Protocol, Visit
from ovaregen.store.models import AuditEntry, FormEntry, Participant


@dataclass(frozen=True)
class Reader:
    """Who is looking: her role where she looks (what she may do; ``roles`` when she holds
    several there, ``role`` naming them) and her grants (which women she sees,
    ``clinic.scope``; none unless given: she then sees no woman). She is blinded unless
    every role she holds there sees the arm."""

    username: str
    role: str
    access: Access = field(default=NOWHERE)
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def held(self) -> frozenset[str]:
        return self.roles or frozenset({self.role})

    @property
    def blinded(self) -> bool:
        return any(is_blinded(role) for role in self.held)

    def may(self, permission: Permission) -> bool:
        return any(may(role, permission) for role in self.held)


def archive_reader(username: str) -> Reader:
    """Whoever holds the data folder on the command line: the audit trail's archive copy is
    complete (ICH E6(R3) §4.2.1; the database itself holds it whole)."""
    return Reader(username, Role.STATISTICIAN.value, EVERYWHERE)


def schedule_seen(protocol: Protocol, reader: Reader) -> tuple[Visit, ...]:
    """The visits of the schedule the reader may see, in schedule order."""
    return tuple(v for v in protocol.schedule if not (v.arm_revealing and reader.blinded))


def visit_seen(protocol: Protocol, visit_id: str, reader: Reader) -> Visit:
    """One visit the reader may see; an arm-revealing visit is unknown to a blinded reader."""
    for visit in schedule_seen(protocol, reader):
        if visit.id == visit_id:
            return visit
    raise NotFoundError(f"study {protocol.name} has no visit {visit_id!r}")


def visit_permission(protocol: Protocol, visit_id: str) -> Permission:
    """What saving a visit takes: the treatment team's for an arm-revealing visit."""
    visit = next((v for v in protocol.schedule if v.id == visit_id), None)
    return Permission.TREAT if visit is not None and visit.arm_revealing else Permission.ENTER_DATA


def forms_seen(session: Session, participant: Participant, reader: Reader) -> dict[str, FormEntry]:
    """The participant's saved forms by visit, those the reader may see."""
    hidden = hidden_visits(participant.study.name, reader)
    rows = session.execute(select(FormEntry).where(FormEntry.participant_id == participant.id))
    return {entry.visit: entry for entry in rows.scalars() if entry.visit not in hidden}


def hidden_visits(study: str, reader: Reader) -> frozenset[str]:
    """The visit ids of ``study`` a reader may not see."""
    if not reader.blinded:
        return frozenset()
    return frozenset(v.id for v in protocol_of(study).schedule if v.arm_revealing)


@cache
def _revealing() -> tuple[frozenset[str], frozenset[str]]:
    """Audit entities (``form:<visit>``) and field names that reveal an arm, any study."""
    entities: set[str] = set()
    fields: set[str] = set()
    for name in PROTOCOL_NAMES:
        protocol = protocol_of(name)
        for visit in protocol.schedule:
            if visit.arm_revealing:
                entities.add(f"form:{visit.id}")
                fields |= {f"{visit.id}.{record}" for record in visit.records}
        fields |= set(protocol.arm_revealing)
    return frozenset(entities), frozenset(fields)


def hidden_entities(reader: Reader) -> tuple[str, ...]:
    """Audit entities a reader may not see (the arm-revealing visits' forms)."""
    return tuple(sorted(_revealing()[0])) if reader.blinded else ()


def changes_seen(entry: AuditEntry, reader: Reader) -> Mapping[str, Any]:
    """An audit entry's changes without the arm-revealing fields, for a blinded reader."""
    if not reader.blinded:
        return entry.changes
    fields = _revealing()[1]
    return {k: v for k, v in entry.changes.items() if k not in fields}


def hash_seen(entry: AuditEntry, reader: Reader) -> str:
    """An entry's chain hash, for an unblinded reader only: with the previous entry's hash a
    blinded reader could test guesses of the arm-revealing values removed from an entry. The
    chain is checked whole by ``audit verify`` for everyone."""
    return "" if reader.blinded else entry.hash


def queried_visits(protocol: Protocol) -> Sequence[Visit]:
    """The visits whose missing values are queried: not the arm-revealing ones, whose empty
    form is how the other arm looks (a query would tell which women had no injection)."""
    return tuple(v for v in protocol.schedule if not v.arm_revealing)
