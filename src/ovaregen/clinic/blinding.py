"""The blind: the one function through which an allocated arm leaves the database.

Blinded roles (everyone but the unblinded statistician, ``clinic.roles``) see an allocation as
its neutral code (``R-…``) and time; the arm is added only for a role holding
``Permission.SEE_ARM``. Pages, API, exports, dashboards and the audit view all read allocations
through ``allocation_of``/``arms_by_participant``, never the table directly. Emergency
unblinding (``clinic.randomisation``) reveals one arm to one investigator, once, logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.store.audit import timestamp
from ovaregen.store.models import AllocationSlot, Participant


@dataclass(frozen=True)
class AllocationView:
    """An allocation as a given role may see it: ``arm`` is None when blinded."""

    code: str
    allocated_at: datetime | None
    allocated_by: str | None
    arm: str | None

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "code": self.code,
            "allocated_at": timestamp(self.allocated_at) if self.allocated_at else None,
            "allocated_by": self.allocated_by,
        }
        if self.arm is not None:
            shown["arm"] = self.arm
        return shown


def _view(slot: AllocationSlot, *, blinded: bool) -> AllocationView:
    return AllocationView(
        slot.code, slot.allocated_at, slot.allocated_by, None if blinded else slot.arm
    )


def allocation_of(
    session: Session, participant: Participant, *, blinded: bool
) -> AllocationView | None:
    """The participant's allocation as the role may see it (None when not randomised)."""
    slot = session.execute(
        select(AllocationSlot).where(AllocationSlot.participant_id == participant.id)
    ).scalar_one_or_none()
    return _view(slot, blinded=blinded) if slot else None


def allocations_of(
    session: Session, participant_ids: Iterable[int], *, blinded: bool
) -> dict[int, AllocationView]:
    """Allocations of many participants at once, by participant id."""
    ids = list(participant_ids)
    if not ids:
        return {}
    slots = session.execute(
        select(AllocationSlot).where(AllocationSlot.participant_id.in_(ids))
    ).scalars()
    return {
        slot.participant_id: _view(slot, blinded=blinded)
        for slot in slots
        if slot.participant_id is not None
    }


def arms_by_participant(session: Session, study_id: int, *, blinded: bool) -> dict[int, str]:
    """Arm per participant id for an unblinded reader; an empty mapping for a blinded one."""
    if blinded:
        return {}
    rows = session.execute(
        select(AllocationSlot.participant_id, AllocationSlot.arm).where(
            AllocationSlot.study_id == study_id, AllocationSlot.participant_id.is_not(None)
        )
    )
    return {int(pid): arm for pid, arm in rows if pid is not None}
