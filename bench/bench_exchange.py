"""Study record benchmarks of issue 10: export, import and the per-visit analysis.

A 10,000-woman study C (``ucmsc-rct``) clinic — 3 follow-up visits (month 3, 6, 12) and 2
adverse events per woman — on SQLite (a fresh data folder) and on PostgreSQL (a throw-away
database, dropped afterwards): the import of the synthetic dataset
(``clinic.importing.import_dataset``, one transaction), the export of the stored study
(``clinic.exchange.study_dataset`` + ``io.writer.write_dataset``) with its row counts checked
against the import's, and the re-import of the exported files (read and validated by
``io.reader.read_dataset``) into a second empty database. Then ``ovaregen analyze`` of a
1,000,000-woman study C with 3 visits each, timed as a user runs it (one process,
``/usr/bin/time -v``: wall time and peak resident memory).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl
from sqlalchemy import create_engine, text

from bench.bench_study import timed, timed_run
from bench.harness import Measurement, stopwatch
from ovaregen.clinic.exchange import study_dataset
from ovaregen.clinic.importing import ImportSummary, import_dataset
from ovaregen.clinic.studies import add_site, prepare_database, study_named
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.schema import canonical_schema
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import read_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.store.database import Database, connect, sqlite_url
from ovaregen.synth import synthesize

PG_SERVER = os.environ.get("OVAREGEN_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
STUDY = "ucmsc-rct"
SITE = "MAD1"
USER = "bench"
WOMEN = 10_000
EVENTS_PER_WOMAN = 2
SEED = 1
BAR_SECONDS = 30
ANALYZE_BAR_SECONDS = 60
ANALYZE_BAR_GIB = 4
_EVENTS = (
    ("nausea", 7),
    ("pelvic pain after injection", 30),
)
"""The two adverse events each woman gets: term, days after her treatment date."""


def clinic_dataset(n: int = WOMEN, seed: int = SEED) -> Dataset:
    """The synthetic study C cohort with exactly two adverse events per woman.

    The synthetic cohort's own adverse events follow the published safety table (0–5 per
    woman), so that frame is replaced by two grade 1–2 events per woman, 7 and 30 days after
    her treatment (or a fixed date where she has none)."""
    dataset = synthesize(STUDY, n, seed)
    women = dataset.participants.select(
        "participant_id",
        pl.col("treatment_date").fill_null(dt.date(2020, 1, 1)).alias("treated"),
    )
    events = pl.concat(
        women.select(
            "participant_id",
            pl.lit(term).alias("term"),
            (pl.col("treated") + pl.duration(days=days)).alias("onset_date"),
            pl.lit(grade).alias("grade"),
            pl.lit("5.0").alias("ctcae_version"),
            pl.lit(False).alias("serious"),
            pl.lit("possible").alias("related"),
            pl.lit("recovered").alias("outcome"),
        )
        for grade, (term, days) in enumerate(_EVENTS, start=1)
    ).sort("participant_id", maintain_order=True)
    events = events.cast(canonical_schema(DatasetFile.ADVERSE_EVENTS))
    return dataclasses.replace(dataset, adverse_events=events)


@contextmanager
def _databases(backend: str, folder: Path) -> Iterator[tuple[Database, Database]]:
    """Two empty, migrated clinic databases with the site ``MAD1``: SQLite data folders
    under ``folder``, or throw-away PostgreSQL databases dropped afterwards."""
    names: list[str] = []
    opened: list[Database] = []
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        for which in ("first", "second"):
            if backend == "sqlite":
                data = folder / f"data-{which}"
                data.mkdir()
                url = sqlite_url(data)
            else:
                name = f"ovaregen_bench_{uuid.uuid4().hex[:8]}"
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                names.append(name)
                url = f"{PG_SERVER}/{name}"
            database = connect(url)
            opened.append(database)
            prepare_database(database)
            with database.transaction() as session:
                add_site(session, code=SITE, name="Benchmark clinic", username=USER)
        yield opened[0], opened[1]
    finally:
        for database in opened:
            database.dispose()
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _import(database: Database, dataset: Dataset) -> ImportSummary:
    with database.transaction() as session:
        study = study_named(session, STUDY)
        return import_dataset(session, study, dataset, username=USER, default_site=SITE)


def _export(database: Database, folder: Path) -> Dataset:
    with database.transaction() as session:
        exported = study_dataset(session, study_named(session, STUDY), blinded=False)
    write_dataset(exported, folder)
    return exported


def _counts(summary: ImportSummary) -> tuple[int, int, int]:
    return summary.participants, summary.visits, summary.adverse_events


def _check(what: str, got: tuple[int, int, int], expected: tuple[int, int, int]) -> None:
    """Fail loudly when rows were lost (participants, visits, adverse events)."""
    if got != expected:
        raise RuntimeError(
            f"{what}: participants, visits, adverse events {got} != {expected}: rows were lost"
        )


def exchange(backend: str, dataset: Dataset) -> list[Measurement]:
    """Import, export and re-import of the 10,000-woman clinic on one database."""
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    expected = (
        dataset.participants.height,
        dataset.visits.height,
        dataset.adverse_events.height,
    )
    rows = f"{expected[0]:,} women, {expected[1]:,} visits, {expected[2]:,} adverse events"
    with (
        tempfile.TemporaryDirectory(prefix="ovaregen-bench-") as tmp,
        _databases(backend, Path(tmp)) as (first, second),
    ):
        exported_folder = Path(tmp) / "export"
        with stopwatch() as import_time:
            imported = _import(first, dataset)
        _check(f"import into {label}", _counts(imported), expected)
        with stopwatch() as export_time:
            exported = _export(first, exported_folder)
        written = (
            exported.participants.height,
            exported.visits.height,
            exported.adverse_events.height,
        )
        _check(f"export from {label}", written, _counts(imported))
        size_mb = sum(p.stat().st_size for p in exported_folder.iterdir()) / 1024**2
        with stopwatch() as reimport_time:
            with stopwatch() as read_time:
                again = read_dataset(exported_folder, load_protocol(STUDY))
            reimported = _import(second, again)
        _check(f"re-import into {label}", _counts(reimported), expected)
    return [
        Measurement(
            f"import of the synthetic study C dataset, {label}",
            expected[0],
            import_time[0],
            target_seconds=BAR_SECONDS,
            note=(
                f"one run; {rows} ({imported.pregnancies} pregnancies) in one transaction; "
                "synthetic cohort (seed 1) with its adverse events replaced by 2 per woman "
                "built by the benchmark (the cohort's own have 0–5 per woman)"
            ),
        ),
        Measurement(
            f"export of the stored study C, {label}",
            expected[0],
            export_time[0],
            target_seconds=BAR_SECONDS,
            note=(
                f"one run; study_dataset + write_dataset, {rows} ({size_mb:.1f} MB of CSV); "
                "row counts equal the import's"
            ),
        ),
        Measurement(
            f"re-import of the exported files into an empty database, {label}",
            expected[0],
            reimport_time[0],
            target_seconds=BAR_SECONDS,
            note=(
                f"one run; read_dataset (validation included, {read_time[0]:.1f} s) + "
                f"import_dataset, {rows}"
            ),
        ),
    ]


def analyze(n: int) -> list[Measurement]:
    """``ovaregen synth`` (not timed) then ``ovaregen analyze`` of study C with ``n`` women.

    A failed analysis is reported, not raised: its figure is infinite (the bar not met) and
    the note gives the wall time and the error."""
    with tempfile.TemporaryDirectory(prefix="ovaregen-bench-") as folder:
        root = Path(folder)
        cohort = root / "c"
        timed(["synth", "--study", STUDY, "--n", str(n), "--seed", "1", "--out", str(cohort)])
        size_mb = sum(p.stat().st_size for p in cohort.iterdir()) / 1024**2
        with (cohort / "visits.csv").open(encoding="utf-8") as visits_csv:
            visits = sum(1 for _ in visits_csv) - 1
        seconds, memory, done = timed_run(
            ["analyze", str(cohort), "--plan", STUDY, "--out", str(root / "analysis")]
        )
    memory_note = f"peak memory {memory:.2f} GiB (bar {ANALYZE_BAR_GIB} GiB" + (
        ")" if memory <= ANALYZE_BAR_GIB else ", **not met**)"
    )
    note = (
        f"one process, one run: read and validate {size_mb:.0f} MB of CSV "
        f"({visits:,} visits), derive, plan, write; {memory_note}"
    )
    if done.returncode != 0:
        output = done.stderr.split("\tCommand being timed:")[0].splitlines()
        error = " ".join(
            line.strip() for line in output if not line.startswith("Command exited with")
        )[-500:].replace("|", "\\|")
        note = f"**failed** (exit {done.returncode}) after {seconds:.1f} s: {error}; {note}"
    return [
        Measurement(
            f"ovaregen analyze --plan {STUDY} on a synthetic study C with 3 visits each",
            n,
            seconds if done.returncode == 0 else float("inf"),
            target_seconds=ANALYZE_BAR_SECONDS,
            note=note,
        ),
    ]


def measure(n: int = 1_000_000) -> list[Measurement]:
    dataset = clinic_dataset()
    return [
        *exchange("sqlite", dataset),
        *exchange("postgresql", dataset),
        *analyze(n),
    ]


if __name__ == "__main__":
    for m in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(m)
