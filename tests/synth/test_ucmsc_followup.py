"""Study C synthetic cohort: visits.csv and adverse_events.csv as written and read back.

The visits are the protocol's schedule; participants.csv holds the values at the summary
visit; the effect per visit is ``ucmsc_rct.EFFECT`` (a woman's own level, regression on the
baseline); adverse events come at the assumed rates of ``ucmsc_safety.ADVERSE_EVENTS``; no
arm-revealing column is filled for an HRT-alone woman.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.record_variables import AE_OUTCOMES, AE_RELATEDNESS
from ovaregen.domain.variables import DatasetFile, variables_of
from ovaregen.io.dataset import Dataset
from ovaregen.stats.adverse_events import adverse_events_by_arm
from ovaregen.synth.ucmsc_rct import ARMS, EFFECT, HRT_REGIMEN
from ovaregen.synth.ucmsc_safety import ADVERSE_EVENTS, expected_counts
from ovaregen.synth.ucmsc_visits import BETA, JITTER_DAYS, NOT_SYNTHESISED, VISIT_DAYS
from tests.synth.conftest import written

PROTOCOL = load_protocol("ucmsc-rct")
VISITS = tuple(v.id for v in PROTOCOL.followup_visits)


@pytest.fixture(scope="module", params=(66, 300))
def dataset(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    folder = tmp_path_factory.mktemp("ucmsc") / "dataset"
    return written("ucmsc-rct", int(request.param), 4, folder)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Large enough for the assumed means to show (a few percent of sampling error)."""
    return written("ucmsc-rct", 6000, 5, tmp_path_factory.mktemp("ucmsc-large") / "dataset")


def with_arm(frame: pl.DataFrame, dataset: Dataset) -> pl.DataFrame:
    arms = dataset.participants.select("participant_id", "arm", "afc", "amh_ng_ml")
    return frame.join(arms, on="participant_id", how="left")


def test_every_woman_has_every_follow_up_visit_in_order(dataset: Dataset) -> None:
    visits = dataset.visits
    n = dataset.participants.height
    assert VISITS == ("month_3", "month_6", "month_12")
    assert visits.height == 3 * n
    expected = [(pid, visit) for pid in dataset.participants["participant_id"] for visit in VISITS]
    assert list(visits.select("participant_id", "visit").iter_rows()) == expected


def test_visits_hold_exactly_what_each_visit_records(dataset: Dataset) -> None:
    """Every recorded measure but those left unsynthesised (follow-up FSH and oestradiol,
    recorded at every visit but not generated: supplied by no row, so empty throughout)."""
    everything = set().union(*(v.records for v in PROTOCOL.followup_visits))
    assert everything >= NOT_SYNTHESISED
    assert not NOT_SYNTHESISED & set(dataset.supplied["visits"])
    for name in sorted(NOT_SYNTHESISED):
        assert dataset.visits[name].null_count() == dataset.visits.height, name
        assert dataset.participants[name].null_count() == dataset.participants.height, name
    recorded = {v.id: set(v.records) - NOT_SYNTHESISED for v in PROTOCOL.followup_visits}
    measures = [
        v.name for v in variables_of(DatasetFile.VISITS) if v.name in dataset.supplied["visits"]
    ]
    measures = [m for m in measures if m not in ("participant_id", "visit", "visit_date")]
    assert set(measures) == set().union(*recorded.values())
    for visit, names in recorded.items():
        rows = dataset.visits.filter(pl.col("visit") == visit)
        for name in measures:
            nulls = rows[name].null_count()
            assert nulls == (0 if name in names else rows.height), (visit, name)


def test_visit_dates_follow_the_treatment_date(dataset: Dataset) -> None:
    days = dataset.visits.join(
        dataset.participants.select("participant_id", "treatment_date"), on="participant_id"
    ).with_columns((pl.col("visit_date") - pl.col("treatment_date")).dt.total_days().alias("d"))
    for visit, target in VISIT_DAYS.items():
        offsets = days.filter(pl.col("visit") == visit)["d"]
        assert offsets.min() >= target - JITTER_DAYS  # type: ignore[operator]
        assert offsets.max() <= target + JITTER_DAYS  # type: ignore[operator]
    month_12 = days.filter(pl.col("visit") == "month_12")
    error = (month_12["followup_months"] - month_12["d"] / 30.4375).abs().max()
    assert error is not None and float(error) < 0.051  # type: ignore[arg-type]


def test_participants_hold_the_summary_visit(dataset: Dataset) -> None:
    for name in dataset.supplied["visits"]:
        visit = PROTOCOL.summary_visit(name)
        if visit is None:
            continue
        at_visit = dataset.visits.filter(pl.col("visit") == visit).select("participant_id", name)
        joined = dataset.participants.select("participant_id", name).join(
            at_visit, on="participant_id", suffix="_visit"
        )
        assert joined.height == dataset.participants.height
        assert joined[name].equals(joined[f"{name}_visit"].alias(name)), name
    assert PROTOCOL.summary_visit("afc_post") == "month_3"
    assert PROTOCOL.summary_visit("followup_months") == "month_12"


def test_treatment_and_blinding(dataset: Dataset) -> None:
    women = dataset.participants
    assert women["treatment_date"].null_count() == 0
    assert (women["hrt_regimen"] == HRT_REGIMEN).all()
    hrt = women.filter(pl.col("arm") == "hrt")
    cells = women.filter(pl.col("arm") == "ucmsc_hrt")
    assert PROTOCOL.arm_revealing == ("injections", "cells_injected_millions")
    for name in PROTOCOL.arm_revealing:
        assert hrt[name].null_count() == hrt.height, name
        assert cells[name].null_count() == 0, name
    assert (cells["injections"] == 1).all() and (cells["cells_injected_millions"] == 10).all()


def test_menses_resume_by_visit_nested_at_66(tmp_path: Path) -> None:
    dataset = written("ucmsc-rct", 66, 6, tmp_path / "dataset")
    visits = with_arm(dataset.visits, dataset)
    resumed = {
        (arm, visit): set(
            visits.filter(
                (pl.col("arm") == arm)
                & (pl.col("visit") == visit)
                & (pl.col("menses_followup") != "amenorrhea")
            )["participant_id"]
        )
        for arm in ARMS
        for visit in VISITS
    }
    counts = {key: len(ids) for key, ids in resumed.items()}
    assert counts == {
        ("ucmsc_hrt", "month_3"): 7,
        ("ucmsc_hrt", "month_6"): 5,
        ("ucmsc_hrt", "month_12"): 4,
        ("hrt", "month_3"): 2,
        ("hrt", "month_6"): 2,
        ("hrt", "month_12"): 1,
    }
    for arm in ARMS:
        assert resumed[arm, "month_12"] <= resumed[arm, "month_6"] <= resumed[arm, "month_3"]


def test_effect_per_visit_wanes_in_the_cell_arm(large: Dataset) -> None:
    visits = with_arm(large.visits, large)
    means = {
        (arm, visit): (afc, amh)
        for arm, visit, afc, amh in visits.group_by("arm", "visit")
        .agg(
            (pl.col("afc_post") - pl.col("afc")).mean(),
            (pl.col("amh_post_ng_ml") - pl.col("amh_ng_ml")).mean(),
        )
        .iter_rows()
    }
    for arm in ARMS:
        for visit in VISITS:
            afc, amh = means[arm, visit]
            assert afc == pytest.approx(EFFECT["afc_rise_mean"][arm][visit], abs=0.12)
            assert amh == pytest.approx(EFFECT["amh_rise_ng_ml_mean"][arm][visit], abs=0.015)
    cell = [means["ucmsc_hrt", visit] for visit in VISITS]
    assert cell[0][0] > cell[1][0] > cell[2][0] and cell[0][1] > cell[1][1] > cell[2][1]


def test_post_values_regress_on_baseline_and_correlate_within_a_woman(large: Dataset) -> None:
    visits = with_arm(large.visits, large).filter(pl.col("arm") == "hrt")
    month_3 = visits.filter(pl.col("visit") == "month_3")
    month_12 = visits.filter(pl.col("visit") == "month_12")
    for post, baseline, key in (("afc_post", "afc", "afc"), ("amh_post_ng_ml", "amh_ng_ml", "amh")):
        slope = np.polyfit(month_3[baseline].to_numpy(), month_3[post].to_numpy(), 1)[0]
        assert slope == pytest.approx(BETA[key], abs=0.08), post
        residual = [
            frame[post].to_numpy() - BETA[key] * frame[baseline].to_numpy()
            for frame in (month_3, month_12)
        ]
        assert np.corrcoef(residual[0], residual[1])[0, 1] > 0.25, post


def test_adverse_events_per_arm_as_assumed(dataset: Dataset) -> None:
    events = with_arm(dataset.adverse_events, dataset)
    sizes = dict(dataset.participants.group_by("arm").len().iter_rows())
    counts = dict(
        ((arm, term), n) for arm, term, n in events.group_by("arm", "term").len().iter_rows()
    )
    for rule in ADVERSE_EVENTS:
        for arm in ARMS:
            expected = expected_counts(sizes[arm], rule, arm)
            assert counts.get((arm, rule.term), 0) == expected, (arm, rule.term)
            if dataset.participants.height == 66:
                assert expected == rule.women[arm]
    procedure = {rule.term for rule in ADVERSE_EVENTS if rule.cause == "procedure"}
    assert not events.filter((pl.col("arm") == "hrt") & pl.col("term").is_in(procedure)).height
    assert events.select("participant_id", "term").is_unique().all()


def test_adverse_event_values(dataset: Dataset) -> None:
    events = dataset.adverse_events.join(
        dataset.visits.filter(pl.col("visit") == "month_12").select("participant_id", "visit_date"),
        on="participant_id",
    ).join(dataset.participants.select("participant_id", "treatment_date"), on="participant_id")
    assert events.height == dataset.adverse_events.height > 0
    assert (events["ctcae_version"] == "5.0").all()
    assert events["grade"].is_between(1, 3).all()
    assert (events["serious"] == (events["grade"] == 3)).all()
    assert set(events["related"]) <= set(AE_RELATEDNESS)
    assert set(events["outcome"]) <= set(AE_OUTCOMES) - {"fatal"}
    assert (events["onset_date"] >= events["treatment_date"]).all()
    assert (events["onset_date"] <= events["visit_date"]).all()
    serious = events.filter(pl.col("serious"))
    assert set(serious["term"]) <= {"ovarian haematoma"}


def test_adverse_event_table_at_66(tmp_path: Path) -> None:
    dataset = written("ucmsc-rct", 66, 8, tmp_path / "dataset")
    table = adverse_events_by_arm(
        dataset.adverse_events, dataset.participants.select("participant_id", "arm"), ARMS
    )
    rows = {row.measure: row for row in table.rows}
    assert (rows["any"].n_first, rows["any"].n_second) == (33, 33)
    assert (rows["any"].events_first, rows["any"].events_second) == (28, 15)
    assert (rows["serious"].women_first, rows["serious"].women_second) == (1, 0)
    haematoma = rows["term:ovarian haematoma"]
    assert (haematoma.women_first, haematoma.women_second) == (1, 0)
