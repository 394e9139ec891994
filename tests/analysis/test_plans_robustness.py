"""Any valid dataset gives a complete, strict results.json: no plan fails on thin data.

Hypothesis takes subsets of the rows of the random reference datasets and empties whole
columns (a clinic that does not record them) or single cells; every plan must still run, give
each fixed id once, and render strict JSON (degenerate analyses say why in their warnings).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovaregen.analysis.plans import run_plan
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import read_dataset
from ovaregen.report.results_json import render_results_json

DATA = Path(__file__).parents[1] / "reference" / "data"
FOLDERS = {"regenera": "regenera-random", "mensc": "mensc-random", "ucmsc-rct": "ucmsc-random"}
FIXED_IDS = {
    "regenera": {
        "activation_rate",
        "age_by_activation",
        "wbc_cd34_correlation",
        "roc_cd34_activation",
        "roc_wbc_activation",
        "roc_age_groups_equality",
        "logistic_activation",
    },
    "mensc": {
        "pregnancy_by_age_group",
        "pregnancy_by_menses",
        "pregnancy_by_injections",
        "pregnancy_rate",
        "live_birth_rate_per_woman",
        "infants_per_woman",
        "months_to_pregnancy_spontaneous",
        "time_to_pregnancy_km",
    },
}
LOADED = {plan: read_dataset(DATA / folder) for plan, folder in FOLDERS.items()}


@st.composite
def thinned(draw: st.DrawFn, plan: str) -> Dataset:
    full = LOADED[plan]
    people = full.participants
    keep = draw(st.lists(st.integers(0, people.height - 1), min_size=0, max_size=40, unique=True))
    subset = people[sorted(keep)] if keep else people.clear()
    optional = [c for c in subset.columns if c != "participant_id"]
    emptied = draw(st.lists(st.sampled_from(optional), max_size=12, unique=True))
    subset = subset.with_columns(pl.lit(None, subset.schema[c]).alias(c) for c in emptied)
    ids = subset.get_column("participant_id").implode()
    pregnancies = full.pregnancies.filter(pl.col("participant_id").is_in(ids))
    return Dataset(participants=subset, pregnancies=pregnancies, source="thinned")


@pytest.mark.parametrize("plan", list(FOLDERS))
def test_every_plan_runs_on_thinned_data(plan: str) -> None:
    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(thinned(plan))
    def check(dataset: Dataset) -> None:
        analysis = run_plan(plan, dataset)
        ids = [r.id for r in analysis.results]
        assert len(ids) == len(set(ids))
        assert FIXED_IDS.get(plan, set()) <= set(ids)
        json.loads(render_results_json(analysis), parse_constant=pytest.fail)

    check()
