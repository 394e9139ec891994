"""Written ODM files validate against CDISC's ODM 1.3.2 XSD (lxml while written, xmlschema
here) and read back equal: the synthetic cohorts, extra columns and awkward text, and any
dataset hypothesis makes (missing values, twins, repeated visits)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.odm.reader import read_odm
from ovaregen.formats.odm.writer import write_odm
from ovaregen.formats.registry import CODECS, Format
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_report
from ovaregen.io.reader import read_dataset
from tests.formats.cohorts import assert_same
from tests.formats.generated import datasets, validated
from tests.formats.odm.conftest import schema_errors


def _read(path: Path, protocol: Protocol) -> Dataset:
    report = read_odm(path, protocol)
    assert report.dataset is not None, render_report(report)
    return report.dataset


def test_the_synthetic_cohorts_read_back_equal(cohort: tuple[Dataset, Protocol, Path]) -> None:
    dataset, protocol, path = cohort
    assert_same(_read(path, protocol), dataset)


def test_the_cohort_files_validate_with_xmlschema(cohort: tuple[Dataset, Protocol, Path]) -> None:
    _, _, path = cohort
    assert schema_errors(path) == []


def test_the_codec_is_registered_both_ways() -> None:
    codec = CODECS[Format.ODM]
    assert codec.write is not None and codec.read is not None


def test_extra_columns_line_breaks_and_markup_survive(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text(
        "participant_id,age_years,site,Notes here!,notes-here\n"
        'P1,31,Site <A> & "B",=1+1,"two\nlines\tand a tab"\nP2,,,,x\n'
    )
    (source / "adverse_events.csv").write_text("participant_id,term,Reporter\nP1,headache,@me\n")
    dataset = read_dataset(source, protocol)
    out = tmp_path / "study.xml"
    write_odm(dataset, protocol, out, NO_CLINIC_RECORDS)
    assert schema_errors(out) == []
    back = _read(out, protocol)
    assert_same(back, dataset)
    assert back.participants.get_column("notes-here").to_list() == ["two\nlines\tand a tab", "x"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=datasets())
def test_any_valid_dataset_survives_odm(generated: Dataset) -> None:
    protocol = load_protocol("ucmsc-rct")
    with tempfile.TemporaryDirectory() as tmp:
        dataset = validated(generated, protocol, Path(tmp) / "interchange")
        out = Path(tmp) / "study.xml"
        write_odm(dataset, protocol, out, NO_CLINIC_RECORDS)
        assert schema_errors(out) == []
        assert_same(_read(out, protocol), dataset)
