"""Calibrated synthetic cohort of Study A, "Stem Cell Regenera" (shared/spec/STUDIES.md).

``n`` counts the women recruited (published 265). The flow is apportioned from the published
265 → 83 screen failures, 37 lost to follow-up, 145 analysed (182 eligible = lost + analysed);
within the analysed 99 activated / 46 not; among the activated 7 spontaneous and 14 IVF
pregnancies (none among the others); the Table 3 symptom trajectories and the ethnicity
counts of the deterministic reconstruction (``tests/reconstructions/study_a.py``). At n = 265
every one of these counts is the published one; at any other n each is a largest-remainder
apportionment (``ovaregen.synth.counts``).

Activation is never stored: it *follows* from AFC and AMH before and after treatment, which
are drawn so that the rule (AFC + 3, or AMH × 1.2) gives the apportioned result, far from the
boundaries. Continuous values (ages, Table 1 and 2 means and ranges, the day-5 leukocyte–CD34+
correlation r = 0.465) follow the published summaries approximately; everything is drawn
with numpy from one seeded ``Generator``, vectorised over participants.

Tables: participants.csv, pregnancies.csv and mobilisation.csv (every mobilised woman's
G-CSF days 1–5 with the titration table's proposal and the clinician's decision,
``ovaregen.synth.regenera_mobilisation``). Values not published that the later tables need
(body weight, SCFE-PRP platelet concentration, the decisions) come from their own seeded
streams, so the published values are the same as without them.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.titration import load_titration_table
from ovaregen.domain.variables import DatasetFile
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
from ovaregen.synth.regenera_mobilisation import (
    doses,
    mobilisation_table,
    prp_platelets,
    symptom_columns,
    wbc_course,
)

__all__ = ["MINIMUM", "PUBLISHED_SIZE", "synthesize_regenera"]

PUBLISHED_SIZE = 265
MINIMUM = 10
"""Smallest n: every flow group (screen failed, lost, analysed) and both activation groups
are non-empty from n = 10 on."""

FLOW = {"screen_failed": 83, "lost_to_follow_up": 37, "completed": 145}
ACTIVATION = {"activated": 99, "not_activated": 46}
PREGNANCY_ACTIVATED = {"spontaneous": 7, "ivf": 14, "ivf_not_pregnant": 12, "none": 66}
PREGNANCY_NOT_ACTIVATED = {"ivf_not_pregnant": 12, "none": 34}
ACTIVATION_PATHS = {"both": 40, "afc": 30, "amh": 29}
"""How the 99 activated women meet the rule (an assumption: the paper does not say)."""

ETHNICITY = {"Caucasian": 112, "Arab": 22, "Hispanic": 7, "Other": 4}
"""Of the 145: 77.24 / 15.17 / 4.83 % (published 77.2 / 15.2 / 4.8) and 4 other."""

SYMPTOMS = ("none", "mild", "moderate", "severe")
_N, _M, _MO = 0, 1, 2
SYMPTOM_TRAJECTORIES: tuple[tuple[tuple[int, int, int, int], int], ...] = (
    # (day 1, day 2, day 3, day 4) as codes into SYMPTOMS (-1 = not recorded), women
    ((_N, _N, _N, _N), 43),
    ((_N, _N, _N, _M), 10),
    ((_N, _N, _M, _M), 15),
    ((-1, _N, _M, _M), 6),
    ((_N, _M, _M, _M), 6),
    ((_M, _M, _M, _M), 8),
    ((-1, _M, _M, _M), 37),
    ((-1, _M, _MO, _MO), 8),
    ((_M, _MO, _MO, _MO), 4),
    ((-1, _MO, _MO, _MO), 5),
    ((-1, _MO, _MO, _M), 3),
)
"""Table 3 trajectories of the 145 analysed women (as the reconstruction): days +2..+4 exact
(59/12/74, 72/20/53, 85/17/43 mild/moderate/none); day +1 reproduces the published 12 mild,
0 moderate, 74 none and leaves the other 59 unrecorded."""

SCREEN_FAILURES = {
    "no_diagnosis": 30,
    "endometriosis": 12,
    "pelvic_adhesions": 8,
    "lab_abnormality": 8,
    "ovaries_inaccessible": 5,
    "genetic_poi": 4,
    "autoimmune_poi": 4,
    "hbsag": 3,
    "anti_hbc": 3,
    "hcv": 2,
    "product_allergy": 2,
    "hiv": 1,
    "syphilis": 1,
}
"""Why each of the 83 screen failures is ineligible under ``regenera`` (an assumption: the
paper gives only the total). ``no_diagnosis``: normal ovarian reserve, no ovarian failure."""

PROTOCOL = load_protocol("regenera")
EXCLUSIONS: tuple[str, ...] = PROTOCOL.exclusion
"""The protocol's exclusion conditions (recorded false for every eligible woman)."""

ACTIVATED_AGES: tuple[int, ...] = tuple(
    age
    for age, count in {
        31: 2, 32: 3, 33: 3, 34: 4, 35: 5, 36: 6, 37: 7,
        38: 8, 39: 9, 40: 12, 41: 12, 42: 11, 43: 9, 44: 8,
    }.items()
    for _ in range(count)
)  # fmt: skip
"""Ages of the 99 activated women: median 40 (31–44)."""
NOT_ACTIVATED_AGES: tuple[int, ...] = (
    *(26, 28, 30, 33, 35, 37),
    *(
        age
        for age, count in {38: 7, 39: 8, 40: 8, 41: 6, 42: 5, 43: 3, 44: 3}.items()
        for _ in range(count)
    ),
)
"""Ages of the 46 not activated: median 40 (26–44); overall mean 39.14 (published 39.1)."""

TABLE_1_2 = {
    # column: ((mean, low, high, sd, decimals) not activated, (…) activated), canonical units
    "hemoglobin_g_dl": ((13.1, 7.6, 15.8, 1.1, 1), (13.6, 10.4, 18.0, 1.2, 1)),
    "wbc_10e9_l": ((5.752, 3.29, 9.9, 1.2, 2), (6.151, 3.01, 10.22, 1.4, 2)),
    "platelets_10e9_l": ((252.522, 107.0, 455.0, 60.0, 0), (245.768, 150.0, 403.0, 50.0, 0)),
    "wbc_d5_10e9_l": ((37.666, 20.66, 58.25, 8.0, 2), (36.359, 14.47, 59.67, 9.0, 2)),
}
"""Table 1 and Table 2 (leukocytes) per group. Published haemoglobin maximum of the activated
is 18.2 g/dL; 18.0 is used (the top of the dictionary's usual range) so that no row warns."""
CD34 = {False: (26.5, 9.0, 73.0, 0.45), True: (33.1, 2.0, 140.0, 0.90)}
"""CD34+ /µL on day 5, (mean, low, high, log-scale SD): log-normal, heavier tail if activated."""
WBC_CD34_R = 0.465

STATUSES = ("screen_failed", "withdrawn", "lost_to_follow_up", "completed")
MENSES = ("regular", "irregular", "amenorrhea", "menopause")
FIRST_SCREENING = date(2022, 11, 7)
LAST_SCREENING = date(2024, 10, 31)
"""Screening dates spread evenly over this period in id order; treatment 8 weeks later
(Jan 2023 – Dec 2024, the study period); FSH measured 35 and 0 days before screening."""

_POR, _POI, _FLUCT, _NORMAL = 0, 1, 2, 3


def _codes(counts: IntArray, rng: np.random.Generator) -> IntArray:
    """Category codes ``0, 1, …`` repeated by ``counts``, in a random order."""
    return rng.permutation(np.repeat(np.arange(counts.size), counts))


def _values(
    k: int,
    mean: float,
    low: float,
    high: float,
    sd: float,
    decimals: int,
    rng: np.random.Generator,
    *,
    log: bool = False,
) -> FloatArray:
    """``k`` values with the published mean (to its last digit) and range (both attained)."""
    if k == 0:
        return np.empty(0)
    draws = (
        np.exp(np.log(mean) + sd * rng.standard_normal(k))
        if log
        else mean + sd * (rng.standard_normal(k))
    )
    values = pin_range(recentre(np.clip(draws, low, high), mean, low, high, log=log), low, high)
    if k < 3:
        return np.round(values, decimals)
    return fix_sum(values, mean * k, decimals=decimals, low=low, high=high, rng=rng)


def _reserve(k: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Baseline AFC 0–6 and AMH 0.05–1.15 ng/mL of women with ovarian failure."""
    afc = rng.integers(0, 7, k).astype(np.float64)
    amh = np.exp(np.log(0.42) + 0.1 * (afc - 3) + 0.5 * rng.standard_normal(k))
    return afc, np.round(np.clip(amh, 0.05, 1.15), 2)


def _kinds(age: FloatArray, rng: np.random.Generator) -> IntArray:
    """POI for about a third of the women under 38, fluctuating POI for a tenth, else POR."""
    u = rng.random(age.size)
    young = age < 38
    return np.where(young & (u < 1 / 3), _POI, np.where(young & (u < 0.43), _FLUCT, _POR))


def _diagnosis(
    cols: Columns, age: FloatArray, afc: FloatArray, kind: IntArray, rng: np.random.Generator
) -> None:
    """Inputs of the diagnoses (POR by Bologna, POI by ESHRE 2016, fluctuating POI, or none).

    POR: a previous poor response and AFC < 7 (two Bologna features). POI: amenorrhoea ≥ 4
    months and two FSH > 25 IU/L 35 days apart. Fluctuating POI: amenorrhoea, FSH normal.
    ``_NORMAL``: normal reserve and history, no diagnosis (a screen failure).
    """
    k = age.size
    poi, fluct, normal = kind == _POI, kind == _FLUCT, kind == _NORMAL
    por = kind == _POR
    fsh_poi = 28.0 + rng.integers(0, 40, k)
    fsh_normal = np.round(6.0 + 12.0 * rng.random(k), 1)
    fsh_normal_2 = np.round(6.0 + 12.0 * rng.random(k), 1)
    cols.set("fsh_1_iu_l", np.where(poi, fsh_poi, np.where(fluct, 14.5, fsh_normal)))
    cols.set(
        "fsh_2_iu_l",
        np.where(poi, np.round(fsh_poi * 1.15, 1), np.where(fluct, 18.0, fsh_normal_2)),
    )
    amenorrhea = np.where(poi, 4.0 + rng.integers(0, 14, k), np.where(fluct, 6.0, 0.0))
    cols.set("amenorrhea_months", amenorrhea)
    menses = np.where(poi, MENSES.index("amenorrhea"), np.where(fluct | (por & (age >= 42)), 1, 0))
    cols.set("menses", menses)
    oocytes = np.where(normal, 6 + rng.integers(0, 8, k), np.minimum(afc, 3))
    cols.set("prior_oocytes_retrieved", np.where(por | normal, oocytes, np.nan))
    cols.set("prior_por_cycles", np.where(por, 1 + rng.integers(0, 3, k), 0))
    cols.set("prior_por_cycles_max_stim", np.where(por, rng.integers(0, 2, k), 0))


def _screening(cols: Columns, status: str, age: FloatArray, ethnicity: IntArray) -> None:
    cols.set("status", STATUSES.index(status))
    cols.set("age_years", age)
    cols.set("ethnicity", ethnicity)
    for name in EXCLUSIONS:
        cols.set(name, 0)
    cols.set("consent", 1)


def _pair_for_correlation(
    wbc: list[FloatArray], cd34: list[FloatArray], rng: np.random.Generator
) -> list[FloatArray]:
    """Reorder each group's CD34+ values so that Pearson's r over all pairs is about 0.465.

    Within each group the CD34+ values (kept: means, ranges) are given to the women in the
    order of a score ``t · z(leukocytes) + (1 − t) · noise``; ``t`` is found by bisection
    (``t = 1`` pairs sorted with sorted, the largest r).
    """
    noise = [rng.standard_normal(w.size) for w in wbc]
    z = [(w - w.mean()) / (w.std() or 1.0) for w in wbc]
    ordered = [np.sort(c) for c in cd34]
    all_wbc = np.concatenate(wbc)

    def paired(t: float) -> list[FloatArray]:
        result = []
        for zi, ei, ci in zip(z, noise, ordered, strict=True):
            out = np.empty_like(ci)
            out[np.argsort(t * zi + (1 - t) * ei, kind="stable")] = ci
            result.append(out)
        return result

    def r_of(groups: list[FloatArray]) -> float:
        y = np.concatenate(groups)
        if all_wbc.size < 3 or y.std() == 0 or all_wbc.std() == 0:
            return WBC_CD34_R
        return float(np.corrcoef(all_wbc, y)[0, 1])

    low, high = 0.0, 1.0
    best = paired(0.5)
    for _ in range(40):
        t = (low + high) / 2
        best = paired(t)
        r = r_of(best)
        if abs(r - WBC_CD34_R) < 0.001:
            break
        if r < WBC_CD34_R:
            low = t
        else:
            high = t
    return best


def _completed(n_act: int, n_not: int, rng: np.random.Generator) -> tuple[Columns, Columns]:
    """The analysed women (activated first) and their pregnancies (``_row`` = local index)."""
    n = n_act + n_not
    cols = Columns(n)
    age = np.concatenate(
        [
            rng.permutation(quantile_take(ACTIVATED_AGES, n_act)),
            rng.permutation(quantile_take(NOT_ACTIVATED_AGES, n_not)),
        ]
    )
    _screening(cols, "completed", age, _codes(apportion(n, list(ETHNICITY.values())), rng))
    afc, amh = _reserve(n, rng)
    cols.set("amh_ng_ml", amh)
    cols.set("afc", afc)
    _diagnosis(cols, age, afc, _kinds(age, rng), rng)

    # Table 1 and Table 2, per activation group
    sizes = {True: n_act, False: n_not}
    for name, (not_spec, act_spec) in TABLE_1_2.items():
        parts = {
            group: _values(sizes[group], *spec, rng)
            for group, spec in ((True, act_spec), (False, not_spec))
        }
        cols.set(name, np.concatenate([parts[True], parts[False]]))
    wbc_d5 = cols.values["wbc_d5_10e9_l"].astype(np.float64)
    cd34_groups = [
        _values(sizes[g], *CD34[g][:3], CD34[g][3], 0, rng, log=True) for g in (True, False)
    ]
    cd34 = _pair_for_correlation([wbc_d5[:n_act], wbc_d5[n_act:]], cd34_groups, rng)
    cols.set("cd34_d5_per_ul", np.concatenate(cd34))
    wbc_course(cols, cols.values["wbc_10e9_l"].astype(np.float64), wbc_d5, rng)

    # G-CSF: Table 3 trajectories, doses (about 30% adjusted)
    trajectories = np.array([t for t, _ in SYMPTOM_TRAJECTORIES], dtype=np.int64)
    counts = apportion(n, [c for _, c in SYMPTOM_TRAJECTORIES])
    symptoms = trajectories[_codes(counts, rng)]
    symptom_columns(cols, symptoms)
    symptomatic = (symptoms[:, 1] == _MO) | (symptoms[:, 2] == _MO)
    n_high = int(apportion(n, [24, 121])[0])
    wbc_d3 = np.where(symptomatic, -np.inf, cols.values["wbc_d3_10e9_l"].astype(np.float64))
    high = np.zeros(n, dtype=bool)
    high[np.argsort(-wbc_d3, kind="stable")[: min(n_high, int((~symptomatic).sum()))]] = True
    doses(cols, symptoms, high)
    cols.set("injections", 1)
    cols.set("prp_volume_ml", _values(n, 5.6, 3.6, 8.0, 1.0, 1, rng))

    # follow-up: activation follows from AFC and AMH
    paths = np.full(n, -1)
    paths[:n_act] = _codes(apportion(n_act, list(ACTIVATION_PATHS.values())), rng)
    by_afc = (paths == 0) | (paths == 1)
    by_amh = (paths == 0) | (paths == 2)
    rise = np.where(by_afc, rng.integers(3, 8, n), rng.integers(-1, 3, n))
    cols.set("afc_post", np.maximum(afc + rise, 0))
    cents = amh * 100 * np.where(by_amh, rng.uniform(1.25, 1.9, n), rng.uniform(0.85, 1.15, n))
    cols.set(
        "amh_post_ng_ml", np.where(by_amh, np.ceil(cents - 1e-6), np.floor(cents + 1e-6)) / 100
    )

    # pregnancies: only among the activated
    plan = np.full(n, 3)
    plan[:n_act] = _codes(apportion(n_act, list(PREGNANCY_ACTIVATED.values())), rng)
    plan[n_act:] = np.where(
        _codes(apportion(n_not, list(PREGNANCY_NOT_ACTIVATED.values())), rng) == 0, 2, 3
    )
    months = np.where(plan == 0, 1 + rng.integers(0, 4, n), 2 + rng.integers(0, 4, n)).astype(
        np.float64
    )
    followup = (3 + rng.integers(0, 4, n)).astype(np.float64)
    followup = np.where(plan == 0, np.maximum(followup, months + 2), followup)
    followup = np.where(plan == 1, np.maximum(followup, months + 1), followup)
    cols.set("ivf_after_treatment", (plan == 1) | (plan == 2))
    cols.set("followup_months", followup)

    pregnant = np.flatnonzero(plan <= 1)
    pregnancies = Columns(pregnant.size)
    pregnancies.values["_row"] = pregnant
    pregnancies.set("conception", plan[pregnant])
    pregnancies.set("months_after_treatment", months[pregnant])
    pregnancies.set("outcome", 0)
    return cols, pregnancies


def _lost(n: int, rng: np.random.Generator) -> Columns:
    """Women treated but lost to follow-up: baseline and days 1–5, no follow-up (unknown)."""
    cols = Columns(n)
    age = np.asarray(np.round(np.clip(39.0 + 3.5 * rng.standard_normal(n), 27, 44)), np.float64)
    ethnicity = rng.choice(4, size=n, p=np.array(list(ETHNICITY.values())) / 145)
    _screening(cols, "lost_to_follow_up", age, ethnicity)
    afc, amh = _reserve(n, rng)
    cols.set("amh_ng_ml", amh)
    cols.set("afc", afc)
    _diagnosis(cols, age, afc, _kinds(age, rng), rng)
    cols.set("hemoglobin_g_dl", _values(n, 13.2, 10.1, 15.4, 1.0, 1, rng))
    baseline = _values(n, 6.0, 3.4, 9.1, 1.2, 2, rng)
    cols.set("wbc_10e9_l", baseline)
    cols.set("platelets_10e9_l", _values(n, 250.0, 150.0, 390.0, 50.0, 0, rng))
    day5 = np.sort(_values(n, 36.5, 19.5, 56.8, 8.0, 2, rng))
    cd34 = np.sort(_values(n, 28.0, 5.0, 88.0, 0.6, 0, rng, log=True))
    pairs = rng.permutation(n)
    wbc_course(cols, baseline, day5[pairs], rng)
    cols.set("cd34_d5_per_ul", cd34[pairs])
    pool = np.array([[0, 0, 0, 0], [0, 1, 1, 1], [0, 0, 1, 1], [1, 1, 2, 1], [0, 0, 0, 1]])
    symptoms = pool[rng.integers(0, pool.shape[0], n)]
    symptom_columns(cols, symptoms)
    doses(cols, symptoms, rng.random(n) < 1 / 6)
    cols.set("injections", 1)
    cols.set("prp_volume_ml", np.round(np.clip(5.6 + rng.standard_normal(n), 3.6, 8.0), 1))
    return cols


_LAB_ABNORMALITIES = (("platelets_10e9_l", 72.0), ("wbc_10e9_l", 2.35), ("hemoglobin_g_dl", 8.1))


def _screen_failed(n: int, rng: np.random.Generator) -> Columns:
    """Women who did not meet the criteria: screening data only, each with a reason."""
    cols = Columns(n)
    reason = _codes(apportion(n, list(SCREEN_FAILURES.values())), rng)
    names = list(SCREEN_FAILURES)
    age = np.asarray(np.round(np.clip(37.5 + 4.5 * rng.standard_normal(n), 24, 45)), np.float64)
    ethnicity = rng.choice(4, size=n, p=[0.6, 0.2, 0.1, 0.1])
    _screening(cols, "screen_failed", age, ethnicity)
    normal = reason == names.index("no_diagnosis")
    poi_reason = (reason == names.index("genetic_poi")) | (reason == names.index("autoimmune_poi"))
    kind = np.where(normal, _NORMAL, np.where(poi_reason, _POI, _POR))
    afc, amh = _reserve(n, rng)
    afc = np.where(normal, 8 + rng.integers(0, 9, n), afc)
    amh = np.where(normal, np.round(1.5 + 2.5 * rng.random(n), 2), amh)
    cols.set("amh_ng_ml", amh)
    cols.set("afc", afc)
    _diagnosis(cols, age, afc, kind, rng)
    hb = np.round(np.clip(13.3 + rng.standard_normal(n), 10.5, 15.5), 1)
    wbc = np.round(np.clip(6.0 + 1.2 * rng.standard_normal(n), 3.6, 9.4), 2)
    plt = np.round(np.clip(255 + 50 * rng.standard_normal(n), 160, 410))
    lab = {"hemoglobin_g_dl": hb, "wbc_10e9_l": wbc, "platelets_10e9_l": plt}
    abnormal = np.flatnonzero(reason == names.index("lab_abnormality"))
    for i, (column, value) in enumerate(_LAB_ABNORMALITIES):
        lab[column][abnormal[i :: len(_LAB_ABNORMALITIES)]] = value
    for column, values in lab.items():
        cols.set(column, values)
    for code, name in enumerate(names):
        if name in EXCLUSIONS:
            cols.values[name] = (reason == code).astype(np.int8)
    return cols


CATEGORIES: dict[str, tuple[str, ...]] = {
    "status": STATUSES,
    "ethnicity": tuple(ETHNICITY),
    "menses": MENSES,
    **{f"symptoms_d{day}": SYMPTOMS for day in range(1, 5)},
    "conception": ("spontaneous", "ivf"),
    "outcome": ("ongoing",),
}


def synthesize_regenera(n: int, seed: int) -> Tables:
    """Study A cohort of ``n`` recruited women: participants, pregnancies and mobilisation
    days, canonical (only the columns the study records)."""
    check_size("regenera", n, MINIMUM)
    rng = np.random.default_rng([seed, 1])
    n_failed, n_lost, n_completed = (int(v) for v in apportion(n, list(FLOW.values())))
    n_act, n_not = (int(v) for v in apportion(n_completed, list(ACTIVATION.values())))
    completed, pregnancies = _completed(n_act, n_not, rng)
    lost = _lost(n_lost, rng)
    groups = [completed, lost, _screen_failed(n_failed, rng)]
    order = rng.permutation(n)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    # values added to the published cohort draw from their own streams, so that the others
    # stay as they were
    extra = np.random.default_rng([seed, 1, 1])
    for injected in (completed, lost):
        injected.set("prp_platelets_10e9_l", prp_platelets(injected.size, extra))

    participants = to_frame(groups, DatasetFile.PARTICIPANTS, CATEGORIES, order)
    first, last = day_number(FIRST_SCREENING), day_number(LAST_SCREENING)
    screening = first + np.arange(n) * (last - first) // max(n - 1, 1)
    screening_day = pl.Series(screening).cast(pl.Int32).cast(pl.Date)
    has_fsh = pl.col("fsh_1_iu_l").is_not_null()
    participants = participants.with_columns(
        ids("RG-", n),
        pl.when(has_fsh).then(screening_day - pl.duration(days=35)).alias("fsh_1_date"),
        pl.when(has_fsh).then(screening_day).alias("fsh_2_date"),
        pl.when(pl.col("status") != "screen_failed")
        .then(screening_day + pl.duration(days=56))
        .alias("treatment_date"),
    )
    participants = canonical_order(participants, DatasetFile.PARTICIPANTS)

    rows = pregnancies.values.pop("_row").astype(np.int64)
    preg = to_frame([pregnancies], DatasetFile.PREGNANCIES, CATEGORIES)
    owners = participants["participant_id"].gather(position[rows])
    preg = preg.with_columns(owners.alias("participant_id")).select(
        "participant_id", *[c for c in preg.columns if c != "participant_id"]
    )
    table = load_titration_table(PROTOCOL.gcsf_titration or "regenera-gcsf-titration")
    mobilisation = mobilisation_table(participants, table, np.random.default_rng([seed, 1, 2]))
    return {
        DatasetFile.PARTICIPANTS: participants,
        DatasetFile.PREGNANCIES: preg.sort("participant_id", "conception"),
        DatasetFile.MOBILISATION: mobilisation,
    }
