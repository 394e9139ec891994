"""Every woman a Study B result cannot use is counted, with the reason (issue 12, item 4).

The demo cohort with values removed as a clinic's export might lack them — whether four
women who had IVF underwent it (the reviewer's "13/50 where 54 women had IVF": they fell out of
the denominator unsaid), how two IVF pregnancies were conceived, seven follow-up times (the
Kaplan–Meier "n 98 of 105"), ages, menses, pregnancy months and outcomes, an infant count —
must give, for every result, ``n`` plus the women (or
pregnancies) left out equal to the size of the result's population.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from ovaregen.analysis.left_out import total
from ovaregen.analysis.mensc_populations import (
    CONCEPTION_UNKNOWN,
    FOLLOWUP_UNKNOWN,
    IVF_UNKNOWN,
    MONTHS_UNKNOWN,
)
from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis
from ovaregen.io.dataset import Dataset
from ovaregen.synth import PUBLISHED_SIZE, synthesize


def _ids(frame: pl.DataFrame, condition: pl.Expr, k: int, skip: int = 0) -> list[str]:
    chosen = frame.filter(condition).get_column("participant_id").sort()
    return chosen.slice(skip, k).to_list()


def _rows(frame: pl.DataFrame, condition: pl.Expr, k: int, skip: int = 0) -> pl.Expr:
    """The ``k`` rows of ``frame`` (after ``skip``) that meet ``condition``, by position."""
    chosen = frame.with_row_index("_row").filter(condition).get_column("_row").slice(skip, k)
    return pl.int_range(pl.len()).is_in(chosen.implode())


def _blank(frame: pl.DataFrame, column: str, where: pl.Expr) -> pl.DataFrame:
    return frame.with_columns(pl.when(where).then(None).otherwise(pl.col(column)).alias(column))


def with_missing(dataset: Dataset) -> Dataset:
    people, pregnancies = dataset.participants, dataset.pregnancies
    pregnant = pl.col("participant_id").is_in(pregnancies.get_column("participant_id").implode())
    # two women whose one pregnancy was through IVF: its conception unknown
    only_ivf = pl.col("participant_id").is_in(
        pregnancies.filter(pl.col("participant_id").is_unique() & (pl.col("conception") == "ivf"))
        .get_column("participant_id")
        .implode()
    )
    unknown_conception = _ids(people, only_ivf, 2)
    never_pregnant = _ids(people, ~pregnant, 7)  # follow-up unknown: cannot be censored
    no_ivf_record = _ids(people, ~pregnant & pl.col("ivf_after_treatment"), 4, skip=7)
    no_age = _ids(people, pregnant, 2) + _ids(people, ~pregnant, 1, skip=10)
    no_menses = _ids(people, ~pregnant, 2, skip=20)
    amenorrhoea = _ids(people, ~pregnant, 2, skip=30)
    id_in = pl.col("participant_id").is_in
    people = _blank(people, "followup_months", id_in(never_pregnant))
    people = _blank(people, "ivf_after_treatment", id_in(no_ivf_record))
    people = _blank(people, "age_years", id_in(no_age))
    people = _blank(people, "menses", id_in(no_menses))
    people = people.with_columns(
        pl.when(id_in(amenorrhoea)).then(pl.lit("amenorrhea")).otherwise("menses").alias("menses")
    )
    pregnancies = _blank(pregnancies, "conception", id_in(unknown_conception))
    single = pl.col("participant_id").is_unique()  # a woman's only pregnancy
    months = _rows(pregnancies, (pl.col("conception") == "spontaneous") & single, 2, skip=10)
    pregnancies = _blank(pregnancies, "months_after_treatment", months)
    outcome = _rows(pregnancies, pl.col("outcome") == "miscarriage", 1, skip=5)
    pregnancies = _blank(pregnancies, "outcome", outcome)
    infants = _rows(pregnancies, pl.col("outcome") == "live_birth", 1, skip=3)
    pregnancies = _blank(pregnancies, "infants_live_born", infants)
    return replace(dataset, participants=people, pregnancies=pregnancies, source="missing")


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return run_plan("mensc", with_missing(synthesize("mensc", PUBLISHED_SIZE["mensc"], 2026)))


def test_every_result_accounts_for_its_whole_population(analysis: Analysis) -> None:
    sizes = {p.id: p.n for p in analysis.populations}
    assert sizes["treated"] == 105 and sizes["pregnancies"] == 43
    for result in analysis.results:
        assert result.population in sizes, result.id
        assert result.n + total(result.left_out) == sizes[result.population], (
            result.id,
            result.n,
            result.left_out,
        )
        assert all(item.count > 0 and item.reason for item in result.left_out), result.id


def test_the_ivf_rate_names_the_women_it_leaves_out(analysis: Analysis) -> None:
    ivf = analysis.result("ivf_pregnancy_rate")
    assert (ivf.extra["numerator"], ivf.extra["denominator"]) == (11, 48)
    assert ivf.extra["underwent_ivf"] == 50  # known to have had IVF
    reasons = {item.reason: item.count for item in ivf.left_out}
    assert reasons == {IVF_UNKNOWN: 4, CONCEPTION_UNKNOWN: 2}
    population = next(p for p in analysis.populations if p.id == ivf.population)
    assert population.n == 54  # 50 who did, 4 who may have
    spontaneous = analysis.result("spontaneous_pregnancy_rate")
    assert spontaneous.left_out[0].reason == CONCEPTION_UNKNOWN


def test_kaplan_meier_names_the_women_it_cannot_censor(analysis: Analysis) -> None:
    km = analysis.result("time_to_pregnancy_km")
    reasons = {item.reason: item.count for item in km.left_out}
    assert km.n == 96 and reasons == {FOLLOWUP_UNKNOWN: 7, MONTHS_UNKNOWN: 2}
    assert km.extra["n_excluded"] == 9
    spontaneous = analysis.result("time_to_spontaneous_pregnancy_km")
    reasons = {item.reason: item.count for item in spontaneous.left_out}
    assert reasons == {CONCEPTION_UNKNOWN: 2, MONTHS_UNKNOWN: 2, FOLLOWUP_UNKNOWN: 7}
    months = analysis.result("months_to_pregnancy_spontaneous")
    assert (months.n, total(months.left_out)) == (25, 4)  # 27 spontaneous, 2 who may be


def test_table_2_says_why_a_woman_is_in_neither_group(analysis: Analysis) -> None:
    menses = analysis.result("pregnancy_by_menses")
    reasons = {item.reason: item.count for item in menses.left_out}
    assert reasons == {
        "menstrual status at baseline / injection unknown": 2,
        "menstrual status at baseline / injection amenorrhea: in neither group compared": 2,
    }
    assert menses.n == 101
    for suffix in ("_difference", "_odds_ratio"):
        assert analysis.result(f"pregnancy_by_menses{suffix}").left_out == menses.left_out
    age = analysis.result("pregnancy_by_age_group")
    assert total(age.left_out) == 3 and "age" in age.left_out[0].reason


def test_per_pregnancy_results_count_pregnancies(analysis: Analysis) -> None:
    miscarriage = analysis.result("miscarriage_rate_per_pregnancy")
    assert miscarriage.population == "pregnancies"
    assert (miscarriage.n, total(miscarriage.left_out)) == (42, 1)
    infants = analysis.result("infants_per_pregnancy")
    assert infants.population == "pregnancies" and infants.n == 43
    assert any("lower bound" in w for w in infants.warnings)
