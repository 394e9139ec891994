"""Study C's plan: arm order, intention to treat, CONSORT counts, complete cases per outcome."""

from __future__ import annotations

import polars as pl
import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.ucmsc_rct import arm_order
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.stats.comparison import t_test

PROTOCOL = load_protocol("ucmsc-rct")


def dataset(rows: list[dict[str, object]], pregnancies: list[dict[str, object]] = ()) -> Dataset:  # type: ignore[assignment]
    people = conform(pl.DataFrame(rows), DatasetFile.PARTICIPANTS)
    pregnant = conform(
        pl.DataFrame(list(pregnancies)) if pregnancies else pl.DataFrame({"participant_id": []}),
        DatasetFile.PREGNANCIES,
    )
    return Dataset(participants=people, pregnancies=pregnant, source="test")


def trial() -> Dataset:
    rows: list[dict[str, object]] = []
    for i in range(12):
        arm = "ucmsc_hrt" if i % 2 == 0 else "hrt"
        rows.append(
            {
                "participant_id": f"C{i:02}",
                "arm": arm,
                "status": "lost_to_follow_up" if i in (10, 11) else "completed",
                "afc": 1 + i % 3,
                "afc_post": None if i in (10, 11) else (5 + i if arm == "ucmsc_hrt" else 2 + i % 4),
                "menses_followup": None if i >= 10 else ("regular" if i % 4 == 0 else "amenorrhea"),
                "injections": 1,
            }
        )
    rows += [{"participant_id": "X1", "status": "screen_failed", "age_years": 45}]
    return dataset(rows, [{"participant_id": "C00", "conception": "spontaneous"}])


def test_arms_follow_the_protocol_order_whatever_the_data_order() -> None:
    assert arm_order(PROTOCOL, ["hrt", "ucmsc_hrt", "hrt"]) == [
        ("UC-MSC + HRT", "ucmsc_hrt"),
        ("HRT alone", "hrt"),
    ]
    assert arm_order(PROTOCOL, ["HRT alone", "UC-MSC + HRT"])[0] == ("UC-MSC + HRT", "UC-MSC + HRT")
    assert arm_order(PROTOCOL, ["B", "A"]) == [("A", "A"), ("B", "B")]


def test_arm_comparisons_are_first_arm_minus_second_on_complete_cases() -> None:
    analysis = run_plan("ucmsc-rct", trial())
    result = analysis.result("arm_difference_afc_post")
    first = [5 + i for i in range(0, 10, 2)]
    second = [2 + i % 4 for i in range(1, 10, 2)]
    direct = t_test(first, second)
    assert result.estimate == pytest.approx(direct.estimate)
    assert result.p_value == pytest.approx(direct.p_value)
    assert result.n == 10 and any("afc_post unknown" in w for w in result.warnings)
    assert analysis.populations[0].n == 12


def test_binary_outcomes_and_the_pregnancy_rule() -> None:
    analysis = run_plan("ucmsc-rct", trial())
    pregnant = analysis.result("arm_difference_pregnant")
    assert pregnant.n == 12  # no pregnancy row = not pregnant (INTERCHANGE.md)
    assert pregnant.estimate == pytest.approx(1 / 6)
    menses = analysis.result("arm_difference_menses_resumed")
    assert menses.n == 10
    ids = {r.id for r in analysis.results}
    assert {"arm_difference_afc_change", "arm_difference_oocyte_activation"} <= ids
    assert all(i.startswith("arm_difference_") for i in ids)


def test_consort_counts() -> None:
    consort = run_plan("ucmsc-rct", trial()).table("consort").frame
    counts = {(r["stage"], r["arm"]): r["n"] for r in consort.iter_rows(named=True)}
    assert counts[("assessed", None)] == 13
    assert counts[("excluded", None)] == 1
    assert counts[("randomised", None)] == 12
    assert counts[("target", None)] == 66
    assert counts[("allocated", "UC-MSC + HRT")] == 6
    assert counts[("lost_to_follow_up", "UC-MSC + HRT")] == 1
    assert counts[("analysed", "HRT alone")] == 5


def test_one_arm_only_gives_no_comparison_and_says_why() -> None:
    rows = [{"participant_id": f"C{i}", "arm": "hrt", "afc_post": i} for i in range(4)]
    analysis = run_plan("ucmsc-rct", dataset(rows))
    assert analysis.results == ()
    assert "need exactly two" in analysis.table("consort").notes[0]


def test_any_complication_asks_only_the_checklist_items_the_dataset_records() -> None:
    rows: list[dict[str, object]] = [
        {
            "participant_id": f"C{i}",
            "arm": "ucmsc_hrt" if i % 2 else "hrt",
            "comp_ovarian_cyst": i == 1,
            "comp_pid": False,
        }
        for i in range(8)
    ]
    data = dataset(rows)
    recorded = Dataset(
        participants=data.participants,
        pregnancies=data.pregnancies,
        source="test",
        supplied={"participants": ("participant_id", "arm", "comp_ovarian_cyst", "comp_pid")},
    )
    result = run_plan("ucmsc-rct", recorded).result("arm_difference_any_complication")
    assert result.n == 8  # the six checklist columns the dataset lacks do not make anyone unknown
    assert result.estimate == pytest.approx(0.25)
    unrecorded = run_plan("ucmsc-rct", data).result("arm_difference_any_complication")
    assert unrecorded.n == 1  # all eight columns asked: only the woman with a cyst is known
