"""Study C's plan: arm order, intention to treat, CONSORT counts, complete cases per outcome."""

from __future__ import annotations

import numpy as np
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
    assert result.n == 10
    assert [(o.count, o.reason) for o in result.left_out] == [
        (1, "UC-MSC + HRT: antral follicle count after treatment at 3 months unknown"),
        (1, "HRT alone: antral follicle count after treatment at 3 months unknown"),
    ]
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
    families = (
        "arm_difference_",
        "arm_ratio_",
        "ancova_",
        "primary_outcome_ancova",
        "adverse_events_",
    )
    assert all(i.startswith(families) for i in ids)


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


def visit_trial() -> Dataset:
    """Eight women, AFC and AMH at 3 and 12 months that differ, two adverse events."""
    people, visits = [], []
    for i in range(8):
        arm = "ucmsc_hrt" if i % 2 == 0 else "hrt"
        code = f"V{i}"
        people.append(
            {"participant_id": code, "arm": arm, "afc": 1 + i % 3, "amh_ng_ml": 0.1 + i / 50}
        )
        for visit, shift in (("month_3", 0), ("month_12", 3)):
            visits.append(
                {
                    "participant_id": code,
                    "visit": visit,
                    "afc_post": 2 + i % 3 + shift + (2 if arm == "ucmsc_hrt" else 0),
                    "amh_post_ng_ml": 0.2 + i / 40 + shift / 10,
                }
            )
    month_3 = {v["participant_id"]: v for v in visits if v["visit"] == "month_3"}
    for person in people:
        person["afc_post"] = month_3[str(person["participant_id"])]["afc_post"]
        person["amh_post_ng_ml"] = month_3[str(person["participant_id"])]["amh_post_ng_ml"]
    events = [
        {"participant_id": "V0", "term": "Pelvic pain", "grade": 2, "serious": False},
        {"participant_id": "V0", "term": "pelvic pain ", "grade": 1, "serious": False},
        {"participant_id": "V1", "term": "Headache", "grade": 1, "serious": False},
    ]
    return Dataset(
        participants=conform(pl.DataFrame(people), DatasetFile.PARTICIPANTS),
        visits=conform(pl.DataFrame(visits), DatasetFile.VISITS),
        adverse_events=conform(pl.DataFrame(events), DatasetFile.ADVERSE_EVENTS),
        source="test",
    )


def test_every_outcome_is_analysed_at_every_visit_that_records_it() -> None:
    """The 12-month AFC reaches the analysis (issue 10), not only the primary visit's."""
    analysis = run_plan("ucmsc-rct", visit_trial())
    at_3, at_12 = (analysis.result(f"arm_difference_afc_post_{v}") for v in ("month_3", "month_12"))
    first = [2 + i % 3 + 2 for i in range(0, 8, 2)]
    second = [2 + i % 3 for i in range(1, 8, 2)]
    assert at_3.estimate == pytest.approx(t_test(first, second).estimate)
    assert at_12.estimate == pytest.approx(at_3.estimate)  # the shift is equal in both arms
    assert analysis.result("arm_difference_afc_post").estimate == at_3.estimate
    twelve = [2 + i % 3 + 3 + 2 for i in range(0, 8, 2)]
    assert at_12.extra["groups"][0]["mean"] == pytest.approx(np.mean(twelve))
    assert "arm_difference_afc_post_month_6" not in {r.id for r in analysis.results}, "no data"


def test_without_visits_the_primary_visit_is_participants_csv() -> None:
    """INTERCHANGE.md: a dataset without visits.csv is read as before; participants.csv's
    follow-up columns are the primary follow-up visit's values."""
    data = visit_trial()
    alone = Dataset(participants=data.participants, adverse_events=data.adverse_events, source="")
    with_visits, without = run_plan("ucmsc-rct", data), run_plan("ucmsc-rct", alone)
    for id in ("primary_outcome_ancova", "arm_difference_afc_post_month_3"):
        assert without.result(id).n == 8
        assert without.result(id).estimate == pytest.approx(with_visits.result(id).estimate)
    assert "arm_difference_afc_post_month_12" not in {r.id for r in without.results}


def test_terms_differing_in_punctuation_keep_distinct_result_ids() -> None:
    data = visit_trial()
    extra = conform(
        pl.DataFrame(
            [
                {"participant_id": "V2", "term": "Pelvic-pain", "grade": 1},
                {"participant_id": "V3", "term": "头痛", "grade": 1},
            ]
        ),
        DatasetFile.ADVERSE_EVENTS,
    )
    events = pl.concat([data.adverse_events, extra])
    analysis = run_plan(
        "ucmsc-rct", Dataset(participants=data.participants, adverse_events=events, source="")
    )
    ids = [r.id for r in analysis.results]
    assert len(ids) == len(set(ids))
    assert {"adverse_events_term_pelvic_pain", "adverse_events_term_pelvic_pain_2"} <= set(ids)
    assert "adverse_events_term_头痛" in ids


def test_the_primary_outcome_is_adjusted_for_its_baseline_by_least_squares() -> None:
    data = visit_trial()
    analysis = run_plan("ucmsc-rct", data)
    primary = analysis.result("primary_outcome_ancova")
    assert (primary.extra["visit"], primary.extra["baseline"]) == ("month_3", "amh_ng_ml")
    people = data.participants
    design = np.column_stack(
        [
            np.ones(people.height),
            (people.get_column("arm") == "ucmsc_hrt").to_numpy().astype(float),
            people.get_column("amh_ng_ml").to_numpy(),
        ]
    )
    coefficients = np.linalg.lstsq(design, people.get_column("amh_post_ng_ml").to_numpy())[0]
    assert primary.estimate == pytest.approx(coefficients[1], abs=1e-12)
    assert primary.df == people.height - 3
    same = analysis.result("ancova_amh_post_ng_ml_month_3")
    assert same.estimate == primary.estimate


def test_adverse_events_are_counted_by_woman_and_by_term_per_arm() -> None:
    analysis = run_plan("ucmsc-rct", visit_trial())
    any_event = analysis.result("adverse_events_any")
    assert any_event.n == 8
    assert any_event.estimate == pytest.approx(1 / 4 - 1 / 4)
    pain = analysis.result("adverse_events_term_pelvic_pain")
    groups = {g["group"]: g for g in pain.extra["groups"]}
    assert (groups["UC-MSC + HRT"]["women"], groups["UC-MSC + HRT"]["events"]) == (1, 2)
    assert groups["HRT alone"]["women"] == 0
    assert "adverse_events_by_arm" in {t.id for t in analysis.tables}
