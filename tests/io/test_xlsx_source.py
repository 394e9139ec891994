"""Reading a dataset from an .xlsx workbook (one sheet per file name)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from ovaregen.io.reader import read_dataset, validate_dataset
from ovaregen.io.xlsx_source import cell_text
from tests.io.helpers import assert_located, errors, only_error, only_warning, workbook

PARTICIPANTS: list[list[object]] = [
    ["participant_id", "age_years", "afc", "married", "treatment_date", "menses"],
    ["P1", 34, 5.0, True, dt.datetime(2021, 3, 4), "Regular"],
    ["P2", 41.5, 2, False, dt.date(2020, 12, 31), None],
]
PREGNANCIES: list[list[object]] = [
    ["participant_id", "outcome", "infants_live_born"],
    ["P1", "live_birth", 2],
]


def test_workbook_cells_become_typed_canonical_values(tmp_path: Path) -> None:
    path = workbook(tmp_path / "study.xlsx", {"participants": PARTICIPANTS})
    dataset = read_dataset(path)
    rows = dataset.participants.select(
        "participant_id", "age_years", "afc", "married", "treatment_date", "menses"
    ).rows()
    assert rows == [
        ("P1", 34.0, 5, True, dt.date(2021, 3, 4), "regular"),
        ("P2", 41.5, 2, False, dt.date(2020, 12, 31), None),
    ]
    assert dataset.supplied["participants"] == (
        "participant_id",
        "age_years",
        "afc",
        "menses",
        "married",
        "treatment_date",
    )


@pytest.mark.parametrize(
    ("participants", "pregnancies"),
    [("participants", "pregnancies"), ("Participants.csv", " PREGNANCIES.csv ")],
)
def test_sheet_names_match_file_names(tmp_path: Path, participants: str, pregnancies: str) -> None:
    path = workbook(tmp_path / "study.xlsx", {participants: PARTICIPANTS, pregnancies: PREGNANCIES})
    dataset = read_dataset(path)
    assert dataset.pregnancies.select("participant_id", "infants_live_born").rows() == [("P1", 2)]


def test_findings_name_the_sheet_and_worksheet_row(tmp_path: Path) -> None:
    rows: list[list[object]] = [*PARTICIPANTS, [], ["P3", 34, 3.5, "yes", None, None]]
    report = validate_dataset(workbook(tmp_path / "study.xlsx", {"participants": rows}))
    assert_located(
        only_error(report),
        "study.xlsx [participants]",
        5,
        "afc",
        'study.xlsx [participants] row 5, column afc: value "3.5" is not a whole number',
        "expected a whole number in 0–80 follicles",
    )


def test_missing_participants_sheet(tmp_path: Path) -> None:
    report = validate_dataset(workbook(tmp_path / "study.xlsx", {"Sheet1": PARTICIPANTS}))
    assert [f.message for f in errors(report)] == ['no sheet "participants" (sheets: Sheet1)']
    assert 'sheet "Sheet1" is not a file of the dataset' in only_warning(report).message
    assert report.dataset is None


def test_other_sheets_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = workbook(tmp_path / "s.xlsx", {"participants": PARTICIPANTS, "notes": [["x"]]})
    report = validate_dataset(path)
    assert report.valid and "notes" in only_warning(report).message


def test_corrupt_workbook(tmp_path: Path) -> None:
    path = tmp_path / "study.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    finding = only_error(validate_dataset(path))
    assert_located(finding, "study.xlsx", None, None, "cannot be opened as an .xlsx workbook")


def test_value_outside_the_header(tmp_path: Path) -> None:
    rows: list[list[object]] = [["participant_id", "afc"], ["P1", 2], ["P2", 3, None, "stray"]]
    report = validate_dataset(workbook(tmp_path / "s.xlsx", {"participants": rows}))
    assert_located(
        only_error(report),
        "s.xlsx [participants]",
        3,
        None,
        'column D ("stray"), which has no header',
    )


def test_empty_sheet(tmp_path: Path) -> None:
    report = validate_dataset(workbook(tmp_path / "s.xlsx", {"participants": []}))
    assert "the sheet is empty" in only_error(report).message


def test_folder_with_one_workbook_and_no_csv(tmp_path: Path) -> None:
    workbook(tmp_path / "export.xlsx", {"participants": PARTICIPANTS})
    (tmp_path / "~$export.xlsx").write_bytes(b"lock file")
    assert read_dataset(tmp_path).participants.height == 2


def test_folder_with_two_workbooks_is_ambiguous(tmp_path: Path) -> None:
    workbook(tmp_path / "a.xlsx", {"participants": PARTICIPANTS})
    workbook(tmp_path / "b.xlsx", {"participants": PARTICIPANTS})
    assert "several workbooks" in only_error(validate_dataset(tmp_path)).message


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (None, None),
        (True, "true"),
        (3, "3"),
        (3.0, "3"),
        (0.1, "0.1"),
        (dt.datetime(2021, 3, 4), "2021-03-04"),
        (dt.datetime(2021, 3, 4, 10, 30), "2021-03-04 10:30:00"),
        (dt.date(2021, 3, 4), "2021-03-04"),
        ("text", "text"),
    ],
)
def test_cell_text(cell: object, text: str | None) -> None:
    assert cell_text(cell) == text


def test_two_sheets_for_one_file(tmp_path: Path) -> None:
    path = workbook(tmp_path / "s.xlsx", {"participants": PARTICIPANTS, "Participants.csv": []})
    finding = only_error(validate_dataset(path))
    assert 'sheets "participants" and "Participants.csv" both hold participants' in finding.message


def test_damaged_sheet(tmp_path: Path) -> None:
    intact = workbook(tmp_path / "intact.xlsx", {"participants": PARTICIPANTS})
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(intact) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]
            target.writestr(item, data)
    finding = only_error(validate_dataset(damaged))
    assert_located(finding, "damaged.xlsx [participants]", None, None, "the sheet cannot be read")
