"""Parsing cell text by kind: what is accepted, what is refused and how it is reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ovaregen.domain.variables import variable
from ovaregen.io.values import parse_word, what_is_wrong
from tests.io.helpers import assert_located, only_error, validate_csv


def one_value(tmp_path: Path, column: str, text: str) -> object:
    """The canonical value read from a one-participant file with ``column`` = ``text``."""
    report = validate_csv(tmp_path, f"participant_id,{column}\nP1,{text}\n")
    assert report.dataset is not None, report.findings
    return report.dataset.participants.get_column(column).item()


@pytest.mark.parametrize(
    ("column", "text", "value"),
    [
        ("age_years", "34", 34.0),
        ("age_years", "34.5", 34.5),
        ("age_years", "+3.4e1", 34.0),
        ("afc", "3", 3),
        ("afc", "3.0", 3),
        ("married", "TRUE", True),
        ("married", "yes", True),
        ("married", "No", False),
        ("married", "1", True),
        ("married", "0", False),
        ("treatment_date", "2020-02-29", dt.date(2020, 2, 29)),
        ("menses", "Irregular", "irregular"),
        ("status", "Lost to follow-up", "lost_to_follow_up"),
        ("site", "Hospital 12", "Hospital 12"),
        ("afc", "", None),
        ("married", "", None),
    ],
)
def test_accepted_values(tmp_path: Path, column: str, text: str, value: object) -> None:
    assert one_value(tmp_path, column, text) == value


def test_empty_status_takes_its_default(tmp_path: Path) -> None:
    assert one_value(tmp_path, "status", "") == "completed"
    report = validate_csv(tmp_path / "absent", "participant_id\nP1\n")
    assert report.dataset is not None
    assert report.dataset.participants.get_column("status").to_list() == ["completed"]
    assert "status" not in report.dataset.supplied["participants"]


@pytest.mark.parametrize(
    ("column", "text", "parts"),
    [
        ("age_years", "1,5", ['value "1,5" has a decimal comma', '("1.5")', "10–60 years"]),
        ("age_years", "abc", ['value "abc" is not a number', "expected a number in 10–60 years"]),
        ("age_years", "inf", ['value "inf" is not a finite number', "expected a number"]),
        ("age_years", "nan", ['value "nan" is not a finite number']),
        ("age_years", "1_000", ['value "1_000" is not a number']),
        ("afc", "3.5", ['value "3.5" is not a whole number', "expected a whole number in 0–80"]),
        ("afc", "many", ['value "many" is not a number', "expected a whole number"]),
        ("married", "maybe", ['value "maybe" is not true or false', "yes/no and 1/0"]),
        ("fsh_1_date", "2021-02-29", ['"2021-02-29" is not a real calendar date', "YYYY-MM-DD"]),
        ("fsh_1_date", "04/03/2021", ['"04/03/2021" is not a date written YYYY-MM-DD']),
        ("fsh_1_date", "2021-3-4", ['"2021-3-4" is not a date written YYYY-MM-DD']),
        (
            "menses",
            "sometimes",
            ['value "sometimes" is not one of the accepted words', "one of: regular, irregular"],
        ),
        ("symptoms_d2", "bad", ["expected one of: none, mild, moderate, severe"]),
    ],
)
def test_refused_values_name_file_line_column_value_and_expectation(
    tmp_path: Path, column: str, text: str, parts: list[str]
) -> None:
    report = validate_csv(tmp_path, f'participant_id,{column}\nP0,\nP1,"{text}"\n')
    finding = only_error(report)
    assert_located(
        finding, "participants.csv", 3, column, f"participants.csv line 3, column {column}", *parts
    )
    assert finding.value == text
    assert report.dataset is None


def test_parse_word_and_description_agree_with_the_vectorised_parser() -> None:
    menses = variable("menses")
    assert parse_word("AMENORRHEA", menses) == "amenorrhea"
    assert parse_word("amenorrhoea", menses) is None
    assert what_is_wrong("amenorrhoea", menses).startswith('value "amenorrhoea"')
    assert parse_word("Yes", variable("consent")) is True
