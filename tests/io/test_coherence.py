"""Required and unique ids, pregnancies of unknown participants, pregnancy coherence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.io.dataset import Severity
from tests.io.helpers import assert_located, errors, only_error, only_warning, validate_csv

PARTICIPANTS = "participant_id,afc\nP1,3\nP2,4\n"
PREGNANCY_HEADER = (
    "participant_id,outcome,infants_live_born,infant_death_first_year,congenital_anomaly\n"
)


def test_duplicate_participant_names_both_lines(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id,afc\nP1,3\nP2,4\nP1,5\nP1,6\n")
    assert [f.line for f in errors(report)] == [4, 5]
    assert_located(
        errors(report)[0],
        "participants.csv",
        4,
        "participant_id",
        'value "P1" is also on line 2; each participant_id may appear only once',
    )


def test_missing_participant_id_value(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, "participant_id,afc\nP1,3\n,4\n"))
    assert_located(
        finding,
        "participants.csv",
        3,
        "participant_id",
        "participant_id is empty; every row needs one",
    )


def test_missing_participant_id_column(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, "afc\n3\n"))
    assert_located(
        finding,
        "participants.csv",
        1,
        "participant_id",
        "participants.csv line 1, column participant_id: this required column is missing",
    )


def test_missing_participant_id_column_in_pregnancies(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, PARTICIPANTS, "outcome\nongoing\n"))
    assert (finding.file, finding.column) == ("pregnancies.csv", "participant_id")


def test_pregnancy_of_an_unknown_participant(tmp_path: Path) -> None:
    report = validate_csv(
        tmp_path, PARTICIPANTS, "participant_id,outcome\nP1,ongoing\nP9,ongoing\n"
    )
    assert_located(
        only_error(report),
        "pregnancies.csv",
        3,
        "participant_id",
        'value "P9" is not a participant_id of participants.csv',
    )


def test_missing_participant_in_a_pregnancy_row(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, PARTICIPANTS, "participant_id,outcome\n,ongoing\n")
    assert "participant_id is empty" in only_error(report).message


def test_live_birth_without_an_infant_born_alive_is_impossible(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, PARTICIPANTS, PREGNANCY_HEADER + "P1,live_birth,0,,\n")
    assert_located(
        only_error(report),
        "pregnancies.csv",
        2,
        "infants_live_born",
        'value "0" but outcome is live_birth; a live birth has at least one infant born alive',
    )


@pytest.mark.parametrize("outcome", ["miscarriage", "ectopic", "termination", "ongoing"])
def test_infants_born_alive_after_a_non_birth_outcome_is_a_warning(
    tmp_path: Path, outcome: str
) -> None:
    report = validate_csv(tmp_path, PARTICIPANTS, PREGNANCY_HEADER + f"P1,{outcome},1,,\n")
    assert report.valid
    assert_located(
        only_warning(report),
        "pregnancies.csv",
        2,
        "infants_live_born",
        f'value "1" but outcome is {outcome}',
        "rare multiple pregnancy",
    )


def test_infant_deaths_beyond_infants_born_alive(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, PARTICIPANTS, PREGNANCY_HEADER + "P1,live_birth,1,2,\n")
    finding = only_error(report)
    assert_located(
        finding,
        "pregnancies.csv",
        2,
        "infant_death_first_year",
        'value "2" is more than infants_live_born "1"',
    )
    assert finding.expected == "at most infants_live_born (1)"


def test_anomalies_beyond_infants_born_alive(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, PARTICIPANTS, PREGNANCY_HEADER + "P1,live_birth,1,,2\n")
    assert only_error(report).column == "congenital_anomaly"
    report = validate_csv(tmp_path, PARTICIPANTS, PREGNANCY_HEADER + "P1,stillbirth,0,,1\n")
    warning = only_warning(report)
    assert warning.severity is Severity.WARNING and "affected fetus" in warning.message


def test_unknown_values_are_not_judged(tmp_path: Path) -> None:
    text = PREGNANCY_HEADER + "P1,live_birth,,,\nP2,,0,,\nP2,miscarriage,,1,1\n"
    report = validate_csv(tmp_path, PARTICIPANTS, text)
    assert report.findings == ()


def test_post_treatment_values_without_a_baseline_are_fine(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id,afc,afc_post,amh_post_ng_ml\nP1,,4,1.1\n")
    assert report.findings == ()
