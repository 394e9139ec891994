"""Bad Dataset-JSON folders are refused through ``ovaregen convert``, naming file, row, column
and value, and nothing is written; a good one converts both ways."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ovaregen.io.reader import read_dataset
from ovaregen.io.writer import write_dataset
from tests.formats.cohorts import assert_same, synthetic_cohort
from tests.formats.convert_cli import convert, refused_reading

STUDY = "ucmsc-rct"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """Study C as a Dataset-JSON folder written by ``ovaregen convert --to dataset-json``."""
    dataset, _ = synthetic_cohort(STUDY)
    interchange = tmp_path / "interchange"
    write_dataset(dataset, interchange)
    out = tmp_path / "dataset-json"
    code, output = _convert(interchange, ["--to", "dataset-json"], out)
    assert code == 0, output
    return out


def _convert(source: Path, options: list[str], out: Path) -> tuple[int, str]:
    return convert(source, STUDY, out, *options)


def _refused(source: Path, tmp_path: Path) -> str:
    return refused_reading(source, STUDY, "dataset-json", tmp_path)


def _edit(folder: Path, name: str, change: Callable[[dict[str, Any]], object]) -> None:
    path = folder / name
    document = json.loads(path.read_text("utf-8"))
    change(document)
    path.write_text(json.dumps(document), "utf-8")


def _column(document: dict[str, Any], name: str) -> int:
    return [c["name"] for c in document["columns"]].index(name)


def test_convert_writes_dataset_json_and_reads_it_back_equal(export: Path, tmp_path: Path) -> None:
    dataset, _ = synthetic_cohort(STUDY)
    code, output = _convert(export, ["--from", "dataset-json"], tmp_path / "back")
    assert code == 0, output
    assert_same(read_dataset(tmp_path / "back"), dataset)


def test_malformed_json_is_refused(export: Path, tmp_path: Path) -> None:
    path = export / "visits.json"
    path.write_text(path.read_text("utf-8")[:-40], "utf-8")
    output = _refused(export, tmp_path)
    assert "visits.json" in output and "not JSON" in output and "line" in output


def test_a_wrong_record_count_is_refused(export: Path, tmp_path: Path) -> None:
    _edit(export, "participants.json", lambda d: d.update(records=d["records"] + 1))
    output = _refused(export, tmp_path)
    assert "participants.json" in output and "records says 67" in output and "66 rows" in output


def test_a_short_row_is_refused_naming_it(export: Path, tmp_path: Path) -> None:
    _edit(export, "visits.json", lambda d: d["rows"][4].pop())
    output = _refused(export, tmp_path)
    assert "visits.json row 5" in output and "values" in output


def test_an_unknown_column_type_is_refused(export: Path, tmp_path: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        document["columns"][_column(document, "age_years")]["dataType"] = "complex"

    _edit(export, "participants.json", change)
    output = _refused(export, tmp_path)
    # CDISC's schema lists the types: its own validator names the bad one
    assert "participants.json" in output and "'complex' is not one of" in output


def test_a_string_in_a_number_column_names_row_column_and_value(
    export: Path, tmp_path: Path
) -> None:
    def change(document: dict[str, Any]) -> None:
        document["rows"][2][_column(document, "age_years")] = "thirty"

    _edit(export, "participants.json", change)
    output = _refused(export, tmp_path)
    assert "participants.json row 3, column age_years" in output
    assert '"thirty"' in output and "a double column holds a string" in output


def test_nan_is_refused(export: Path, tmp_path: Path) -> None:
    path = export / "participants.json"
    text = path.read_text("utf-8")
    first = text.index('"rows"')
    path.write_text(text[:first] + text[first:].replace("32.0", "NaN", 1), "utf-8")
    output = _refused(export, tmp_path)
    assert "participants.json" in output and "NaN is not JSON" in output


def test_a_value_outside_the_dictionary_names_row_column_and_value(
    export: Path, tmp_path: Path
) -> None:
    def change(document: dict[str, Any]) -> None:
        document["rows"][9][_column(document, "age_years")] = 99

    _edit(export, "participants.json", change)
    output = _refused(export, tmp_path)
    assert "participants.json row 10, column age_years" in output and "99" in output


def test_a_file_breaking_the_schema_is_refused(export: Path, tmp_path: Path) -> None:
    _edit(export, "visits.json", lambda d: d.pop("label"))
    output = _refused(export, tmp_path)
    assert "visits.json" in output and "'label' is a required property" in output


def test_a_missing_participants_file_is_refused(export: Path, tmp_path: Path) -> None:
    (export / "participants.json").unlink()
    output = _refused(export, tmp_path)
    assert "participants.json" in output and "missing" in output


def test_a_dataset_json_from_elsewhere_with_whole_numbers_reads(
    export: Path, tmp_path: Path
) -> None:
    """A JSON integer in a double column is a JSON number (another writer's ``32`` for
    ``32.0``): it reads as the same number."""

    def change(document: dict[str, Any]) -> None:
        at = _column(document, "age_years")
        for row in document["rows"]:
            if isinstance(row[at], float) and row[at].is_integer():
                row[at] = int(row[at])

    _edit(export, "participants.json", change)
    dataset, _ = synthetic_cohort(STUDY)
    code, output = _convert(export, ["--from", "dataset-json"], tmp_path / "back")
    assert code == 0, output
    assert_same(read_dataset(tmp_path / "back"), dataset)


def test_a_boolean_in_an_integer_column_names_row_column_and_value(
    export: Path, tmp_path: Path
) -> None:
    def change(document: dict[str, Any]) -> None:
        document["rows"][0][_column(document, "afc")] = True

    _edit(export, "participants.json", change)
    output = _refused(export, tmp_path)
    assert "participants.json row 1, column afc" in output
    assert "an integer column holds true or false true" in output
