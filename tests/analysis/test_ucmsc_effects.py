"""Study C's effect sizes, primary outcome, roles, multiplicity and the women left out by arm.

The R check of every number is ``test_plans_against_r.py``; here the rules around the numbers:
which effect each comparison reports and in what unit, the relative risk beside each risk
difference (and what it says where it is undefined), the one primary result, the roles and the
multiplicity note, and that every randomised woman is either analysed or named as left out.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl
import pytest

from ovaregen.analysis.left_out import total
from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import read_dataset
from ovaregen.stats.contingency import relative_risk

REFERENCE = Path(__file__).parents[1] / "reference" / "data" / "ucmsc-random"
ARMS = ("UC-MSC + HRT", "HRT alone")


@cache
def reference() -> Analysis:
    """The plan on the R reference dataset: missing values, losses, visits, adverse events."""
    return run_plan("ucmsc-rct", read_dataset(REFERENCE))


def small_trial() -> Dataset:
    """Eight women; V6 (cell arm) lacks baseline AMH, V7 (HRT) the 3-month AMH; the only
    pregnancy is in the cell arm."""
    people = []
    for i in range(8):
        arm = "ucmsc_hrt" if i % 2 == 0 else "hrt"
        people.append(
            {
                "participant_id": f"V{i}",
                "arm": arm,
                "afc": 1 + i % 3,
                "afc_post": 2 + i % 3 + (2 if arm == "ucmsc_hrt" else 0),
                "amh_ng_ml": None if i == 6 else 0.1 + i / 50,
                "amh_post_ng_ml": None if i == 7 else 0.2 + i / 40 + (0.1 if i % 2 == 0 else 0),
                "menses_followup": "regular" if i % 4 == 0 else "amenorrhea",
            }
        )
    pregnancies = [{"participant_id": "V0", "conception": "spontaneous"}]
    return Dataset(
        participants=conform(pl.DataFrame(people), DatasetFile.PARTICIPANTS),
        pregnancies=conform(pl.DataFrame(pregnancies), DatasetFile.PREGNANCIES),
        source="test",
    )


def test_every_binary_comparison_has_its_relative_risk_beside_it() -> None:
    analysis = reference()
    ids = [r.id for r in analysis.results]
    binary = [
        r.id.removeprefix("arm_difference_")
        for r in analysis.results
        if r.id.startswith("arm_difference_") and r.extra["kind"] == "binary"
    ]
    assert len(binary) == 8  # five outcomes, and menses at each of the three visits
    for outcome in binary:
        difference = analysis.result(f"arm_difference_{outcome}")
        ratio = analysis.result(f"arm_ratio_{outcome}")
        assert ids.index(ratio.id) == ids.index(difference.id) + 1
        assert (difference.extra["effect"], difference.extra["effect_unit"]) == (
            "risk difference",
            "percentage points",
        )
        assert (ratio.extra["effect"], ratio.extra["effect_unit"]) == ("relative risk", "ratio")
        events = [[g["events"], g["n"] - g["events"]] for g in difference.extra["groups"]]
        direct = relative_risk(events)
        assert ratio.estimate == direct.estimate and ratio.ci_low == direct.ci_low
        assert ratio.n == difference.n and ratio.p_value == difference.p_value
        assert ratio.left_out == difference.left_out
        assert -1 <= (difference.ci_low or 0) <= (difference.ci_high or 0) <= 1


def test_an_undefined_ratio_says_so() -> None:
    analysis = run_plan("ucmsc-rct", small_trial())
    ratio = analysis.result("arm_ratio_pregnant")  # 1 of 4 vs 0 of 4
    assert ratio.estimate is None and ratio.ci_low is None
    assert "no event in the second group" in ratio.extra["undefined"]
    assert any("not defined" in w for w in ratio.warnings)
    difference = analysis.result("arm_difference_pregnant")
    assert difference.estimate == pytest.approx(0.25)
    assert difference.ci_low is not None and difference.ci_low < 0 < difference.ci_high


def test_continuous_comparisons_are_mean_differences_in_the_outcomes_unit() -> None:
    analysis = reference()
    units = {
        "arm_difference_afc_post": "follicles",
        "arm_difference_afc_change_month_12": "follicles",
        "arm_difference_amh_post_ng_ml_month_6": "ng/mL",
        "arm_difference_amh_change_ng_ml": "ng/mL",
        "ancova_afc_post_month_3": "follicles",
        "primary_outcome_ancova": "ng/mL",
    }
    for id, unit in units.items():
        result = analysis.result(id)
        assert (result.extra["effect"], result.extra["effect_unit"]) == ("mean difference", unit)


def test_the_primary_outcome_is_one_flagged_adjusted_difference() -> None:
    analysis = reference()
    flagged = [r for r in analysis.results if r.extra.get("primary")]
    assert [r.id for r in flagged] == ["primary_outcome_ancova"]
    primary = flagged[0]
    assert primary.extra["kind"] == "adjusted" and primary.extra["role"] == "primary"
    assert primary.ci_low is not None and primary.ci_low < primary.estimate < primary.ci_high
    assert "Primary outcome" in primary.title and "3 months" in primary.title


def test_the_primary_outcome_names_the_women_without_outcome_or_baseline() -> None:
    primary = run_plan("ucmsc-rct", small_trial()).result("primary_outcome_ancova")
    assert primary.n == 6
    assert [(o.count, o.reason) for o in primary.left_out] == [
        (1, "UC-MSC + HRT: baseline anti-Müllerian hormone unknown"),
        (1, "HRT alone: AMH after treatment at 3 months unknown"),
    ]
    assert not any("left out" in w for w in primary.warnings)


def test_every_randomised_woman_is_analysed_or_left_out_by_arm() -> None:
    """n + the women left out = the randomised women, for every result of the plan."""
    analysis = reference()
    randomised = analysis.populations[0].n
    for result in analysis.results:
        assert result.n + total(result.left_out) == randomised, result.id
        for item in result.left_out:
            assert item.reason.startswith(tuple(f"{arm}: " for arm in ARMS)), item.reason
            assert "_" not in item.reason, item.reason  # words, never column ids


def test_visit_results_name_their_visit_in_the_reason() -> None:
    analysis = reference()
    reasons = {o.reason for o in analysis.result("arm_difference_afc_post_month_12").left_out}
    assert reasons == {
        f"{arm}: antral follicle count after treatment at 12 months unknown" for arm in ARMS
    }
    menses = {o.reason for o in analysis.result("arm_ratio_menses_resumed_month_6").left_out}
    assert menses == {f"{arm}: menstrual status at 6 months unknown" for arm in ARMS}


def test_roles_follow_the_protocols_time_points() -> None:
    analysis = reference()
    role = {r.id: r.extra["role"] for r in analysis.results}
    assert set(role.values()) == {"primary", "secondary", "exploratory"}
    assert role["primary_outcome_ancova"] == "primary"
    assert role["ancova_amh_post_ng_ml_month_3"] == "primary"  # the same analysis, repeated
    assert role["arm_difference_afc_post_month_3"] == "secondary"
    assert role["ancova_amh_post_ng_ml_month_12"] == "secondary"
    assert role["arm_ratio_menses_resumed_month_6"] == "exploratory"
    assert role["arm_difference_amh_change_ng_ml_month_6"] == "exploratory"
    assert role["arm_difference_pregnant"] == role["arm_ratio_pregnant"] == "secondary"
    assert role["arm_difference_oocyte_activation"] == "exploratory"
    assert role["adverse_events_serious"] == "secondary"
    assert role["adverse_events_term_headache"] == "exploratory"
    repeats = analysis.result("arm_difference_afc_post").extra["repeats"]
    assert repeats == "arm_difference_afc_post_month_3"
    roles = analysis.table("arm_comparisons").frame.get_column("role").to_list()
    assert roles == [r.extra["role"] for r in analysis.results]


def test_the_comparison_table_states_how_many_comparisons_and_which_is_confirmatory() -> None:
    analysis = reference()
    terms = sum(r.id.startswith("adverse_events_term_") for r in analysis.results)
    # 3 visits × (4 continuous + menses + 2 ANCOVA); unsuffixed: activation, pregnancy, live
    # birth, complication (the other five repeat the 3-month visit); the primary (its 3-month
    # ANCOVA repeats it); adverse events: 3 summary rows, 5 worst grades, the terms
    expected = 3 * 7 + 4 + 1 - 1 + 3 + 5 + terms
    note = " ".join(analysis.table("arm_comparisons").notes)
    assert f"{expected} between-arm comparisons are reported" in note
    assert "only the primary outcome (Primary outcome: AMH after treatment" in note
    assert "ICH E9 §5.6" in note and "CONSORT 2010 item 18" in note
    assert "not adjusted for multiplicity" in note
