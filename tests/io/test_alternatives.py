"""Alternative-unit columns: conversion, and agreement with the canonical column."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.domain.variables import AMH_PMOL_L_PER_NG_ML
from tests.io.helpers import assert_located, errors, only_error, validate_csv


@pytest.mark.parametrize(
    ("column", "text", "canonical", "value"),
    [
        ("amh_pmol_l", "7.14", "amh_ng_ml", 1.0),
        ("amh_post_pmol_l", "14.28", "amh_post_ng_ml", 2.0),
        ("wbc_per_mm3", "7500", "wbc_10e9_l", 7.5),
        ("platelets_per_mm3", "247910", "platelets_10e9_l", 247.91),
        ("wbc_d5_per_mm3", "25000", "wbc_d5_10e9_l", 25.0),
        ("fsh_1_miu_ml", "42", "fsh_1_iu_l", 42.0),
        ("hemoglobin_g_l", "128", "hemoglobin_g_dl", 12.8),
    ],
)
def test_alternative_unit_is_converted_into_the_canonical_column(
    tmp_path: Path, column: str, text: str, canonical: str, value: float
) -> None:
    report = validate_csv(tmp_path, f"participant_id,{column}\nP1,{text}\n")
    assert report.dataset is not None, report.findings
    frame = report.dataset.participants
    assert frame.get_column(canonical).item() == pytest.approx(value)
    assert column not in frame.columns
    assert canonical in report.dataset.supplied["participants"]


def test_limits_apply_to_the_converted_value_and_are_quoted_in_the_written_unit(
    tmp_path: Path,
) -> None:
    finding = only_error(validate_csv(tmp_path, "participant_id,amh_pmol_l\nP1,500\n"))
    assert_located(
        finding,
        "participants.csv",
        2,
        "amh_pmol_l",
        'value "500" is outside 0–214.2 pmol/L',
    )
    assert finding.likely_unit is None  # 500 ng/mL is no more plausible


def test_both_columns_filled_where_they_agree_or_one_is_empty(tmp_path: Path) -> None:
    text = "participant_id,amh_ng_ml,amh_pmol_l\nP1,1.2,8.6\nP2,,14.3\nP3,0.5,\nP4,,\nP5,0.01,0.1\n"
    report = validate_csv(tmp_path, text)
    assert report.dataset is not None, report.findings
    amh = report.dataset.participants.get_column("amh_ng_ml").to_list()
    assert amh == [1.2, pytest.approx(14.3 / AMH_PMOL_L_PER_NG_ML), 0.5, None, 0.01]


def test_disagreeing_amh_columns_name_both_columns_and_values(tmp_path: Path) -> None:
    text = "participant_id,amh_ng_ml,amh_pmol_l\nP1,1.2,8.6\nP2,2.1,30\n"
    finding = only_error(validate_csv(tmp_path, text))
    assert_located(
        finding,
        "participants.csv",
        3,
        "amh_ng_ml",
        'value "2.1" (2.1 ng/mL) disagrees with column amh_pmol_l "30" (= 4.2017 ng/mL)',
        "within 2 % and rounding",
    )
    assert finding.expected == "the value of amh_pmol_l in ng/mL: 4.2017 ng/mL"


def test_agreement_allows_for_the_rounding_of_each_value_as_written(tmp_path: Path) -> None:
    # "4" may be anything from 3.5 to 4.5; "4.0" only 3.95 to 4.05
    text = "participant_id,wbc_10e9_l,wbc_per_mm3\nP1,7.5,7500\nP2,7.5,8000\nP3,4,4500\n"
    assert [f.line for f in errors(validate_csv(tmp_path, text))] == [3]
    text = text.replace("P3,4,", "P3,4.0,")
    assert [f.line for f in errors(validate_csv(tmp_path, text))] == [3, 4]
