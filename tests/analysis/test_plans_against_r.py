"""The analysis plans end to end against R (``tests/reference/plans.R`` → ``plans.json``).

``tests/reference/plan_data.py`` wrote three seeded random datasets (``tests/reference/data``);
``plans.R`` reads the same CSV files with base R, derives the populations and endpoints itself
and recomputes every result of the three plans with the R call stored beside its numbers. Here
each plan runs on its dataset (``run_plan(name, read_dataset(folder))``) and every number in the
JSON is compared: the result's ``n`` (exactly), statistic, df, p-value, estimate and CI, and the
extra numbers (ROC cut-off, the logistic terms by name, the groups compared, the Kaplan–Meier
table). Tolerance: the case's ``rel_tol`` — 1e-9 where both sides are closed-form, 1e-6 for the
iteratively fitted logistic regression. Counts (JSON integers, integers in Python) must be
equal; a JSON integer where Python has a float is a number R wrote without decimals (a Fisher p
of exactly 1, a risk difference of 0) and is compared with the tolerance. R's NA is None.
The tests read only the JSON and the CSV files: R is not needed.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Result
from ovaregen.io.reader import read_dataset

REFERENCE_DIR = Path(__file__).parents[1] / "reference"
REFERENCE: dict[str, Any] = json.loads((REFERENCE_DIR / "plans.json").read_text())
PLANS: dict[str, dict[str, Any]] = {entry["plan"]: entry for entry in REFERENCE["plans"]}
SUPPLEMENTS: list[dict[str, Any]] = [
    json.loads(path.read_text()) for path in sorted(REFERENCE_DIR.glob("*_effects.json"))
]
"""Per-plan R references of the report's effect sizes (``<plan>_effects.R``), in the same
case format; their own tests compare the numbers, the coverage test below counts their ids."""
TOP_LEVEL = ("n", "statistic", "df", "p_value", "estimate", "ci_low", "ci_high")
KM_COLUMNS = ("time", "n_risk", "n_event", "n_censor", "survival", "ci_low", "ci_high")
ABS_TOL = 1e-12  # for values that are 0 on one side up to rounding


@cache
def results_of(plan: str) -> dict[str, Result]:
    """The plan's results on its reference dataset, by id (each plan runs once)."""
    dataset = read_dataset(REFERENCE_DIR / PLANS[plan]["dataset"])
    return {result.id: result for result in run_plan(plan, dataset).results}


def mismatch(where: str, actual: Any, expected: Any, rel: float) -> list[str]:
    """Why ``actual`` differs from R's ``expected`` (empty when it does not)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        return [
            problem
            for key, value in expected.items()
            for problem in mismatch(f"{where}.{key}", actual.get(key), value, rel)
        ]
    if isinstance(expected, list):
        if not isinstance(actual, list | tuple) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} values, got {actual!r}"]
        return [
            problem
            for index, (got, wanted) in enumerate(zip(actual, expected, strict=True))
            for problem in mismatch(f"{where}[{index}]", got, wanted, rel)
        ]
    if expected is None:
        return [] if actual is None else [f"{where}: R gives NA, Python {actual!r}"]
    if isinstance(expected, str):
        return [] if actual == expected else [f"{where}: R {expected!r}, Python {actual!r}"]
    if actual is None or isinstance(actual, bool) or not isinstance(actual, int | float):
        return [f"{where}: R {expected!r}, Python {actual!r}"]
    if isinstance(expected, int) and isinstance(actual, int):  # a count: exactly
        return [] if actual == expected else [f"{where}: R {expected}, Python {actual}"]
    if math.isclose(actual, expected, rel_tol=rel, abs_tol=ABS_TOL):
        return []
    relative = abs(actual - expected) / abs(expected) if expected else math.inf
    return [f"{where}: R {expected!r}, Python {actual!r} (relative difference {relative:.2e})"]


def problems(result: Result, expected: dict[str, Any], rel: float) -> list[str]:
    """Every number of ``expected`` compared with where the plan's result keeps it."""
    found: list[str] = []
    for key, value in expected.items():
        if key in TOP_LEVEL:
            actual: Any = getattr(result, key)
        elif key == "terms":
            terms = {term["name"]: term for term in result.extra["terms"]}
            actual = [terms.get(term["name"], {}) for term in value]
        elif key == "km_table":
            rows = result.detail.table
            actual = {column: [getattr(row, column) for row in rows] for column in KM_COLUMNS}
        else:
            actual = result.extra.get(key)
        found += mismatch(key, actual, value, rel)
    return found


def reference_cases() -> list[Any]:
    return [
        pytest.param(plan, case, id=f"{plan}:{case['id']}")
        for plan, entry in PLANS.items()
        for case in entry["results"]
    ]


@pytest.mark.parametrize(("plan", "case"), reference_cases())
def test_result_matches_r(plan: str, case: dict[str, Any]) -> None:
    results = results_of(plan)
    assert case["id"] in results, f"plan {plan} gives no result {case['id']}"
    found = problems(results[case["id"]], case["expected"], case["rel_tol"])
    assert not found, "\n".join([f"R: {case['call']}", *found])


@pytest.mark.parametrize("plan", sorted(PLANS))
def test_every_result_of_the_plan_has_an_r_reference(plan: str) -> None:
    checked = {case["id"] for case in PLANS[plan]["results"]}
    checked |= {
        case["id"]
        for document in SUPPLEMENTS
        if document.get("plan") == plan
        for case in document["results"]
    }
    assert sorted(set(results_of(plan)) - checked) == []


def test_the_reference_covers_the_three_plans_and_their_populations() -> None:
    assert sorted(PLANS) == ["mensc", "regenera", "ucmsc-rct"]
    for entry in PLANS.values():
        assert (REFERENCE_DIR / entry["dataset"] / "participants.csv").is_file()
        assert entry["setup"] and all(case["call"] for case in entry["results"])
        assert all("n" in case["expected"] for case in entry["results"])


def test_study_c_is_checked_at_every_follow_up_visit_and_for_harms() -> None:
    """The fixed ids of the ucmsc-rct plan that the reference must hold (so that a family
    dropped from both the plan and plans.R does not go unnoticed)."""
    ids = {case["id"] for case in PLANS["ucmsc-rct"]["results"]}
    wanted = {"primary_outcome_ancova"}
    for visit in ("month_3", "month_6", "month_12"):
        wanted |= {
            f"arm_difference_{outcome}_{visit}"
            for outcome in (
                "afc_post",
                "amh_post_ng_ml",
                "afc_change",
                "amh_change_ng_ml",
                "menses_resumed",
            )
        }
        wanted |= {f"ancova_{outcome}_{visit}" for outcome in ("afc_post", "amh_post_ng_ml")}
    wanted |= {
        f"adverse_events_{measure}"
        for measure in (
            "any",
            "serious",
            "grade_3_or_more",
            *(f"worst_grade_{k}" for k in range(1, 6)),
        )
    }
    assert sorted(wanted - ids) == []
    terms = sorted(i for i in ids if i.startswith("adverse_events_term_"))
    assert "adverse_events_term_pelvic_pain" in terms and len(terms) >= 5
