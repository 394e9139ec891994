"""Export and import of a study (``clinic.exchange``, ``clinic.importing``): a synthetic
cohort goes in and comes out equal, the arm column only for an unblinded reader, and a refused
import stores nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from ovaregen.clinic.exchange import dataset_zip, record_export, study_dataset
from ovaregen.clinic.importing import import_dataset
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.clinic.studies import StudyError, add_participant, site_coded, study_named
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.store import audit
from ovaregen.store.database import Database
from ovaregen.store.models import AllocationSlot, AuditEntry, Participant, Pregnancy
from ovaregen.synth import PUBLISHED_SIZE, synthesize

SITE = "MAD1"


def synthetic(study: str, tmp_path: Path, n: int | None = None):  # type: ignore[no-untyped-def]
    """A synthetic cohort written and read back as the import command reads it."""
    folder = tmp_path / f"synthetic-{study}"
    write_dataset(synthesize(study, n or PUBLISHED_SIZE[study], 7), folder)
    report = validate_dataset(folder, load_protocol(study))
    assert report.dataset is not None
    return report.dataset


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_randomised_study_round_trips_and_the_arm_is_only_unblinded(
    clinic_database: Database, tmp_path: Path
) -> None:
    source = synthetic("ucmsc-rct", tmp_path)
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        summary = import_dataset(session, study, source, username="importer", default_site=SITE)
    assert summary.participants == source.participants.height
    assert summary.pregnancies == source.pregnancies.height
    assert summary.allocations == source.participants.height
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        blinded = study_dataset(session, study, blinded=True, access=EVERYWHERE)
        unblinded = study_dataset(session, study, blinded=False, access=EVERYWHERE)
    assert "arm" not in blinded.supplied["participants"]
    assert blinded.participants.get_column("arm").null_count() == blinded.participants.height
    assert "arm" in unblinded.supplied["participants"]
    arms = dict(source.participants.select("participant_id", "arm").iter_rows())
    assert dict(unblinded.participants.select("participant_id", "arm").iter_rows()) == arms
    assert set(blinded.participants.get_column("site")) == {SITE}
    hidden = set(load_protocol("ucmsc-rct").arm_revealing)
    assert not hidden & set(blinded.supplied["participants"])
    assert all(blinded.participants.get_column(c).null_count() == 66 for c in hidden)
    compared = [
        c
        for c in source.supplied["participants"]
        if c not in {"status", "arm", *hidden} and c in source.participants.columns
    ]
    assert compared, "the synthetic cohort supplies measurements"
    assert (
        blinded.participants.select(compared)
        .sort("participant_id")
        .equals(source.participants.select(compared).sort("participant_id"))
    )
    assert blinded.pregnancies.sort("participant_id").equals(
        source.pregnancies.sort("participant_id")
    )


def test_the_written_export_reads_back_as_a_valid_dataset(
    clinic_database: Database, tmp_path: Path
) -> None:
    source = synthetic("mensc", tmp_path)
    with clinic_database.transaction() as session:
        study = study_named(session, "mensc")
        import_dataset(session, study, source, username="importer", default_site=SITE)
        exported = study_dataset(session, study, blinded=True, access=EVERYWHERE)
    write_dataset(exported, tmp_path / "exported")
    report = validate_dataset(tmp_path / "exported")
    assert report.errors == 0, report.findings
    assert report.dataset is not None
    assert report.dataset.participants.height == source.participants.height


def test_the_zip_holds_the_files_the_writer_writes(
    clinic_database: Database, tmp_path: Path
) -> None:
    source = synthetic("ucmsc-rct", tmp_path)
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        import_dataset(session, study, source, username="importer", default_site=SITE)
        exported = study_dataset(session, study, blinded=True, access=EVERYWHERE)
    write_dataset(exported, tmp_path / "folder")
    with zipfile.ZipFile(io.BytesIO(dataset_zip(exported))) as archive:
        written = sorted(p.name for p in (tmp_path / "folder").iterdir())
        assert sorted(archive.namelist()) == written
        assert {"participants.csv", "visits.csv", "adverse_events.csv"} <= set(written)
        for name in archive.namelist():
            assert archive.read(name) == (tmp_path / "folder" / name).read_bytes()
        assert b"ucmsc_hrt" not in archive.read("participants.csv")


def test_an_import_with_a_known_code_or_unknown_site_stores_nothing(
    clinic_database: Database, tmp_path: Path
) -> None:
    source = synthetic("mensc", tmp_path)
    first = source.participants.get_column("participant_id")[0]
    with clinic_database.transaction() as session:
        study = study_named(session, "mensc")
        add_participant(session, study, site_coded(session, SITE), username="x", code=first)
    before = (count(clinic_database, Participant), count(clinic_database, AuditEntry))
    with pytest.raises(StudyError) as refused, clinic_database.transaction() as session:
        import_dataset(
            session, study_named(session, "mensc"), source, username="i", default_site="BCN9"
        )
    message = str(refused.value)
    assert "nothing was stored" in message
    assert f"{first!r} is already in study mensc" in message
    assert "'BCN9' is not a site set up here" in message
    assert (count(clinic_database, Participant), count(clinic_database, AuditEntry)) == before
    assert count(clinic_database, Pregnancy) == 0


def test_arms_in_a_single_arm_study_are_refused(clinic_database: Database, tmp_path: Path) -> None:
    source = synthetic("mensc", tmp_path)
    armed = source.participants.with_columns(pl.lit("hrt").alias("arm"))
    dataset = type(source)(
        participants=armed,
        pregnancies=source.pregnancies,
        source="armed",
        supplied=source.supplied,
        warnings=(),
    )
    with (
        pytest.raises(StudyError, match="column arm: mensc has no arms"),
        clinic_database.transaction() as session,
    ):
        import_dataset(
            session, study_named(session, "mensc"), dataset, username="i", default_site=SITE
        )
    assert count(clinic_database, AllocationSlot) == 0


def test_women_still_in_screening_are_exported_as_screening(clinic_database: Database) -> None:
    """INTERCHANGE.md: status ``screening`` = not yet decided; the export keeps her."""
    with clinic_database.transaction() as session:
        study = study_named(session, "regenera")
        woman = add_participant(session, study, site_coded(session, SITE), username="c")
        exported = study_dataset(session, study, blinded=True, access=EVERYWHERE)
    assert exported.participants.select("participant_id", "status").rows() == [
        (woman.code, "screening")
    ]
    assert not exported.warnings


def test_an_export_is_audited_with_who_and_whether_blinded(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        dataset = study_dataset(session, study, blinded=False, access=EVERYWHERE)
        record_export(session, study, dataset, username="statistician", blinded=False)
    with clinic_database.transaction() as session:
        entry = audit.query(session, audit.AuditFilter(username="statistician"))[-1]
        assert (entry.action, entry.entity, entry.study) == ("export", "dataset", "ucmsc-rct")
        assert entry.changes["blinded"] == [None, False]
        assert audit.verify(session).intact


def test_a_code_that_looks_like_a_name_or_an_identity_number_is_refused(
    clinic_database: Database, tmp_path: Path
) -> None:
    source = synthetic("mensc", tmp_path)
    named = source.participants.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("Maria Garcia"))
        .when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("12345678Z"))
        .otherwise(pl.col("participant_id"))
        .alias("participant_id")
    )
    dataset = type(source)(participants=named, source="named", supplied=source.supplied)
    with pytest.raises(StudyError) as refused, clinic_database.transaction() as session:
        import_dataset(
            session, study_named(session, "mensc"), dataset, username="i", default_site=SITE
        )
    message = str(refused.value)
    assert "line 2, column participant_id: 'Maria Garcia'" in message
    assert "line 3, column participant_id: '12345678Z' looks like an identity document" in message
    assert count(clinic_database, Participant) == 0
    with (
        pytest.raises(StudyError, match="refused: it looks like an e-mail address"),
        clinic_database.transaction() as session,
    ):
        add_participant(
            session,
            study_named(session, "mensc"),
            site_coded(session, SITE),
            username="c",
            code="ana@example.org",
        )
