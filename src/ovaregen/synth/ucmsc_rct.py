"""Synthetic cohort of Study C, NCT05308342: UC-MSC + HRT vs HRT alone in POI (STUDIES.md).

``n`` counts the women randomised (target 66). No results are published, so the cohort
carries an *assumed* effect (:data:`EFFECT`, per follow-up visit) and assumed adverse-event
rates (``ovaregen.synth.ucmsc_safety.ADVERSE_EVENTS``), stated in every report built from it.
There are no screen failures: every woman meets the ``ucmsc-rct`` eligibility criteria (POI
by ESHRE 2016 with two FSH > 25 IU/L 42 days apart, no spontaneous follicular activity,
married, 20 ≤ age < 40, each ovary > 10 mm, consent, no exclusion condition) and completes
the month_3, month_6 and month_12 visits of the protocol's schedule (``ucmsc-rct.yaml``).

Allocation is 1:1 in permuted blocks of six (three per arm; 66 = 11 blocks, 33 / 33); when
``n`` is not a multiple of six the last block is as balanced as it can be. Within each arm the
outcome counts (menses resumed at each visit, pregnant, women with each adverse event) are
apportioned from the assumed rates.

Tables: participants.csv (baseline, treatment visit, and the follow-up columns at the visit
``Protocol.summary_visit`` names: month_3 for AFC, AMH and menses, month_12 for the follow-up
time and the complications checklist), visits.csv (``ovaregen.synth.ucmsc_visits``),
pregnancies.csv and adverse_events.csv (``ovaregen.synth.ucmsc_safety``). Both arms record
the start of randomised treatment (``treatment_date``) and the same cyclic HRT regimen; only
the cell arm records ``injections`` and ``cells_injected_millions`` (arm-revealing).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.variables import DatasetFile
from ovaregen.synth.counts import (
    Columns,
    IntArray,
    Tables,
    apportion,
    canonical_order,
    check_size,
    day_number,
    ids,
    to_frame,
)
from ovaregen.synth.ucmsc_safety import adverse_events
from ovaregen.synth.ucmsc_visits import MENSES, FollowUp, follow_up

__all__ = [
    "ARMS",
    "BLOCK_SIZE",
    "EFFECT",
    "HRT_REGIMEN",
    "MINIMUM",
    "PUBLISHED_SIZE",
    "synthesize_ucmsc_rct",
]

PUBLISHED_SIZE = 66
MINIMUM = 4
"""Smallest n: two women per arm."""
BLOCK_SIZE = 6
ARMS = ("ucmsc_hrt", "hrt")
_UCMSC, _HRT = 0, 1

EFFECT: dict[str, dict[str, dict[str, float]]] = {
    "afc_rise_mean": {
        "ucmsc_hrt": {"month_3": 2.2, "month_6": 1.6, "month_12": 1.0},
        "hrt": {"month_3": 0.2, "month_6": 0.2, "month_12": 0.1},
    },
    "amh_rise_ng_ml_mean": {
        "ucmsc_hrt": {"month_3": 0.3, "month_6": 0.2, "month_12": 0.1},
        "hrt": {"month_3": 0.0, "month_6": 0.0, "month_12": 0.0},
    },
    "menses_resumed_percent": {
        "ucmsc_hrt": {"month_3": 20, "month_6": 15, "month_12": 12},
        "hrt": {"month_3": 5, "month_6": 5, "month_12": 3},
    },
    "pregnant_percent": {
        "ucmsc_hrt": {"month_12": 6},
        "hrt": {"month_12": 3},
    },
}
"""The assumed effect per follow-up visit (not published), measure → arm → visit.

* AFC and AMH: the mean rise from baseline is 2.2 / 1.6 / 1.0 follicles and 0.3 / 0.2 /
  0.1 ng/mL at 3 / 6 / 12 months in the UC-MSC + HRT arm (a response that wanes), 0.2 / 0.2 /
  0.1 follicles and 0 ng/mL with HRT alone. Each value is
  ``post = μ₀ + β · (baseline − μ₀) + effect · r + u + e`` (``ovaregen.synth.ucmsc_visits``):
  β = 0.7 (the post value regresses on the baseline, so a baseline-adjusted ANCOVA is
  meaningful), ``r`` the woman's response to the cells (mean 1, SD 0.35; 1 with HRT alone),
  ``u`` her own level (shared by her visits) and ``e`` the visit's noise; AFC rounded to a
  count, AMH to 0.01 ng/mL (at least 0.01).
* Menses (irregular cycles) have resumed at 3 / 6 / 12 months in 20 / 15 / 12% of the cell arm
  and 5 / 5 / 3% with HRT alone; the women resumed at a later visit are among those resumed at
  the earlier ones (cycles stop again as the response wanes). At 33 per arm: 7 / 5 / 4 vs
  2 / 2 / 1.
* 6% vs 3% become pregnant by 12 months (spontaneous, 3–9 months after treatment, ongoing at
  the 12-month visit): 2 vs 1 at 33 per arm.

participants.csv holds AFC, AMH and menses at month_3 (the protocol's primary follow-up
visit), so the published-size counts there are 7 vs 2 resumed."""

HRT_REGIMEN = "estradiol valerate 2 mg days 1–21 + dydrogesterone 10 mg days 12–21, 28-day cycle"
"""The cyclic oestrogen–progestogen replacement both arms receive (an assumption: the registry
says "routine" HRT without the drugs)."""
CELLS_MILLIONS = 10.0
"""UC-MSC arm: one transvaginal injection of 10 × 10⁶ cells (5 × 10⁶ per ovary), registry."""

PROTOCOL = load_protocol("ucmsc-rct")
EXCLUSIONS: tuple[str, ...] = PROTOCOL.exclusion
"""The protocol's exclusion conditions (recorded false for every eligible woman)."""
FIRST_SCREENING = date(2019, 11, 4)
LAST_SCREENING = date(2022, 11, 28)
"""Screening spread over the enrolment period in id order; treatment 4 weeks after screening,
the 12-month visit therefore by Dec 2023 (registry: Nov 2019 – Dec 2023)."""
TREATMENT_AFTER_SCREENING_DAYS = 28
FSH_INTERVAL_DAYS = 42

CATEGORIES: dict[str, tuple[str, ...]] = {
    "status": ("completed",),
    "arm": ARMS,
    "menses": MENSES,
    "menses_followup": MENSES,
    "hrt_regimen": (HRT_REGIMEN,),
    "visit": tuple(v.id for v in PROTOCOL.followup_visits),
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


def _pregnant(arm: IntArray, rng: np.random.Generator) -> IntArray:
    """Indices of the pregnant women: per arm, apportioned from the assumed rate."""
    chosen: list[IntArray] = []
    for code, name in enumerate(ARMS):
        members = np.flatnonzero(arm == code)
        rate = EFFECT["pregnant_percent"][name]["month_12"]
        count = int(apportion(members.size, [rate, 100 - rate])[0]) if members.size else 0
        chosen.append(rng.permutation(members)[:count])
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _baseline(cols: Columns, n: int, rng: np.random.Generator) -> None:
    """Screening values of eligible women with POI (amenorrhoea, FSH > 25 IU/L twice)."""
    cols.set("status", 0)
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


def synthesize_ucmsc_rct(n: int, seed: int) -> Tables:
    """Study C cohort of ``n`` randomised women: participants, visits, pregnancies and adverse
    events, canonical (only the columns the study records)."""
    check_size("ucmsc-rct", n, MINIMUM)
    rng = np.random.default_rng([seed, 3])
    cols = Columns(n)
    arm = allocation(n, rng)
    ucmsc = arm == _UCMSC
    cols.set("arm", arm)
    _baseline(cols, n, rng)
    first, last = day_number(FIRST_SCREENING), day_number(LAST_SCREENING)
    screening = first + np.arange(n) * (last - first) // max(n - 1, 1)
    treatment = screening + TREATMENT_AFTER_SCREENING_DAYS
    cols.set("fsh_1_date", screening - FSH_INTERVAL_DAYS)
    cols.set("fsh_2_date", screening)
    cols.set("treatment_date", treatment)
    cols.set("hrt_regimen", 0)
    cols.set("injections", np.where(ucmsc, 1.0, np.nan))
    cols.set("cells_injected_millions", np.where(ucmsc, CELLS_MILLIONS, np.nan))
    cols.set("ivf_after_treatment", 0)

    baseline = {name: cols.values[name].astype(np.float64) for name in ("afc", "amh_ng_ml")}
    seen = follow_up(PROTOCOL.followup_visits, arm, ARMS, baseline, treatment, EFFECT, rng)
    _summarise(cols, seen)
    pregnant = _pregnant(arm, rng)

    participants = to_frame([cols], DatasetFile.PARTICIPANTS, CATEGORIES)
    participants = participants.with_columns(ids("UC-", n))
    participants = canonical_order(participants, DatasetFile.PARTICIPANTS)
    participant_ids = participants["participant_id"]

    visits = to_frame(seen.groups, DatasetFile.VISITS, CATEGORIES, seen.order).with_columns(
        participant_ids.gather(seen.owner).alias("participant_id")
    )
    rows = Columns(pregnant.size)
    rows.set("conception", 0)
    rows.set("months_after_treatment", (3 + rng.integers(0, 7, pregnant.size)).astype(float))
    rows.set("outcome", 0)
    pregnancies = to_frame([rows], DatasetFile.PREGNANCIES, CATEGORIES).with_columns(
        participant_ids.gather(pregnant).alias("participant_id")
    )
    events = adverse_events(participant_ids, arm, ARMS, treatment, rng)
    return {
        DatasetFile.PARTICIPANTS: participants,
        DatasetFile.VISITS: canonical_order(visits, DatasetFile.VISITS),
        DatasetFile.PREGNANCIES: canonical_order(pregnancies, DatasetFile.PREGNANCIES),
        DatasetFile.ADVERSE_EVENTS: events,
    }


def _summarise(cols: Columns, seen: FollowUp) -> None:
    """participants.csv's follow-up columns: each the value at its summary visit
    (``Protocol.summary_visit``), so that participants.csv and visits.csv agree."""
    names = dict.fromkeys(name for values in seen.by_visit.values() for name in values)
    for name in names:
        visit = PROTOCOL.summary_visit(name)
        if visit is None:  # pragma: no cover - every generated column is in the schedule
            raise ValueError(f"protocol ucmsc-rct records {name} at no follow-up visit")
        cols.set(name, seen.by_visit[visit][name])
