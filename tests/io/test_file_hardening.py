"""Hostile or damaged dataset files: size and column limits checked before reading, no
traceback from Polars, workbook cells that would read silently as unknown, invisible
characters in header names, control characters in cells, thousands separators."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from ovaregen.domain.variables import DatasetFile, variable
from ovaregen.io import sources
from ovaregen.io.file_limits import (
    DEFAULT_LIMITS,
    MAX_COLUMNS,
    MAX_CSV_BYTES,
    ReadLimits,
    header_columns,
)
from ovaregen.io.reader import validate_dataset
from ovaregen.io.values import what_is_wrong
from tests.io.helpers import assert_located, csv_folder, errors, only_error, workbook

PARTICIPANTS = "participant_id,afc\nP1,3\nP2,4\n"


# ---- size and column limits ----------------------------------------------------------------


def test_the_default_limits_are_generous_for_a_study_and_bounded() -> None:
    assert 100 * 2**20 <= MAX_CSV_BYTES <= 2**30
    assert 1000 <= MAX_COLUMNS <= 16384
    assert DEFAULT_LIMITS.max_columns == MAX_COLUMNS


def test_a_csv_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv_folder(tmp_path, PARTICIPANTS + "P3,5\n" * 200)

    def never(*_: object) -> object:
        raise AssertionError("the file was read")

    monkeypatch.setattr(sources, "read_csv_table", never)
    report = validate_dataset(tmp_path, limits=ReadLimits(max_csv_bytes=1024))
    size = (tmp_path / "participants.csv").stat().st_size
    assert_located(
        only_error(report),
        "participants.csv",
        None,
        None,
        f"the file holds {size / 1024:.1f} KiB ({size} bytes), more than the 1 KiB a CSV file",
        "nothing of it was read",
    )
    assert report.dataset is None


def test_a_header_over_the_column_limit_is_refused(tmp_path: Path) -> None:
    header = ",".join(["participant_id", *(f"extra_{i}" for i in range(40))])
    csv_folder(tmp_path, header + "\n" + "P1" + "," * 40 + "\n")
    report = validate_dataset(tmp_path, limits=ReadLimits(max_columns=20))
    finding = only_error(report)
    assert_located(
        finding,
        "participants.csv",
        1,
        None,
        "the header has 41 columns, more than the 20 columns a dataset file may have",
    )
    assert finding.expected == "at most 20 columns"


def test_a_header_line_without_end_within_the_bound_is_refused(tmp_path: Path) -> None:
    csv_folder(tmp_path, "participant_id" + ",x" * 50_000)
    limits = ReadLimits(max_columns=100)
    assert header_columns(tmp_path / "participants.csv", limits.max_header_bytes) is None
    message = only_error(validate_dataset(tmp_path, limits=limits)).message
    assert "a header line longer than 64 KiB" in message


def test_quoted_commas_in_the_header_are_not_columns(tmp_path: Path) -> None:
    path = csv_folder(tmp_path, 'participant_id,"a, b, c",afc\nP1,x,3\n') / "participants.csv"
    assert header_columns(path, 1 << 16) == 3


def test_a_workbook_over_the_size_or_unpacked_limit_is_refused(tmp_path: Path) -> None:
    rows: list[list[object]] = [["participant_id", "afc"], *([f"P{i}", i % 9] for i in range(300))]
    path = workbook(tmp_path / "study.xlsx", {"participants": rows})
    packed = only_error(validate_dataset(path, limits=ReadLimits(max_workbook_bytes=1000)))
    assert "more than the 1000 bytes a workbook of a dataset may hold" in packed.message
    unpacked = only_error(validate_dataset(path, limits=ReadLimits(max_unpacked_bytes=2000)))
    assert "the workbook unpacks to" in unpacked.message
    assert "more than the 2.0 KiB a workbook may hold" in unpacked.message


def test_a_worksheet_header_over_the_column_limit_is_refused(tmp_path: Path) -> None:
    header = ["participant_id", *(f"x{i}" for i in range(30))]
    path = workbook(tmp_path / "s.xlsx", {"participants": [[], header, ["P1"]]})
    finding = only_error(validate_dataset(path, limits=ReadLimits(max_columns=10)))
    assert_located(finding, "s.xlsx [participants]", 2, None, "the header has 31 columns")


def test_the_command_line_refuses_a_very_wide_header_with_a_message(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1))
    csv_folder(tmp_path, "participant_id," + header + "\nP1\n")
    done = subprocess.run(
        [sys.executable, "-m", "ovaregen", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    shown = done.stdout + done.stderr
    assert f"the header has {MAX_COLUMNS + 2} columns, more than the {MAX_COLUMNS}" in shown
    assert "Traceback" not in shown


@pytest.mark.parametrize(
    "failure",
    [
        pl.exceptions.PanicException("called `Result::unwrap()` on an `Err` value"),
        pl.exceptions.ComputeError("capacity overflow"),
        MemoryError(),
    ],
)
def test_a_polars_failure_while_reading_is_an_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    csv_folder(tmp_path, PARTICIPANTS)

    def failing(*_: object) -> object:
        raise failure

    monkeypatch.setattr(sources, "read_csv_table", failing)
    finding = only_error(validate_dataset(tmp_path))
    assert finding.file == "participants.csv"
    assert finding.message.startswith("the file could not be read (")
    assert "nothing of the dataset was stored" in finding.message


def test_a_polars_failure_while_checking_is_an_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ovaregen.io import reader  # noqa: PLC0415

    csv_folder(tmp_path, PARTICIPANTS)

    def failing(*_: object) -> object:
        raise pl.exceptions.PanicException("index out of bounds")

    monkeypatch.setattr(reader, "validate_table", failing)
    report = validate_dataset(tmp_path)
    assert "PanicException: index out of bounds" in only_error(report).message
    assert report.errors == 1 and report.dataset is None


# ---- workbooks: formulas without saved values, merged cells ---------------------------------


def test_a_formula_without_a_saved_value_is_an_error_naming_the_cell(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "participants"
    sheet.append(["participant_id", "afc", "amh_ng_ml"])
    sheet.append(["P1", 3, "=B2*0.4"])
    sheet.append(["P2", 4, 1.5])
    book.save(tmp_path / "study.xlsx")
    report = validate_dataset(tmp_path / "study.xlsx")
    assert_located(
        only_error(report),
        "study.xlsx [participants]",
        2,
        None,
        "cell C2 holds a formula (=B2*0.4) without a saved value, which would read as unknown",
        "open the workbook in a spreadsheet program and save it so that the values are stored",
    )
    assert report.dataset is None


def test_a_formula_with_its_saved_value_reads_that_value(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "study.xlsx", {"participants": [["participant_id", "afc"], ["P1", 3]]}
    )
    import zipfile  # noqa: PLC0415

    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/"))
    parts[sheet] = parts[sheet].replace(
        b'<c r="B2" t="n"><v>3</v></c>', b'<c r="B2"><f>1+2</f><v>3</v></c>'
    )
    assert b"<f>1+2</f>" in parts[sheet]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    report = validate_dataset(path)
    assert report.valid and report.dataset is not None
    assert report.dataset.participants.get_column("afc").to_list() == [3]


def test_merged_cells_are_an_error_naming_the_range(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "participants"
    sheet.append(["participant_id", "site", "afc"])
    sheet.append(["P1", "MAD1", 3])
    sheet.append(["P2", None, 4])
    sheet.merge_cells("B2:B3")
    book.save(tmp_path / "study.xlsx")
    assert_located(
        only_error(validate_dataset(tmp_path / "study.xlsx")),
        "study.xlsx [participants]",
        2,
        None,
        "cells B2:B3 are merged: only B2 holds the value",
        "unmerge them",
    )


# ---- invisible characters in header names, control characters in cells --------------------


@pytest.mark.parametrize(
    ("written", "shown", "character"),
    [
        ("afc\u200b", "afc<U+200B>", "U+200B ZERO WIDTH SPACE"),
        ("a\ufefffc", "a<U+FEFF>fc", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("\u00a0afc", "<U+00A0>afc", "U+00A0 NO-BREAK SPACE"),
        ("af\u00adc", "af<U+00AD>c", "U+00AD SOFT HYPHEN"),
    ],
)
def test_an_invisible_character_in_a_header_name_is_an_error_naming_column_and_character(
    tmp_path: Path, written: str, shown: str, character: str
) -> None:
    csv_folder(tmp_path, f"participant_id,{written}\nP1,3\n")
    report = validate_dataset(tmp_path)
    assert_located(
        only_error(report),
        "participants.csv",
        1,
        "afc",
        f'the header name "{shown}" (column 2) holds an invisible character ({character})',
        'so that the name reads "afc"',
    )
    assert report.dataset is None


def test_an_invisible_character_in_a_worksheet_header_names_the_column_letter(
    tmp_path: Path,
) -> None:
    path = workbook(
        tmp_path / "s.xlsx", {"participants": [["participant_id", "\u2060afc"], ["P1", 3]]}
    )
    message = only_error(validate_dataset(path)).message
    assert '"<U+2060>afc" (column B) holds an invisible character (U+2060 WORD JOINER)' in message


def test_a_nul_byte_in_a_cell_is_an_error_at_its_line_and_column(tmp_path: Path) -> None:
    csv_folder(tmp_path, "participant_id,ethnicity,afc\nP1,white,3\nP2,as\x00ian,4\n")
    report = validate_dataset(tmp_path)
    assert_located(
        only_error(report),
        "participants.csv",
        3,
        "ethnicity",
        'the value "as<U+0000>ian" holds the control character U+0000 (NUL)',
    )


def test_an_invisible_character_in_a_number_is_named() -> None:
    message = what_is_wrong("12\u200b", variable("afc"))
    assert message == (
        'value "12<U+200B>" holds an invisible character (U+200B ZERO WIDTH SPACE): '
        'delete it ("12")'
    )


# ---- thousands separators ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("1,000", '"1000" if the comma separates thousands, "1.000" if it is a decimal comma'),
        ("250,000", '"250000" if the comma separates thousands, "250.000" if it is a decimal'),
        ("1,234,567", 'thousands separator (a comma): write numbers with no separator ("1234567")'),
        ("1.234.567", 'thousands separator (a point): write numbers with no separator ("1234567")'),
        ("1.234,5", 'with no separator and a decimal point ("1234.5")'),
        ("1,234.5", 'with no separator and a decimal point ("1234.5")'),
        ("12 500", 'thousands separator (a space): write numbers with no separator ("12500")'),
        (
            "12'500",
            'thousands separator (an apostrophe): write numbers with no separator ("12500")',
        ),
        ("1,5", 'has a decimal comma; write the decimal separator as a point ("1.5")'),
    ],
)
def test_the_advice_for_a_grouped_number_is_what_the_format_reads(text: str, advice: str) -> None:
    message = what_is_wrong(text, variable("platelets_10e9_l"))
    assert advice in message
    suggested = message.split('"')[3]
    assert "," not in suggested and " " not in suggested and suggested.count(".") <= 1


def test_a_grouped_number_in_a_file_is_refused_with_the_advice(tmp_path: Path) -> None:
    csv_folder(tmp_path, 'participant_id,platelets_per_mm3\nP1,"247,910"\n')
    finding = only_error(validate_dataset(tmp_path))
    assert finding.column == "platelets_per_mm3"
    assert '"247910" if the comma separates thousands' in finding.message
    assert "1.000" not in finding.message


def test_the_file_limits_do_not_touch_a_valid_dataset(tmp_path: Path) -> None:
    csv_folder(tmp_path, PARTICIPANTS)
    report = validate_dataset(tmp_path)
    assert report.valid and errors(report) == []
    assert report.dataset is not None and report.dataset.participants.height == 2
    assert DatasetFile.PARTICIPANTS.file_name == "participants.csv"


# ---- texts longer than the clinic stores ---------------------------------------------------


def test_a_text_longer_than_its_stored_column_is_an_error_at_its_line(tmp_path: Path) -> None:
    code = "P" * 65
    csv_folder(tmp_path, f"participant_id,afc\nP1,3\n{code},4\n")
    finding = only_error(validate_dataset(tmp_path))
    assert_located(
        finding,
        "participants.csv",
        3,
        "participant_id",
        "has 65 characters, more than the 64 the clinic stores for participant_id",
    )
    assert finding.expected == "at most 64 characters"


def test_texts_at_their_stored_width_are_accepted(tmp_path: Path) -> None:
    csv_folder(tmp_path, f"participant_id,afc\n{'P' * 64},3\n")
    assert validate_dataset(tmp_path).valid
