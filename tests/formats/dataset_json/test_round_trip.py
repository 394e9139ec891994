"""Written Dataset-JSON folders validate against CDISC's schema (its own draft-2019-09
validator, rows included), hold ``records`` rows as wide as ``columns``, hold the source's
values as JSON gives them, and read back equal: the synthetic cohorts and any dataset
hypothesis makes."""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS, AuditRecord, ClinicRecords
from ovaregen.formats.dataset_json import json_rows, read_dataset_json, schema, write_dataset_json
from ovaregen.formats.errors import FormatError
from ovaregen.formats.typed import tables_of
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_report
from tests.formats.cohorts import assert_same
from tests.formats.generated import datasets, validated


def _read(folder: Path, protocol: Protocol) -> Dataset:
    report = read_dataset_json(folder, protocol, None)
    assert report.dataset is not None, render_report(report)
    return report.dataset


def _check_against_the_standard(folder: Path) -> list[dict[str, Any]]:
    """Every file of the folder validated by the schema's own validator, with the two rules
    the schema cannot state (records = rows, rows as wide as columns); the documents."""
    validator_class = jsonschema.validators.validator_for(schema())
    assert validator_class is jsonschema.Draft201909Validator  # the schema's "$schema"
    validator_class.check_schema(schema())
    validator = validator_class(schema())
    documents = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], (path.name, errors[:3])
        assert document["records"] == len(document["rows"]), path.name
        assert {len(row) for row in document["rows"]} <= {len(document["columns"])}, path.name
        assert document["datasetJSONVersion"] == "1.1.0"
        documents.append(document)
    return documents


def test_the_synthetic_cohorts_read_back_equal(cohort: tuple[Dataset, Protocol, Path]) -> None:
    dataset, protocol, folder = cohort
    assert_same(_read(folder, protocol), dataset)


def test_every_file_validates_against_cdiscs_schema(
    cohort: tuple[Dataset, Protocol, Path],
) -> None:
    dataset, _, folder = cohort
    documents = _check_against_the_standard(folder)
    assert sorted(d["name"] for d in documents) == sorted(f.value for f in tables_of(dataset))


def test_the_rows_hold_the_source_values_as_json_types(
    cohort: tuple[Dataset, Protocol, Path],
) -> None:
    """Read with the json module alone: each row is the source row, dates as ISO 8601
    text, numbers as JSON numbers equal to the source floats, integers as JSON integers."""
    dataset, protocol, folder = cohort
    for file, frame in tables_of(dataset).items():
        document = json.loads((folder / f"{file.value}.json").read_text("utf-8"))
        assert [c["name"] for c in document["columns"]] == frame.columns
        expected = frame.with_columns(
            pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date
        ).rows()
        assert [tuple(row) for row in document["rows"]] == expected
        by_column = zip(*document["rows"], strict=True)
        for column, values in zip(document["columns"], by_column, strict=True):
            kinds = {type(v) for v in values} - {type(None)}
            allowed = {
                "string": {str},
                "date": {str},
                "integer": {int},
                "double": {float},
                "boolean": {bool},
            }[column["dataType"]]
            assert kinds <= allowed, (file, column["name"], kinds)
        assert document["studyOID"] == protocol.name


def test_units_are_in_the_labels_and_keys_are_numbered(
    cohort: tuple[Dataset, Protocol, Path],
) -> None:
    _, _, folder = cohort
    participants = json.loads((folder / "participants.json").read_text("utf-8"))
    columns = {c["name"]: c for c in participants["columns"]}
    assert columns["participant_id"]["keySequence"] == 1
    assert columns["age_years"]["label"].endswith("(years)")
    assert columns["age_years"]["dataType"] == "double"  # a number in the dictionary
    if "afc" in columns:
        assert columns["afc"]["dataType"] == "integer"
    if "amh_ng_ml" in columns:
        assert columns["amh_ng_ml"]["label"].endswith("(ng/mL)")
        assert columns["amh_ng_ml"]["dataType"] == "double"


def _participants(**columns: list[Any]) -> Dataset:
    ids = [f"P{i}" for i in range(len(next(iter(columns.values()))))]
    frame = conform(pl.DataFrame({"participant_id": ids, **columns}, strict=False))
    return Dataset(frame, supplied={"participants": ("participant_id", *columns)})


def test_floats_round_trip_to_the_last_bit_and_extras_are_text(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    amh = [0.1 + 0.2, 1 / 3, 29.999999999999996, 5e-324, None]
    dataset = _participants(amh_ng_ml=amh, afc=[31, 40, None, 0, 80])
    dataset = Dataset(
        dataset.participants.with_columns(pl.Series("Notes, free", ["=1+1", "", None, "é", "x"])),
        supplied=dataset.supplied,
    )
    write_dataset_json(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    document = json.loads((tmp_path / "out" / "participants.json").read_text("utf-8"))
    assert [row[1] for row in document["rows"]] == amh
    assert [row[2] for row in document["rows"]] == [31, 40, None, 0, 80]
    assert {type(row[2]) for row in document["rows"]} == {int, type(None)}
    assert document["columns"][3] == {
        "itemOID": "IT.PARTICIPANTS.Notes, free",
        "name": "Notes, free",
        "label": "Notes, free",
        "dataType": "string",
        "length": 4,
    }
    back = _read(tmp_path / "out", protocol)
    assert back.participants.get_column("amh_ng_ml").to_list() == amh
    # the interchange reader counts an empty cell as unknown: "" reads back as missing
    assert back.participants.get_column("Notes, free").to_list() == ["=1+1", None, None, "é", "x"]


def test_a_value_json_cannot_hold_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    dataset = _participants(amh_ng_ml=[1.0, math.inf])
    with pytest.raises(FormatError, match=r"participants\.json, column amh_ng_ml: inf"):
        write_dataset_json(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def test_the_last_audit_entry_is_the_database_modification_time(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    at = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    entry = AuditRecord(1, at, "nurse", "create", "P0", "", "", {}, "entry")
    records = ClinicRecords(audit=(entry,))
    write_dataset_json(_participants(age_years=[30]), protocol, tmp_path / "out", records)
    document = json.loads((tmp_path / "out" / "participants.json").read_text("utf-8"))
    assert document["dbLastModifiedDateTime"] == "2024-05-06T07:08:09Z"
    assert document["datasetJSONCreationDateTime"] >= document["dbLastModifiedDateTime"]


def test_an_empty_table_is_a_valid_file(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    dataset = Dataset(
        conform(pl.DataFrame({"participant_id": []}, schema={"participant_id": pl.String})),
        supplied={"participants": ("participant_id",), "visits": ("participant_id", "visit")},
    )
    write_dataset_json(dataset, protocol, tmp_path / "out", NO_CLINIC_RECORDS)
    documents = _check_against_the_standard(tmp_path / "out")
    assert [d["records"] for d in documents] == [0, 0]
    assert_same(_read(tmp_path / "out", protocol), dataset)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=datasets())
def test_any_valid_dataset_survives_dataset_json(generated: Dataset) -> None:
    protocol = load_protocol("ucmsc-rct")
    with tempfile.TemporaryDirectory() as tmp:
        dataset = validated(generated, protocol, Path(tmp) / "interchange")
        write_dataset_json(dataset, protocol, Path(tmp) / "out", NO_CLINIC_RECORDS)
        _check_against_the_standard(Path(tmp) / "out")
        assert_same(_read(Path(tmp) / "out", protocol), dataset)


def test_the_schema_ships_with_the_package() -> None:
    assert schema()["$schema"] == "https://json-schema.org/draft/2019-09/schema"
    assert DatasetFile.PARTICIPANTS.value == "participants"


def test_text_is_escaped_as_the_json_module_escapes_it() -> None:
    values = ['a"b', "back\\slash", "tab\there", "nl\nx", "é ü 中", "\x01ctl", "plain", None]
    frame = pl.DataFrame({"participant_id": ["P1"] * len(values), "extra note": values})
    rows = json_rows(DatasetFile.PARTICIPANTS, frame).to_list()
    assert [json.loads(row) for row in rows] == [["P1", v] for v in values]
    assert rows[0] == json.dumps(["P1", 'a"b'], ensure_ascii=False)
