"""The audit trail's protection: UPDATE and DELETE are refused by the database, and when the
protection is removed by someone with raw access, ``verify`` names the changed or missing
entry (middle or end); the filters and CSV of ``clinic.audit_view``."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ovaregen.clinic import audit_view
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.clinic.views import Reader
from ovaregen.store import audit
from ovaregen.store.database import Database

MONITOR = Reader("monitor", "monitor", EVERYWHERE)
STATISTICIAN = Reader("statistician", "statistician", EVERYWHERE)


def write_entries(database: Database, count: int = 5) -> list[int]:
    entries = []
    with database.transaction() as session:
        for number in range(count):
            entry = audit.record(
                session,
                username="coordinator",
                action=audit.Action.UPDATE,
                entity="form_entry",
                entity_id=number,
                study="regenera",
                participant=f"MAD1-{number:04d}",
                changes={"afc": [number, number + 1], "menses": [None, "regular"]},
                reason="source document",
            )
            entries.append(entry)
    return [entry.id for entry in entries]  # numbered at the commit


def tamper(database: Database, statement: str) -> None:
    """Run ``statement`` with the append-only triggers removed, as an attacker with raw
    database access could."""
    with database.engine.begin() as connection:
        if database.is_sqlite:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_delete")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_entry DISABLE TRIGGER ALL")
        connection.execute(text(statement))


def verification(database: Database) -> audit.Verification:
    with database.transaction() as session:
        return audit.verify(session)


def test_a_fresh_trail_verifies(clinic_database: Database) -> None:
    write_entries(clinic_database)
    result = verification(clinic_database)
    assert result.intact
    assert result.entries >= 5


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET reason = 'nothing happened' WHERE id = 3",
        "DELETE FROM audit_entry WHERE id = 3",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(
    clinic_database: Database, statement: str
) -> None:
    write_entries(clinic_database)
    with (
        pytest.raises(DBAPIError, match="append-only"),
        clinic_database.engine.begin() as connection,
    ):
        connection.execute(text(statement))
    assert verification(clinic_database).intact


def test_a_changed_entry_is_named(clinic_database: Database) -> None:
    ids = write_entries(clinic_database)
    changed = ids[2]
    tamper(
        clinic_database,
        f"""UPDATE audit_entry SET changes = '{{"afc": [2, 30]}}' WHERE id = {changed}""",
    )
    result = verification(clinic_database)
    assert not result.intact
    assert [str(p) for p in result.problems] == [
        f"entry {changed}: content changed after it was written (hash mismatch)"
    ]


def test_an_entry_deleted_in_the_middle_is_named(clinic_database: Database) -> None:
    ids = write_entries(clinic_database)
    tamper(clinic_database, f"DELETE FROM audit_entry WHERE id = {ids[2]}")
    problems = [str(p) for p in verification(clinic_database).problems]
    assert f"entry {ids[3]}: entries {ids[2]} are missing (deleted)" in problems
    assert f"entry {ids[3]}: does not chain to the entry before it" in problems


def test_entries_deleted_at_the_end_are_found_through_the_head(clinic_database: Database) -> None:
    ids = write_entries(clinic_database)
    tamper(clinic_database, f"DELETE FROM audit_entry WHERE id >= {ids[-2]}")
    problems = [str(p) for p in verification(clinic_database).problems]
    assert problems == [
        f"chain head: the chain ends at entry {ids[-3]} but the head records entry {ids[-1]}: "
        "entries at the end were deleted or the head was changed"
    ]


def test_filters_select_by_participant_user_study_and_time(clinic_database: Database) -> None:
    write_entries(clinic_database)
    today = datetime.now(UTC).date().isoformat()
    with clinic_database.transaction() as session:
        one = audit_view.newest_first(
            session, audit_view.audit_filter(participant="MAD1-0003", reader=MONITOR)
        )
        assert [e.participant for e in one.entries] == ["MAD1-0003"]
        mine = audit_view.newest_first(
            session,
            audit_view.audit_filter(
                username="coordinator", study="regenera", until=today, reader=MONITOR
            ),
        )
        assert mine.total == 5
        assert [e.id for e in mine.entries] == sorted((e.id for e in mine.entries), reverse=True)
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
        assert (
            audit_view.newest_first(
                session, audit_view.audit_filter(since=tomorrow, reader=MONITOR)
            ).total
            == 0
        )
        page = audit_view.newest_first(
            session, audit_view.audit_filter(reader=MONITOR), limit=2, offset=2
        )
        assert len(page.entries) == 2 and page.has_newer and page.has_older


def test_a_bad_date_names_the_field_and_the_expected_form() -> None:
    with pytest.raises(audit_view.FilterError, match=r"from: '31/12/2024' is not a date; expected"):
        audit_view.audit_filter(since="31/12/2024", reader=MONITOR)
    with pytest.raises(audit_view.FilterError, match="to: '2024-01-01' is before from"):
        audit_view.audit_filter(since="2024-02-01", until="2024-01-01", reader=MONITOR)
    until = audit_view.audit_filter(until="2024-01-31", reader=MONITOR).until
    assert until == datetime(2024, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_the_csv_has_one_row_per_changed_field(clinic_database: Database) -> None:
    write_entries(clinic_database, 2)
    with clinic_database.transaction() as session:
        entries = audit.query(session, audit.AuditFilter(username="coordinator"))
        rows = list(csv.DictReader(io.StringIO(audit_view.audit_csv(entries, STATISTICIAN))))
        blinded = list(csv.DictReader(io.StringIO(audit_view.audit_csv(entries, MONITOR))))
    assert list(rows[0]) == list(audit_view.CSV_COLUMNS)
    assert {row["hash"] for row in blinded} == {""}, "no chain hash for a blinded reader"
    assert len(rows) == 4
    first = rows[0]
    assert (first["field"], first["old"], first["new"]) == ("afc", "0", "1")
    assert (rows[1]["field"], rows[1]["old"], rows[1]["new"]) == ("menses", "", "regular")
    assert first["at"].endswith("Z") and first["reason"] == "source document"
    assert len(first["hash"]) == 64
