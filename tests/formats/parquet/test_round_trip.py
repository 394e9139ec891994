"""Written Parquet folders are read by pyarrow alone equal to the source, in the dictionary's
types with its descriptions and units as metadata; pandas reads them, and a folder pandas
wrote from the same columns reads back equal; our reader gives back the same dataset for the
synthetic cohorts and any dataset hypothesis makes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.parquet import read_parquet, write_parquet
from ovaregen.formats.typed import tables_of
from ovaregen.io.dataset import PROVENANCE_FILE, Dataset
from ovaregen.io.findings import render_report
from ovaregen.io.reader import read_dataset
from ovaregen.io.writer import write_dataset
from tests.formats.cohorts import assert_same
from tests.formats.generated import datasets, validated

EXPECTED_TYPES = {
    pl.Float64: pa.float64(),
    pl.Int64: pa.int64(),
    pl.Boolean: pa.bool_(),
    pl.Date: pa.date32(),
    pl.String: pa.string(),
}


def _read(folder: Path, protocol: Protocol) -> Dataset:
    report = read_parquet(folder, protocol, None)
    assert report.dataset is not None, render_report(report)
    return report.dataset


def test_the_synthetic_cohorts_read_back_equal(cohort: tuple[Dataset, Protocol, Path]) -> None:
    dataset, protocol, folder = cohort
    assert_same(_read(folder, protocol), dataset)


def test_pyarrow_reads_the_source_values_in_the_dictionarys_types(
    cohort: tuple[Dataset, Protocol, Path],
) -> None:
    dataset, protocol, folder = cohort
    tables = tables_of(dataset)
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted([PROVENANCE_FILE, *(f"{f.value}.parquet" for f in tables)])
    for file, frame in tables.items():
        table = pq.read_table(folder / f"{file.value}.parquet")
        assert table.column_names == frame.columns
        assert table.to_pydict() == frame.to_dict(as_series=False), file
        for name, dtype in frame.schema.items():
            assert table.schema.field(name).type == EXPECTED_TYPES[type(dtype)], (file, name)
        note = json.loads(table.schema.metadata[b"ovaregen"])
        assert note["protocol"] == protocol.name and note["table"] == file.value
        assert note["ovaregen_version"]


def test_descriptions_units_and_choices_are_field_metadata(
    cohort: tuple[Dataset, Protocol, Path],
) -> None:
    _, _, folder = cohort
    schema = pq.read_schema(folder / "participants.parquet")
    age = schema.field("age_years").metadata
    assert age[b"unit"] == b"years" and age[b"kind"] == b"number" and age[b"description"]
    status = schema.field("status")
    assert status.type == pa.string()
    choices = json.loads(status.metadata[b"choices"])
    assert "completed" in choices and "withdrawn" in choices


def test_pandas_reads_the_files(cohort: tuple[Dataset, Protocol, Path]) -> None:
    dataset, _, folder = cohort
    frame = pd.read_parquet(folder / "participants.parquet", dtype_backend="pyarrow")
    expected = tables_of(dataset)[DatasetFile.PARTICIPANTS]
    assert frame.shape == expected.shape
    assert pl.from_pandas(frame).equals(expected, null_equal=True)
    assert frame["participant_id"].tolist() == dataset.participants["participant_id"].to_list()
    assert str(frame["age_years"].dtype) == "double[pyarrow]"


def test_a_folder_pandas_wrote_reads_back_equal(
    cohort: tuple[Dataset, Protocol, Path], tmp_path: Path
) -> None:
    """pandas' own ``to_parquet`` of the same columns (numpy types: integers with gaps as
    floats, dates as timestamps, a categorical, an index column) reads as the same dataset."""
    dataset, protocol, _ = cohort
    out = tmp_path / "from-pandas"
    out.mkdir()
    for file, frame in tables_of(dataset).items():
        table = frame.to_pandas()
        if "status" in table.columns:
            table["status"] = table["status"].astype("category")
        table.index = pd.RangeIndex(10, 10 + len(table))  # written as __index_level_0__
        table.index.name = None
        table.to_parquet(out / f"{file.value}.parquet", index=True)
    participants = pq.read_schema(out / "participants.parquet")
    assert "__index_level_0__" in participants.names or participants.pandas_metadata
    assert_same(_read(out, protocol), dataset)


def test_floats_keep_every_bit_and_extras_are_text(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    amh = [0.1 + 0.2, 1 / 3, 29.999999999999996, 5e-324, None]
    frame = conform(
        pl.DataFrame({"participant_id": [f"P{i}" for i in range(5)], "amh_ng_ml": amh})
    ).with_columns(pl.Series("Notes, free", ["=1+1", "a", None, "é", "x"]))
    made = Dataset(frame, supplied={"participants": ("participant_id", "amh_ng_ml")})
    write_dataset(made, tmp_path / "interchange")
    dataset = read_dataset(tmp_path / "interchange", protocol)  # as a reader completes it
    write_parquet(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    table = pq.read_table(tmp_path / "out" / "participants.parquet")
    assert table.column("amh_ng_ml").to_pylist() == amh
    assert table.schema.field("Notes, free").type == pa.string()
    assert_same(_read(tmp_path / "out", protocol), dataset)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=datasets())
def test_any_valid_dataset_survives_parquet(generated: Dataset) -> None:
    protocol = load_protocol("ucmsc-rct")
    with tempfile.TemporaryDirectory() as tmp:
        dataset = validated(generated, protocol, Path(tmp) / "interchange")
        write_parquet(dataset, protocol, Path(tmp) / "out", NO_CLINIC_RECORDS)
        for file, frame in tables_of(dataset).items():
            table = pq.read_table(Path(tmp) / "out" / f"{file.value}.parquet")
            assert table.to_pydict() == frame.to_dict(as_series=False)
        assert_same(_read(Path(tmp) / "out", protocol), dataset)
