"""Largest-remainder apportionment and the helpers of ``ovaregen.synth.counts``."""

from __future__ import annotations

import numpy as np
import pytest

from ovaregen.synth import MINIMUM_SIZE, PUBLISHED_SIZE, STUDIES, synthesize
from ovaregen.synth.counts import apportion, fix_sum, quantile_take


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
    participants, _ = synthesize(study, minimum, 1)
    assert participants.height == minimum


def test_unknown_study_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown study"):
        synthesize("nope", 100, 1)


@pytest.mark.parametrize("study", STUDIES)
def test_same_seed_same_frames_other_seed_other_data(study: str) -> None:
    n = PUBLISHED_SIZE[study]
    first, again, other = (synthesize(study, n, seed) for seed in (7, 7, 8))
    assert first[0].equals(again[0]) and first[1].equals(again[1])
    assert not first[0].equals(other[0])
    # the counts do not depend on the seed
    assert (
        first[0]["status"]
        .value_counts(sort=True)
        .equals(other[0]["status"].value_counts(sort=True))
    )
    assert first[1].height == other[1].height


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("n", [10, 1000])
def test_any_size_gives_n_participants_with_unique_ids(study: str, n: int) -> None:
    participants, pregnancies = synthesize(study, n, 3)
    assert participants.height == n
    assert participants["participant_id"].n_unique() == n
    assert pregnancies["participant_id"].is_in(participants["participant_id"].implode()).all()
