"""Largest-remainder apportionment, the helpers of ``ovaregen.synth.counts``, and what
``synthesize`` returns for every study: a complete, reproducible dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.io.writer import write_dataset
from ovaregen.synth import MINIMUM_SIZE, PUBLISHED_SIZE, STUDIES, synthesize
from ovaregen.synth.counts import apportion, fix_sum, quantile_take

FILES = {
    "regenera": {"participants", "pregnancies", "mobilisation"},
    "mensc": {"participants", "pregnancies"},
    "ucmsc-rct": {"participants", "pregnancies", "visits", "adverse_events"},
}
"""The tables each study's synthetic dataset holds."""


def tables(dataset: Dataset) -> dict[str, pl.DataFrame]:
    return {file.value: dataset.table(file) for file in DatasetFile}


def test_apportion_is_exact_at_the_published_total_and_scales() -> None:
    weights = [83, 37, 145]
    assert apportion(265, weights).tolist() == weights
    assert apportion(2650, weights).tolist() == [830, 370, 1450]
    for total in (0, 1, 10, 99, 1000, 1_000_000):
        counts = apportion(total, weights)
        assert int(counts.sum()) == total
        quotas = total * np.array(weights) / 265
        assert (np.abs(counts - quotas) < 1).all()


def test_apportion_refuses_bad_weights() -> None:
    with pytest.raises(ValueError):
        apportion(10, [0, 0])
    with pytest.raises(ValueError):
        apportion(-1, [1, 2])


def test_quantile_take_returns_the_template_at_its_size() -> None:
    template = [3.0, 1.0, 2.0, 5.0]
    assert quantile_take(template, 4).tolist() == [1.0, 2.0, 3.0, 5.0]
    assert quantile_take(template, 8).tolist() == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 5.0, 5.0]
    assert quantile_take(template, 0).size == 0


def test_fix_sum_hits_the_total_and_keeps_the_bounds() -> None:
    rng = np.random.default_rng(0)
    values = np.array([1.0, 2.04, 2.51, 3.33, 4.0])
    fixed = fix_sum(values, 13.0, decimals=1, low=1.0, high=4.0, rng=rng)
    assert round(float(fixed.sum()), 6) == 13.0
    assert (fixed.min(), fixed.max()) == (1.0, 4.0)


def test_public_constants() -> None:
    assert STUDIES == ("regenera", "mensc", "ucmsc-rct")
    assert PUBLISHED_SIZE == {"regenera": 265, "mensc": 105, "ucmsc-rct": 66}


@pytest.mark.parametrize("study", STUDIES)
def test_n_below_the_minimum_is_refused_with_the_minimum(study: str) -> None:
    minimum = MINIMUM_SIZE[study]
    with pytest.raises(ValueError, match=f"n = {minimum}"):
        synthesize(study, minimum - 1, 1)
    assert synthesize(study, minimum, 1).participants.height == minimum


def test_unknown_study_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown study"):
        synthesize("nope", 100, 1)


@pytest.mark.parametrize("study", STUDIES)
def test_a_complete_dataset_with_its_source_and_supplied_columns(study: str) -> None:
    n = PUBLISHED_SIZE[study]
    dataset = synthesize(study, n, 5)
    assert dataset.source == f"synthetic {study}, n = {n}, seed = 5"
    assert set(dataset.supplied) == FILES[study]
    assert {file.value for file in DatasetFile if dataset.has(file)} == FILES[study]
    for name, columns in dataset.supplied.items():
        frame = dataset.table(DatasetFile(name))
        assert frame.height > 0
        assert set(columns) <= set(frame.columns)
        unsupplied = [c for c in frame.columns if c not in columns]
        assert frame.select(unsupplied).null_count().row(0) == (frame.height,) * len(unsupplied)


@pytest.mark.parametrize("study", STUDIES)
def test_same_seed_same_frames_other_seed_other_data(study: str) -> None:
    n = PUBLISHED_SIZE[study]
    first, again, other = (synthesize(study, n, seed) for seed in (7, 7, 8))
    for name, frame in tables(first).items():
        assert frame.equals(tables(again)[name]), name
    assert first.supplied == again.supplied == other.supplied
    assert not first.participants.equals(other.participants)
    # the counts do not depend on the seed
    assert (
        first.participants["status"]
        .value_counts(sort=True)
        .equals(other.participants["status"].value_counts(sort=True))
    )
    for file in DatasetFile:
        assert first.table(file).height == other.table(file).height, file


@pytest.mark.parametrize("study", STUDIES)
def test_same_seed_same_bytes(study: str, tmp_path: Path) -> None:
    for name in ("first", "again"):
        write_dataset(synthesize(study, PUBLISHED_SIZE[study], 11), tmp_path / name)
    written = sorted(path.name for path in (tmp_path / "first").iterdir())
    assert written == sorted([*(f"{name}.csv" for name in FILES[study]), "provenance.json"])
    for name in written:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("n", [10, 1000])
def test_any_size_gives_n_participants_with_unique_ids(study: str, n: int) -> None:
    dataset = synthesize(study, n, 3)
    ids = dataset.participants["participant_id"]
    assert dataset.participants.height == n
    assert ids.n_unique() == n
    for file in DatasetFile:
        if file is not DatasetFile.PARTICIPANTS:
            assert dataset.table(file)["participant_id"].is_in(ids.implode()).all(), file
