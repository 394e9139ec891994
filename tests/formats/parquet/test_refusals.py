"""Parquet files of the wrong types are refused through ``ovaregen convert``: the reader
turns them into text and the validator names file, row, column and value; files that are
not Parquet, or hold lists, are refused naming the file and column. Nothing is written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ovaregen.io.reader import read_dataset
from ovaregen.io.writer import write_dataset
from tests.formats.cohorts import assert_same, synthetic_cohort
from tests.formats.convert_cli import convert, refused_reading

STUDY = "ucmsc-rct"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """Study C as a Parquet folder written by ``ovaregen convert --to parquet``."""
    dataset, _ = synthetic_cohort(STUDY)
    write_dataset(dataset, tmp_path / "interchange")
    out = tmp_path / "parquet"
    code, output = _convert(tmp_path / "interchange", ["--to", "parquet"], out)
    assert code == 0, output
    return out


def _convert(source: Path, options: list[str], out: Path) -> tuple[int, str]:
    return convert(source, STUDY, out, *options)


def _refused(source: Path, tmp_path: Path) -> str:
    return refused_reading(source, STUDY, "parquet", tmp_path)


def _replace_column(path: Path, name: str, values: pa.Array) -> None:
    table = pq.read_table(path)
    at = table.column_names.index(name)
    pq.write_table(table.set_column(at, name, values), path)


def test_convert_writes_parquet_and_reads_it_back_equal(export: Path, tmp_path: Path) -> None:
    dataset, _ = synthetic_cohort(STUDY)
    code, output = _convert(export, ["--from", "parquet"], tmp_path / "back")
    assert code == 0, output
    assert_same(read_dataset(tmp_path / "back"), dataset)


def test_a_string_in_a_number_column_names_row_column_and_value(
    export: Path, tmp_path: Path
) -> None:
    path = export / "participants.parquet"
    ages = pq.read_table(path).column("age_years").to_pylist()
    text = [None if a is None else str(a) for a in ages]
    text[3] = "forty"
    _replace_column(path, "age_years", pa.array(text, pa.string()))
    output = _refused(export, tmp_path)
    assert "participants.parquet row 4, column age_years" in output and '"forty"' in output


def test_an_integer_in_a_date_column_names_row_column_and_value(
    export: Path, tmp_path: Path
) -> None:
    path = export / "visits.parquet"
    days = pq.read_table(path).column("visit_date").cast(pa.int32()).to_pylist()
    _replace_column(path, "visit_date", pa.array(days, pa.int64()))
    output = _refused(export, tmp_path)
    assert "visits.parquet row 1, column visit_date" in output and str(days[0]) in output


def test_a_time_of_day_in_a_date_column_is_refused(export: Path, tmp_path: Path) -> None:
    path = export / "visits.parquet"
    dates = pq.read_table(path).column("visit_date").to_pylist()
    stamps = [None if d is None else dt.datetime.combine(d, dt.time()) for d in dates]
    stamps[1] = stamps[1].replace(hour=13, minute=5) if stamps[1] else None
    _replace_column(path, "visit_date", pa.array(stamps, pa.timestamp("us")))
    output = _refused(export, tmp_path)
    assert "visits.parquet row 2, column visit_date" in output and "T13:05:00" in output


def test_a_list_column_is_refused_naming_it(export: Path, tmp_path: Path) -> None:
    path = export / "participants.parquet"
    height = pq.read_table(path).num_rows
    _replace_column(path, "age_years", pa.array([[1.0, 2.0]] * height))
    output = _refused(export, tmp_path)
    assert "participants.parquet" in output and "column age_years" in output and "List" in output


def test_a_file_that_is_not_parquet_is_refused(export: Path, tmp_path: Path) -> None:
    (export / "visits.parquet").write_bytes(b"participant_id,visit\nUC-001,month_3\n")
    output = _refused(export, tmp_path)
    assert "visits.parquet" in output and "not read as Parquet" in output


def test_a_missing_participants_file_is_refused(export: Path, tmp_path: Path) -> None:
    (export / "participants.parquet").unlink()
    output = _refused(export, tmp_path)
    assert "participants.parquet" in output and "missing" in output


def test_a_choice_not_in_the_dictionary_names_row_column_and_value(
    export: Path, tmp_path: Path
) -> None:
    path = export / "participants.parquet"
    status = pq.read_table(path).column("status").to_pylist()
    status[0] = "finished"
    _replace_column(path, "status", pa.array(status).dictionary_encode())
    output = _refused(export, tmp_path)
    assert "participants.parquet row 1, column status" in output and '"finished"' in output


def test_infinity_is_refused_and_nan_is_a_missing_value(export: Path, tmp_path: Path) -> None:
    """pandas writes a missing float as NaN: read as missing; infinity is no age."""
    path = export / "participants.parquet"
    ages = pq.read_table(path).column("age_years").to_pylist()
    ages[0], ages[1] = float("inf"), float("nan")
    _replace_column(path, "age_years", pa.array(ages, pa.float64()))
    output = _refused(export, tmp_path)
    assert "participants.parquet row 1, column age_years" in output and '"inf"' in output
    assert "row 2" not in output
    ages[0] = 30.0
    _replace_column(path, "age_years", pa.array(ages, pa.float64()))
    code, output = _convert(export, ["--from", "parquet"], tmp_path / "back")
    assert code == 0, output
    assert read_dataset(tmp_path / "back").participants["age_years"][1] is None
