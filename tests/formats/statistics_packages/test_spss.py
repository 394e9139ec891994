"""SPSS .sav folders read back equal by our reader, and by ``pyreadstat.read_sav`` and pandas'
``read_spss`` as the documented decoding says: values, labels, value labels, measure levels.
(pandas' ``read_spss`` reads through pyreadstat: both check the file ReadStat wrote, not an
independent implementation of the format.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat
from hypothesis import HealthCheck, given, settings

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.domain.variables import Kind
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.spss import LABEL_LIMIT, NAME_LIMIT, read_spss, write_spss
from ovaregen.formats.statistics_packages import shortened, stored_names, value_labels_of
from ovaregen.formats.typed import label_of, tables_of, variable_of
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_report
from ovaregen.io.reader import read_dataset
from tests.formats.cohorts import assert_same
from tests.formats.generated import datasets, validated
from tests.formats.statistics_packages.independent import expected, found, same

MEASURES = {Kind.NUMBER: "scale", Kind.INTEGER: "scale", Kind.DATE: "scale"}


def _read(folder: Path, protocol: Protocol) -> Dataset:
    report = read_spss(folder, protocol)
    assert report.dataset is not None, render_report(report)
    return report.dataset


def _readers_agree(dataset: Dataset, folder: Path) -> None:
    for file, frame in tables_of(dataset).items():
        path = folder / f"{file.value}.sav"
        names = stored_names(file, list(frame.columns), NAME_LIMIT)
        by_pandas = pd.read_spss(path)
        by_pyreadstat, meta = pyreadstat.read_sav(path, apply_value_formats=True)
        for read in (by_pandas, by_pyreadstat):
            assert list(read.columns) == [names[c] for c in frame.columns]
            assert len(read) == frame.height
        for column in frame.columns:
            stored = names[column]
            wanted = expected(file, frame.get_column(column))
            assert same(found(by_pandas[stored]), wanted), (file, column)
            assert same(found(by_pyreadstat[stored]), wanted), (file, column)
            assert meta.column_names_to_labels[stored] == shortened(
                label_of(file, column), LABEL_LIMIT
            )
            v = variable_of(file, column)
            assert meta.variable_measure[stored] == (
                MEASURES.get(v.kind, "nominal") if v else "nominal"
            )
            if v is not None and v.kind in (Kind.CHOICE, Kind.BOOLEAN):
                assert meta.variable_value_labels[stored] == value_labels_of(v)
            if v is not None and v.kind is Kind.DATE:
                assert meta.original_variable_types[stored] == "DATE11"


def test_the_synthetic_cohorts_read_back_equal(
    spss_cohort: tuple[Dataset, Protocol, Path],
) -> None:
    dataset, protocol, folder = spss_cohort
    assert_same(_read(folder, protocol), dataset)


def test_pyreadstat_and_pandas_read_the_values_and_labels_as_written(
    spss_cohort: tuple[Dataset, Protocol, Path],
) -> None:
    dataset, _, folder = spss_cohort
    _readers_agree(dataset, folder)


def test_extra_columns_keep_their_names_through_the_label(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text(
        "participant_id,Notes here!,notes-here,NOTES_HERE,with\nP1,=1+1,a,b,c\nP2,,x,,\n"
    )
    dataset = read_dataset(source, protocol)
    write_spss(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    read = pd.read_spss(tmp_path / "out" / "participants.sav")
    assert list(read.columns) == [
        "participant_id",
        "Notes_here_",
        "notes_here_2",
        "NOTES_HERE",
        "v_with",
    ]
    assert_same(_read(tmp_path / "out", protocol), dataset)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=datasets())
def test_any_valid_dataset_survives_spss(generated: Dataset) -> None:
    protocol = load_protocol("ucmsc-rct")
    with tempfile.TemporaryDirectory() as tmp:
        dataset = validated(generated, protocol, Path(tmp) / "interchange")
        write_spss(dataset, protocol, Path(tmp) / "spss", NO_CLINIC_RECORDS)
        assert_same(_read(Path(tmp) / "spss", protocol), dataset)
        _readers_agree(dataset, Path(tmp) / "spss")
