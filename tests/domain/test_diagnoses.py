"""Every cut-off of CRITERIA.md on both sides, and what a missing value does to each rule."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from ovaregen.domain.diagnoses import (
    DiagnosisSettings,
    PoiEdition,
    ReserveLogic,
    bologna_rules,
    dor_rule,
    poi_rules,
    poseidon_group,
)
from tests.domain.cohorts import frame_of

POI_WOMAN = {
    "age_years": 35.0,
    "amenorrhea_months": 6.0,
    "fsh_1_iu_l": 40.0,
    "fsh_2_iu_l": 50.0,
    "fsh_1_date": date(2024, 1, 1),
    "fsh_2_date": date(2024, 3, 1),
}


def value(
    criterion_id: str, row: dict[str, Any], edition: PoiEdition = PoiEdition.ESHRE_2016
) -> Any:
    rule_set = (
        poi_rules(edition) if criterion_id.startswith("poi") else bologna_rules(DiagnosisSettings())
    )
    return frame_of([row]).select(rule_set[criterion_id].expression).item()


@pytest.mark.parametrize(("age", "expected"), [(39.9, True), (40.0, False), (None, None)])
def test_poi_age_below_40(age: float | None, expected: bool | None) -> None:
    assert value("poi", POI_WOMAN | {"age_years": age}) is expected


@pytest.mark.parametrize(("months", "expected"), [(3.9, False), (4.0, True), (None, None)])
def test_poi_cycle_at_least_4_months(months: float | None, expected: bool | None) -> None:
    assert value("poi.cycle", POI_WOMAN | {"amenorrhea_months": months}) is expected


@pytest.mark.parametrize(
    ("days", "expected"), [(28, False), (29, True), (-29, True), (-28, False), (0, False)]
)
def test_poi_2016_fsh_dates_more_than_28_days_apart(days: int, expected: bool) -> None:
    row = POI_WOMAN | {"fsh_2_date": date(2024, 1, 1) + timedelta(days=days)}
    assert value("poi.fsh", row) is expected


@pytest.mark.parametrize(
    ("fsh_1", "fsh_2", "expected"),
    [
        (25.0, 40.0, False),  # a recorded value ≤ 25 settles it
        (25.01, 40.0, True),
        (None, 40.0, None),
        (None, 20.0, False),
        (None, None, None),
    ],
)
def test_poi_2016_fsh_above_25_twice(fsh_1: Any, fsh_2: Any, expected: bool | None) -> None:
    assert value("poi.fsh", POI_WOMAN | {"fsh_1_iu_l": fsh_1, "fsh_2_iu_l": fsh_2}) is expected


def test_poi_2016_fsh_unknown_when_a_date_is_missing() -> None:
    assert value("poi.fsh", POI_WOMAN | {"fsh_2_date": None}) is None
    # …but a normal value is false whatever the dates
    assert value("poi.fsh", POI_WOMAN | {"fsh_2_date": None, "fsh_2_iu_l": 10.0}) is False


@pytest.mark.parametrize(
    ("fsh_1", "fsh_2", "expected"),
    [
        (26.0, None, True),
        (None, 26.0, True),
        (25.0, None, False),
        (25.0, 30.0, True),
        (10.0, 20.0, False),
        (None, None, None),
    ],
)
def test_poi_2024_one_fsh_above_25(fsh_1: Any, fsh_2: Any, expected: bool | None) -> None:
    row = POI_WOMAN | {"fsh_1_iu_l": fsh_1, "fsh_2_iu_l": fsh_2, "fsh_2_date": None}
    assert value("poi.fsh", row, PoiEdition.ESHRE_2024) is expected


@pytest.mark.parametrize(
    ("months", "fsh", "age", "expected"),
    [
        (6.0, 10.0, 30.0, True),  # cycle yes, FSH no
        (2.0, 40.0, 30.0, True),  # FSH yes, cycle no
        (6.0, 40.0, 30.0, False),  # both: that is POI, not fluctuating
        (2.0, 10.0, 30.0, False),  # neither
        (6.0, 10.0, 41.0, False),
        (6.0, None, 30.0, None),
        (6.0, 10.0, None, None),
    ],
)
def test_fluctuating_poi_exactly_one_criterion(
    months: float, fsh: Any, age: Any, expected: bool | None
) -> None:
    row = {"age_years": age, "amenorrhea_months": months, "fsh_1_iu_l": fsh}
    assert value("poi.fluctuating", row, PoiEdition.ESHRE_2024) is expected


# --- Bologna ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"age_years": 40.0, "prior_por_cycles": 1}, True),  # (i) + (ii)
        (
            {
                "age_years": 39.9,
                "prior_por_cycles": 1,
                "afc": 7,
                "amh_ng_ml": 1.1,
                "prior_por_cycles_max_stim": 0,
            },
            False,
        ),
        # the same woman without her max-stimulation history: it could still suffice alone
        ({"age_years": 39.9, "prior_por_cycles": 1, "afc": 7, "amh_ng_ml": 1.1}, None),
        ({"age_years": 39.9, "prior_por_cycles": 1, "afc": 6, "amh_ng_ml": 3.0}, True),
        ({"age_years": 39.9, "prior_por_cycles": 1, "afc": 9, "amh_ng_ml": 1.09}, True),
        ({"age_years": 30.0, "por_risk_factor": True, "afc": 3}, True),  # risk flag counts as (i)
        (
            {"age_years": 30.0, "prior_por_cycles": 0, "afc": 3, "prior_por_cycles_max_stim": 2},
            True,
        ),
        (
            {"age_years": 30.0, "prior_por_cycles": 0, "afc": 3, "prior_por_cycles_max_stim": 1},
            False,
        ),
        # (iii) true, (i) false, (ii) unknown: two could still be reached
        ({"age_years": 30.0, "afc": 3, "prior_por_cycles_max_stim": 0}, None),
        # two features false, but an unknown max-stim history keeps "sufficient alone" open
        ({"age_years": 30.0, "prior_por_cycles": 0}, None),
        ({"age_years": 30.0, "prior_por_cycles": 0, "prior_por_cycles_max_stim": 0}, False),
    ],
)
def test_bologna_two_of_three(row: dict[str, Any], expected: bool | None) -> None:
    assert value("por_bologna", row) is expected


def test_bologna_missing_history_is_unknown_not_zero() -> None:
    row = {"age_years": 42.0, "afc": 10, "amh_ng_ml": 2.0, "prior_por_cycles_max_stim": 0}
    assert value("bologna.previous_por", row) is None
    assert value("por_bologna", row) is None


def test_bologna_cut_offs_are_settings() -> None:
    row = frame_of(
        [
            {
                "age_years": 41.0,
                "afc": 5,
                "amh_ng_ml": 2.0,
                "prior_por_cycles": 0,
                "prior_por_cycles_max_stim": 0,
            }
        ]
    )
    strict = bologna_rules(DiagnosisSettings(bologna_afc_below=5))["por_bologna"]
    default = bologna_rules(DiagnosisSettings())["por_bologna"]
    assert row.select(default.expression).item() is True
    assert row.select(strict.expression).item() is False
    with pytest.raises(ValueError, match="5–7"):
        DiagnosisSettings(bologna_afc_below=8)
    with pytest.raises(ValueError, match=r"0\.5–1\.1"):
        DiagnosisSettings(bologna_amh_below_ng_ml=1.2)
    assert "AFC < 7" in DiagnosisSettings().describe()


# --- POSEIDON and DOR ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "afc", "amh", "oocytes", "group"),
    [
        (34.9, 5, 1.2, 3, "1a"),
        (34.9, 5, 1.2, 4, "1b"),
        (34.9, 5, 1.2, 9, "1b"),
        (35.0, 5, 1.2, 3, "2a"),
        (35.0, 8, 2.0, 9, "2b"),
        (34.9, 4, 1.19, None, "3"),
        (35.0, 4, 1.19, None, "4"),
        (30.0, 5, 1.2, 10, "none"),
        (None, 5, 1.2, 12, "none"),
        (30.0, 4, 1.2, 2, "unclassified"),
        (30.0, 5, 1.19, 2, "unclassified"),
        (None, 4, 1.0, None, "unknown"),
        (30.0, None, 1.0, 2, "unknown"),
        (30.0, 6, 2.0, None, "unknown"),
        (None, 6, 2.0, 3, "unknown"),
    ],
)
def test_poseidon_groups(age: Any, afc: Any, amh: Any, oocytes: Any, group: str) -> None:
    row = {"age_years": age, "afc": afc, "amh_ng_ml": amh, "prior_oocytes_retrieved": oocytes}
    assert frame_of([row]).select(poseidon_group(DiagnosisSettings())).item() == group


def test_poseidon_or_setting_has_no_unclassified() -> None:
    either = DiagnosisSettings(poseidon_reserve=ReserveLogic.OR)
    rows = frame_of(
        [
            {"age_years": 30.0, "afc": 4, "amh_ng_ml": 2.0},
            {"age_years": 36.0, "afc": None, "amh_ng_ml": 0.5},
            {"age_years": 36.0, "afc": None, "amh_ng_ml": 2.0, "prior_oocytes_retrieved": 2},
        ]
    )
    assert rows.select(poseidon_group(either)).to_series().to_list() == ["3", "4", "unknown"]


def test_dor_is_low_reserve_whatever_the_age() -> None:
    rows = frame_of(
        [
            {"afc": 4, "amh_ng_ml": 1.19},
            {"afc": 5, "amh_ng_ml": 1.0},
            {"afc": None, "amh_ng_ml": 2.0},
            {"afc": None, "amh_ng_ml": 0.5},
        ]
    )
    dor = dor_rule(DiagnosisSettings()).expression
    assert rows.select(dor).to_series().to_list() == [True, False, False, None]


def test_rule_sets_are_versioned_and_sourced() -> None:
    rules = poi_rules(PoiEdition.ESHRE_2016)
    assert rules.id == "poi-eshre-2016" and rules.version
    assert "Webber" in rules["poi"].source
    assert set(rules["poi"].parts) == {"poi.age", "poi.cycle", "poi.fsh"}
    with pytest.raises(KeyError):
        rules["poi.nothing"]
    assert isinstance(rules["poi.age"].expression, pl.Expr)
