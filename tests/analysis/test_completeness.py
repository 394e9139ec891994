"""The completeness table: each variable a plan uses, known n of the analysis population."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from ovaregen.analysis.cohort import build_cohort
from ovaregen.analysis.completeness import (
    COLUMNS,
    PRIMARY,
    PRIMARY_BASELINE,
    SAFETY,
    TABLE_ID,
    completeness_table,
)
from ovaregen.analysis.plans import PLAN_VARIABLES, PLANS, run_plan
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.variables import COMPLICATIONS
from ovaregen.io.dataset import Dataset
from ovaregen.synth import PUBLISHED_SIZE, synthesize

SEED = 2026


def _rows(dataset: Dataset, study: str) -> dict[str, dict[str, object]]:
    cohort = build_cohort(dataset, load_protocol(study))
    frame = completeness_table(cohort, PLAN_VARIABLES[study]).frame
    assert tuple(frame.columns) == COLUMNS
    return {row["variable"]: row for row in frame.iter_rows(named=True)}


def _without(frame: pl.DataFrame, column: str, ids: list[str], **match: str) -> pl.DataFrame:
    """``frame`` with ``column`` emptied for the women ``ids`` (and rows matching ``match``)."""
    chosen = pl.col("participant_id").is_in(ids)
    for name, value in match.items():
        chosen &= pl.col(name) == value
    return frame.with_columns(pl.when(chosen).then(None).otherwise(pl.col(column)).alias(column))


def test_every_plan_has_its_table_after_its_own_and_totals_its_population() -> None:
    for study in PLANS:
        analysis = run_plan(study, synthesize(study, PUBLISHED_SIZE[study], SEED))
        table = analysis.table(TABLE_ID)
        population = analysis.populations[0]
        assert PLAN_VARIABLES[study].population.id == population.id
        assert set(table.frame.get_column("total")) == {population.n}
        assert table.frame.get_column("role")[0] == PRIMARY
        assert table.frame.get_column("variable").n_unique() == table.frame.height


@pytest.mark.parametrize("study", list(PLAN_VARIABLES))
def test_every_declared_variable_is_a_column_of_the_cohort(study: str) -> None:
    cohort = build_cohort(synthesize(study, 20, 1), load_protocol(study))
    declared = {used.column for used in PLAN_VARIABLES[study].used}
    assert declared <= set(cohort.derived.columns)


def test_study_a_counts_the_unrecorded_day_1_grades() -> None:
    rows = _rows(synthesize("regenera", PUBLISHED_SIZE["regenera"], SEED), "regenera")
    first = next(iter(rows.values()))
    assert (first["variable"], first["role"]) == ("oocyte_activation", PRIMARY)
    # STUDIES.md Table 3 day +1 sums to 86 of the 145 analysed (the generator's assumption)
    day1 = rows["symptoms_d1"]
    assert (day1["known"], day1["total"], day1["percent"], day1["role"]) == (86, 145, 59.3, SAFETY)
    assert day1["label"] == "G-CSF symptom grade on day 1"
    assert rows["age_years"]["known"] == 145


def test_unknown_values_of_the_analysis_population_are_counted() -> None:
    dataset = synthesize("mensc", PUBLISHED_SIZE["mensc"], SEED)
    ids = dataset.participants.get_column("participant_id").to_list()
    missing = dataset.participants.pipe(_without, "age_years", ids[:4]).pipe(
        _without, "menses", ids[2:9]
    )
    rows = _rows(replace(dataset, participants=missing), "mensc")
    assert next(iter(rows)) == "pregnant"  # the protocol's endpoint "pregnancy", first
    assert (rows["age_years"]["known"], rows["age_years"]["total"]) == (101, 105)
    assert rows["menses"]["known"] == 98
    assert rows["menses"]["percent"] == round(100 * 98 / 105, 1)


def test_study_c_counts_the_primary_endpoint_at_its_visit_first() -> None:
    dataset = synthesize("ucmsc-rct", PUBLISHED_SIZE["ucmsc-rct"], SEED)
    ids = dataset.participants.get_column("participant_id").to_list()
    visits = dataset.visits.pipe(_without, "amh_post_ng_ml", ids[:5], visit="month_3")
    visits = visits.filter(
        ~(pl.col("participant_id").is_in(ids[10:13]) & (pl.col("visit") == "month_6"))
    )
    participants = dataset.participants.pipe(_without, "amh_post_ng_ml", ids[:5]).pipe(
        _without, "amh_ng_ml", ids[20:22]
    )
    rows = _rows(replace(dataset, participants=participants, visits=visits), "ucmsc-rct")
    names = list(rows)
    assert names[:2] == ["amh_post_ng_ml@month_3", "amh_ng_ml"]
    primary = rows["amh_post_ng_ml@month_3"]
    assert (primary["known"], primary["total"], primary["role"]) == (61, 66, PRIMARY)
    assert primary["label"] == "AMH after treatment (follow-up, 3 months)"
    assert (rows["amh_ng_ml"]["known"], rows["amh_ng_ml"]["role"]) == (64, PRIMARY_BASELINE)
    assert rows["amh_post_ng_ml@month_6"]["known"] == 63  # three women without the visit
    assert rows["afc_post@month_6"]["known"] == 63
    assert rows["afc_post@month_3"]["known"] == 66
    # a follow-up measurement is counted by visit, never also as the participants.csv column
    assert "amh_post_ng_ml" not in rows
    assert "afc_post" not in rows


def test_study_c_without_visits_counts_the_participants_columns() -> None:
    dataset = synthesize("ucmsc-rct", PUBLISHED_SIZE["ucmsc-rct"], SEED)
    ids = dataset.participants.get_column("participant_id").to_list()
    participants = dataset.participants.pipe(_without, "amh_post_ng_ml", ids[:7]).pipe(
        _without, "afc_post", ids[:3]
    )
    supplied = {k: v for k, v in dataset.supplied.items() if k != "visits"}
    plain = Dataset(
        participants=participants,
        pregnancies=dataset.pregnancies,
        adverse_events=dataset.adverse_events,
        supplied=supplied,
    )
    rows = _rows(plain, "ucmsc-rct")
    # participants.csv's amh_post_ng_ml is the month-3 value (Protocol.summary_visit)
    assert rows["amh_post_ng_ml@month_3"]["known"] == 59
    assert rows["afc_post"]["known"] == 63
    assert "amh_post_ng_ml" not in rows  # the primary endpoint's row is that column
    assert not [name for name in rows if name.endswith(("@month_6", "@month_12"))]


def test_a_checklist_the_dataset_does_not_record_is_not_listed() -> None:
    dataset = synthesize("mensc", 20, 4)
    supplied = tuple(c for c in dataset.supplied["participants"] if c not in COMPLICATIONS)
    rows = _rows(replace(dataset, supplied={**dataset.supplied, "participants": supplied}), "mensc")
    assert not set(COMPLICATIONS) & set(rows)
    assert set(COMPLICATIONS) <= set(_rows(dataset, "mensc"))


def test_an_empty_population_has_no_percent() -> None:
    dataset = synthesize("mensc", 20, 4)
    nobody = dataset.participants.with_columns(pl.lit("screen_failed").alias("status"))
    frame = completeness_table(
        build_cohort(replace(dataset, participants=nobody), load_protocol("mensc")),
        PLAN_VARIABLES["mensc"],
    ).frame
    assert set(frame.get_column("total")) == {0}
    assert frame.get_column("percent").null_count() == frame.height
