"""Study A synthetic cohort: published counts exact at n = 265, through the domain functions.

Every figure is computed from the dataset as written and read back, with ``ovaregen``'s
screening and endpoint functions — never from the generator's variables.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ovaregen.domain.endpoints import gcsf_symptom_table
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.screening import screen
from ovaregen.io.dataset import Dataset
from ovaregen.stats.correlation import pearson
from tests.synth.conftest import derived, written

SEEDS = (1, 2)


@pytest.fixture(scope="module", params=SEEDS)
def dataset(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    folder = tmp_path_factory.mktemp("regenera") / "dataset"
    return written("regenera", 265, int(request.param), folder)


@pytest.fixture(scope="module")
def everyone(dataset: Dataset) -> pl.DataFrame:
    return derived(dataset)


@pytest.fixture(scope="module")
def analysed(everyone: pl.DataFrame) -> pl.DataFrame:
    return everyone.filter(pl.col("status") == "completed")


def test_flow_265_182_37_145(dataset: Dataset, everyone: pl.DataFrame) -> None:
    counts = dict(dataset.participants.group_by("status").len().iter_rows())
    assert counts == {"screen_failed": 83, "lost_to_follow_up": 37, "completed": 145}
    treated = dict(everyone.group_by("status").agg(pl.col("treated").sum()).iter_rows())
    assert treated == {"screen_failed": 0, "lost_to_follow_up": 37, "completed": 145}


def test_screening_182_eligible_83_not(dataset: Dataset) -> None:
    result = screen(dataset.participants, load_protocol("regenera")).join(
        dataset.participants.select("participant_id", "status"), on="participant_id"
    )
    failed = result.filter(pl.col("status") == "screen_failed")
    included = result.filter(pl.col("status") != "screen_failed")
    assert failed["eligible"].to_list() == [False] * 83
    assert (failed["failed_criteria"] != "").all()
    assert included["eligible"].to_list() == [True] * 182
    assert (included["unknown_criteria"] == "").all()


def test_activation_99_of_145_follows_from_afc_and_amh(analysed: pl.DataFrame) -> None:
    for column in ("afc", "afc_post", "amh_ng_ml", "amh_post_ng_ml"):
        assert analysed[column].null_count() == 0
    assert dict(analysed.group_by("oocyte_activation").len().iter_rows()) == {True: 99, False: 46}
    by_afc, by_amh = analysed["activation_by_afc"], analysed["activation_by_amh"]
    assert (by_afc & ~by_amh).any() and (by_amh & ~by_afc).any()


def test_lost_women_have_unknown_activation(everyone: pl.DataFrame) -> None:
    lost = everyone.filter(pl.col("status") == "lost_to_follow_up")
    assert lost["oocyte_activation"].null_count() == 37
    assert not lost["pregnant"].any()


def test_pregnancies_7_spontaneous_14_ivf_only_among_activated(analysed: pl.DataFrame) -> None:
    activated = analysed.filter(pl.col("oocyte_activation"))
    others = analysed.filter(~pl.col("oocyte_activation"))
    assert int(activated["pregnancy_spontaneous"].sum()) == 7
    assert int(activated["pregnancy_ivf"].sum()) == 14
    assert int(activated["pregnant"].sum()) == 21
    assert not others["pregnant"].any()
    assert analysed.filter(pl.col("pregnancy_ivf"))["ivf_after_treatment"].all()
    pregnant = analysed.filter(pl.col("pregnant"))
    assert (pregnant["months_to_first_pregnancy"] <= pregnant["followup_months"]).all()


TABLE_3 = {1: (12, 0, 74, 59), 2: (59, 12, 74, 0), 3: (72, 20, 53, 0), 4: (85, 17, 43, 0)}


def test_table3_symptoms_by_day(analysed: pl.DataFrame) -> None:
    table = gcsf_symptom_table(analysed)
    counts = {(d, g): n for d, g, n in table.select("day", "grade", "n").iter_rows()}
    for day, (mild, moderate, none, unrecorded) in TABLE_3.items():
        assert counts[day, "mild"] == mild
        assert counts[day, "moderate"] == moderate
        assert counts[day, "none"] == none
        assert counts[day, "severe"] == 0
        assert counts[day, "not_recorded"] == unrecorded


def test_ethnicity(analysed: pl.DataFrame) -> None:
    counts = dict(analysed.group_by("ethnicity").len().iter_rows())
    assert counts == {"Caucasian": 112, "Arab": 22, "Hispanic": 7, "Other": 4}


def test_age_mean_39_1_within_0_5(analysed: pl.DataFrame) -> None:
    ages = analysed["age_years"]
    assert float(ages.mean()) == pytest.approx(39.1, abs=0.5)  # type: ignore[arg-type]
    assert (ages.min(), ages.max()) == (26.0, 44.0)
    for activated in (True, False):
        group = analysed.filter(pl.col("oocyte_activation") == activated)
        assert group["age_years"].median() == 40.0


def test_pearson_leukocytes_cd34_within_0_05(analysed: pl.DataFrame) -> None:
    result = pearson(analysed["wbc_d5_10e9_l"], analysed["cd34_d5_per_ul"])
    assert result.estimate == pytest.approx(0.465, abs=0.05)


TABLE_1_2 = {
    # column: ((mean, min, max) not activated, (mean, min, max) activated)
    "hemoglobin_g_dl": ((13.1, 7.6, 15.8), (13.6, 10.4, 18.0)),
    "wbc_10e9_l": ((5.752, 3.29, 9.9), (6.151, 3.01, 10.22)),
    "platelets_10e9_l": ((252.522, 107.0, 455.0), (245.768, 150.0, 403.0)),
    "wbc_d5_10e9_l": ((37.666, 20.66, 58.25), (36.359, 14.47, 59.67)),
    "cd34_d5_per_ul": ((26.5, 9.0, 73.0), (33.1, 2.0, 140.0)),
}


@pytest.mark.parametrize("column", sorted(TABLE_1_2))
def test_table1_table2_means_within_1_percent_and_ranges(
    analysed: pl.DataFrame, column: str
) -> None:
    for activated, (mean, low, high) in zip((False, True), TABLE_1_2[column], strict=True):
        values = analysed.filter(pl.col("oocyte_activation") == activated)[column]
        assert (values.min(), values.max()) == (low, high)
        assert float(values.mean()) == pytest.approx(mean, rel=0.01)  # type: ignore[arg-type]


def test_gcsf_about_30_percent_adjusted(analysed: pl.DataFrame) -> None:
    doses = analysed.select(f"gcsf_d{day}_ug_kg" for day in range(1, 5))
    assert (doses["gcsf_d1_ug_kg"] == 10).all()
    adjusted = doses.select(pl.any_horizontal(pl.all() != 10)).to_series().mean()
    assert adjusted == pytest.approx(0.30, abs=0.03)


def test_ten_times_the_published_size_gives_ten_times_the_counts(tmp_path: Path) -> None:
    dataset = written("regenera", 2650, 5, tmp_path / "dataset")
    everyone = derived(dataset)
    counts = dict(everyone.group_by("status").len().iter_rows())
    assert counts == {"screen_failed": 830, "lost_to_follow_up": 370, "completed": 1450}
    analysed = everyone.filter(pl.col("status") == "completed")
    assert dict(analysed.group_by("oocyte_activation").len().iter_rows()) == {
        True: 990,
        False: 460,
    }
    activated = analysed.filter(pl.col("oocyte_activation"))
    assert int(activated["pregnancy_spontaneous"].sum()) == 70
    assert int(activated["pregnancy_ivf"].sum()) == 140
    assert int(analysed.filter(~pl.col("oocyte_activation"))["pregnant"].sum()) == 0
    table = gcsf_symptom_table(analysed)
    counts_d3 = {g: n for d, g, n in table.select("day", "grade", "n").iter_rows() if d == 3}
    assert (counts_d3["mild"], counts_d3["moderate"], counts_d3["none"]) == (720, 200, 530)
    eligible = screen(dataset.participants, load_protocol("regenera"))["eligible"]
    assert int(eligible.sum()) == 1820


def test_thousand_validates(tmp_path: Path) -> None:
    dataset = written("regenera", 1000, 9, tmp_path / "dataset")
    assert dataset.participants.height == 1000
