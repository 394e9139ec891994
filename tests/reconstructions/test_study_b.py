"""The Study B reconstruction reproduces the published figures (shared/spec/STUDIES.md).

Every figure is computed from the dataset as written and read back (``read_dataset``), through
``ovaregen``'s screening, endpoint and statistics functions — never from the variables used to
build it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ovaregen.domain.endpoints import derive_participants, live_birth_measures
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.screening import screen
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_finding
from ovaregen.io.reader import read_dataset, validate_dataset
from ovaregen.stats.contingency import chi_square, cross_table
from tests.reconstructions.study_b import study_b, write_study_b


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_study_b(tmp_path_factory.mktemp("study_b") / "dataset")


@pytest.fixture(scope="module")
def dataset(folder: Path) -> Dataset:
    return read_dataset(folder)


@pytest.fixture(scope="module")
def women(dataset: Dataset) -> pl.DataFrame:
    """Every woman's derived endpoints, joined to her recorded values."""
    endpoints = derive_participants(dataset.participants, dataset.pregnancies)
    return endpoints.join(dataset.participants, on="participant_id", how="left")


def pregnant_by(women: pl.DataFrame, by: pl.Expr) -> dict[object, tuple[int, int]]:
    """{group: (pregnant, total)} from the derived ``pregnant`` column."""
    rows = women.group_by(by.alias("group")).agg(pl.col("pregnant").sum(), pl.len())
    return {g: (int(p), int(n)) for g, p, n in rows.iter_rows()}


# --- the files -------------------------------------------------------------------------------


def test_reads_back_without_errors_or_warnings(folder: Path) -> None:
    report = validate_dataset(folder)
    assert (report.errors, report.warnings) == (0, 0), [render_finding(f) for f in report.findings]


def test_round_trip_gives_the_built_frames(dataset: Dataset) -> None:
    participants, pregnancies = study_b()
    assert dataset.participants.select(participants.columns).equals(participants)
    assert dataset.pregnancies.select(pregnancies.columns).equals(pregnancies)


def test_is_deterministic() -> None:
    first, second = study_b(), study_b()
    assert first[0].equals(second[0]) and first[1].equals(second[1])


# --- cohort ----------------------------------------------------------------------------------


def test_105_women_all_treated_and_all_por(women: pl.DataFrame, dataset: Dataset) -> None:
    assert women.height == 105
    assert women["treated"].all()
    assert (women["status"] == "completed").all()
    result = screen(dataset.participants, load_protocol("mensc"))
    assert result["por_bologna"].all() and result["eligible"].all()


def test_age_37_91_sd_4_98_range_24_to_45(women: pl.DataFrame) -> None:
    ages = women["age_years"]
    assert round(float(ages.mean()), 2) == 37.91  # type: ignore[arg-type]
    assert round(float(ages.std()), 2) == 4.98  # type: ignore[arg-type]
    assert (ages.min(), ages.max()) == (24.0, 45.0)


def test_injections_and_dates(women: pl.DataFrame) -> None:
    assert dict(women.group_by("injections").len().iter_rows()) == {1: 70, 2: 35}
    dates = women["treatment_date"]
    assert (str(dates.min()), str(dates.max())) == ("2018-08-06", "2021-09-27")
    cells = women["cells_injected_millions"]
    assert cells.null_count() == 0 and float(cells.min()) > 0  # type: ignore[arg-type]


# --- pregnancies -----------------------------------------------------------------------------


def test_38_pregnant_27_spontaneous_13_ivf_2_both(women: pl.DataFrame) -> None:
    assert int(women["pregnant"].sum()) == 38
    assert round(100 * 38 / 105, 2) == 36.19
    assert int(women["pregnancy_spontaneous"].sum()) == 27
    assert int(women["pregnancy_ivf"].sum()) == 13
    assert int(women["pregnancy_both"].sum()) == 2


def test_43_pregnancies_one_woman_twice_another_three_times(women: pl.DataFrame) -> None:
    assert int(women["pregnancies"].sum()) == 43
    counts = dict(women.group_by("pregnancies").len().iter_rows())
    # 2 pregnancies: the woman pregnant twice and the two pregnant both ways (one of each kind)
    assert counts == {0: 67, 1: 34, 2: 3, 3: 1}
    single_kind_twice = women.filter((pl.col("pregnancies") == 2) & ~pl.col("pregnancy_both"))
    assert single_kind_twice.height == 1


def test_ivf_after_injection_54_of_whom_13_pregnant(women: pl.DataFrame) -> None:
    assert int(women["ivf_after_treatment"].sum()) == 54
    ivf = women.filter(pl.col("ivf_after_treatment"))
    assert int(ivf["pregnancy_ivf"].sum()) == 13
    assert round(100 * 13 / 54) == 24
    assert women.filter(pl.col("pregnancy_ivf"))["ivf_after_treatment"].all()


def test_median_months_to_first_pregnancy(women: pl.DataFrame) -> None:
    spontaneous = women["months_to_first_spontaneous_pregnancy"].drop_nulls()
    ivf = women["months_to_first_ivf_pregnancy"].drop_nulls()
    assert spontaneous.len() == 27 and ivf.len() == 13
    assert (spontaneous.median(), spontaneous.min(), spontaneous.max()) == (3.0, 1.0, 24.0)
    assert (ivf.median(), ivf.min(), ivf.max()) == (5.5, 2.0, 13.0)


def test_outcomes_12_miscarriages_31_live_births_32_infants(
    women: pl.DataFrame, dataset: Dataset
) -> None:
    assert int(women["miscarriages"].sum()) == 12
    assert int(women["live_births"].sum()) == 31
    assert int(women["infants_live_born"].sum()) == 32
    twins = dataset.pregnancies.filter(pl.col("infants_live_born") == 2)
    assert twins.height == 1
    assert int(dataset.pregnancies["infant_death_first_year"].sum()) == 0
    assert int(dataset.pregnancies["congenital_anomaly"].sum()) == 0


def test_live_birth_measures(dataset: Dataset) -> None:
    measures = {m.id: m for m in live_birth_measures(dataset.participants, dataset.pregnancies)}
    published = {
        # id: (numerator, denominator, percent as published or conventional)
        "infants_per_woman": (32, 105, 30.48),  # the paper's "per treatment cycle"
        "infants_per_pregnancy": (32, 43, 74.42),  # the paper's "per pregnancy"
        "live_birth_rate_per_pregnancy": (31, 43, 72.09),  # conventional
    }
    for id_, (numerator, denominator, percent) in published.items():
        measure = measures[id_]
        assert (measure.numerator, measure.denominator, measure.unknown) == (
            numerator,
            denominator,
            0,
        )
        assert measure.proportion is not None
        assert round(100 * measure.proportion, 2) == percent
    assert measures["live_birth_rate_per_woman"].denominator == 105


def test_pregnant_women_age_median_36_range_24_to_43(women: pl.DataFrame) -> None:
    ages = women.filter(pl.col("pregnant"))["age_years"]
    assert (ages.median(), ages.min(), ages.max()) == (36.0, 24.0, 43.0)


# --- Table 2 ---------------------------------------------------------------------------------


def test_table2_age_groups_yates_chi_square(women: pl.DataFrame) -> None:
    by_age = pregnant_by(women, pl.col("age_years") < 35)
    assert by_age == {True: (12, 23), False: (26, 82)}
    table = cross_table((women["age_years"] < 35).to_list(), women["pregnant"].to_list())
    result = chi_square(table)
    assert result.options["correction_applied"]
    assert result.statistic == pytest.approx(2.4321, abs=5e-5)
    assert result.p_value == pytest.approx(0.1189, abs=5e-5)


def test_table2_menses_at_injection(women: pl.DataFrame) -> None:
    assert pregnant_by(women, pl.col("menses")) == {"regular": (33, 91), "irregular": (5, 14)}
    table = cross_table(
        women["menses"].to_list(),
        women["pregnant"].to_list(),
        row_levels=["regular", "irregular"],
        column_levels=[True, False],
    )
    result = chi_square(table)
    # published 6.0062e-31 (floating-point noise around 0) and p = 1
    assert result.statistic == pytest.approx(0.0, abs=1e-12)
    assert result.p_value == pytest.approx(1.0)


def test_table2_injections(women: pl.DataFrame) -> None:
    assert pregnant_by(women, pl.col("injections")) == {1: (29, 70), 2: (9, 35)}


def test_menses_at_follow_up(women: pl.DataFrame) -> None:
    cross = {
        (before, after): n
        for before, after, n in women.group_by("menses", "menses_followup").len().iter_rows()
    }
    assert cross == {
        ("regular", "regular"): 78,
        ("regular", "irregular"): 12,
        ("regular", "menopause"): 1,
        ("irregular", "regular"): 6,
        ("irregular", "irregular"): 4,
        ("irregular", "menopause"): 4,
    }
    assert dict(women.group_by("menses_followup").len().iter_rows()) == {
        "regular": 84,
        "irregular": 16,
        "menopause": 5,
    }


# --- follow-up and safety --------------------------------------------------------------------


def test_follow_up_at_least_2_5_years_mean_3_72(women: pl.DataFrame) -> None:
    months = women["followup_months"]
    assert (months.min(), months.max()) == (30.0, 72.0)
    assert round(float(months.mean()) / 12, 2) == 3.72  # type: ignore[arg-type]
    pregnant = women.filter(pl.col("pregnant"))
    assert (pregnant["months_to_first_pregnancy"] <= pregnant["followup_months"]).all()


def test_one_ovarian_cyst_no_other_complication(women: pl.DataFrame) -> None:
    complications = women.select(pl.col("^comp_.*$"))
    assert complications.null_count().sum_horizontal().item() == 0
    totals = {name: int(complications[name].sum()) for name in complications.columns}
    assert totals.pop("comp_ovarian_cyst") == 1
    assert set(totals.values()) == {0}
    assert women.filter(pl.col("comp_ovarian_cyst"))["pregnant"].all()  # during pregnancy
