"""Export and import lose nothing (issue 10): what the clinic stores → export → import into an
empty data folder → export again gives identical files, for each study, blinded and unblinded.

The clinic is filled by importing a synthetic cohort with every table of its study (visits at
each follow-up visit, adverse events, G-CSF days with proposals and decisions), so each value
starts in the store, at the visit that holds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.clinic.exchange import dataset_files, study_dataset
from ovaregen.clinic.importing import import_dataset
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.clinic.studies import protocol_of, study_named
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.store.database import Database, sqlite_url
from ovaregen.synth import synthesize
from tests.clinic_fixtures import SITE, migrated

SIZES = {"regenera": 60, "mensc": 40, "ucmsc-rct": 30}


def _stored(database: Database, study: str, dataset: Dataset) -> None:
    with database.transaction() as session:
        import_dataset(
            session, study_named(session, study), dataset, username="importer", default_site=SITE
        )


def _exported(database: Database, study: str, *, blinded: bool) -> dict[str, str]:
    with database.transaction() as session:
        return dataset_files(
            study_dataset(session, study_named(session, study), blinded=blinded, access=EVERYWHERE)
        )


def _read(files: dict[str, str], folder: Path, study: str) -> Dataset:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    report = validate_dataset(folder, protocol_of(study))
    assert report.dataset is not None, [f.message for f in report.findings][:5]
    return report.dataset


@pytest.mark.parametrize("study", sorted(SIZES))
@pytest.mark.parametrize("blinded", [True, False], ids=["blinded", "unblinded"])
def test_export_import_export_gives_identical_files(
    clinic_database: Database, tmp_path: Path, study: str, blinded: bool
) -> None:
    synthetic = synthesize(study, SIZES[study], 11)
    folder = tmp_path / "synthetic"
    write_dataset(synthetic, folder)
    source = validate_dataset(folder, protocol_of(study)).dataset
    assert source is not None
    _stored(clinic_database, study, source)
    first = _exported(clinic_database, study, blinded=blinded)
    (tmp_path / "empty").mkdir()
    empty = migrated(sqlite_url(tmp_path / "empty"))
    try:
        _stored(empty, study, _read(first, tmp_path / "first", study))
        again = _exported(empty, study, blinded=blinded)
    finally:
        empty.dispose()
    assert sorted(first) == sorted(again)
    for name in first:
        assert first[name] == again[name], f"{name} differs after export → import → export"
    expected = {DatasetFile.PARTICIPANTS.file_name, DatasetFile.PREGNANCIES.file_name}
    expected.add(DatasetFile.ADVERSE_EVENTS.file_name)
    if protocol_of(study).followup_visits and not source.visits.is_empty():
        expected.add(DatasetFile.VISITS.file_name)
    if not source.mobilisation.is_empty():
        expected.add(DatasetFile.MOBILISATION.file_name)
    assert expected <= set(first)


@pytest.mark.parametrize("study", sorted(SIZES))
def test_every_stored_value_reaches_the_unblinded_export(
    sqlite_database: Database, tmp_path: Path, study: str
) -> None:
    """The export holds what was imported: every table, every value (arm included)."""
    synthetic = synthesize(study, SIZES[study], 5)
    write_dataset(synthetic, tmp_path / "in")
    source = validate_dataset(tmp_path / "in", protocol_of(study)).dataset
    assert source is not None
    _stored(sqlite_database, study, source)
    exported = _read(_exported(sqlite_database, study, blinded=False), tmp_path / "out", study)
    for file in DatasetFile:
        given = source.table(file)
        if given.is_empty():
            continue
        columns = [c for c in source.supplied.get(file.value, ()) if c != "site"]
        keys = [c for c in ("participant_id", "visit", "day", "term") if c in columns]
        left = given.select(columns).sort(keys)
        right = exported.table(file).select(columns).sort(keys)
        assert left.equals(right), f"{file.file_name} lost or changed values"


def test_a_blinded_export_carries_no_arm_and_no_arm_revealing_column(
    sqlite_database: Database, tmp_path: Path
) -> None:
    study = "ucmsc-rct"
    write_dataset(synthesize(study, 30, 2), tmp_path / "in")
    source = validate_dataset(tmp_path / "in", protocol_of(study)).dataset
    assert source is not None
    _stored(sqlite_database, study, source)
    files = _exported(sqlite_database, study, blinded=True)
    header = files[DatasetFile.PARTICIPANTS.file_name].splitlines()[0].split(",")
    hidden = {"arm", *protocol_of(study).arm_revealing}
    assert hidden and not hidden & set(header)
    for name, text in files.items():
        assert not hidden & set(text.splitlines()[0].split(",")), name
    unblinded = _exported(sqlite_database, study, blinded=False)
    assert hidden <= set(unblinded[DatasetFile.PARTICIPANTS.file_name].splitlines()[0].split(","))
