"""Calibrated synthetic cohort of Study B, the MenSC long-term follow-up (STUDIES.md).

``n`` counts the women treated (published 105, all followed up). Counts are apportioned from
the published ones (``ovaregen.synth.counts``), in two strata — the 38 women who became
pregnant and the 67 who did not — so that every cross-tabulation of the paper's Table 2 holds:

* pregnant / not: 38 / 67; age < 35: 12 / 11, ≥ 35: 26 / 56 (ages read off the reconstruction's
  age lists, so the mean 37.91 ± 4.98 (24–45) and the pregnant women's median 36 (24–43) are
  exact at n = 105);
* injections one / two: 29 + 41 / 9 + 26; menses at injection and at follow-up (regular,
  irregular, menopause: the oldest women not pregnant reach menopause);
* pregnancy histories: one woman pregnant three times, one twice, two both ways, 23 once
  spontaneously, 11 once through IVF — 43 pregnancies, 12 miscarriages, 31 live births, one of
  twins; months to the first pregnancy with median 3 (1–24) spontaneous, 5.5 (2–13) IVF;
* IVF after the injection: the 13 pregnant through IVF and 41 of the women not pregnant;
* one ovarian cyst (in a pregnant woman); no other complication, no infant death or anomaly.

Vectorised over women with numpy; every random choice from one seeded ``Generator``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from ovaregen.domain.variables import COMPLICATIONS, DatasetFile
from ovaregen.synth.counts import (
    Columns,
    FloatArray,
    IntArray,
    Tables,
    apportion,
    canonical_order,
    check_size,
    day_number,
    fix_sum,
    ids,
    pin_range,
    quantile_take,
    recentre,
    to_frame,
)

__all__ = ["MINIMUM", "PUBLISHED_SIZE", "synthesize_mensc"]

PUBLISHED_SIZE = 105
MINIMUM = 10
"""Smallest n: pregnant and not pregnant women, both age groups, both menses groups and both
injection counts are non-empty from n = 10 on."""

PREGNANT = {"pregnant": 38, "not_pregnant": 67}
PREGNANT_AGES_YOUNG = (24, 28, 30, 31, 32, 32, 33, 33, 34, 34, 34, 34)
PREGNANT_AGES_OLD = tuple(
    age
    for age, count in {35: 5, 36: 3, 37: 2, 38: 2, 39: 3, 40: 3, 41: 3, 42: 3, 43: 2}.items()
    for _ in range(count)
)
NOT_PREGNANT_AGES_YOUNG = (25, 26, 27, 28, 28, 29, 31, 32, 32, 34, 34)
NOT_PREGNANT_AGES_OLD = tuple(
    age
    for age, count in {
        35: 4, 36: 4, 37: 4, 38: 4, 39: 5, 40: 5, 41: 6, 42: 6, 43: 5, 44: 6, 45: 7,
    }.items()
    for _ in range(count)
)  # fmt: skip
"""Ages of the reconstruction: 105 women, mean 37.914, SD 4.977, 24–45 (published 37.91 ±
4.98 (24–45)); pregnant 12 < 35 and 26 ≥ 35, median 36 (24–43); not pregnant 11 and 56."""

MENSES = ("regular", "irregular", "amenorrhea", "menopause")
_REG, _IRR, _MENO = 0, 1, 3
MENSES_PREGNANT = {(_REG, _REG): 30, (_REG, _IRR): 3, (_IRR, _REG): 3, (_IRR, _IRR): 2}
MENSES_NOT_PREGNANT = {
    (_REG, _REG): 48,
    (_REG, _IRR): 9,
    (_IRR, _REG): 3,
    (_IRR, _IRR): 2,
    (_IRR, _MENO): 4,
    (_REG, _MENO): 1,
}
"""Menses at injection and at follow-up. Altogether 91 regular and 14 irregular at injection;
84 regular, 16 irregular, 5 menopause at follow-up; the menopausal are the oldest not pregnant."""
INJECTIONS_PREGNANT = {1: 29, 2: 9}
INJECTIONS_NOT_PREGNANT = {1: 41, 2: 26}
IVF_NOT_PREGNANT = {"ivf": 41, "no_ivf": 26}

Pregnancy = tuple[int, float, int, int]
"""(conception code, months after the (last) injection, outcome code, infants born alive)."""
CONCEPTIONS = ("spontaneous", "ivf")
OUTCOMES = ("live_birth", "miscarriage")
_S, _I, _LB, _MC = 0, 1, 0, 1
MULTIPLE_HISTORIES: tuple[tuple[Pregnancy, ...], ...] = (
    ((_S, 2.0, _MC, 0), (_S, 9.0, _MC, 0), (_S, 20.0, _LB, 1)),  # three times
    ((_S, 4.0, _MC, 0), (_S, 16.0, _LB, 1)),  # twice
    ((_S, 2.0, _MC, 0), (_I, 8.0, _LB, 1)),  # both ways
    ((_I, 4.0, _MC, 0), (_S, 13.0, _LB, 1)),  # both ways
)
SPONTANEOUS_ONCE_MONTHS = (1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 6, 7, 8, 9, 11, 18, 24)
SPONTANEOUS_ONCE_OUTCOMES = {"miscarriage": 5, "live_birth": 18}
IVF_ONCE_MONTHS = (2, 3, 4, 5, 5, 5.5, 6, 7, 9, 11, 13)
IVF_ONCE_OUTCOMES = {"miscarriage": 2, "live_birth": 8, "twins": 1}
HISTORY_COUNTS = (1, 1, 1, 1, 23, 11)
"""Women per history: the four multiple histories above, 23 once spontaneously, 11 once IVF."""

FIRST_INJECTION = date(2018, 8, 6)
LAST_INJECTION = date(2021, 9, 27)
FOLLOWUP_MONTHS = (44.64, 30.0, 72.0, 9.0)
"""Follow-up (mean, min, max, SD) in months: ≥ 2.5 years, mean 3.72 years."""


def _codes(counts: IntArray, rng: np.random.Generator) -> IntArray:
    return rng.permutation(np.repeat(np.arange(counts.size), counts))


def _ages(
    k: int, young: tuple[int, ...], old: tuple[int, ...], rng: np.random.Generator
) -> FloatArray:
    n_young, n_old = (int(v) for v in apportion(k, [len(young), len(old)]))
    ages = np.concatenate([quantile_take(young, n_young), quantile_take(old, n_old)])
    return rng.permutation(ages)


def _pairs(k: int, table: dict[tuple[int, int], int], rng: np.random.Generator) -> IntArray:
    """(menses at injection, at follow-up) codes, shape (k, 2), in a random order."""
    keys = np.array(list(table), dtype=np.int64)
    return keys[_codes(apportion(k, list(table.values())), rng)]


def _pregnant(
    k: int, rng: np.random.Generator
) -> tuple[Columns, tuple[IntArray, FloatArray, IntArray, IntArray, IntArray]]:
    """The pregnant women and their pregnancies (woman index, months, codes, infants)."""
    cols = Columns(k)
    counts = apportion(k, HISTORY_COUNTS)
    start = np.concatenate([[0], np.cumsum(counts)])
    woman: list[IntArray] = []
    months: list[FloatArray] = []
    conception: list[IntArray] = []
    outcome: list[IntArray] = []
    infants: list[IntArray] = []
    for h, history in enumerate(MULTIPLE_HISTORIES):
        c = int(counts[h])
        women = np.arange(start[h], start[h] + c)
        woman.append(np.repeat(women, len(history)))
        months.append(np.tile([p[1] for p in history], c))
        conception.append(np.tile([p[0] for p in history], c))
        outcome.append(np.tile([p[2] for p in history], c))
        infants.append(np.tile([p[3] for p in history], c))
    # once spontaneously, once through IVF
    for h, template, kind, outcomes in (
        (4, SPONTANEOUS_ONCE_MONTHS, _S, SPONTANEOUS_ONCE_OUTCOMES),
        (5, IVF_ONCE_MONTHS, _I, IVF_ONCE_OUTCOMES),
    ):
        c = int(counts[h])
        woman.append(np.arange(start[h], start[h] + c))
        months.append(quantile_take(template, c))
        conception.append(np.full(c, kind))
        code = _codes(apportion(c, list(outcomes.values())), rng)  # miscarriage, live, (twins)
        outcome.append(np.where(code == 0, _MC, _LB))
        infants.append(np.where(code == 0, 0, np.where(code == 2, 2, 1)))
    rows = (
        np.concatenate(woman),
        np.concatenate(months),
        np.concatenate(conception),
        np.concatenate(outcome),
        np.concatenate(infants),
    )
    has_ivf = np.zeros(k, dtype=bool)
    has_ivf[rows[0][rows[2] == _I]] = True
    cols.set("age_years", _ages(k, PREGNANT_AGES_YOUNG, PREGNANT_AGES_OLD, rng))
    menses = _pairs(k, MENSES_PREGNANT, rng)
    cols.set("menses", menses[:, 0])
    cols.set("menses_followup", menses[:, 1])
    cols.set("injections", 1 + _codes(apportion(k, list(INJECTIONS_PREGNANT.values())), rng))
    cols.set("ivf_after_treatment", has_ivf)
    cyst = np.zeros(k, dtype=bool)
    cyst[rng.permutation(k)[: int(apportion(k, [1, 37])[0])]] = True
    cols.set("comp_ovarian_cyst", cyst)
    return cols, rows


def _not_pregnant(k: int, rng: np.random.Generator) -> Columns:
    """The women not pregnant; the oldest of them reach menopause."""
    cols = Columns(k)
    ages = _ages(k, NOT_PREGNANT_AGES_YOUNG, NOT_PREGNANT_AGES_OLD, rng)
    cols.set("age_years", ages)
    counts = apportion(k, list(MENSES_NOT_PREGNANT.values()))
    keys = np.array(list(MENSES_NOT_PREGNANT), dtype=np.int64)
    n_other = int(counts[:4].sum())
    menopausal = np.repeat(keys[4:], counts[4:], axis=0)  # irregular first: to the oldest
    other = keys[_codes(counts[:4], rng)] if n_other else np.empty((0, 2), dtype=np.int64)
    oldest_first = np.lexsort((rng.random(k), -ages))
    menses = np.empty((k, 2), dtype=np.int64)
    menses[oldest_first[: menopausal.shape[0]]] = menopausal
    menses[oldest_first[menopausal.shape[0] :]] = other
    cols.set("menses", menses[:, 0])
    cols.set("menses_followup", menses[:, 1])
    cols.set("injections", 1 + _codes(apportion(k, list(INJECTIONS_NOT_PREGNANT.values())), rng))
    n_ivf = int(apportion(k, list(IVF_NOT_PREGNANT.values()))[0])
    candidates = rng.permutation(np.flatnonzero(menses[:, 1] != _MENO))
    ivf = np.zeros(k, dtype=bool)
    ivf[candidates[:n_ivf]] = True
    cols.set("ivf_after_treatment", ivf)
    cols.set("comp_ovarian_cyst", False)
    return cols


def _baseline(cols: Columns, rng: np.random.Generator) -> None:
    """POR by Bologna for every woman: AFC 1–6 and a previous poor response."""
    k = cols.size
    cols.set("status", 0)
    cols.set("afc", rng.integers(1, 7, k))
    cols.set("amh_ng_ml", np.round(rng.uniform(0.12, 1.01, k), 2))
    cols.set("prior_oocytes_retrieved", rng.integers(0, 4, k))
    cols.set("prior_por_cycles", rng.integers(1, 4, k))
    cols.set("prior_por_cycles_max_stim", rng.integers(0, 3, k))
    injections = cols.values["injections"].astype(np.int64)
    cols.set("cells_injected_millions", (injections * (8 + rng.integers(0, 5, k))).astype(float))
    for column in tuple(COMPLICATIONS)[1:]:  # the one cyst is set with the pregnancies
        cols.set(column, False)


CATEGORIES: dict[str, tuple[str, ...]] = {
    "status": ("completed",),
    "menses": MENSES,
    "menses_followup": MENSES,
    "conception": CONCEPTIONS,
    "outcome": OUTCOMES,
}


def synthesize_mensc(n: int, seed: int) -> Tables:
    """Study B cohort of ``n`` treated women: participants and pregnancies, canonical."""
    check_size("mensc", n, MINIMUM)
    rng = np.random.default_rng([seed, 2])
    n_pregnant, n_not = (int(v) for v in apportion(n, list(PREGNANT.values())))
    pregnant, (woman, months, conception, outcome, infants) = _pregnant(n_pregnant, rng)
    not_pregnant = _not_pregnant(n_not, rng)
    for cols in (pregnant, not_pregnant):
        _baseline(cols, rng)
    order = rng.permutation(n)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)

    participants = to_frame([pregnant, not_pregnant], DatasetFile.PARTICIPANTS, CATEGORIES, order)
    first, last = day_number(FIRST_INJECTION), day_number(LAST_INJECTION)
    dates = first + np.round(np.arange(n) * (last - first) / max(n - 1, 1)).astype(np.int64)
    mean, low, high, sd = FOLLOWUP_MONTHS
    followup = pin_range(
        recentre(np.clip(mean + sd * rng.standard_normal(n), low, high), mean, low, high), low, high
    )
    followup = np.sort(fix_sum(followup, mean * n, decimals=0, low=low, high=high, rng=rng))[::-1]
    participants = participants.with_columns(
        ids("MS-", n),
        pl.Series("treatment_date", dates).cast(pl.Int32).cast(pl.Date),
        pl.Series("followup_months", followup),
    )
    participants = canonical_order(participants, DatasetFile.PARTICIPANTS)

    rows = Columns(woman.size)
    rows.set("conception", conception)
    rows.set("months_after_treatment", months)
    rows.set("outcome", outcome)
    rows.set("infants_live_born", infants)
    rows.set("infant_death_first_year", 0)
    rows.set("congenital_anomaly", 0)
    pregnancies = to_frame([rows], DatasetFile.PREGNANCIES, CATEGORIES)
    owners = participants["participant_id"].gather(position[woman])
    pregnancies = pregnancies.with_columns(owners.alias("participant_id"))
    pregnancies = canonical_order(pregnancies, DatasetFile.PREGNANCIES)
    return {
        DatasetFile.PARTICIPANTS: participants,
        DatasetFile.PREGNANCIES: pregnancies.sort("participant_id", "months_after_treatment"),
    }
