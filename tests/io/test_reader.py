"""The public entry points: all or nothing, and every finding collected."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.io.dataset import Severity
from ovaregen.io.reader import DatasetInvalid, read_dataset, validate_dataset
from tests.io.helpers import csv_folder

GOOD = "participant_id,age_years,afc\nP1,34,3\nP2,36,5\n"


def test_a_valid_dataset_is_read(tmp_path: Path) -> None:
    dataset = read_dataset(str(csv_folder(tmp_path, GOOD)))
    assert dataset.participants.get_column("afc").to_list() == [3, 5]
    assert dataset.warnings == ()


def test_one_error_refuses_the_whole_dataset_with_every_finding(tmp_path: Path) -> None:
    folder = csv_folder(
        tmp_path,
        "participant_id,age_years,afc,bmi\nP1,34,3,22\nP2,55,x,23\nP3,36,500,24\n",
        "participant_id,outcome\nP9,ongoing\n",
    )
    with pytest.raises(DatasetInvalid) as caught:
        read_dataset(folder)
    error = caught.value
    assert error.path == str(folder)
    assert [(f.severity, f.file, f.line, f.column) for f in error.findings] == [
        (Severity.WARNING, "participants.csv", None, "bmi"),
        (Severity.WARNING, "participants.csv", 3, "age_years"),
        (Severity.ERROR, "participants.csv", 3, "afc"),
        (Severity.ERROR, "participants.csv", 4, "afc"),
        (Severity.ERROR, "pregnancies.csv", 2, "participant_id"),
    ]
    assert error.report.dataset is None
    assert str(error).startswith(
        f"{folder}: invalid: 3 errors, 2 warnings (first: participants.csv line 3, column afc: "
        'value "x" is not a number'
    )


def test_validate_dataset_counts_and_never_raises(tmp_path: Path) -> None:
    report = validate_dataset(csv_folder(tmp_path, GOOD + "P3,1,1\n"))
    assert (report.valid, report.errors, report.warnings) == (False, 1, 0)
    assert report.dataset is None
    report = validate_dataset(tmp_path / "missing")
    assert (report.valid, report.errors) == (False, 1)


def test_warnings_travel_with_a_valid_dataset(tmp_path: Path) -> None:
    dataset = read_dataset(csv_folder(tmp_path, GOOD.replace("36", "55")))
    assert [(w.line, w.column) for w in dataset.warnings] == [(3, "age_years")]
