"""Synthetic cohort of Study C, NCT05308342: UC-MSC + HRT vs HRT alone in POI (STUDIES.md).

``n`` counts the women randomised (target 66). No results are published, so the cohort
carries an *assumed* effect (:data:`EFFECT`), stated in every report built from it. There are
no screen failures: every woman meets the ``ucmsc-rct`` eligibility criteria (POI by ESHRE
2016 with two FSH > 25 IU/L 42 days apart, no spontaneous follicular activity, married,
20 ≤ age < 40, each ovary > 10 mm, consent, no exclusion condition) and completes 12 months
of follow-up.

Allocation is 1:1 in permuted blocks of six (three per arm; 66 = 11 blocks, 33 / 33); when
``n`` is not a multiple of six the last block is as balanced as it can be. Within each arm the
outcome counts (menses resumed, pregnant) are apportioned from the assumed rates.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.variables import COMPLICATIONS, DatasetFile
from ovaregen.synth.counts import (
    Columns,
    IntArray,
    apportion,
    canonical_order,
    check_size,
    day_number,
    ids,
    to_frame,
)

__all__ = ["BLOCK_SIZE", "EFFECT", "MINIMUM", "PUBLISHED_SIZE", "synthesize_ucmsc_rct"]

PUBLISHED_SIZE = 66
MINIMUM = 4
"""Smallest n: two women per arm."""
BLOCK_SIZE = 6
ARMS = ("ucmsc_hrt", "hrt")
_UCMSC, _HRT = 0, 1

EFFECT: dict[str, dict[str, float]] = {
    "afc_rise_mean": {"ucmsc_hrt": 2.2, "hrt": 0.2},
    "amh_rise_ng_ml_mean": {"ucmsc_hrt": 0.3, "hrt": 0.0},
    "menses_resumed_percent": {"ucmsc_hrt": 20, "hrt": 5},
    "pregnant_percent": {"ucmsc_hrt": 6, "hrt": 3},
}
"""The assumed effect at 12 months (not published): AFC rises by 2.2 vs 0.2 follicles on
average (Poisson; a difference of +2), AMH by 0.3 vs 0 ng/mL (normal noise, SD 0.1 vs 0.05),
menses resume (irregular cycles) in 20% vs 5% of women, and 6% vs 3% become pregnant
(spontaneous, ongoing at the 12-month visit). At 33 per arm: 7 vs 2 resumed, 2 vs 1 pregnant."""

EXCLUSIONS: tuple[str, ...] = load_protocol("ucmsc-rct").exclusion
"""The protocol's exclusion conditions (recorded false for every eligible woman)."""
MENSES = ("regular", "irregular", "amenorrhea", "menopause")
FIRST_SCREENING = date(2019, 11, 4)
LAST_SCREENING = date(2022, 11, 28)
"""Screening spread over the enrolment period in id order; treatment 4 weeks after screening,
the 12-month visit therefore by Dec 2023 (registry: Nov 2019 – Dec 2023)."""

CATEGORIES: dict[str, tuple[str, ...]] = {
    "status": ("completed",),
    "arm": ARMS,
    "menses": MENSES,
    "menses_followup": MENSES,
    "conception": ("spontaneous", "ivf"),
    "outcome": ("ongoing",),
}


def allocation(n: int, rng: np.random.Generator) -> IntArray:
    """Arm codes in enrolment order: permuted blocks of six, the last one as balanced as it
    can be (its odd place, if any, to a random arm)."""
    blocks, rest = divmod(n, BLOCK_SIZE)
    base = np.repeat([_UCMSC, _HRT], BLOCK_SIZE // 2)
    full = base[np.argsort(rng.random((blocks, BLOCK_SIZE)), axis=1)].ravel()
    last = np.repeat([_UCMSC, _HRT], rest // 2)
    if rest % 2:
        last = np.append(last, rng.integers(0, 2))
    return np.concatenate([full, rng.permutation(last)]).astype(np.int64)


def _outcome_flags(arm: IntArray, key: str, rng: np.random.Generator) -> IntArray:
    """1 for the women of each arm with the outcome (apportioned from the assumed rate)."""
    flags = np.zeros(arm.size, dtype=np.int64)
    for code, name in enumerate(ARMS):
        members = np.flatnonzero(arm == code)
        rate = EFFECT[key][name]
        count = int(apportion(members.size, [rate, 100 - rate])[0]) if members.size else 0
        flags[rng.permutation(members)[:count]] = 1
    return flags


def synthesize_ucmsc_rct(n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Study C cohort of ``n`` randomised women: (participants, pregnancies), canonical."""
    check_size("ucmsc-rct", n, MINIMUM)
    rng = np.random.default_rng([seed, 3])
    cols = Columns(n)
    arm = allocation(n, rng)
    ucmsc = arm == _UCMSC
    cols.set("status", 0)
    cols.set("arm", arm)
    cols.set("age_years", np.round(np.clip(32.0 + 4.5 * rng.standard_normal(n), 20, 39)))
    afc = rng.integers(0, 4, n)
    amh = np.round(np.clip(np.exp(np.log(0.15) + 0.6 * rng.standard_normal(n)), 0.01, 0.8), 2)
    cols.set("amh_ng_ml", amh)
    cols.set("afc", afc)
    cols.set("fsh_1_iu_l", np.round(30.0 + 60.0 * rng.random(n), 1))
    cols.set("fsh_2_iu_l", np.round(30.0 + 60.0 * rng.random(n), 1))
    cols.set("amenorrhea_months", (4 + rng.integers(0, 37, n)).astype(float))
    cols.set("menses", MENSES.index("amenorrhea"))
    cols.set("ovary_left_mm", np.round(rng.uniform(11.0, 22.0, n), 1))
    cols.set("ovary_right_mm", np.round(rng.uniform(11.0, 22.0, n), 1))
    cols.set("married", 1)
    cols.set("consent", 1)
    cols.set("spontaneous_follicular_activity", 0)
    for name in EXCLUSIONS:
        cols.set(name, 0)
    cols.set("injections", np.where(ucmsc, 1.0, np.nan))
    cols.set("cells_injected_millions", np.where(ucmsc, 10.0, np.nan))

    rise = np.where(ucmsc, rng.poisson(2.2, n), rng.poisson(0.2, n))
    cols.set("afc_post", afc + rise)
    amh_rise = np.where(ucmsc, 0.3 + 0.1 * rng.standard_normal(n), 0.05 * rng.standard_normal(n))
    cols.set("amh_post_ng_ml", np.round(np.clip(amh + amh_rise, 0.01, None), 2))
    cols.set("ivf_after_treatment", 0)
    resumed = _outcome_flags(arm, "menses_resumed_percent", rng)
    cols.set("menses_followup", np.where(resumed == 1, MENSES.index("irregular"), 2))
    cols.set("followup_months", 12.0)
    for column in COMPLICATIONS:
        cols.set(column, 0)
    pregnant = np.flatnonzero(_outcome_flags(arm, "pregnant_percent", rng))

    participants = to_frame([cols], DatasetFile.PARTICIPANTS, CATEGORIES)
    first, last = day_number(FIRST_SCREENING), day_number(LAST_SCREENING)
    screening = first + np.arange(n) * (last - first) // max(n - 1, 1)
    screening_day = pl.Series(screening).cast(pl.Int32).cast(pl.Date)
    participants = participants.with_columns(
        ids("UC-", n),
        (screening_day - pl.duration(days=42)).alias("fsh_1_date"),
        screening_day.alias("fsh_2_date"),
        (screening_day + pl.duration(days=28)).alias("treatment_date"),
    )
    participants = canonical_order(participants, DatasetFile.PARTICIPANTS)

    rows = Columns(pregnant.size)
    rows.set("conception", 0)
    rows.set("months_after_treatment", (3 + rng.integers(0, 7, pregnant.size)).astype(float))
    rows.set("outcome", 0)
    pregnancies = to_frame([rows], DatasetFile.PREGNANCIES, CATEGORIES)
    pregnancies = pregnancies.with_columns(
        participants["participant_id"].gather(pregnant).alias("participant_id")
    )
    return participants, canonical_order(pregnancies, DatasetFile.PREGNANCIES)
