"""Study C synthetic cohort: 66 randomised 1:1 in permuted blocks, all eligible, with the
assumed effect of ``ovaregen.synth.ucmsc_rct.EFFECT`` — in participants.csv, the values of the
month_3 visit (the protocol's primary follow-up visit; the visits: ``test_ucmsc_followup``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.screening import screen
from ovaregen.io.dataset import Dataset
from ovaregen.synth import ASSUMPTIONS, TARGETS
from ovaregen.synth.ucmsc_rct import BLOCK_SIZE
from tests.synth.conftest import derived, written


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return written("ucmsc-rct", 66, 1, tmp_path_factory.mktemp("ucmsc") / "dataset")


@pytest.fixture(scope="module")
def women(dataset: Dataset) -> pl.DataFrame:
    return derived(dataset)


def test_66_randomised_33_33_in_balanced_blocks(dataset: Dataset) -> None:
    arms = dataset.participants.sort("participant_id")["arm"].to_list()
    assert len(arms) == 66 and arms.count("ucmsc_hrt") == 33 and arms.count("hrt") == 33
    for start in range(0, 66, BLOCK_SIZE):
        assert arms[start : start + BLOCK_SIZE].count("hrt") == BLOCK_SIZE // 2
    assert (dataset.participants["status"] == "completed").all()


def test_all_poi_and_eligible_without_unknowns(dataset: Dataset) -> None:
    result = screen(dataset.participants, load_protocol("ucmsc-rct"))
    assert result["poi"].all() and result["eligible"].all()
    assert (result["unknown_criteria"] == "").all()


def test_assumed_effect(women: pl.DataFrame) -> None:
    by_arm = {
        arm: row
        for arm, *row in women.group_by("arm")
        .agg(
            (pl.col("afc_post") - pl.col("afc")).mean(),
            (pl.col("amh_post_ng_ml") - pl.col("amh_ng_ml")).mean(),
            (pl.col("menses_followup") != "amenorrhea").sum(),
            pl.col("pregnant").sum(),
            pl.col("treated").sum(),
        )
        .iter_rows()
    }
    afc_u, amh_u, resumed_u, pregnant_u, treated_u = by_arm["ucmsc_hrt"]
    afc_h, amh_h, resumed_h, pregnant_h, treated_h = by_arm["hrt"]
    assert (resumed_u, resumed_h, pregnant_u, pregnant_h) == (7, 2, 2, 1)
    assert treated_u == treated_h == 33
    assert afc_u - afc_h == pytest.approx(2.0, abs=0.8)
    assert amh_u - amh_h == pytest.approx(0.3, abs=0.08)


def test_targets_and_assumptions_state_the_effect() -> None:
    assert any("AFC +2.2" in text for text in ASSUMPTIONS["ucmsc-rct"])
    assert any("β = 0.7" in text for text in ASSUMPTIONS["ucmsc-rct"])
    assert any("ovarian haematoma" in text for text in ASSUMPTIONS["ucmsc-rct"])
    assert {t.kind for t in TARGETS["ucmsc-rct"]} == {"exact", "assumed"}
    assert any("day +1" in text for text in ASSUMPTIONS["regenera"])


@pytest.mark.parametrize("n", [7, 1000])
def test_other_sizes_validate_and_stay_balanced(n: int, tmp_path: Path) -> None:
    arms = written("ucmsc-rct", n, 2, tmp_path / "dataset").participants["arm"]
    counts = dict(arms.value_counts().iter_rows())
    assert abs(counts["ucmsc_hrt"] - counts["hrt"]) <= 1
