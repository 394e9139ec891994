"""One file in canonical form: schema, column order, unknown columns, what was supplied."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ovaregen.domain.schema import canonical_schema
from ovaregen.domain.variables import DatasetFile
from tests.io.helpers import assert_located, only_warning, validate_csv


def test_frames_have_the_canonical_schema_then_unknown_columns_as_text(tmp_path: Path) -> None:
    text = "Notes,participant_id,AFC,site\nsee chart,P1,3,Bern\n12,P2,,\n"
    report = validate_csv(tmp_path, text, "participant_id,outcome\nP1,ongoing\n")
    assert report.dataset is not None
    participants, pregnancies = report.dataset.participants, report.dataset.pregnancies
    schema = canonical_schema(DatasetFile.PARTICIPANTS)
    assert participants.schema == pl.Schema({**schema, "Notes": pl.String()})
    assert participants.get_column("Notes").to_list() == ["see chart", "12"]
    assert participants.get_column("afc").to_list() == [3, None]
    assert pregnancies.schema == canonical_schema(DatasetFile.PREGNANCIES)
    assert report.dataset.supplied == {
        "participants": ("participant_id", "site", "afc"),
        "pregnancies": ("participant_id", "outcome"),
    }
    assert report.dataset.source == str(tmp_path)


def test_unknown_column_is_a_warning(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id,bmi\nP1,22\n")
    assert_located(
        only_warning(report),
        "participants.csv",
        None,
        "bmi",
        "participants.csv, column bmi: not in the data dictionary; kept as text",
    )


def test_dataset_without_pregnancies_has_an_empty_typed_frame(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id\nP1\n")
    assert report.dataset is not None
    assert report.dataset.pregnancies.is_empty()
    assert report.dataset.pregnancies.schema == canonical_schema(DatasetFile.PREGNANCIES)
    assert "pregnancies" not in report.dataset.supplied


def test_input_order_of_rows_is_kept(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id\nP3\nP1\nP2\n")
    assert report.dataset is not None
    assert report.dataset.participants.get_column("participant_id").to_list() == ["P3", "P1", "P2"]
