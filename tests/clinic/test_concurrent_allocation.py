"""Concurrent allocation: each request in its own thread and transaction, as the web server
runs them. No slot is given twice, every participant gets exactly one, and within each stratum
the slots used are exactly the first ones of its list."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from ovaregen.clinic import randomisation as service
from ovaregen.clinic import studies
from ovaregen.store.database import Database
from ovaregen.store.models import AllocationSlot, AuditEntry
from tests.clinic.test_randomisation import STUDY, ready_participant, set_up_list

WORKERS = 24
"""Threads at once (the PostgreSQL pool holds 30 connections)."""


def allocate_in_own_transaction(database: Database, code: str, username: str) -> str:
    with database.transaction() as session:
        participant = studies.participant_coded(session, studies.study_named(session, STUDY), code)
        return service.allocate(session, participant, username=username, blinded=True).view.code


def test_200_concurrent_allocations_give_every_participant_one_slot(
    clinic_database: Database,
) -> None:
    set_up_list(clinic_database, factors="married", slots_per_stratum=150)
    with clinic_database.transaction() as session:
        codes = [
            ready_participant(session, screening={"consent": True, "married": n % 3 != 0}).code
            for n in range(200)
        ]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = list(
            pool.map(
                lambda code: allocate_in_own_transaction(clinic_database, code, "coordinator"),
                codes,
            )
        )
    assert len(set(answers)) == 200
    with clinic_database.transaction() as session:
        taken = list(
            session.execute(
                select(AllocationSlot).where(AllocationSlot.participant_id.is_not(None))
            ).scalars()
        )
        assert len(taken) == 200
        assert len({s.participant_id for s in taken}) == 200
        assert {s.code for s in taken} == set(answers)
        used: dict[str, list[int]] = defaultdict(list)
        for slot in taken:
            used[slot.stratum].append(slot.sequence)
        assert {k: len(v) for k, v in used.items()} == {
            "MAD1|married=true": 133,
            "MAD1|married=false": 67,
        }
        for sequences in used.values():
            assert sorted(sequences) == list(range(1, len(sequences) + 1))
        allocations = session.execute(
            select(AuditEntry).where(AuditEntry.action == "allocate")
        ).all()
        assert len(allocations) == 200


def test_50_concurrent_repeats_for_one_participant_give_one_slot(
    clinic_database: Database,
) -> None:
    set_up_list(clinic_database, slots_per_stratum=20)
    with clinic_database.transaction() as session:
        code = ready_participant(session).code
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = list(
            pool.map(
                lambda _: allocate_in_own_transaction(clinic_database, code, "investigator"),
                range(50),
            )
        )
    assert len(set(answers)) == 1
    with clinic_database.transaction() as session:
        taken = list(
            session.execute(
                select(AllocationSlot).where(AllocationSlot.participant_id.is_not(None))
            ).scalars()
        )
        assert [(s.sequence, s.code) for s in taken] == [(1, answers[0])]
        allocations = session.execute(
            select(AuditEntry).where(AuditEntry.action == "allocate")
        ).all()
        assert len(allocations) == 1
