"""Finding the files of a dataset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ovaregen.io.reader import validate_dataset
from tests.io.helpers import assert_located, csv_folder, only_error, only_warning, workbook

PARTICIPANTS = "participant_id,afc\nP1,3\n"


def test_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    report = validate_dataset(missing)
    assert_located(only_error(report), str(missing), None, None, "does not exist")
    assert report.dataset is None


def test_folder_without_participants(tmp_path: Path) -> None:
    csv_folder(tmp_path, None, "participant_id\nP1\n")
    finding = only_error(validate_dataset(tmp_path))
    assert_located(finding, "participants.csv", None, None, "missing from the folder")


def test_empty_folder(tmp_path: Path) -> None:
    assert "missing" in only_error(validate_dataset(tmp_path)).message


def test_a_single_csv_file_is_not_a_dataset(tmp_path: Path) -> None:
    path = csv_folder(tmp_path, PARTICIPANTS) / "participants.csv"
    assert "give a folder of CSV files" in only_error(validate_dataset(path)).message


def test_other_csv_files_are_ignored_with_a_warning(tmp_path: Path) -> None:
    csv_folder(tmp_path, PARTICIPANTS)
    (tmp_path / "labs.csv").write_text("x\n1\n")
    report = validate_dataset(tmp_path)
    assert report.valid
    assert_located(only_warning(report), "labs.csv", None, None, "not a file of the dataset")


def test_csv_files_win_over_a_workbook(tmp_path: Path) -> None:
    csv_folder(tmp_path, PARTICIPANTS)
    workbook(tmp_path / "old.xlsx", {"participants": [["participant_id"], ["X"]]})
    report = validate_dataset(tmp_path)
    assert report.dataset is not None
    assert report.dataset.participants.get_column("participant_id").to_list() == ["P1"]
    assert "old.xlsx" in only_warning(report).file


def test_file_names_match_case_insensitively(tmp_path: Path) -> None:
    (tmp_path / "Participants.CSV").write_text(PARTICIPANTS)
    report = validate_dataset(tmp_path)
    assert report.valid and report.findings == ()


def test_a_folder_that_cannot_be_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path) -> Iterator[Path]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", refuse)
    finding = only_error(validate_dataset(tmp_path))
    assert_located(
        finding, str(tmp_path), None, None, "the folder cannot be read: Permission denied"
    )


def test_na_cells_are_read_as_unknown_with_a_warning(tmp_path: Path) -> None:
    """R writes NA for a missing value: unknown, never an error, and the user is told."""
    folder = tmp_path / "dataset"
    folder.mkdir()
    (folder / "participants.csv").write_text(
        "participant_id,age_years,consent\nP1,NA,true\nP2,31, n/a \n", encoding="utf-8"
    )
    report = validate_dataset(folder)
    assert report.dataset is not None
    assert report.dataset.participants["age_years"].to_list() == [None, 31.0]
    assert report.dataset.participants["consent"].to_list() == [True, None]
    warned = {f.column: f.message for f in report.findings if f.column in {"age_years", "consent"}}
    assert "1 cell(s)" in warned["age_years"] and "unknown" in warned["consent"]


def test_na_in_free_text_is_kept_as_written(tmp_path: Path) -> None:
    """In a text column "NA" may be an answer (and must round-trip): it is not a missing value."""
    folder = tmp_path / "dataset"
    folder.mkdir()
    (folder / "participants.csv").write_text(
        "participant_id,ethnicity,notes\nP1,NA,NA\n", encoding="utf-8"
    )
    report = validate_dataset(folder)
    assert report.dataset is not None
    row = report.dataset.participants.row(0, named=True)
    assert row["ethnicity"] == "NA" and row["notes"] == "NA"
