"""The allocation list (permuted blocks within strata, reproducible from its seed), allocation
exactly once for eligible, consented, enrolled participants (emergency unblinding:
``tests/clinic/test_unblinding.py``)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic import ecrf, studies
from ovaregen.clinic import randomisation as service
from ovaregen.clinic.list_seed import late_strata_key
from ovaregen.clinic.studies import StudyError
from ovaregen.store.database import Database
from ovaregen.store.models import AllocationSlot, AuditEntry, Participant

STUDY = "ucmsc-rct"
ARMS = ("ucmsc_hrt", "hrt")
SEED = bytes(range(32))
CODE = re.compile(r"^R-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$")


def ready_participant(
    session: Session,
    *,
    site: str = "MAD1",
    screening: dict[str, Any] | None = None,
    eligible: str = "true",
    status: str = "ongoing",
) -> Participant:
    """A participant of Study C, screened with ``screening`` values (consent by default)."""
    study = studies.study_named(session, STUDY)
    participant = studies.add_participant(
        session, study, studies.site_coded(session, site), username="test"
    )
    values = {"consent": True} if screening is None else screening
    ecrf.save_form(
        session, participant, "screening", values, username="test", expected_version=None
    )
    participant.eligible = eligible
    participant.status = status
    session.flush()
    return participant


def set_up_list(database: Database, **options: Any) -> None:
    with database.transaction() as session:
        service.generate_list(
            session,
            studies.study_named(session, STUDY),
            username="admin",
            seed=options.pop("seed", SEED),
            **options,
        )


def slots_of(session: Session) -> list[AllocationSlot]:
    return list(
        session.execute(
            select(AllocationSlot).order_by(AllocationSlot.stratum, AllocationSlot.sequence)
        ).scalars()
    )


# ---- the list ------------------------------------------------------------------------------


def test_every_block_is_balanced_and_sized_from_the_given_set() -> None:
    planned = service.stratum_list(SEED, "MAD1", ARMS, (2, 4, 6), 600)
    assert [s.sequence for s in planned] == list(range(1, 601))
    blocks: dict[int, list[str]] = {}
    for slot in planned:
        blocks.setdefault(slot.block, []).append(slot.arm)
    last = max(blocks)
    assert {len(arms) for b, arms in blocks.items() if b != last} <= {2, 4, 6}
    assert len({len(arms) for arms in blocks.values()}) > 1, "block sizes vary"
    for number, arms in blocks.items():
        if number != last:
            assert Counter(arms)["ucmsc_hrt"] == Counter(arms)["hrt"], number
    overall = Counter(s.arm for s in planned)
    assert abs(overall["ucmsc_hrt"] - overall["hrt"]) <= 3  # at most half the largest block


def test_the_same_seed_gives_the_same_list_and_strata_are_independent() -> None:
    first = service.stratum_list(SEED, "MAD1|married=true", ARMS, (2, 4, 6), 200)
    again = service.stratum_list(SEED, "MAD1|married=true", ARMS, (2, 4, 6), 200)
    other_stratum = service.stratum_list(SEED, "MAD1|married=false", ARMS, (2, 4, 6), 200)
    other_seed = service.stratum_list(bytes(32), "MAD1|married=true", ARMS, (2, 4, 6), 200)
    assert first == again
    assert [s.arm for s in first] != [s.arm for s in other_stratum]
    assert [s.arm for s in first] != [s.arm for s in other_seed]


def test_block_sizes_and_factors_are_validated() -> None:
    protocol = studies.protocol_of(STUDY)
    assert service.parse_block_sizes("6, 2,4,2", 2) == (2, 4, 6)
    for bad in ("3", "0", "two", "", "-2", "120"):
        with pytest.raises(StudyError, match="block size"):
            service.parse_block_sizes(bad, 2)
    factors = service.parse_factors("married, menses", protocol)
    assert factors == (
        service.Factor("married", ("true", "false")),
        service.Factor("menses", ("regular", "irregular", "amenorrhea", "menopause")),
    )
    with pytest.raises(StudyError, match="'nonsense' is not a variable"):
        service.parse_factors("nonsense", protocol)
    with pytest.raises(StudyError, match="'age_years' is a number variable"):
        service.parse_factors("age_years", protocol)
    with pytest.raises(StudyError, match="'pelvic_adhesions' is not recorded at ucmsc-rct"):
        service.parse_factors("pelvic_adhesions", protocol)
    assert len(service.strata_of(["MAD1", "BCN1"], factors)) == 2 * 2 * 4


def test_the_list_is_generated_once_per_study_without_leaking_the_seed(
    clinic_database: Database,
) -> None:
    set_up_list(clinic_database, factors="married", slots_per_stratum=30)
    with clinic_database.transaction() as session:
        slots = slots_of(session)
        assert Counter(s.stratum for s in slots) == {
            "MAD1|married=true": 30,
            "MAD1|married=false": 30,
        }
        assert len({s.code for s in slots}) == 60
        assert all(CODE.match(s.code) for s in slots)
        for stratum in ("MAD1|married=true", "MAD1|married=false"):
            expected = service.stratum_list(SEED, stratum, ARMS, (2, 4, 6), 30)
            stored = [s for s in slots if s.stratum == stratum]
            assert [(s.sequence, s.block, s.arm) for s in stored] == [
                (e.sequence, e.block, e.arm) for e in expected
            ]
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.entity == "randomisation_list")
        ).scalar_one()
        assert entry.changes == {
            "seed_sha256": [None, hashlib.sha256(SEED).hexdigest()],
            "block_sizes": [None, "2,4,6"],
            "factors": [None, "married"],
            "strata": [None, 2],
            "slots_per_stratum": [None, 30],
            "slots": [None, 60],
        }
        assert SEED.hex() not in str(entry.changes) and "hrt" not in str(entry.changes)
    with pytest.raises(StudyError, match="has its allocation list already"):
        set_up_list(clinic_database)


def test_defaults_and_refusals_of_the_set_up(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        with pytest.raises(StudyError, match="one arm"):
            service.generate_list(
                session, studies.study_named(session, "regenera"), username="admin"
            )
        with pytest.raises(StudyError, match="slots per stratum"):
            service.generate_list(
                session,
                studies.study_named(session, STUDY),
                username="admin",
                slots_per_stratum=10_001,
            )
    with clinic_database.transaction() as session:
        found = service.generate_list(
            session, studies.study_named(session, STUDY), username="admin"
        )
        assert found.slots_per_stratum == 66  # the study's target enrolment
        assert (
            len(found.seed_sha256) == 64 and found.seed_sha256 != hashlib.sha256(SEED).hexdigest()
        )


def test_ten_thousand_slots_per_stratum_are_generated(clinic_database: Database) -> None:
    """The list at the largest size asked for in practice; how long it takes is a benchmark
    (bench/bench_randomisation.py, bar 30 s)."""
    set_up_list(clinic_database, factors="married", slots_per_stratum=10_000)
    with clinic_database.transaction() as session:
        used = service.strata_use(session, studies.study_named(session, STUDY))
        assert [(u.slots, u.used) for u in used] == [(10_000, 0), (10_000, 0)]
        arms = Counter(session.execute(select(AllocationSlot.arm)).scalars())
        assert abs(arms["ucmsc_hrt"] - arms["hrt"]) <= 6


# ---- allocation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"eligible": "false"}, "eligibility is false"),
        ({"eligible": "unknown"}, "eligibility is unknown"),
        ({"screening": {"consent": False}}, "consent is not recorded"),
        ({"screening": {"age_years": 30}}, "consent is not recorded"),
        ({"status": "screening"}, "status is screening, expected ongoing"),
        ({"status": "withdrawn"}, "status is withdrawn"),
    ],
)
def test_allocation_is_refused_unless_eligible_consented_and_enrolled(
    clinic_database: Database, changes: dict[str, Any], message: str
) -> None:
    set_up_list(clinic_database, slots_per_stratum=10)
    with clinic_database.transaction() as session:
        participant = ready_participant(session, **changes)
        with pytest.raises(StudyError, match=message):
            service.allocate(session, participant, username="coordinator", blinded=True)
        assert all(s.participant_id is None for s in slots_of(session))


def test_allocation_needs_the_list_and_known_factor_values(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        participant = ready_participant(session)
        with pytest.raises(StudyError, match="no allocation list yet"):
            service.allocate(session, participant, username="coordinator", blinded=True)
    set_up_list(clinic_database, factors="married", slots_per_stratum=10)
    with clinic_database.transaction() as session:
        participant = ready_participant(session)
        with pytest.raises(StudyError, match="factor 'married' is unknown at screening"):
            service.allocate(session, participant, username="coordinator", blinded=True)


def test_allocation_takes_the_lowest_free_slot_once_and_is_audited(
    clinic_database: Database,
) -> None:
    set_up_list(clinic_database, factors="married", slots_per_stratum=10)
    with clinic_database.transaction() as session:
        first = ready_participant(session, screening={"consent": True, "married": False})
        second = ready_participant(session, screening={"consent": True, "married": False})
        made = service.allocate(session, first, username="coordinator", blinded=True)
        again = service.allocate(session, first, username="investigator", blinded=True)
        other = service.allocate(session, second, username="coordinator", blinded=True)
        assert made.created and not again.created and other.created
        assert (made.view.code, made.view.allocated_by) == (
            again.view.code,
            again.view.allocated_by,
        )
        assert made.view.arm is None and again.view.arm is None
        assert made.view.allocated_by == "coordinator"
        taken = {s.participant_id: s for s in slots_of(session) if s.participant_id}
        assert taken[first.id].stratum == "MAD1|married=false"
        assert (taken[first.id].sequence, taken[second.id].sequence) == (1, 2)
        unblinded = service.allocate(session, second, username="statistician", blinded=False)
        assert unblinded.view.arm == taken[second.id].arm
        entries = (
            session.execute(select(AuditEntry).where(AuditEntry.action == "allocate"))
            .scalars()
            .all()
        )
        assert [e.participant for e in entries] == [first.code, second.code]
        assert entries[0].changes == {
            "allocation_code": [None, made.view.code],
            "stratum": [None, "MAD1|married=false"],
        }
        assert all("hrt" not in str(e.changes) for e in entries)


def test_a_site_added_later_gets_its_strata_from_the_seeds_late_strata_key(
    clinic_database: Database,
) -> None:
    set_up_list(clinic_database, slots_per_stratum=12)
    with clinic_database.transaction() as session:
        studies.add_site(session, code="BCN1", name="Barcelona", username="admin")
        participant = ready_participant(session, site="BCN1")
        made = service.allocate(session, participant, username="coordinator", blinded=True)
        stored = [s for s in slots_of(session) if s.stratum == "BCN1"]
        expected = service.stratum_list(late_strata_key(SEED), "BCN1", ARMS, (2, 4, 6), 12)
        assert [(s.sequence, s.arm) for s in stored] == [(e.sequence, e.arm) for e in expected]
        assert stored[0].participant_id == participant.id and stored[0].code == made.view.code
        assert session.execute(
            select(AuditEntry).where(AuditEntry.entity == "randomisation_stratum")
        ).scalar_one().changes == {"stratum": [None, "BCN1"], "slots": [None, 12]}


def test_a_full_stratum_is_refused(clinic_database: Database) -> None:
    set_up_list(clinic_database, slots_per_stratum=2)
    with clinic_database.transaction() as session:
        for _ in range(2):
            service.allocate(session, ready_participant(session), username="c", blinded=True)
        with pytest.raises(StudyError, match=r"stratum MAD1 .* no free slot left"):
            service.allocate(session, ready_participant(session), username="c", blinded=True)
