"""The allocation list's seed: given once to its maker, never stored (only its SHA-256), and the
stored list verified against it later — tampering found, arms never named. SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ovaregen.clinic import randomisation as service
from ovaregen.clinic import studies
from ovaregen.clinic.importing import IMPORTED_STRATUM
from ovaregen.clinic.list_check import LATER, SET_UP, verify_list
from ovaregen.clinic.list_seed import SeedError, commitment, late_strata_key, parse_seed
from ovaregen.store.database import Database
from ovaregen.store.models import AllocationSlot, AuditEntry, RandomisationList
from tests.clinic.test_randomisation import ARMS, STUDY, ready_participant

SEED = bytes(range(32))


def made(database: Database, **options: object) -> service.NewList:
    with database.transaction() as session:
        return service.create_list(
            session,
            studies.study_named(session, STUDY),
            username="admin",
            **options,  # type: ignore[arg-type]
        )


def study(session: Session) -> studies.Study:
    return studies.study_named(session, STUDY)


def every_text_in_the_database(session: Session) -> str:
    """Every value of the list's row, its slots and the audit trail, as one text."""
    tables = ("randomisation_list", "allocation_slot", "audit_entry")
    rows = [session.execute(text(f"SELECT * FROM {table}")).all() for table in tables]
    return repr(rows).lower()


def test_the_seed_is_given_once_and_only_its_commitment_is_stored(
    clinic_database: Database,
) -> None:
    new = made(clinic_database, factors="married", slots_per_stratum=20)
    receipt = json.loads(new.receipt)
    assert bytes.fromhex(receipt["seed_hex"]) == new.seed and len(new.seed) == 32
    assert receipt["seed_sha256"] == hashlib.sha256(new.seed).hexdigest()
    assert receipt["study"] == STUDY and receipt["slots_per_stratum"] == 20
    assert receipt["strata"] == ["MAD1|married=false", "MAD1|married=true"]
    with clinic_database.transaction() as session:
        stored = service.list_of(session, study(session))
        assert stored is not None
        assert stored.seed_sha256 == hashlib.sha256(new.seed).hexdigest()
        assert not hasattr(stored, "seed_hex")
        everything = every_text_in_the_database(session)
        assert new.seed.hex() not in everything
        setup = session.execute(
            select(AuditEntry).where(AuditEntry.entity == "randomisation_list")
        ).scalar_one()
        assert setup.changes["seed_sha256"] == [None, stored.seed_sha256]


def test_allocation_is_unchanged_the_list_is_the_seeds_list(clinic_database: Database) -> None:
    new = made(clinic_database, slots_per_stratum=12)
    with clinic_database.transaction() as session:
        slots = session.execute(
            select(AllocationSlot.sequence, AllocationSlot.block, AllocationSlot.arm)
            .where(AllocationSlot.stratum == "MAD1")
            .order_by(AllocationSlot.sequence)
        ).all()
        expected = service.stratum_list(new.seed, "MAD1", ARMS, (2, 4, 6), 12)
        assert [tuple(s) for s in slots] == [(e.sequence, e.block, e.arm) for e in expected]
        first = service.allocate(
            session, ready_participant(session), username="coordinator", blinded=False
        )
        assert first.view.arm == expected[0].arm


def test_the_list_verifies_against_its_seed_including_a_site_added_later(
    clinic_database: Database,
) -> None:
    new = made(clinic_database, slots_per_stratum=12)
    with clinic_database.transaction() as session:
        studies.add_site(session, code="BCN1", name="Barcelona", username="admin")
        service.allocate(
            session, ready_participant(session, site="BCN1"), username="c", blinded=True
        )
        late = [
            s.arm
            for s in session.execute(
                select(AllocationSlot)
                .where(AllocationSlot.stratum == "BCN1")
                .order_by(AllocationSlot.sequence)
            ).scalars()
        ]
        key = late_strata_key(new.seed)
        assert late == [s.arm for s in service.stratum_list(key, "BCN1", ARMS, (2, 4, 6), 12)]
        checked = verify_list(session, study(session), new.seed)
    assert checked.ok
    assert {s.stratum: s.derived_from for s in checked.strata} == {"MAD1": SET_UP, "BCN1": LATER}
    assert checked.lines() == [
        f"{STUDY}: list verified: 2 strata, 1 added later for new sites, 24 slots, each exactly "
        "as the seed generates it"
    ]


def test_a_wrong_seed_is_refused_by_its_commitment(clinic_database: Database) -> None:
    made(clinic_database, slots_per_stratum=4)
    with clinic_database.transaction() as session:
        checked = verify_list(session, study(session), SEED)
    assert not checked.ok and not checked.seed_matches
    assert "this seed is not the list's" in checked.lines()[0]


@pytest.mark.parametrize("tampering", ["swap an arm", "drop a slot", "replace the late key"])
def test_a_tampered_list_is_found_naming_stratum_and_sequence_but_no_arm(
    clinic_database: Database, tampering: str
) -> None:
    new = made(clinic_database, factors="married", slots_per_stratum=10)
    with clinic_database.transaction() as session:
        target = session.execute(
            select(AllocationSlot).where(
                AllocationSlot.stratum == "MAD1|married=true", AllocationSlot.sequence == 3
            )
        ).scalar_one()
        if tampering == "swap an arm":
            target.arm = next(a for a in ARMS if a != target.arm)
        elif tampering == "drop a slot":
            session.delete(target)
        else:
            stored = session.execute(select(RandomisationList)).scalar_one()
            stored.late_strata_key_hex = late_strata_key(SEED).hex()
    with clinic_database.transaction() as session:
        checked = verify_list(session, study(session), new.seed)
    assert not checked.ok
    lines = checked.lines()
    assert lines[0] == f"{STUDY}: NOT VERIFIED: the stored list differs from what the seed makes"
    if tampering == "replace the late key":
        assert lines[1:] == ["the late-strata key stored is not the one the seed derives"]
    else:
        assert lines[1:] == [
            "stratum MAD1|married=true: differs from sequence 3 on ("
            + ("10" if tampering == "swap an arm" else "9")
            + " slots stored)"
        ]
    assert not any(arm in line for line in lines for arm in ARMS)


def test_imported_allocations_are_counted_not_checked(clinic_database: Database) -> None:
    new = made(clinic_database, slots_per_stratum=4)
    with clinic_database.transaction() as session:
        session.add(
            AllocationSlot(
                study_id=study(session).id,
                stratum=IMPORTED_STRATUM,
                sequence=1,
                block=0,
                arm="hrt",
                code="R-IMPORT",
            )
        )
    with clinic_database.transaction() as session:
        checked = verify_list(session, study(session), new.seed)
    assert checked.ok and checked.imported == 1
    assert "(1 allocations imported with their arm are not from the list)" in checked.lines()[0]


def test_a_study_without_a_list_has_nothing_to_verify(clinic_database: Database) -> None:
    with (
        clinic_database.transaction() as session,
        pytest.raises(
            studies.StudyError, match="has no allocation list: there is nothing to verify"
        ),
    ):
        verify_list(session, study(session), SEED)


def test_the_seed_is_read_from_a_receipt_or_as_hex() -> None:
    assert parse_seed(SEED.hex().upper() + "\n") == SEED
    assert parse_seed(json.dumps({"seed_hex": SEED.hex(), "study": STUDY})) == SEED
    with pytest.raises(SeedError, match="expected the 64 hexadecimal digits"):
        parse_seed("not a seed")
    with pytest.raises(SeedError, match="not valid JSON"):
        parse_seed("{seed")
    assert commitment(SEED) == hashlib.sha256(SEED).hexdigest()
