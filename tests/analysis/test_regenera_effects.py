"""Study A's effect sizes, logistic table and left-out women against R
(``tests/reference/regenera_effects.R`` → ``regenera_effects.json``).

The plan runs on the random reference dataset with missing values at random
(``tests/reference/data/regenera-random``), as ``test_plans_against_r`` does; every number R
gives is compared with the same rules (counts exactly; 1e-9 closed-form, 1e-6 iterative),
and each result's left-out women — how many, and under which unknown column — with R's
count of the rows unknown on that column and known on every earlier one. The tests read only
the JSON: R is not needed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from ovaregen.analysis.left_out import total, unknown
from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis
from ovaregen.io.reader import read_dataset
from tests.analysis.test_plans_against_r import problems

REFERENCE_DIR = Path(__file__).parents[1] / "reference"
REFERENCE: dict[str, Any] = json.loads((REFERENCE_DIR / "regenera_effects.json").read_text())
ACCOUNTING = ("population_n", "left_out")


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return run_plan("regenera", read_dataset(REFERENCE_DIR / REFERENCE["dataset"]))


def cases() -> list[Any]:
    return [pytest.param(case, id=case["id"]) for case in REFERENCE["results"]]


@pytest.mark.parametrize("case", cases())
def test_result_matches_r(analysis: Analysis, case: dict[str, Any]) -> None:
    result = analysis.result(case["id"])
    numbers = {k: v for k, v in case["expected"].items() if k not in ACCOUNTING}
    found = problems(result, numbers, case["rel_tol"])
    assert not found, "\n".join([f"R: {case['call']}", *found])


@pytest.mark.parametrize("case", cases())
def test_left_out_women_match_r(analysis: Analysis, case: dict[str, Any]) -> None:
    result = analysis.result(case["id"])
    expected = case["expected"]
    wanted = tuple(
        item for entry in expected["left_out"] for item in unknown(entry["count"], entry["column"])
    )
    assert result.left_out == wanted
    assert result.n + total(result.left_out) == expected["population_n"]
    assert analysis.populations[0].n == expected["population_n"]


def test_effects_carry_their_kind_and_unit(analysis: Analysis) -> None:
    difference = analysis.result("activation_by_age_group_difference")
    assert (difference.extra["effect"], difference.extra["effect_unit"]) == (
        "risk difference",
        "percentage points",
    )
    assert -1 <= difference.ci_low <= difference.estimate <= difference.ci_high <= 1  # type: ignore[operator]
    odds = analysis.result("activation_by_age_group_odds_ratio")
    assert (odds.extra["effect"], odds.extra["effect_unit"]) == ("odds ratio", "ratio")
    assert "conditional maximum-likelihood" in odds.method
    assert [g["group"] for g in odds.extra["groups"]] == ["< 38", "≥ 38"]
    for name in ("age_years", "wbc_d5_10e9_l", "cd34_d5_per_ul"):
        term = analysis.result(f"logistic_activation_{name}")
        assert (term.extra["effect"], term.extra["effect_unit"]) == ("odds ratio", "ratio")
    for id, unit in (
        ("hemoglobin_by_activation", "g/dL"),
        ("wbc_by_activation", "10⁹/L"),
        ("platelets_by_activation", "10⁹/L"),
        ("age_by_activation", "years"),
        ("cd34_by_activation", "/µL"),
    ):
        comparison = analysis.result(id)
        assert (comparison.extra["effect"], comparison.extra["effect_unit"]) == (
            "mean difference",
            unit,
        )


def test_logistic_publication_table_matches_r(analysis: Analysis) -> None:
    (case,) = REFERENCE["tables"]
    table = analysis.table("logistic_activation_terms")
    assert table.frame.columns == ["term", "odds_ratio", "ci_low", "ci_high", "p_value"]
    assert table.frame.get_column("term").to_list() == [
        "Age (per year)",
        "Leukocytes on day 5 (per 10⁹/L)",
        "CD34+ on day 5 (per cell/µL)",
        "Intercept (odds)",
    ]
    for row, wanted in zip(
        table.frame.iter_rows(named=True), case["expected"]["rows"], strict=True
    ):
        for key, value in wanted.items():
            assert math.isclose(row[key], value, rel_tol=case["rel_tol"]), (row["term"], key)
    notes = " ".join(table.notes)
    assert f"n = {case['expected']['n']} women" in notes
    assert f"{case['expected']['n_events']} events (activated)" in notes
    assert "Wald" in notes


def test_activation_is_the_one_primary_outcome(analysis: Analysis) -> None:
    primary = [r.id for r in analysis.results if r.extra.get("primary")]
    assert primary == ["activation_rate"]
