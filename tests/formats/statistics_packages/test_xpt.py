"""SAS transport v5 folders read back equal by our reader, and by pandas' own
``read_sas(format="xport")`` as the documented decoding says (aliases from aliases.csv, SAS
day numbers, 0/1 booleans, pandas' tiny zero); the alias table is the one the docs print."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, reject, settings

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.domain.variables import DatasetFile, Kind
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.errors import FormatError
from ovaregen.formats.statistics_packages import shortened
from ovaregen.formats.typed import label_of, tables_of, variable_of
from ovaregen.formats.xpt import LABEL_LIMIT, read_xpt, write_xpt
from ovaregen.formats.xpt_aliases import aliases_of, member_name
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_report
from ovaregen.io.reader import read_dataset
from tests.formats.cohorts import assert_same
from tests.formats.generated import datasets, validated
from tests.formats.statistics_packages.independent import expected, found, same

DOCS = Path(__file__).parents[3] / "docs" / "formats-xpt.md"


def _read(folder: Path, protocol: Protocol) -> Dataset:
    report = read_xpt(folder, protocol)
    assert report.dataset is not None, render_report(report)
    return report.dataset


def _pandas_agrees(dataset: Dataset, folder: Path) -> None:
    aliases = pd.read_csv(folder / "aliases.csv", dtype=str, keep_default_na=False)
    for file, frame in tables_of(dataset).items():
        rows = aliases[aliases["table"] == file.value]
        alias = dict(zip(rows["name"], rows["alias"], strict=True))
        assert list(rows["name"]) == list(frame.columns)
        assert all(len(a) <= 8 and a == a.upper() for a in alias.values())
        path = folder / f"{file.value}.xpt"
        if frame.height == 0:  # pandas cannot read a member with no rows (docs, "Traps")
            with pytest.raises(StopIteration):
                pd.read_sas(path, format="xport", encoding="utf-8")
            empty, _ = pyreadstat.read_xport(path)
            assert list(empty.columns) == [alias[c] for c in frame.columns]
            assert len(empty) == 0
            continue
        try:
            read = pd.read_sas(path, format="xport", encoding="utf-8")
        except StopIteration:  # pandas counted no row: its short-record count (docs, "Traps")
            with pd.read_sas(path, format="xport", iterator=True) as reader:
                assert reader.record_length <= 80
            assert len(pyreadstat.read_xport(path)[0]) == frame.height
            continue
        assert list(read.columns) == [alias[c] for c in frame.columns]
        read = _rows_pandas_counts(read, path, frame.height)
        for column in frame.columns:
            wanted = expected(file, frame.get_column(column)[: len(read)], transport=True)
            assert same(found(read[alias[column]]), wanted, transport=True), (file, column)
        _, meta = pyreadstat.read_xport(path, metadataonly=True)
        assert meta.table_name == member_name(file)
        for column in frame.columns:
            label = label_of(file, column)
            assert meta.column_names_to_labels[alias[column]] == shortened(
                label, LABEL_LIMIT, in_bytes=True
            )
            assert rows[rows["name"] == column]["label"].item() == label
            v = variable_of(file, column)
            if v is not None and v.kind is Kind.DATE:
                assert meta.original_variable_types[alias[column]] == "DATE9."


def _rows_pandas_counts(read: pd.DataFrame, path: Path, height: int) -> pd.DataFrame:
    """pandas' rows, checked against the table's count: exactly when the record is over 80
    bytes; when it is not, pandas takes every 8 blank bytes of the last 80 for padding
    (``XportReader._record_count``) and may read a row more or fewer (docs, "Traps"), so only
    the rows both hold are compared, a row more being blank."""
    with pd.read_sas(path, format="xport", iterator=True) as reader:
        record = reader.record_length
    if record > 80:
        assert len(read) == height
        return read
    past = read.iloc[height:]
    assert all(v in (b"", "") for v in past.to_numpy().ravel()), past
    return read.iloc[: min(height, len(read))]


def test_the_synthetic_cohorts_read_back_equal(
    xpt_cohort: tuple[Dataset, Protocol, Path],
) -> None:
    dataset, protocol, folder = xpt_cohort
    assert_same(_read(folder, protocol), dataset)


def test_pandas_reads_the_values_as_written(xpt_cohort: tuple[Dataset, Protocol, Path]) -> None:
    dataset, _, folder = xpt_cohort
    _pandas_agrees(dataset, folder)


def test_pandas_reads_a_zero_as_a_tiny_number(tmp_path: Path) -> None:
    """The trap the tolerance is for (pandas-dev/pandas#50670); pyreadstat reads 0."""
    protocol = load_protocol("ucmsc-rct")
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text("participant_id,afc\nP1,0\nP2,7\nP3,\n")
    dataset = read_dataset(source, protocol)
    write_xpt(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    read = pd.read_sas(tmp_path / "out" / "participants.xpt", format="xport")
    assert 0 < read["AFC"][0] < 1e-70
    assert read["AFC"][1] == 7
    by_pyreadstat, _ = pyreadstat.read_xport(tmp_path / "out" / "participants.xpt")
    assert by_pyreadstat["AFC"].tolist()[:2] == [0, 7]
    assert_same(_read(tmp_path / "out", protocol), dataset)


def test_aliases_are_stable_unique_and_as_documented() -> None:
    rows = re.findall(r"^\| (\w+) \| `(\w+)` \| `(\w+)` \|", DOCS.read_text(), re.M)
    assert rows  # the docs print the table
    for file in DatasetFile:
        aliases = aliases_of(file)
        assert len(set(aliases.values())) == len(aliases)
        with_extra = aliases_of(file, ["extra note", "participant id"])
        assert {name: with_extra[name] for name in aliases} == aliases  # extras come after
        assert len(set(with_extra.values())) == len(with_extra)
        assert [(t, n, a) for t, n, a in rows if t == file.value] == [
            (file.value, n, a) for n, a in aliases.items()
        ]


def test_extra_columns_get_aliases_after_the_dictionary(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text(
        "participant_id,age_years,Notes here!,notes-here,AGE\nP1,31,=1+1,a,b\nP2,,,x,\n"
    )
    dataset = read_dataset(source, protocol)
    write_xpt(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    read = pd.read_sas(tmp_path / "out" / "participants.xpt", format="xport")
    assert list(read.columns) == ["PARTICIP", "AGE_YEAR", "NOTES_HE", "NOTES_H2", "AGE"]
    assert_same(_read(tmp_path / "out", protocol), dataset)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=datasets())
def test_any_valid_dataset_survives_xpt(generated: Dataset) -> None:
    protocol = load_protocol("ucmsc-rct")
    with tempfile.TemporaryDirectory() as tmp:
        dataset = validated(generated, protocol, Path(tmp) / "interchange")
        try:
            write_xpt(dataset, protocol, Path(tmp) / "xpt", NO_CLINIC_RECORDS)
        except FormatError as refused:  # a number under 16^-65: a refusal, nothing written
            assert "IBM floating point" in str(refused)
            assert not (Path(tmp) / "xpt").exists()
            reject()
        assert_same(_read(Path(tmp) / "xpt", protocol), dataset)
        _pandas_agrees(dataset, Path(tmp) / "xpt")
