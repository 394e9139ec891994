"""Checking a stored allocation list against its seed: regenerate every stratum and compare.

Given the seed from the receipt of its maker (``clinic.list_seed``), :func:`verify_list`
checks that the seed is the one the database committed to, that the late-strata key in the
database is the one the seed derives, and that every stored stratum's slots — sequence, block
and arm — are exactly what the seed (strata made at set-up) or the late-strata key (strata of
sites added later) generates (``clinic.randomisation.stratum_list``). A slot changed, added,
removed or moved between strata shows as a stratum that matches neither, with the first
sequence where it differs. Allocations imported with their arm (the ``imported`` stratum,
``clinic.importing``) were not made from the list and are counted, not checked. The answer
names no arm: it is safe to show a blinded reader.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic.importing import IMPORTED_STRATUM
from ovaregen.clinic.list_seed import late_strata_key, matches
from ovaregen.clinic.randomisation import (
    PlannedSlot,
    arm_ids,
    list_of,
    parse_block_sizes,
    stratum_list,
)
from ovaregen.clinic.studies import StudyError, protocol_of
from ovaregen.store.models import AllocationSlot, Study

SET_UP = "seed"
LATER = "late-strata key"


@dataclass(frozen=True)
class StratumCheck:
    """One stratum: how many slots, what it was generated from (None: from neither), and the
    first sequence that differs from the seed's list (None when it matches)."""

    stratum: str
    slots: int
    derived_from: str | None
    first_difference: int | None


@dataclass(frozen=True)
class ListCheck:
    """The outcome of checking a study's list against a seed."""

    study: str
    seed_matches: bool
    late_key_matches: bool
    strata: tuple[StratumCheck, ...]
    imported: int = 0
    """Allocations imported with their arm: not from the list, not checked."""

    @property
    def ok(self) -> bool:
        return (
            self.seed_matches
            and self.late_key_matches
            and all(s.derived_from is not None for s in self.strata)
        )

    def lines(self) -> list[str]:
        """The outcome as text, one line per finding, the verdict first."""
        if not self.seed_matches:
            return [
                f"{self.study}: NOT VERIFIED: this seed is not the list's (its SHA-256 differs "
                "from the commitment stored when the list was made)"
            ]
        bad = [s for s in self.strata if s.derived_from is None]
        slots = sum(s.slots for s in self.strata)
        if self.ok:
            later = sum(1 for s in self.strata if s.derived_from == LATER)
            added = f", {later} added later for new sites" if later else ""
            imported = (
                f" ({self.imported} allocations imported with their arm are not from the list)"
                if self.imported
                else ""
            )
            return [
                f"{self.study}: list verified: {len(self.strata)} strata{added}, {slots} slots, "
                f"each exactly as the seed generates it{imported}"
            ]
        lines = [f"{self.study}: NOT VERIFIED: the stored list differs from what the seed makes"]
        if not self.late_key_matches:
            lines.append("the late-strata key stored is not the one the seed derives")
        lines += [
            f"stratum {s.stratum}: differs from sequence {s.first_difference} on "
            f"({s.slots} slots stored)"
            for s in bad
        ]
        return lines


def verify_list(session: Session, study: Study, seed: bytes) -> ListCheck:
    """Check the study's stored list against ``seed`` (StudyError when there is no list)."""
    randomisation = list_of(session, study)
    if randomisation is None:
        raise StudyError(f"study {study.name} has no allocation list: there is nothing to verify")
    if not matches(seed, randomisation.seed_sha256):
        return ListCheck(study.name, False, False, ())
    late_key = late_strata_key(seed)
    key_matches = hmac.compare_digest(late_key.hex(), randomisation.late_strata_key_hex.lower())
    arms = arm_ids(protocol_of(study.name))
    sizes = parse_block_sizes(randomisation.block_sizes, len(arms))
    stored = _stored_strata(session, study)
    imported = len(stored.pop(IMPORTED_STRATUM, []))
    checks = []
    for stratum, slots in stored.items():
        count = randomisation.slots_per_stratum
        from_seed = stratum_list(seed, stratum, arms, sizes, count)
        if _same(slots, from_seed):
            checks.append(StratumCheck(stratum, len(slots), SET_UP, None))
        elif _same(slots, stratum_list(late_key, stratum, arms, sizes, count)):
            checks.append(StratumCheck(stratum, len(slots), LATER, None))
        else:
            checks.append(
                StratumCheck(stratum, len(slots), None, _first_difference(slots, from_seed))
            )
    return ListCheck(study.name, True, key_matches, tuple(checks), imported)


_Slot = tuple[int, int, str]


def _stored_strata(session: Session, study: Study) -> dict[str, list[_Slot]]:
    rows = session.execute(
        select(
            AllocationSlot.stratum,
            AllocationSlot.sequence,
            AllocationSlot.block,
            AllocationSlot.arm,
        )
        .where(AllocationSlot.study_id == study.id)
        .order_by(AllocationSlot.stratum, AllocationSlot.sequence)
    )
    strata: dict[str, list[_Slot]] = {}
    for stratum, sequence, block, arm in rows:
        strata.setdefault(stratum, []).append((int(sequence), int(block), str(arm)))
    return strata


def _same(stored: Sequence[_Slot], planned: Sequence[PlannedSlot]) -> bool:
    return len(stored) == len(planned) and all(
        slot == (plan.sequence, plan.block, plan.arm)
        for slot, plan in zip(stored, planned, strict=True)
    )


def _first_difference(stored: Sequence[_Slot], planned: Sequence[PlannedSlot]) -> int:
    for index, (slot, plan) in enumerate(zip(stored, planned, strict=False)):
        if slot != (plan.sequence, plan.block, plan.arm):
            return index + 1
    return min(len(stored), len(planned)) + 1
