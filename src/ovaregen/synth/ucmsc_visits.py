"""Follow-up visits of the Study C synthetic cohort (visits.csv): the assumed effect per visit.

The visits and what each records are the ``ucmsc-rct`` protocol's schedule (month_3, month_6,
month_12: AFC, AMH and menses at each; follow-up time and the complications checklist at
month_12). Every randomised woman attends every visit, on day 0 of treatment + 91, 183 and
365 days, each moved by up to :data:`JITTER_DAYS` days either way.

The rule (an assumption, NCT05308342 publishes no results; the effects are
``ovaregen.synth.ucmsc_rct.EFFECT``): for woman *i* at visit *v*

    post_iv = μ₀ + β · (baseline_i − μ₀) + effect[arm_i][v] · r_i + u_i + e_iv

with μ₀ the cohort's mean baseline, β = :data:`BETA` (regression on the baseline: the
ANCOVA a baseline-adjusted analysis fits), ``r_i`` the woman's response to the cells
(:data:`RESPONSE_SD` around 1, at least 0.2; 1 with HRT alone), ``u_i`` her own level (the
correlation of her visits) and ``e_iv`` the visit's noise (:data:`LEVEL_SD`, :data:`NOISE_SD`).
Since E[baseline] = μ₀, the mean rise from baseline is the visit's effect. AFC is rounded to a
count (≥ 0), AMH to 0.01 ng/mL (≥ 0.01). Menses: in each arm the women are ranked once by
their month-3 AMH rise plus noise, and at each visit the first ``k`` have resumed (irregular
cycles), ``k`` apportioned from the visit's assumed rate — so with falling rates the women
resumed later are among those resumed earlier. ``followup_months`` is the time from treatment
to the last visit (days / 30.4375, one decimal); no long-term complication occurs. FSH and
oestradiol after treatment (:data:`NOT_SYNTHESISED`) are recorded by the schedule but not
generated: no figure to draw them from, so their columns stay empty and no random number is
drawn for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ovaregen.domain.protocols import Visit
from ovaregen.domain.variables import COMPLICATIONS
from ovaregen.synth.counts import Columns, FloatArray, IntArray, apportion

__all__ = [
    "BETA",
    "JITTER_DAYS",
    "LEVEL_SD",
    "MENSES",
    "NOISE_SD",
    "NOT_SYNTHESISED",
    "RESPONSE_SD",
    "VISIT_DAYS",
    "FollowUp",
    "follow_up",
]

MENSES = ("regular", "irregular", "amenorrhea", "menopause")
_IRREGULAR, _AMENORRHEA = MENSES.index("irregular"), MENSES.index("amenorrhea")
_CELL_ARM = 0
VISIT_DAYS = {"month_3": 91, "month_6": 183, "month_12": 365}
"""Days from the start of treatment to each follow-up visit of the schedule."""
JITTER_DAYS = 5
BETA = {"afc": 0.7, "amh": 0.7}
"""Slope of the post value on the baseline value (assumed)."""
LEVEL_SD = {"afc": 0.6, "amh": 0.04}
"""SD of a woman's own level, shared by her visits (AFC follicles, AMH ng/mL)."""
NOISE_SD = {"afc": 0.6, "amh": 0.03}
"""SD of the visit-to-visit noise."""
RESPONSE_SD = 0.35
"""SD of a woman's response factor to the cells (mean 1, at least 0.2)."""
DAYS_PER_MONTH = 30.4375
NOT_SYNTHESISED = frozenset({"fsh_post_iu_l", "oestradiol_post_pg_ml"})
"""Recorded at the follow-up visits, left empty in the synthetic cohort (module docstring)."""

Codes = npt.NDArray[np.generic]


@dataclass(frozen=True)
class FollowUp:
    """The follow-up of every woman.

    ``groups`` (one per visit, ``visit`` coded by its place in the schedule) reordered by
    ``order`` are the visits.csv rows without the participant id (``counts.to_frame``),
    participant-major; ``owner`` is the woman of each reordered row (index into the cohort);
    ``by_visit``: visit → column → one value per woman (numbers, or category codes);
    ``visits``: the visit ids in schedule order.
    """

    groups: tuple[Columns, ...]
    order: IntArray
    owner: IntArray
    by_visit: dict[str, dict[str, Codes]]
    visits: tuple[str, ...]


def _measure(
    key: str,
    baseline: FloatArray,
    arm: IntArray,
    arms: Sequence[str],
    effects: Mapping[str, Mapping[str, float]],
    visits: Sequence[str],
    response: FloatArray,
    rng: np.random.Generator,
) -> dict[str, FloatArray]:
    """Continuous post values per visit (before rounding) by the module's rule."""
    n = baseline.size
    mean = float(baseline.mean()) if n else 0.0
    level = LEVEL_SD[key] * rng.standard_normal(n)
    out: dict[str, FloatArray] = {}
    for visit in visits:
        effect = np.array([effects[name][visit] for name in arms])[arm]
        noise = NOISE_SD[key] * rng.standard_normal(n)
        out[visit] = mean + BETA[key] * (baseline - mean) + effect * response + level + noise
    return out


def _resumed(
    arm: IntArray,
    arms: Sequence[str],
    rates: Mapping[str, Mapping[str, float]],
    visits: Sequence[str],
    score: FloatArray,
) -> dict[str, npt.NDArray[np.bool_]]:
    """Per visit, whether each woman's menses have resumed (first k of her arm's ranking)."""
    out = {visit: np.zeros(arm.size, dtype=bool) for visit in visits}
    for code, name in enumerate(arms):
        members = np.flatnonzero(arm == code)
        ranked = members[np.argsort(-score[members], kind="stable")]
        for visit in visits:
            rate = rates[name][visit]
            count = int(apportion(members.size, [rate, 100 - rate])[0]) if members.size else 0
            out[visit][ranked[:count]] = True
    return out


def follow_up(
    schedule: Sequence[Visit],
    arm: IntArray,
    arms: Sequence[str],
    baseline: Mapping[str, FloatArray],
    treatment_days: IntArray,
    effect: Mapping[str, Mapping[str, Mapping[str, float]]],
    rng: np.random.Generator,
) -> FollowUp:
    """Every woman's visits of ``schedule`` (the protocol's follow-up visits).

    ``arm`` codes index ``arms``, whose first is the cell arm (its women have a response
    factor); ``baseline`` holds ``afc`` and ``amh_ng_ml``; ``effect`` is ``ucmsc_rct.EFFECT``.
    """
    visits = tuple(v.id for v in schedule)
    unknown = [v for v in visits if v not in VISIT_DAYS]
    if unknown:
        raise ValueError(f"no timing for follow-up visits {', '.join(unknown)}")
    n = arm.size
    cell_arm = arm == _CELL_ARM
    response = np.where(cell_arm, np.clip(1 + RESPONSE_SD * rng.standard_normal(n), 0.2, None), 1)
    afc = _measure(
        "afc", baseline["afc"], arm, arms, effect["afc_rise_mean"], visits, response, rng
    )
    amh_effect = effect["amh_rise_ng_ml_mean"]
    amh = _measure("amh", baseline["amh_ng_ml"], arm, arms, amh_effect, visits, response, rng)
    score = amh[visits[0]] - baseline["amh_ng_ml"] + 0.05 * rng.standard_normal(n)
    resumed = _resumed(arm, arms, effect["menses_resumed_percent"], visits, score)
    dates = {
        v: treatment_days + VISIT_DAYS[v] + rng.integers(-JITTER_DAYS, JITTER_DAYS + 1, n)
        for v in visits
    }
    computed: dict[str, dict[str, Codes]] = {
        v: {
            "afc_post": np.maximum(np.round(afc[v]), 0.0),
            "amh_post_ng_ml": np.maximum(np.round(amh[v], 2), 0.01),
            "menses_followup": np.where(resumed[v], _IRREGULAR, _AMENORRHEA),
            "followup_months": np.round((dates[v] - treatment_days) / DAYS_PER_MONTH, 1),
            **{name: np.zeros(n, dtype=np.int8) for name in COMPLICATIONS},
        }
        for v in visits
    }
    by_visit: dict[str, dict[str, Codes]] = {}
    groups: list[Columns] = []
    for code, visit in enumerate(schedule):
        recorded = [r for r in visit.records if r not in NOT_SYNTHESISED]
        missing = [r for r in recorded if r not in computed[visit.id]]
        if missing:
            raise ValueError(f"visit {visit.id} records {', '.join(missing)}: not generated")
        by_visit[visit.id] = {r: computed[visit.id][r] for r in recorded}
        group = Columns(n)
        group.set("visit", code)
        group.set("visit_date", dates[visit.id])
        for name, values in by_visit[visit.id].items():
            group.set(name, values)
        groups.append(group)
    # participant-major: woman 0's visits, then woman 1's, …
    order = np.arange(n * len(visits)).reshape(len(visits), n).T.ravel()
    owner = np.tile(np.arange(n, dtype=np.int64), len(visits))[order]
    return FollowUp(tuple(groups), order, owner, by_visit, visits)
