"""Study A's reproduction table on the demo cohort: every published figure, and its status.

The demo's way: ``synthesize("regenera", 265, 2026)`` → ``write_dataset`` →
``validate_dataset`` → ``run_plan``. Every target of ``targets_regenera`` is in the
``reproduction`` table with a status; the counts and the figures the synthetic cohort draws
to the published summaries are exact; the paper's own contradictions are flagged with their
reason; and the figures that differ are exactly those the cohort does not draw (the Table 1
p-values, which hang on within-group spreads the paper does not publish; the leukocyte ROC
cut-off and the CD34+ AUC, which follow from drawn values without being calibrated).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.regenera_markers import below_chance_caution, roc_result
from ovaregen.analysis.reproduction import Status
from ovaregen.analysis.result import Analysis, Population
from ovaregen.analysis.targets_regenera import TARGETS
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.synth import PUBLISHED_SIZE, synthesize

DEMO_SEED = 2026
DIFFERS = {
    "t1_haemoglobin_p",
    "t1_leukocytes_p",
    "t1_platelets_p",
    "roc_wbc_cutoff",
    "roc_cd34_auc",
}
"""Figures the synthetic cohort does not draw (module docstring): they differ, and say so."""
WITHIN = {"t1_haemoglobin_activated_maximum"}
INCONSISTENT = {
    "roc_cd34_cutoff",
    "worst_none",
    "worst_mild",
    "worst_moderate_or_severe",
    "t3_day1_mild",
    "t3_day1_mild_percent",
    "t3_day1_moderate",
    "t3_day1_none",
    "t3_day1_none_percent",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    folder = tmp_path_factory.mktemp("regenera") / "dataset"
    write_dataset(synthesize("regenera", PUBLISHED_SIZE["regenera"], DEMO_SEED), folder)
    protocol = load_protocol("regenera")
    report = validate_dataset(folder, protocol)
    assert report.dataset is not None
    return run_plan("regenera", report.dataset, protocol)


@pytest.fixture(scope="module")
def reproduction(demo: Analysis) -> pl.DataFrame:
    return demo.table("reproduction").frame


def test_every_target_has_a_row_and_a_status(reproduction: pl.DataFrame) -> None:
    assert reproduction.get_column("target").to_list() == [t.id for t in TARGETS]
    assert len({t.id for t in TARGETS}) == len(TARGETS)
    assert set(reproduction.get_column("status")) <= {str(s) for s in Status}
    assert reproduction.get_column("reproduced").null_count() == 0  # nothing "not reproduced"
    assert all(t.source and t.section and t.label for t in TARGETS)


def test_statuses_on_the_demo_cohort(reproduction: pl.DataFrame) -> None:
    status = dict(zip(reproduction["target"], reproduction["status"], strict=True))
    assert {t for t, s in status.items() if s == Status.DIFFERS} == DIFFERS
    assert {t for t, s in status.items() if s == Status.WITHIN} == WITHIN
    assert {t for t, s in status.items() if s == Status.INCONSISTENT} == INCONSISTENT
    exact = {t for t, s in status.items() if s == Status.EXACT}
    assert exact == {t.id for t in TARGETS} - DIFFERS - WITHIN - INCONSISTENT


def test_every_flag_says_why(reproduction: pl.DataFrame) -> None:
    for row in reproduction.iter_rows(named=True):
        if row["status"] != Status.EXACT:
            assert row["note"], row["target"]
    for target in TARGETS:
        assert bool(target.tolerance) == bool(target.tolerance_reason), target.id


def test_counts_are_exact_and_carry_no_tolerance() -> None:
    for target in TARGETS:
        if target.unit == "women":
            assert target.decimals == 0 and target.tolerance == 0, target.id
            assert float(target.published).is_integer(), target.id


def test_paper_units_leukocytes_and_platelets_per_mm3(reproduction: pl.DataFrame) -> None:
    rows = {r["target"]: r for r in reproduction.iter_rows(named=True)}
    mean = rows["t1_platelets_not_activated_mean"]
    assert mean["unit"] == "/mm³" and round(mean["reproduced"]) == 252522
    assert rows["t2_leukocytes_d5_activated_minimum"]["reproduced"] == pytest.approx(14470)
    assert rows["roc_cd34_cutoff"]["unit"] == "cells/µL"  # per µL = per mm³: a scale slip


def test_figures_in_words_are_yes_no(reproduction: pl.DataFrame) -> None:
    rows = {r["target"]: r for r in reproduction.iter_rows(named=True)}
    for id in ("younger_activated_more", "wbc_cd34_p_below_0_001"):
        assert (rows[id]["unit"], rows[id]["published"], rows[id]["reproduced"]) == (
            "yes/no",
            1.0,
            1.0,
        )


def test_auc_below_one_half_cautions_its_youden_cutoff(demo: Analysis) -> None:
    roc = demo.result("roc_cd34_activation")
    assert roc.estimate is not None and roc.estimate < 0.5
    assert any("not a usable threshold" in w for w in roc.warnings)
    assert roc.extra["usable_cutoff"] is False
    assert demo.table("roc").frame.get_column("cutoff_usable").to_list() == [False, False]


def test_a_marker_that_predicts_activation_carries_no_caution() -> None:
    activated = np.array([True] * 6 + [False] * 6)
    marker = np.array([9.0, 8, 7, 6, 5, 2, 4, 3, 2, 1, 0.5, 0.2])
    frame = pl.DataFrame({"oocyte_activation": activated, "cd34_d5_per_ul": marker})
    result = roc_result(
        "roc", frame, "cd34_d5_per_ul", "CD34+", "cells/µL", Population("p", "all", 12)
    )
    assert result.estimate is not None and result.estimate > 0.5
    assert not any("usable" in w for w in result.warnings)
    assert result.extra["usable_cutoff"] is True
    assert below_chance_caution("CD34+", 0.5) == ()
    assert below_chance_caution("CD34+", None) == ()
    (caution,) = below_chance_caution("CD34+", 0.487)
    assert caution.startswith("AUC 0.487 is below 0.5")
