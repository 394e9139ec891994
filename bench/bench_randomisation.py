"""Randomisation benchmark (moved from tests/clinic/test_randomisation.py, issue 11):
generating Study C's concealed allocation list with 10,000 slots in each of its two strata
(one site × married yes/no), on SQLite and on PostgreSQL (bar ≤ 30 s each, the bar the unit
test used to assert). Each run uses a fresh migrated database, not counted in the time."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bench.harness import Measurement
from ovaregen.clinic import randomisation
from ovaregen.clinic.studies import add_site, prepare_database, study_named
from ovaregen.store.database import Database, connect, sqlite_url

PG_SERVER = os.environ.get("OVAREGEN_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
STUDY = "ucmsc-rct"
SLOTS_PER_STRATUM = 10_000
BAR_SECONDS = 30.0


def generate(url: str, slots_per_stratum: int) -> float:
    """Migrate a fresh database at ``url``, add one site, and time the list's generation."""
    database: Database = connect(url)
    try:
        prepare_database(database)
        with database.transaction() as session:
            add_site(session, code="BENCH", name="Benchmark clinic", username="bench")
        started = time.perf_counter()
        with database.transaction() as session:
            randomisation.generate_list(
                session,
                study_named(session, STUDY),
                username="bench",
                factors="married",
                slots_per_stratum=slots_per_stratum,
            )
        return time.perf_counter() - started
    finally:
        database.dispose()


def on_sqlite(slots_per_stratum: int) -> float:
    with tempfile.TemporaryDirectory(prefix="ovaregen-bench-") as folder:
        return generate(sqlite_url(Path(folder)), slots_per_stratum)


def on_postgresql(slots_per_stratum: int) -> float:
    """The same on a throw-away database of ``OVAREGEN_BENCH_PG`` (dropped afterwards)."""
    name = f"ovaregen_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            return generate(f"{PG_SERVER}/{name}", slots_per_stratum)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def measure(n: int = 1_000_000, slots_per_stratum: int = SLOTS_PER_STRATUM) -> list[Measurement]:
    """``n`` is not used: the size is the list's; the bar applies at 10,000 slots per stratum."""
    del n
    bar = BAR_SECONDS if slots_per_stratum == SLOTS_PER_STRATUM else None
    slots = 2 * slots_per_stratum
    note = "2 strata (one site × married); fresh database, migration not timed"
    return [
        Measurement(
            f"allocation list, {slots_per_stratum:,} slots per stratum, SQLite",
            slots,
            on_sqlite(slots_per_stratum),
            bar,
            note,
        ),
        Measurement(
            f"allocation list, {slots_per_stratum:,} slots per stratum, PostgreSQL",
            slots,
            on_postgresql(slots_per_stratum),
            bar,
            note,
        ),
    ]
