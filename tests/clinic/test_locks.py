"""Locks in the clinic layer (``clinic.locks``): an import into a locked study is refused
before anything is stored, the final analysis export records the lock state in its
provenance.json (and a reader takes it as real data, not synthetic), and the lock history
keeps every lock, released ones included."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from ovaregen.clinic import locks
from ovaregen.clinic.exchange import dataset_zip, study_dataset
from ovaregen.clinic.importing import import_dataset
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.clinic.studies import StudyError, add_participant, site_coded, study_named
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.dataset import PROVENANCE_FILE
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.store.database import Database
from ovaregen.store.models import Participant
from tests.clinic.test_exchange import SITE, count, synthetic


def test_an_import_into_a_locked_study_is_refused(
    clinic_database: Database, tmp_path: Path
) -> None:
    source = synthetic("ucmsc-rct", tmp_path, 6)
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        locks.lock(session, study, username="dm", reason="final analysis")
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        with pytest.raises(locks.LockedError, match=r"study ucmsc-rct is locked: locked by dm"):
            import_dataset(session, study, source, username="importer", default_site=SITE)
        with pytest.raises(locks.LockedError):
            add_participant(session, study, site_coded(session, SITE), username="screener")
    assert count(clinic_database, Participant) == 0
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        locks.unlock(session, study, username="dm", reason="late data from a site")
        summary = import_dataset(session, study, source, username="importer", default_site=SITE)
    assert summary.participants == 6


def test_the_export_records_the_lock_state(clinic_database: Database, tmp_path: Path) -> None:
    source = synthetic("ucmsc-rct", tmp_path, 6)
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        import_dataset(session, study, source, username="importer", default_site=SITE)
        open_export = study_dataset(session, study, blinded=True, access=EVERYWHERE)
    assert open_export.clinic_export is not None
    assert not open_export.clinic_export.study_locked
    assert open_export.clinic_export.forms_locked == 0
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        women = (
            session.execute(
                select(Participant)
                .where(Participant.study_id == study.id)
                .order_by(Participant.code)
            )
            .scalars()
            .all()
        )
        locks.lock(session, study, women[0], username="dm", reason="clean")
        locks.lock(session, study, women[1], "screening", username="dm", reason="clean")
        locks.lock(session, study, women[1], locks.PREGNANCIES, username="dm", reason="clean")
        released = locks.lock(session, study, women[2], username="dm", reason="clean")
        locks.unlock(session, study, women[2], username="dm", reason="query")
        held = locks.lock(session, study, username="dm", reason="database lock for analysis")
        exported = study_dataset(session, study, blinded=True, access=EVERYWHERE)
        history = locks.history(session, study)
    assert released in history and held in history and len(history) == 5
    record = exported.clinic_export
    assert record is not None
    assert record.study_locked and record.locked_by == "dm"
    assert record.lock_reason == "database lock for analysis"
    assert record.locked_since is not None and record.locked_since.startswith("20")
    assert (record.participants_locked, record.forms_locked) == (1, 2)
    with zipfile.ZipFile(io.BytesIO(dataset_zip(exported))) as archive:
        provenance = json.loads(archive.read(PROVENANCE_FILE))
    assert provenance["synthetic"] is False
    assert provenance["lock"] == {
        "study_locked": True,
        "locked_since": record.locked_since,
        "locked_by": "dm",
        "lock_reason": "database lock for analysis",
        "participants_locked": 1,
        "forms_locked": 2,
    }
    folder = tmp_path / "export"
    write_dataset(exported, folder)
    assert json.loads((folder / PROVENANCE_FILE).read_text())["lock"]["study_locked"] is True
    report = validate_dataset(folder, load_protocol("ucmsc-rct"))
    assert report.dataset is not None
    assert report.dataset.provenance is None, "a clinic export is not marked synthetic"
    assert not [f for f in report.findings if f.file == PROVENANCE_FILE]


def test_a_lock_needs_a_reason_and_a_known_form(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        study = study_named(session, "regenera")
        woman = add_participant(session, study, site_coded(session, SITE), username="t")
        with pytest.raises(StudyError, match="reason: locking needs a reason"):
            locks.lock(session, study, woman, username="dm", reason="  ")
        with pytest.raises(StudyError, match="'day9' is not a form of study regenera"):
            locks.lock(session, study, woman, "day9", username="dm", reason="x")
        assert locks.lock_holding(session, woman, "screening") is None
