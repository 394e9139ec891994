"""Stata .dta folders read back equal by our reader, and by pandas' own ``read_stata`` /
``StataReader`` as the documented decoding says: values, variable labels, value labels."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat
from hypothesis import HealthCheck, given, settings

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.domain.variables import DatasetFile, Kind, variable, variables_of
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.stata import LABEL_LIMIT, read_stata, write_stata
from ovaregen.formats.statistics_packages import (
    RESERVED,
    shortened,
    stored_names,
    value_labels_of,
)
from ovaregen.formats.typed import label_of, tables_of, variable_of
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_report
from ovaregen.io.reader import read_dataset
from tests.formats.cohorts import assert_same
from tests.formats.generated import datasets, validated
from tests.formats.statistics_packages.independent import expected, found, same


def _read(folder: Path, protocol: Protocol) -> Dataset:
    report = read_stata(folder, protocol)
    assert report.dataset is not None, render_report(report)
    return report.dataset


def _pandas_agrees(dataset: Dataset, folder: Path) -> None:
    """pandas' read_stata gives every value, label and value label the docs promise."""
    for file, frame in tables_of(dataset).items():
        path = folder / f"{file.value}.dta"
        names = stored_names(file, list(frame.columns), 32)
        read = pd.read_stata(path)
        assert list(read.columns) == [names[c] for c in frame.columns]
        assert len(read) == frame.height
        with pd.io.stata.StataReader(path) as reader:
            labels = reader.variable_labels()
            value_labels = list(reader.value_labels().values())
        for column in frame.columns:
            wanted = expected(file, frame.get_column(column))
            assert same(found(read[names[column]]), wanted), (file, column)
            assert labels[names[column]] == shortened(label_of(file, column), LABEL_LIMIT)
            v = variable_of(file, column)
            if v is not None and v.kind in (Kind.CHOICE, Kind.BOOLEAN):
                assert value_labels_of(v) in value_labels, (file, column)
                labelled = read[names[column]]
                if isinstance(labelled.dtype, pd.CategoricalDtype):
                    categories = set(labelled.cat.categories)
                    assert categories <= set(value_labels_of(v).values()), (file, column)
                else:  # pandas makes no categories of a column with no values
                    assert labelled.isna().all(), (file, column)


def test_the_synthetic_cohorts_read_back_equal(
    stata_cohort: tuple[Dataset, Protocol, Path],
) -> None:
    dataset, protocol, folder = stata_cohort
    assert_same(_read(folder, protocol), dataset)


def test_pandas_reads_the_values_and_labels_as_written(
    stata_cohort: tuple[Dataset, Protocol, Path],
) -> None:
    dataset, _, folder = stata_cohort
    _pandas_agrees(dataset, folder)


def test_counts_are_long_numbers_double_and_dates_td(
    stata_cohort: tuple[Dataset, Protocol, Path],
) -> None:
    dataset, _, folder = stata_cohort
    _, meta = pyreadstat.read_dta(folder / "participants.dta", metadataonly=True)
    for column in tables_of(dataset)[DatasetFile.PARTICIPANTS].columns:
        v = variable_of(DatasetFile.PARTICIPANTS, column)
        if v is None:
            continue
        if v.kind is Kind.INTEGER:
            assert meta.readstat_variable_types[column] == "int32", column
        if v.kind is Kind.NUMBER:
            assert meta.readstat_variable_types[column] == "double", column
        if v.kind is Kind.DATE:
            assert meta.original_variable_types[column] == "%td", column


def test_extra_columns_keep_their_names_through_the_label(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text(
        "participant_id,age_years,Notes here!,notes-here,notes_here,2nd,in\n"
        'P1,31,=1+1,"two\nlines",a,b,c\nP2,,,x,,,\n'
    )
    dataset = read_dataset(source, protocol)
    write_stata(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    read = pd.read_stata(tmp_path / "out" / "participants.dta")
    assert list(read.columns) == [
        "participant_id",
        "age_years",
        "Notes_here_",
        "notes_here_2",
        "notes_here",
        "v_2nd",
        "v_in",
    ]
    back = _read(tmp_path / "out", protocol)
    assert_same(back, dataset)
    assert back.participants.get_column("notes-here").to_list() == ["two\nlines", "x"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=datasets())
def test_any_valid_dataset_survives_stata(generated: Dataset) -> None:
    protocol = load_protocol("ucmsc-rct")
    with tempfile.TemporaryDirectory() as tmp:
        dataset = validated(generated, protocol, Path(tmp) / "interchange")
        write_stata(dataset, protocol, Path(tmp) / "stata", NO_CLINIC_RECORDS)
        assert_same(_read(Path(tmp) / "stata", protocol), dataset)
        _pandas_agrees(dataset, Path(tmp) / "stata")


def test_every_dictionary_name_is_a_stata_and_spss_name() -> None:
    for file in DatasetFile:
        names = [v.name for v in variables_of(file)]
        assert stored_names(file, names, 32) == {n: n for n in names}
        assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,30}", n) for n in names), file
        assert not {n.lower() for n in names} & RESERVED


def test_a_long_text_is_a_strl_pandas_reads(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    long = "é" * 3000  # 6000 bytes: over str#'s 2045
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text(f"participant_id,note\nP1,{long}\nP2,\n")
    dataset = read_dataset(source, protocol)
    write_stata(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    assert pd.read_stata(tmp_path / "out" / "participants.dta")["note"].tolist() == [long, ""]
    assert_same(_read(tmp_path / "out", protocol), dataset)


def test_a_file_pandas_wrote_is_read_through_its_own_value_labels(tmp_path: Path) -> None:
    """An independent writer: pandas' ``to_stata`` codes categories from 0, labels them with
    their text; dates as ``%td``. Our reader takes the words through the labels."""
    folder = tmp_path / "stata"
    folder.mkdir()
    pd.DataFrame(
        {
            "participant_id": ["P1", "P2", "P3"],
            "status": pd.Categorical(["Completed", None, "Lost to follow up"]),
            "age_years": [31.0, None, 40.0],
            "screening_date": pd.to_datetime(["2024-01-02", None, "2023-12-31"]),
        }
    ).to_stata(
        folder / "participants.dta", write_index=False, convert_dates={"screening_date": "td"}
    )
    report = read_stata(folder, load_protocol("ucmsc-rct"))
    assert report.dataset is not None, render_report(report)
    participants = report.dataset.participants
    statuses = participants.get_column("status").to_list()  # unknown: the default, as in a CSV
    assert statuses == ["completed", variable("status").default, "lost_to_follow_up"]
    assert participants.get_column("age_years").to_list() == [31.0, None, 40.0]
    assert [str(d) for d in participants.get_column("screening_date")] == [
        "2024-01-02",
        "None",
        "2023-12-31",
    ]
