"""Study B synthetic cohort: every published count exact at n = 105, through the domain.

Computed from the dataset as written and read back (``derive_participants``,
``live_birth_measures``, ``screen``, ``chi_square``), never from the generator's variables.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ovaregen.domain.endpoints import live_birth_measures
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.screening import screen
from ovaregen.io.dataset import Dataset
from ovaregen.stats.contingency import chi_square, cross_table
from tests.synth.conftest import derived, written


@pytest.fixture(scope="module", params=(1, 2))
def dataset(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    folder = tmp_path_factory.mktemp("mensc") / "dataset"
    return written("mensc", 105, int(request.param), folder)


@pytest.fixture(scope="module")
def women(dataset: Dataset) -> pl.DataFrame:
    return derived(dataset)


def pregnant_by(women: pl.DataFrame, by: pl.Expr) -> dict[object, tuple[int, int]]:
    rows = women.group_by(by.alias("group")).agg(pl.col("pregnant").sum(), pl.len())
    return {g: (int(p), int(n)) for g, p, n in rows.iter_rows()}


def test_105_women_treated_all_por_eligible(women: pl.DataFrame, dataset: Dataset) -> None:
    assert women.height == 105 and women["treated"].all()
    result = screen(dataset.participants, load_protocol("mensc"))
    assert result["por_bologna"].all() and result["eligible"].all()


def test_age_37_91_sd_4_98_range_24_45(women: pl.DataFrame) -> None:
    ages = women["age_years"]
    assert round(float(ages.mean()), 2) == 37.91  # type: ignore[arg-type]
    assert round(float(ages.std()), 2) == 4.98  # type: ignore[arg-type]
    assert (ages.min(), ages.max()) == (24.0, 45.0)
    pregnant = women.filter(pl.col("pregnant"))["age_years"]
    assert (pregnant.median(), pregnant.min(), pregnant.max()) == (36.0, 24.0, 43.0)


def test_pregnancies(women: pl.DataFrame, dataset: Dataset) -> None:
    assert int(women["pregnant"].sum()) == 38
    assert int(women["pregnancy_spontaneous"].sum()) == 27
    assert int(women["pregnancy_ivf"].sum()) == 13
    assert int(women["pregnancy_both"].sum()) == 2
    assert int(women["pregnancies"].sum()) == 43
    assert dict(women.group_by("pregnancies").len().iter_rows()) == {0: 67, 1: 34, 2: 3, 3: 1}
    assert int(women["miscarriages"].sum()) == 12
    assert int(women["live_births"].sum()) == 31
    assert int(women["infants_live_born"].sum()) == 32
    assert dataset.pregnancies.filter(pl.col("infants_live_born") == 2).height == 1
    assert int(dataset.pregnancies["infant_death_first_year"].sum()) == 0
    assert int(dataset.pregnancies["congenital_anomaly"].sum()) == 0


def test_ivf_54_of_whom_13_pregnant(women: pl.DataFrame) -> None:
    assert int(women["ivf_after_treatment"].sum()) == 54
    assert int(women.filter(pl.col("ivf_after_treatment"))["pregnancy_ivf"].sum()) == 13
    assert women.filter(pl.col("pregnancy_ivf"))["ivf_after_treatment"].all()


def test_months_to_first_pregnancy(women: pl.DataFrame) -> None:
    spontaneous = women["months_to_first_spontaneous_pregnancy"].drop_nulls()
    ivf = women["months_to_first_ivf_pregnancy"].drop_nulls()
    assert (spontaneous.len(), spontaneous.median(), spontaneous.min(), spontaneous.max()) == (
        27,
        3.0,
        1.0,
        24.0,
    )
    assert (ivf.len(), ivf.median(), ivf.min(), ivf.max()) == (13, 5.5, 2.0, 13.0)


def test_live_birth_measures(dataset: Dataset) -> None:
    measures = {m.id: m for m in live_birth_measures(dataset.participants, dataset.pregnancies)}
    expected = {
        "infants_per_woman": (32, 105),
        "infants_per_pregnancy": (32, 43),
        "live_birth_rate_per_pregnancy": (31, 43),
        "live_birth_rate_per_woman": (31, 105),
    }
    for id_, (numerator, denominator) in expected.items():
        assert (measures[id_].numerator, measures[id_].denominator) == (numerator, denominator)


def test_table2_margins_and_chi_square(women: pl.DataFrame) -> None:
    assert pregnant_by(women, pl.col("age_years") < 35) == {True: (12, 23), False: (26, 82)}
    assert pregnant_by(women, pl.col("menses")) == {"regular": (33, 91), "irregular": (5, 14)}
    assert pregnant_by(women, pl.col("injections")) == {1: (29, 70), 2: (9, 35)}
    table = cross_table((women["age_years"] < 35).to_list(), women["pregnant"].to_list())
    result = chi_square(table)
    assert result.statistic == pytest.approx(2.4321, abs=5e-5)
    assert result.p_value == pytest.approx(0.1189, abs=5e-5)


def test_menses_at_follow_up(women: pl.DataFrame) -> None:
    cross = dict(
        ((before, after), n)
        for before, after, n in women.group_by("menses", "menses_followup").len().iter_rows()
    )
    assert cross == {
        ("regular", "regular"): 78,
        ("regular", "irregular"): 12,
        ("regular", "menopause"): 1,
        ("irregular", "regular"): 6,
        ("irregular", "irregular"): 4,
        ("irregular", "menopause"): 4,
    }


def test_follow_up_and_complications(women: pl.DataFrame) -> None:
    months = women["followup_months"]
    assert (months.min(), months.max()) == (30.0, 72.0)
    assert round(float(months.mean()) / 12, 2) == 3.72  # type: ignore[arg-type]
    complications = women.select(pl.col("^comp_.*$"))
    totals = {name: int(complications[name].sum()) for name in complications.columns}
    assert totals.pop("comp_ovarian_cyst") == 1 and set(totals.values()) == {0}
    assert women.filter(pl.col("comp_ovarian_cyst"))["pregnant"].all()


def test_ten_times_the_published_size(tmp_path: Path) -> None:
    women = derived(written("mensc", 1050, 4, tmp_path / "dataset"))
    assert int(women["pregnant"].sum()) == 380
    assert int(women["pregnancies"].sum()) == 430
    assert int(women["miscarriages"].sum()) == 120
    assert int(women["infants_live_born"].sum()) == 320
    assert int(women["ivf_after_treatment"].sum()) == 540
    assert pregnant_by(women, pl.col("age_years") < 35) == {True: (120, 230), False: (260, 820)}
    assert dict(women.group_by("menses_followup").len().iter_rows()) == {
        "regular": 840,
        "irregular": 160,
        "menopause": 50,
    }


def test_thousand_validates(tmp_path: Path) -> None:
    assert written("mensc", 1000, 9, tmp_path / "dataset").participants.height == 1000
