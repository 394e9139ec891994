"""Hard limits (error), soft limits (warning) and unit-slip hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.domain.variables import variable
from ovaregen.io.limits import likely_unit
from ovaregen.io.units import canonical_unit, unit_of_column
from tests.io.helpers import assert_located, only_error, only_warning, validate_csv


def test_platelets_in_per_mm3_under_the_10e9_column(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id,platelets_10e9_l\nP1,250\nP2,247910\n")
    finding = only_error(report)
    text = assert_located(finding, "participants.csv", 3, "platelets_10e9_l")
    assert text == (
        'participants.csv line 3, column platelets_10e9_l: value "247910" is outside '
        "5–2000 10⁹/L; looks like /mm³ (247910 /mm³ = 247.91 10⁹/L): convert it or name the "
        "column platelets_per_mm3"
    )
    assert (finding.value, finding.expected, finding.likely_unit) == (
        "247910",
        "5–2000 10⁹/L",
        "/mm³",
    )


def test_amh_in_pmol_under_the_ng_column(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, "participant_id,amh_ng_ml\nP1,35.7\n"))
    assert_located(
        finding,
        "participants.csv",
        2,
        "amh_ng_ml",
        'value "35.7" is outside 0–30 ng/mL',
        "looks like pmol/L (35.7 pmol/L = 5 ng/mL)",
        "name the column amh_pmol_l",
    )
    assert finding.likely_unit == "pmol/L"


def test_leukocytes_in_10e9_under_the_per_mm3_column(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, "participant_id,wbc_per_mm3\nP1,7.5\n"))
    assert_located(
        finding,
        "participants.csv",
        2,
        "wbc_per_mm3",
        'value "7.5" is outside 100–150000 /mm³',
        "looks like 10⁹/L (7.5 10⁹/L): convert it or name the column wbc_10e9_l",
    )


def test_haemoglobin_in_g_per_l(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, "participant_id,hemoglobin_g_dl\nP1,128\n"))
    assert finding.likely_unit == "g/L"
    assert "name the column hemoglobin_g_l" in finding.message


def test_out_of_range_without_a_plausible_unit_has_no_hint(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, "participant_id,age_years\nP1,7\n"))
    assert_located(finding, "participants.csv", 2, "age_years", 'value "7" is outside 10–60 years')
    assert finding.likely_unit is None and "looks like" not in finding.message


def test_negative_count(tmp_path: Path) -> None:
    finding = only_error(validate_csv(tmp_path, "participant_id,afc\nP1,-1\n"))
    assert finding.message == 'value "-1" is outside 0–80 follicles'


def test_outside_soft_limits_is_a_warning_and_the_dataset_is_kept(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id,age_years\nP1,55\n")
    assert_located(
        only_warning(report),
        "participants.csv",
        2,
        "age_years",
        'value "55" is outside the usual range 18–50 years; check it',
    )
    assert report.dataset is not None
    assert report.dataset.warnings == report.findings


def test_soft_warning_offers_the_other_unit_conditionally(tmp_path: Path) -> None:
    warning = only_warning(validate_csv(tmp_path, "participant_id,amh_ng_ml\nP1,20\n"))
    assert "if it is in pmol/L (20 pmol/L = 2.8011 ng/mL)" in warning.message
    assert warning.likely_unit == "pmol/L"


def test_bounds_are_inclusive_after_conversion(tmp_path: Path) -> None:
    # 214.2 pmol/L is exactly 30 ng/mL, the hard limit, despite floating-point rounding
    report = validate_csv(tmp_path, "participant_id,amh_pmol_l\nP1,214.2\n")
    assert [f.severity for f in report.findings] == ["warning"]


@pytest.mark.parametrize(
    ("column", "written", "unit"),
    [
        ("platelets_10e9_l", 247910, "/mm³"),
        ("platelets_per_mm3", 250, "10⁹/L"),
        ("fsh_1_iu_l", 300, None),  # mIU/mL has the same factor: no slip can explain it
    ],
)
def test_likely_unit(column: str, written: float, unit: str | None) -> None:
    v = variable(column.replace("_per_mm3", "_10e9_l"))
    assert v.hard is not None
    found = likely_unit(written, v, unit_of_column(v, column), v.hard)
    assert (found.unit if found else None) == unit
    assert canonical_unit(v).column == v.name
