"""Written REDCap folders read back equal: the synthetic cohorts, label values, extra
columns, and any dataset hypothesis makes (missing values, twins, repeated visits)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.redcap.naming import RECORD_ID
from ovaregen.formats.redcap.project import dataset_columns, project
from ovaregen.formats.redcap.reader import read_redcap
from ovaregen.formats.redcap.records import export_records
from ovaregen.formats.redcap.writer import write_redcap
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_report
from ovaregen.io.reader import read_dataset
from tests.formats.cohorts import assert_same
from tests.formats.generated import datasets, validated


def _read(folder: Path, protocol: Protocol) -> Dataset:
    report = read_redcap(folder, protocol, None)
    assert report.dataset is not None, render_report(report)
    return report.dataset


def test_the_synthetic_cohorts_read_back_equal(cohort: tuple[Dataset, Protocol, Path]) -> None:
    dataset, protocol, folder = cohort
    assert_same(_read(folder, protocol), dataset)


def test_pandas_reads_the_records_as_written(cohort: tuple[Dataset, Protocol, Path]) -> None:
    dataset, protocol, folder = cohort
    records = pd.read_csv(folder / f"{protocol.name}_DATA.csv", dtype=str, keep_default_na=False)
    expected = export_records(dataset, project(protocol, dataset_columns(dataset)))
    assert list(records.columns) == expected.columns
    assert records.shape == expected.shape
    assert records.columns[:2].tolist() == [RECORD_ID, "redcap_event_name"]
    enrolment = records[records["redcap_event_name"] == "enrolment_arm_1"]
    first_rows = enrolment[enrolment["redcap_repeat_instrument"] == ""]
    assert first_rows[RECORD_ID].tolist() == dataset.participants[RECORD_ID].to_list()
    follow_up = records[records["redcap_event_name"] != "enrolment_arm_1"]
    assert len(follow_up) == dataset.visits.height
    repeated = records[records["redcap_repeat_instrument"] != ""]
    assert len(repeated) == (
        dataset.pregnancies.height + dataset.adverse_events.height + dataset.mobilisation.height
    )
    dictionary = pd.read_csv(folder / f"{protocol.name}_DataDictionary.csv", dtype=str)
    assert dictionary.shape[1] == 18


def test_label_values_read_back_equal(
    cohort: tuple[Dataset, Protocol, Path], tmp_path: Path
) -> None:
    dataset, protocol, folder = cohort
    copy = tmp_path / "labels"
    copy.mkdir()
    for file in folder.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    labels = export_records(dataset, project(protocol, dataset_columns(dataset)), labels=True)
    labels.write_csv(copy / f"{protocol.name}_DATA.csv", null_value="")
    statuses = set(labels.get_column("status").drop_nulls())
    assert statuses and statuses <= {
        "Completed",
        "Ongoing",
        "Withdrawn",
        "Lost to follow up",
        "Screening",
        "Screen failed",
    }
    assert_same(_read(copy, protocol), dataset)


def test_extra_columns_and_formula_like_text_survive(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text(
        'participant_id,age_years,Notes here!,notes-here\nP1,31,=1+1,"two\nlines"\nP2,,,x\n'
    )
    (source / "adverse_events.csv").write_text("participant_id,term,Reporter\nP1,headache,@me\n")
    dataset = read_dataset(source, protocol)
    write_redcap(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    back = _read(tmp_path / "out", protocol)
    assert_same(back, dataset)
    assert back.participants.get_column("Notes here!").to_list() == ["=1+1", None]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=datasets())
def test_any_valid_dataset_survives_redcap(generated: Dataset) -> None:
    protocol = load_protocol("ucmsc-rct")
    with tempfile.TemporaryDirectory() as tmp:
        dataset = validated(generated, protocol, Path(tmp) / "interchange")
        write_redcap(dataset, protocol, Path(tmp) / "redcap", NO_CLINIC_RECORDS)
        assert_same(_read(Path(tmp) / "redcap", protocol), dataset)
