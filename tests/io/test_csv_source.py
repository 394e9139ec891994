"""Reading CSV files: encoding, BOM, empty files, ragged rows, headers, line numbers."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ovaregen.io.reader import read_dataset, validate_dataset
from tests.io.helpers import assert_located, csv_folder, errors, only_error, validate_csv

HEADER = "participant_id,site,afc\n"


def test_utf8_bom_is_accepted_silently(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, b"\xef\xbb\xbf" + HEADER.encode() + "P1,Zürich,3\n".encode())
    assert report.findings == ()
    assert report.dataset is not None
    assert report.dataset.participants.select("participant_id", "site").row(0) == ("P1", "Zürich")


def test_latin1_byte_names_line_byte_column_and_the_fix(tmp_path: Path) -> None:
    data = HEADER.encode() + b"P1,Bern,3\nP2,Montr\xe9al,4\n"
    report = validate_csv(tmp_path, data)
    finding = only_error(report)
    assert_located(
        finding, "participants.csv", 3, "site", "byte 9 of the line", "0xE9", "é", "saved as UTF-8"
    )


def test_empty_file(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, ""))
    assert_located(finding, "participants.csv", None, None, "participants.csv: the file is empty")


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, " \n\n"))
    assert "empty" in finding.message


def test_empty_first_line_is_a_missing_header(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, "\n" + HEADER + "P1,a,1\n"))
    assert "no header" in finding.message


def test_empty_pregnancies_file(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, HEADER + "P1,a,1\n", ""))
    assert_located(finding, "pregnancies.csv", None, None, "empty")


def test_header_only_participants_is_valid_with_a_warning(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, HEADER)
    assert report.valid and report.warnings == 1
    assert report.dataset is not None and report.dataset.participants.height == 0


@pytest.mark.parametrize(
    ("row", "fields", "advice"),
    [("P2,Bern,3,9", 4, "double quotes"), ("P2,Bern", 2, "a comma is missing")],
)
def test_ragged_row_names_its_line(tmp_path: Path, row: str, fields: int, advice: str) -> None:
    report = validate_csv(tmp_path, HEADER + f"P1,a,1\n{row}\nP3,c,2\n")
    finding = only_error(report)
    assert_located(
        finding,
        "participants.csv",
        3,
        None,
        f"participants.csv line 3: {fields} fields but the header has 3",
        advice,
    )
    assert finding.expected == "3 fields, as in the header"


def test_every_ragged_row_is_reported_and_the_rest_still_checked(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, HEADER + "P1,a\nP2,b,1,2\nP3,c,abc\n")
    assert [(f.line, f.column) for f in errors(report)] == [(2, None), (3, None), (4, "afc")]


def test_blank_lines_and_empty_rows_are_skipped_and_lines_stay_exact(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, HEADER + "P1,a,1\n\n,,\n   \nP2,b,x\n\n")
    assert [(f.line, f.column, f.value) for f in errors(report)] == [(6, "afc", "x")]


def test_quoted_values_keep_commas_and_newlines_and_later_lines_stay_exact(tmp_path: Path) -> None:
    text = HEADER + 'P1,"Bern, Insel",1\nP2,"two\nlines",2\nP3,"say ""hi""",abc\n'
    report = validate_csv(tmp_path, text)
    assert [(f.line, f.value) for f in errors(report)] == [(5, "abc")]
    sites = pl.Series(["Bern, Insel", "two\nlines", 'say "hi"'])
    report = validate_csv(tmp_path, text.replace("abc", "3"))
    assert report.dataset is not None
    assert report.dataset.participants.get_column("site").to_list() == sites.to_list()


def test_quoted_commas_and_ragged_rows_together(tmp_path: Path) -> None:
    text = HEADER + 'P1,"Bern, Insel",1\n"P2","b","2"\nP3,"c,d"\nP4,"e",1,"f,g"\n'
    report = validate_csv(tmp_path, text)
    assert [(f.line, f.value) for f in errors(report)] == [(4, "2 fields"), (5, "4 fields")]


def test_stray_quote_inside_a_value_is_read_as_text(tmp_path: Path) -> None:
    dataset = read_dataset(validate_csv(tmp_path, HEADER + 'P1,5" site,1\n').source)
    assert dataset.participants.get_column("site").to_list() == ['5" site']


def test_windows_line_endings(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, (HEADER + "P1,a,1\n\nP2,b,x\n").replace("\n", "\r\n"))
    assert [(f.line, f.value) for f in errors(report)] == [(4, "x")]


def test_surrounding_whitespace_is_not_part_of_a_value(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, " participant_id , site ,afc\n P1 ,\u00a0Bern\u00a0, 3 \n")
    assert report.findings == ()
    assert report.dataset is not None
    assert report.dataset.participants.select("participant_id", "site", "afc").row(0) == (
        "P1",
        "Bern",
        3,
    )


def test_duplicate_header_names_both_positions(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id,afc,site,AFC\nP1,1,a,2\n")
    finding = only_error(report)
    assert_located(
        finding,
        "participants.csv",
        1,
        "afc",
        'the header names "afc" twice (column 2 and column 4)',
    )


def test_values_under_an_empty_header_name(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id,,afc\nP1,x,1\n")
    finding = only_error(report)
    assert_located(finding, "participants.csv", 1, None, "column 2 has values but no name")


def test_unnamed_empty_column_is_dropped_silently(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id,afc,\nP1,1,\nP2,2,\n")
    assert report.findings == ()


def test_unclosed_quote_names_the_line_where_the_row_starts(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, HEADER + 'P1,a,1\nP2,"Bern,2\nP3,c,3\n')
    assert_located(
        only_error(report),
        "participants.csv",
        3,
        None,
        "participants.csv line 3: the row starting on this line cannot be read as CSV",
        "must close with one",
    )


def test_a_file_that_cannot_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = csv_folder(tmp_path, HEADER)

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    finding = only_error(validate_dataset(folder))
    assert_located(
        finding, "participants.csv", None, None, "the file cannot be read: Permission denied"
    )
