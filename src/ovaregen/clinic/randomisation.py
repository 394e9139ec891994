"""Randomisation: the concealed allocation list and allocation exactly once.

Design after clinicedc edc-randomization: the list is generated once per study, before the
first allocation, as permuted blocks within strata (site × levels of the stratification
factors), 1:1 between the protocol's arms (ICH E9 §2.3.2). Each stratum's list is drawn from
its own generator, seeded with HMAC-SHA256(list seed, stratum key), so it is reproducible from
the seed alone and independent of the other strata. The seed is not stored: the database keeps
its SHA-256 commitment, and the seed is given once, as a receipt, to whoever makes the list
(:func:`create_list`; ``clinic.list_seed``), who can later regenerate the list and compare it
with the stored slots (``clinic.list_check``). A site added later gets its strata at its first
allocation from the late-strata key, which the seed derives and the database keeps. Every slot
carries a neutral code (``R-…``), the only thing a blinded role sees of an allocation
(``clinic.blinding``).

An allocation takes the lowest free slot of the participant's stratum inside one transaction
that first locks the study's list row (PostgreSQL ``SELECT … FOR UPDATE``; SQLite transactions
are ``BEGIN IMMEDIATE``), so concurrent requests are served one after the other and no slot is
given twice; the unique constraint on the slot's participant is the last line of defence.
Emergency unblinding is ``clinic.unblinding``; the confirmation asked before an allocation is
``clinic.allocation_confirmation``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ovaregen.clinic import ecrf, flow, locks
from ovaregen.clinic.blinding import AllocationView, allocation_of
from ovaregen.clinic.list_seed import SEED_BYTES, commitment, late_strata_key, receipt
from ovaregen.clinic.studies import StudyError, protocol_of
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import Kind, variable
from ovaregen.store import audit
from ovaregen.store.models import (
    AllocationSlot,
    Participant,
    RandomisationList,
    Site,
    Study,
    utc_now,
)

DEFAULT_BLOCK_SIZES = "2,4,6"
"""Block sizes offered by default (each a multiple of the number of arms)."""
DEFAULT_SLOTS_PER_STRATUM = 100
"""Slots per stratum when the study has no target enrolment."""
MAX_SLOTS_PER_STRATUM = 10_000
MAX_BLOCK_SIZE = 60
SCREENING_VISIT = "screening"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Neutral allocation codes avoid look-alike characters (no I, L, O, 0, 1)."""
CODE_LENGTH = 6
STRATUM_KEY_LENGTH = 200


@dataclass(frozen=True)
class Factor:
    """A stratification factor: a screening variable and the levels it stratifies by."""

    name: str
    levels: tuple[str, ...]


@dataclass(frozen=True)
class PlannedSlot:
    """One slot of a stratum's list before it is stored."""

    sequence: int
    block: int
    arm: str


@dataclass(frozen=True)
class Allocation:
    """The result of an allocation request: the view the caller may see, and whether new."""

    view: AllocationView
    created: bool


@dataclass(frozen=True)
class NewList:
    """A list just made, with its seed: given once to whoever made it, never stored."""

    randomisation: RandomisationList
    seed: bytes
    receipt: str
    """The seed receipt (JSON) to keep apart from the server (``clinic.list_seed``)."""


@dataclass(frozen=True)
class StratumUse:
    """How far a stratum's list is used."""

    stratum: str
    slots: int
    used: int


# ---- set-up --------------------------------------------------------------------------------


def arm_ids(protocol: Protocol) -> tuple[str, ...]:
    """The protocol's arms, in protocol order."""
    return tuple(arm.id for arm in protocol.arms)


def parse_block_sizes(text: str, arms: int) -> tuple[int, ...]:
    """Block sizes from ``"2,4,6"``: whole numbers, each a multiple of the number of arms."""
    sizes: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if not part.isdigit() or not 0 < int(part) <= MAX_BLOCK_SIZE or int(part) % arms:
            raise StudyError(
                f"block size {part!r} is not valid: expected a whole number up to "
                f"{MAX_BLOCK_SIZE} that is a multiple of the {arms} arms (e.g. {arms}, {2 * arms})"
            )
        if int(part) not in sizes:
            sizes.append(int(part))
    if not sizes:
        raise StudyError(f"block sizes are missing: expected e.g. {DEFAULT_BLOCK_SIZES!r}")
    return tuple(sorted(sizes))


def parse_factors(text: str, protocol: Protocol) -> tuple[Factor, ...]:
    """Stratification factors from ``"married,menses"``: boolean or choice screening variables."""
    screening = ecrf.visit_of(protocol, SCREENING_VISIT).records
    factors: list[Factor] = []
    for name in (p.strip() for p in text.split(",")):
        if not name or name in (f.name for f in factors):
            continue
        try:
            var = variable(name)
        except KeyError:
            raise StudyError(
                f"stratification factor {name!r} is not a variable of the data dictionary"
            ) from None
        if var.kind not in (Kind.BOOLEAN, Kind.CHOICE):
            raise StudyError(
                f"stratification factor {name!r} is a {var.kind.value} variable: "
                "expected a boolean or choice variable"
            )
        if name not in screening:
            raise StudyError(
                f"stratification factor {name!r} is not recorded at {protocol.name}'s "
                "screening visit: expected one of its boolean or choice variables"
            )
        levels = ("true", "false") if var.kind is Kind.BOOLEAN else tuple(var.choices)
        factors.append(Factor(name, levels))
    return tuple(factors)


def stratum_key(site_code: str, levels: Iterable[tuple[str, str]]) -> str:
    """A stratum's key: ``MAD1`` or ``MAD1|married=true|menses=regular``."""
    return "|".join([site_code, *(f"{name}={level}" for name, level in levels)])


def strata_of(site_codes: Iterable[str], factors: Sequence[Factor]) -> list[str]:
    """Every stratum: each site × each combination of factor levels."""
    combinations = list(itertools.product(*(f.levels for f in factors)))
    return [
        stratum_key(site, zip((f.name for f in factors), combination, strict=True))
        for site in site_codes
        for combination in combinations
    ]


def stratum_generator(seed: bytes, stratum: str) -> np.random.Generator:
    """The stratum's own generator: seeded by HMAC-SHA256(list seed, stratum key)."""
    digest = hmac.new(seed, stratum.encode("utf-8"), hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


def stratum_list(
    seed: bytes, stratum: str, arms: Sequence[str], block_sizes: Sequence[int], slots: int
) -> list[PlannedSlot]:
    """A stratum's ``slots`` slots in permuted blocks, each block balanced between the arms.

    Block sizes are drawn at random from ``block_sizes`` (a list ending mid-block keeps only
    the first slots of its last block). Same seed and stratum → same list.
    """
    rng = stratum_generator(seed, stratum)
    planned: list[PlannedSlot] = []
    block = 0
    while len(planned) < slots:
        block += 1
        size = int(rng.choice(np.asarray(block_sizes)))
        order = rng.permutation(np.repeat(np.arange(len(arms)), size // len(arms)))
        for index in order[: slots - len(planned)]:
            planned.append(PlannedSlot(len(planned) + 1, block, arms[int(index)]))
    return planned


def _codes(session: Session, count: int) -> list[str]:
    """``count`` new neutral codes, unique among themselves and every stored code."""
    taken = set(session.execute(select(AllocationSlot.code)).scalars())
    fresh: list[str] = []
    while len(fresh) < count:
        code = "R-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            fresh.append(code)
    return fresh


def _store_strata(
    session: Session,
    study: Study,
    randomisation: RandomisationList,
    strata: Sequence[str],
    key: bytes,
) -> int:
    """Generate from ``key`` (the seed at set-up, the late-strata key later) and bulk-insert
    the slots of ``strata``; the number of slots stored."""
    arms = arm_ids(protocol_of(study.name))
    sizes = parse_block_sizes(randomisation.block_sizes, len(arms))
    planned = [
        (stratum, slot)
        for stratum in strata
        for slot in stratum_list(key, stratum, arms, sizes, randomisation.slots_per_stratum)
    ]
    codes = _codes(session, len(planned))
    if planned:
        session.execute(
            insert(AllocationSlot),
            [
                {
                    "study_id": study.id,
                    "stratum": stratum,
                    "sequence": slot.sequence,
                    "block": slot.block,
                    "arm": slot.arm,
                    "code": code,
                }
                for (stratum, slot), code in zip(planned, codes, strict=True)
            ],
        )
    return len(planned)


def list_of(session: Session, study: Study) -> RandomisationList | None:
    """The study's allocation list (None before set-up)."""
    return session.execute(
        select(RandomisationList).where(RandomisationList.study_id == study.id)
    ).scalar_one_or_none()


def factors_of(randomisation: RandomisationList) -> tuple[Factor, ...]:
    """The list's stratification factors, in the order given at set-up."""
    return tuple(Factor(name, tuple(levels)) for name, levels in randomisation.factors.items())


def generate_list(
    session: Session,
    study: Study,
    *,
    username: str,
    factors: str = "",
    block_sizes: str = DEFAULT_BLOCK_SIZES,
    slots_per_stratum: int | None = None,
    seed: bytes | None = None,
) -> RandomisationList:
    """Generate the study's concealed list once (StudyError when it exists); audited.

    ``seed`` is for reproducing a list in tests; otherwise 32 random bytes, which nobody will
    ever see: :func:`create_list` is what gives the seed to its maker. The database keeps the
    seed's SHA-256 commitment and the late-strata key, never the seed; the audit entry records
    block sizes, factors, counts and the commitment, never the seed or an arm.
    """
    locks.refuse_study_change(session, study)
    protocol = protocol_of(study.name)
    arms = arm_ids(protocol)
    if len(arms) < 2:
        raise StudyError(f"study {study.name} has one arm: there is nothing to randomise")
    if list_of(session, study) is not None:
        raise StudyError(f"study {study.name} has its allocation list already: it is made once")
    sizes = parse_block_sizes(block_sizes, len(arms))
    chosen = parse_factors(factors, protocol)
    slots = slots_per_stratum or study.target_enrolment or DEFAULT_SLOTS_PER_STRATUM
    if not 0 < slots <= MAX_SLOTS_PER_STRATUM:
        raise StudyError(
            f"slots per stratum {slots} is not valid: expected 1–{MAX_SLOTS_PER_STRATUM}"
        )
    site_codes = list(session.execute(select(Site.code).order_by(Site.code)).scalars())
    strata = strata_of(site_codes, chosen)
    if any(len(key) > STRATUM_KEY_LENGTH for key in strata):
        raise StudyError("too many stratification factors: a stratum's name would be too long")
    seed = seed if seed is not None else secrets.token_bytes(SEED_BYTES)
    randomisation = RandomisationList(
        study_id=study.id,
        seed_sha256=commitment(seed),
        late_strata_key_hex=late_strata_key(seed).hex(),
        block_sizes=",".join(str(s) for s in sizes),
        factors={f.name: list(f.levels) for f in chosen},
        slots_per_stratum=slots,
        created_by=username,
    )
    session.add(randomisation)
    try:
        session.flush()
    except IntegrityError:
        raise StudyError(
            f"study {study.name} has its allocation list already: it is made once"
        ) from None
    stored = _store_strata(session, study, randomisation, strata, seed)
    audit.record(
        session,
        username=username,
        action=audit.Action.SETUP,
        entity="randomisation_list",
        entity_id=randomisation.id,
        study=study.name,
        changes={
            "seed_sha256": [None, randomisation.seed_sha256],
            "block_sizes": [None, randomisation.block_sizes],
            "factors": [None, ",".join(f.name for f in chosen)],
            "strata": [None, len(strata)],
            "slots_per_stratum": [None, slots],
            "slots": [None, stored],
        },
    )
    return randomisation


def create_list(
    session: Session,
    study: Study,
    *,
    username: str,
    factors: str = "",
    block_sizes: str = DEFAULT_BLOCK_SIZES,
    slots_per_stratum: int | None = None,
) -> NewList:
    """Make the list from a fresh random seed and give the seed back, once, with its receipt.

    The caller shows the receipt to the person who made the list (or writes it to a file she
    keeps); it is not stored anywhere by ovaregen.
    """
    seed = secrets.token_bytes(SEED_BYTES)
    made = generate_list(
        session,
        study,
        username=username,
        factors=factors,
        block_sizes=block_sizes,
        slots_per_stratum=slots_per_stratum,
        seed=seed,
    )
    strata = [use.stratum for use in strata_use(session, study)]
    text = receipt(
        study=study.name,
        seed=seed,
        created_at=made.created_at,
        created_by=made.created_by,
        block_sizes=made.block_sizes,
        factors=made.factors,
        slots_per_stratum=made.slots_per_stratum,
        strata=strata,
    )
    return NewList(made, seed, text)


def strata_use(session: Session, study: Study) -> list[StratumUse]:
    """Slots and slots used per stratum (no arms)."""
    rows = session.execute(
        select(
            AllocationSlot.stratum,
            func.count(AllocationSlot.id),
            func.count(AllocationSlot.participant_id),
        )
        .where(AllocationSlot.study_id == study.id)
        .group_by(AllocationSlot.stratum)
        .order_by(AllocationSlot.stratum)
    )
    return [StratumUse(stratum, int(total), int(used)) for stratum, total, used in rows]


# ---- allocation ----------------------------------------------------------------------------


def _screening_values(session: Session, participant: Participant) -> dict[str, object]:
    entry = ecrf.form_entry(session, participant, SCREENING_VISIT)
    return dict(entry.data) if entry is not None else {}


def refusal(session: Session, participant: Participant) -> str | None:
    """Why the participant cannot be randomised now (None when she can)."""
    if participant.eligible != "true":
        shown = participant.eligible or "not assessed"
        return (
            f"participant {participant.code} cannot be randomised: eligibility is {shown}, "
            "expected eligible (every criterion met)"
        )
    if _screening_values(session, participant).get("consent") is not True:
        return (
            f"participant {participant.code} cannot be randomised: signed informed consent "
            "is not recorded at screening"
        )
    if participant.status != flow.ONGOING:
        return (
            f"participant {participant.code} cannot be randomised: her status is "
            f"{participant.status.replace('_', ' ')}, expected ongoing (enrolled)"
        )
    return None


def participant_stratum(
    session: Session, participant: Participant, factors: Sequence[Factor]
) -> str:
    """The participant's stratum: her site and her screening values of the factors."""
    values = _screening_values(session, participant)
    levels: list[tuple[str, str]] = []
    for factor in factors:
        value = values.get(factor.name)
        level = str(value).lower() if isinstance(value, bool) else value
        if level not in factor.levels:
            raise StudyError(
                f"participant {participant.code} cannot be randomised: stratification factor "
                f"{factor.name!r} is unknown at screening; expected one of "
                + ", ".join(factor.levels)
            )
        levels.append((factor.name, str(level)))
    return stratum_key(participant.site.code, levels)


def _locked_list(session: Session, study: Study) -> RandomisationList:
    """The study's list row, locked until the transaction ends (serialises allocations)."""
    found = session.execute(
        select(RandomisationList).where(RandomisationList.study_id == study.id).with_for_update()
    ).scalar_one_or_none()
    if found is None:
        raise StudyError(
            f"study {study.name} has no allocation list yet: an administrator sets it up first"
        )
    return found


def _slot_of(session: Session, participant: Participant) -> AllocationSlot | None:
    return session.execute(
        select(AllocationSlot).where(AllocationSlot.participant_id == participant.id)
    ).scalar_one_or_none()


def _free_slot(session: Session, study: Study, stratum: str) -> AllocationSlot | None:
    return session.execute(
        select(AllocationSlot)
        .where(
            AllocationSlot.study_id == study.id,
            AllocationSlot.stratum == stratum,
            AllocationSlot.participant_id.is_(None),
        )
        .order_by(AllocationSlot.sequence)
        .limit(1)
    ).scalar_one_or_none()


def _stratum_is_new(session: Session, study: Study, stratum: str) -> bool:
    return (
        session.execute(
            select(AllocationSlot.id)
            .where(AllocationSlot.study_id == study.id, AllocationSlot.stratum == stratum)
            .limit(1)
        ).first()
        is None
    )


def allocate(
    session: Session, participant: Participant, *, username: str, blinded: bool
) -> Allocation:
    """Allocate an eligible, consented, enrolled participant exactly once; audited.

    A repeated request returns the same allocation. The arm is in the answer only for an
    unblinded caller, and never in the audit entry.
    """
    locks.refuse_participant_change(session, participant)
    study = participant.study
    randomisation = _locked_list(session, study)
    if _slot_of(session, participant) is None:
        why = refusal(session, participant)
        if why is not None:
            raise StudyError(why)
        stratum = participant_stratum(session, participant, factors_of(randomisation))
        slot = _free_slot(session, study, stratum)
        if slot is None and _stratum_is_new(session, study, stratum):
            key = bytes.fromhex(randomisation.late_strata_key_hex)
            stored = _store_strata(session, study, randomisation, [stratum], key)
            audit.record(
                session,
                username=username,
                action=audit.Action.SETUP,
                entity="randomisation_stratum",
                entity_id=randomisation.id,
                study=study.name,
                changes={"stratum": [None, stratum], "slots": [None, stored]},
            )
            slot = _free_slot(session, study, stratum)
        if slot is None:
            raise StudyError(
                f"stratum {stratum} of study {study.name} has no free slot left: "
                "the statistician extends the list"
            )
        slot.participant_id = participant.id
        slot.allocated_at = utc_now()
        slot.allocated_by = username
        session.flush()
        audit.record(
            session,
            username=username,
            action=audit.Action.ALLOCATE,
            entity="allocation",
            entity_id=slot.id,
            study=study.name,
            participant=participant.code,
            changes={"allocation_code": [None, slot.code], "stratum": [None, stratum]},
        )
        created = True
    else:
        created = False
    view = allocation_of(session, participant, blinded=blinded)
    if view is None:  # cannot happen: the slot was found or taken in this transaction
        raise StudyError(f"participant {participant.code}'s allocation could not be read")
    return Allocation(view, created)
