"""Study B's Table 2 effects against R (``tests/reference/mensc_effects.R`` → ``.json``).

Per factor (age < 35 vs ≥ 35, regular vs irregular menses, one vs two injections): the
difference in pregnancy rates with Newcombe's hybrid score interval (R: Wilson limits from
``prop.test(correct = FALSE)``, then Newcombe's formula) and the conditional MLE odds ratio with
its exact interval and p (R ``fisher.test``; its equations solved to 1e-14 in the script, since
``fisher.test`` itself stops at uniroot's 1e-4). Two sets of tables: the paper's published
counts (the demo cohort reproduces them) and the random reference dataset's.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import read_dataset
from ovaregen.synth import PUBLISHED_SIZE, synthesize

REFERENCE_DIR = Path(__file__).parents[1] / "reference"
REFERENCE: dict[str, Any] = json.loads((REFERENCE_DIR / "mensc_effects.json").read_text())
CLOSED_FORM = 1e-9  # Wilson limits and Newcombe's formula; Fisher's p
SOLVED = 1e-8  # the odds ratio and its limits: roots solved to 1e-14 on both sides


def close(actual: float | None, expected: float | None, rel: float) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-12)


@pytest.fixture(scope="module")
def analyses() -> dict[str, Analysis]:
    demo: Dataset = synthesize("mensc", PUBLISHED_SIZE["mensc"], 2026)
    random = read_dataset(REFERENCE_DIR / REFERENCE["random"]["dataset"])
    return {"published": run_plan("mensc", demo), "random": run_plan("mensc", random)}


def cases() -> list[Any]:
    return [
        *(pytest.param("published", c, id=f"published:{c['id']}") for c in REFERENCE["published"]),
        *(pytest.param("random", c, id=f"random:{c['id']}") for c in REFERENCE["random"]["cases"]),
    ]


@pytest.mark.parametrize(("which", "case"), cases())
def test_table_2_effects_match_r(
    analyses: dict[str, Analysis], which: str, case: dict[str, Any]
) -> None:
    analysis = analyses[which]
    test = analysis.result(case["id"])
    counts = [(g["events"], g["n"]) for g in test.extra["groups"]]
    assert counts == list(zip(case["table"]["events"], case["table"]["n"], strict=True))

    difference = analysis.result(f"{case['id']}_difference")
    expected = case["difference"]
    assert difference.n == sum(case["table"]["n"])
    for name in ("estimate", "ci_low", "ci_high"):
        assert close(getattr(difference, name), expected[name], CLOSED_FORM), name
    assert difference.p_value is None  # the test of the row is the published chi-square
    assert (difference.extra["effect"], difference.extra["effect_unit"]) == (
        "risk difference",
        "percentage points",
    )

    odds = analysis.result(f"{case['id']}_odds_ratio")
    expected = case["odds_ratio"]
    for name in ("estimate", "ci_low", "ci_high"):
        assert close(getattr(odds, name), expected[name], SOLVED), name
    assert close(odds.p_value, expected["p_value"], CLOSED_FORM)
    assert close(odds.estimate, expected["fisher_test_estimate"], 1e-2)
    low, high = expected["fisher_test_ci"]
    assert close(odds.ci_low, low, 1e-2) and close(odds.ci_high, high, 1e-2)
    assert (odds.extra["effect"], odds.extra["effect_unit"]) == ("odds ratio", "ratio")


def test_table_2_carries_the_effects_beside_the_published_tests(
    analyses: dict[str, Analysis],
) -> None:
    analysis = analyses["published"]
    rows = analysis.table("table2_pregnancy_by_factor").frame.to_dicts()
    age = [r for r in rows if r["id"] == "pregnancy_by_age_group"]
    assert [(r["pregnant"], r["total"]) for r in age] == [(12, 23), (26, 82)]
    last = age[-1]
    difference = analysis.result("pregnancy_by_age_group_difference")
    odds = analysis.result("pregnancy_by_age_group_odds_ratio")
    assert difference.estimate is not None and difference.ci_low is not None
    assert last["difference_pp"] == pytest.approx(100 * difference.estimate, rel=1e-12)
    assert last["difference_ci_low_pp"] == pytest.approx(100 * difference.ci_low, rel=1e-12)
    assert (last["odds_ratio"], last["odds_ratio_ci_high"]) == (odds.estimate, odds.ci_high)
    assert round(last["chi_square"], 4) == 2.4321  # the published test stays
    assert age[0]["odds_ratio"] is None  # effects on the factor's last row, as its test
