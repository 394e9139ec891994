"""Patient-level reconstruction of Study A, "Stem Cell Regenera" (shared/spec/STUDIES.md).

265 women recruited: 83 ``screen_failed``, 37 ``lost_to_follow_up`` (treated, no follow-up),
145 ``completed`` (analysed). Every published count comes out exactly when computed through
``ovaregen``'s domain functions; means, ranges, the correlation and the AUC approximately
(``tests/reconstructions/test_study_a.py`` states each tolerance).

Published figures and the blocks below that reproduce them:

* flow 265 → 182 eligible → 37 lost → 145 analysed: :func:`_screen_failed_rows` (each has a
  reason that makes her ineligible under the ``regenera`` protocol), :func:`_lost_rows`;
* age 39.1 (26–44); Table 1 age 40 (26–44) vs 40 (31–44), p 0.9; women < 38 activate more
  often: :func:`_completed_ages`;
* ethnicity 77.2% / 15.2% / 4.8% / other: :data:`ETHNICITY_COUNTS`;
* oocyte activation 99 of 145, following from AFC and AMH before and after:
  :func:`_reserve_follow_up`;
* Table 1 blood counts and Table 2 day-5 leukocytes and CD34+, r = 0.465, AUC 0.487:
  :func:`_blood_counts`, :func:`_day5_counts`, :func:`_pair_for_correlation`;
* Table 3 symptoms by day: :data:`SYMPTOM_TRAJECTORIES`;
* 7 spontaneous and 14 IVF pregnancies among the activated, none among the others:
  :func:`_pregnancies`.

Units are canonical: leukocytes and platelets in 10⁹/L (the paper's /mm³ × 10⁻³), AMH in ng/mL,
G-CSF in µg/kg/day (the paper's "mg/kg" is a unit error).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ovaregen.domain.variables import DatasetFile
from tests.reconstructions import build_frame, from_quantiles, spread, write_frames

__all__ = ["study_a", "write_study_a"]

Row = dict[str, Any]

SEED = 2023
N_COMPLETED = 145
N_ACTIVATED = 99
N_NOT_ACTIVATED = N_COMPLETED - N_ACTIVATED
N_LOST = 37
N_SCREEN_FAILED = 83

REGENERA_EXCLUSIONS = (
    "genetic_poi",
    "autoimmune_poi",
    "endometriosis",
    "pelvic_adhesions",
    "ovaries_inaccessible",
    "hbsag",
    "anti_hbc",
    "hcv",
    "hiv",
    "syphilis",
    "lab_abnormality",
    "product_allergy",
)
"""The exclusion columns of the ``regenera`` protocol: recorded (false) for every woman."""

ETHNICITY_COUNTS = {"Caucasian": 112, "Arab": 22, "Hispanic": 7, "Other": 4}
"""Of the 145: 112 = 77.24%, 22 = 15.17%, 7 = 4.83% (published 77.2 / 15.2 / 4.8), 4 other."""

SYMPTOM_TRAJECTORIES: tuple[tuple[tuple[str | None, str, str, str], int], ...] = (
    # (day 1, day 2, day 3, day 4), number of women
    (("none", "none", "none", "none"), 43),
    (("none", "none", "none", "mild"), 10),
    (("none", "none", "mild", "mild"), 15),
    ((None, "none", "mild", "mild"), 6),
    (("none", "mild", "mild", "mild"), 6),
    (("mild", "mild", "mild", "mild"), 8),
    ((None, "mild", "mild", "mild"), 37),
    ((None, "mild", "moderate", "moderate"), 8),
    (("mild", "moderate", "moderate", "moderate"), 4),
    ((None, "moderate", "moderate", "moderate"), 5),
    ((None, "moderate", "moderate", "mild"), 3),
)
"""Table 3, G-CSF symptoms by day, n of 145 — exact for days +2 to +4:

=====  ====  ========  ====
day    mild  moderate  none
=====  ====  ========  ====
+2     59    12        74
+3     72    20        53
+4     85    17        43
=====  ====  ========  ====

Day +1 as published is inconsistent: 12 mild, 0 moderate and 74 none add up to 86, not 145.
The reconstruction reproduces those three counts and leaves day 1 unrecorded (empty) for the
other 59 women, so ``gcsf_symptom_table`` shows them as ``not_recorded``. No severe grade.
The paper's "53.1% never had symptoms" cannot hold together with day +4's 43 women without
symptoms (29.66%): here 43 never had any, 82 were mild and 20 moderate at worst.
"""


# --- small helpers ---------------------------------------------------------------------------


def _take(values: Sequence[Any], n: int) -> list[Any]:
    """The first ``n`` values of ``values`` repeated cyclically."""
    return list(islice(cycle(values), n))


def _expand(counts: dict[Any, int]) -> list[Any]:
    """``{value: count}`` as a list, in the dictionary's order."""
    return [value for value, count in counts.items() for _ in range(count)]


def _shuffled(values: Sequence[Any], rng: np.random.Generator) -> list[Any]:
    """``values`` in the order of a permutation drawn from ``rng``."""
    return [values[i] for i in rng.permutation(len(values))]


def _no_exclusion() -> Row:
    """Every exclusion condition of the protocol recorded as absent, and consent given."""
    return {name: False for name in REGENERA_EXCLUSIONS} | {"consent": True}


# --- ages, reserve and diagnosis ---------------------------------------------------------------


def _completed_ages() -> tuple[list[int], list[int]]:
    """Ages of the 99 activated and the 46 not activated women.

    Table 1: age 40 (26–44) not activated vs 40 (31–44) activated (medians), p 0.9; overall
    mean 39.1 (26–44). Women < 38 activate more often: 30 of 36 (83%) vs 69 of 109 (63%).
    Means 39.10 (activated) and 39.22 (not activated); overall 39.14.
    """
    activated = _expand(
        {31: 2, 32: 3, 33: 3, 34: 4, 35: 5, 36: 6, 37: 7}
        | {38: 8, 39: 9, 40: 12, 41: 12, 42: 11, 43: 9, 44: 8}
    )
    not_activated = [
        *(26, 28, 30, 33, 35, 37),
        *_expand({38: 7, 39: 8, 40: 8, 41: 6, 42: 5, 43: 3, 44: 3}),
    ]
    return activated, not_activated


def _poor_reserve(n: int, rng: np.random.Generator) -> list[tuple[int, float]]:
    """Baseline (AFC, AMH ng/mL) of ``n`` women with ovarian failure, in a random order.

    AFC 0–6 (so the Bologna reserve test is abnormal for all), AMH 0.05–1.15 ng/mL; a lower
    AFC goes with a lower AMH more often than not (ranks paired with noise).
    """
    afc = sorted(_take([2, 4, 1, 3, 5, 2, 0, 3, 6, 1, 4, 2, 3], n))
    amh = spread(n, 0.05, 1.15, 0.48, sd=0.25, decimals=2)
    noisy_ranks = np.argsort(np.arange(n) + rng.normal(0.0, n / 4, n))
    pairs = [(afc[i], amh[int(j)]) for i, j in enumerate(noisy_ranks)]
    return _shuffled(pairs, rng)


def _diagnosis_inputs(age: float, afc: int, amh: float, kind: str) -> Row:
    """Inputs of the diagnoses for one woman with ovarian failure.

    ``kind``: ``poi`` (age < 40, amenorrhoea ≥ 4 months, two FSH > 25 IU/L ≥ 5 weeks apart:
    POI by ESHRE 2016), ``fluctuating`` (amenorrhoea, FSH normal: fluctuating POI) or ``por``
    (a previous poor response: with AFC < 7 that is POR by Bologna; AFC < 5 with AMH < 1.2
    is also DOR). Dates are filled in by :func:`_dated`.
    """
    row: Row = {"afc": afc, "amh_ng_ml": amh}
    if kind == "poi":
        fsh = 28.0 + (afc * 7 + round(amh * 100)) % 40
        row |= {
            "fsh_1_iu_l": fsh,
            "fsh_2_iu_l": round(fsh * 1.15, 1),
            "amenorrhea_months": float(4 + (afc * 5) % 14),
            "menses": "amenorrhea",
            "prior_por_cycles": 0,
            "prior_por_cycles_max_stim": 0,
        }
    elif kind == "fluctuating":
        row |= {
            "fsh_1_iu_l": 14.5,
            "fsh_2_iu_l": 18.0,
            "amenorrhea_months": 6.0,
            "menses": "irregular",
            "prior_por_cycles": 0,
            "prior_por_cycles_max_stim": 0,
        }
    else:
        row |= {
            "fsh_1_iu_l": round(8.0 + (afc * 3 + round(amh * 10)) % 12 + 0.4, 1),
            "fsh_2_iu_l": round(9.0 + (afc * 5 + round(amh * 10)) % 11 + 0.2, 1),
            "amenorrhea_months": 0.0,
            "menses": "irregular" if age >= 42 else "regular",
            "prior_oocytes_retrieved": min(afc, 3),
            "prior_por_cycles": 1 + afc % 3,
            "prior_por_cycles_max_stim": afc % 2,
        }
    return row


def _diagnosis_kinds(ages: Sequence[float]) -> list[str]:
    """POI for every third woman under 38, fluctuating POI for one in ten of them, else POR."""
    kinds = []
    young = 0
    for age in ages:
        kind = "por"
        if age < 38:
            kind = "poi" if young % 3 == 0 else "fluctuating" if young % 10 == 4 else "por"
            young += 1
        kinds.append(kind)
    return kinds


# --- follow-up: oocyte activation ------------------------------------------------------------

_AFC_RISE_ACTIVATED = (3, 4, 5, 3, 6, 4, 3, 5, 7)
_AFC_RISE_NOT = (0, 1, 2, -1, 1, 0, 2, 1)
_AMH_RATIO_ACTIVATED = (1.25, 1.4, 1.6, 1.3, 1.8, 2.1, 1.5)
_AMH_RATIO_NOT = (0.8, 0.9, 1.0, 1.05, 1.1, 0.95, 0.85, 1.12)


def _activation_paths(rng: np.random.Generator) -> list[str]:
    """How each of the 99 activated women meets the endpoint: both, AFC only or AMH only."""
    return _shuffled(_expand({"both": 40, "afc": 35, "amh": 24}), rng)


def _reserve_follow_up(afc: int, amh: float, path: str, k: int) -> Row:
    """AFC and AMH after treatment so that activation follows from the rule.

    Activation: AFC after ≥ AFC before + 3, or AMH after ≥ 1.2 × AMH before. ``path`` is
    ``both``, ``afc``, ``amh`` or ``none`` (not activated); ``k`` picks the rise or ratio.
    AMH after is rounded down (not activated) or up (activated) to 0.01 ng/mL, far from the
    1.2 boundary either way.
    """
    by_afc = path in ("both", "afc")
    by_amh = path in ("both", "amh")
    rise = (_AFC_RISE_ACTIVATED if by_afc else _AFC_RISE_NOT)[k % 9 if by_afc else k % 8]
    ratio = (_AMH_RATIO_ACTIVATED if by_amh else _AMH_RATIO_NOT)[k % 7 if by_amh else k % 8]
    cents = amh * ratio * 100
    post = (np.ceil(cents - 1e-9) if by_amh else np.floor(cents + 1e-9)) / 100
    return {"afc_post": max(afc + rise, 0), "amh_post_ng_ml": round(float(post), 2)}


# --- Table 1 and Table 2 ---------------------------------------------------------------------


def _blood_counts(activated: bool) -> list[Row]:
    """Baseline haemoglobin, leukocytes and platelets (Table 1), sorted ascending each.

    Published mean (min–max), not activated vs activated: haemoglobin 13.1 (7.6–15.8) vs
    13.6 (10.4–18.2) g/dL; leukocytes 5752 (3290–9900) vs 6151 (3010–10220) /mm³ = 5.752 vs
    6.151 × 10⁹/L; platelets 252522 (107000–455000) vs 245768 (150000–403000) /mm³.
    """
    n = N_ACTIVATED if activated else N_NOT_ACTIVATED
    if activated:
        hb = spread(n, 10.4, 18.2, 13.6, sd=1.2, decimals=1)
        wbc = spread(n, 3.01, 10.22, 6.151, sd=1.4, decimals=2)
        plt = spread(n, 150, 403, 245.768, sd=50, decimals=0)
    else:
        hb = spread(n, 7.6, 15.8, 13.1, sd=1.1, decimals=1)
        wbc = spread(n, 3.29, 9.9, 5.752, sd=1.2, decimals=2)
        plt = spread(n, 107, 455, 252.522, sd=60, decimals=0)
    return [
        {"hemoglobin_g_dl": h, "wbc_10e9_l": w, "platelets_10e9_l": p}
        for h, w, p in zip(hb, wbc, plt, strict=True)
    ]


def _day5_counts(activated: bool) -> tuple[list[float], list[float]]:
    """Day-5 leukocytes (10⁹/L) and CD34+ (/µL), each sorted ascending (Table 2).

    Not activated vs activated: leukocytes 37666 (20660–58250) vs 36359 (14470–59670) /mm³;
    CD34+ 26.5 (9–73) vs 33.1 (2–140) /µL. The activated women's CD34+ has a lower bulk and a
    heavy upper tail, so that its mean is higher while the AUC is just below 0.5 (0.487).
    """
    if activated:
        wbc = spread(N_ACTIVATED, 14.47, 59.67, 36.359, sd=9.0, decimals=2)
        cd34 = from_quantiles(
            N_ACTIVATED,
            {0: 2, 0.1: 7, 0.25: 14, 0.5: 22, 0.75: 40, 0.9: 78, 0.97: 112, 1: 140},
            33.1,
            decimals=0,
        )
    else:
        wbc = spread(N_NOT_ACTIVATED, 20.66, 58.25, 37.666, sd=8.0, decimals=2)
        cd34 = from_quantiles(
            N_NOT_ACTIVATED,
            {0: 9, 0.1: 12, 0.25: 17, 0.5: 24, 0.75: 32, 0.9: 42, 0.97: 56, 1: 73},
            26.5,
            decimals=0,
        )
    return wbc, cd34


def _pair_for_correlation(
    x: Sequence[Sequence[float]],
    y: Sequence[Sequence[float]],
    target: float,
    rng: np.random.Generator,
    tolerance: float = 0.002,
) -> list[list[float]]:
    """Reorder each group's ``y`` so that Pearson's r over all pairs is ``target``.

    ``x[g]`` and ``y[g]`` are group ``g``'s sorted values (here: not activated, activated);
    pairing within a group keeps every group summary (means, ranges, AUC). Starts from the
    sorted pairing (the largest r) and swaps two ``y`` values of one group, drawn from
    ``rng``, whenever that brings r closer to the target, until it is within ``tolerance``.
    Published: r = 0.465 between day-5 leukocytes and CD34+.
    """
    xs = np.concatenate([np.asarray(g, dtype=float) for g in x])
    paired = [list(g) for g in y]

    def r_of(groups: list[list[float]]) -> float:
        return float(np.corrcoef(xs, np.concatenate(groups))[0, 1])

    r = r_of(paired)
    for _ in range(100_000):
        if abs(r - target) <= tolerance:
            return paired
        g = int(rng.integers(len(paired)))
        i, j = (int(v) for v in rng.choice(len(paired[g]), size=2, replace=False))
        group = paired[g]
        group[i], group[j] = group[j], group[i]
        new = r_of(paired)
        if abs(new - target) < abs(r - target):
            r = new
        else:
            group[i], group[j] = group[j], group[i]
    raise AssertionError(f"Pearson's r stuck at {r:.4f}, target {target}")


# --- G-CSF mobilisation ----------------------------------------------------------------------


def _symptoms(rng: np.random.Generator) -> list[tuple[str | None, str, str, str]]:
    """The 145 symptom trajectories of :data:`SYMPTOM_TRAJECTORIES`, in a random order."""
    return _shuffled(_expand(dict(SYMPTOM_TRAJECTORIES)), rng)


def _wbc_course(baseline: float, day5: float, k: int) -> Row:
    """Leukocytes on days 1–4 (10⁹/L): day 1 before the first dose, then rising to day 5."""
    wobble = (0.96, 1.0, 1.04, 0.98, 1.02)[k % 5]
    return {
        "wbc_d1_10e9_l": round(baseline * wobble, 2),
        "wbc_d2_10e9_l": round(baseline + 0.45 * (day5 - baseline) * wobble, 2),
        "wbc_d3_10e9_l": round(baseline + 0.72 * (day5 - baseline) * wobble, 2),
        "wbc_d4_10e9_l": round(baseline + 0.92 * (day5 - baseline), 2),
        "wbc_d5_10e9_l": day5,
    }


def _gcsf_doses(symptoms: Sequence[str | None], reduce_for_leukocytes: bool) -> Row:
    """Filgrastim doses (µg/kg/day) of days 1–4: start 10, adjusted from symptoms and counts.

    A moderate symptom on day 2 lowers day 3 (to 7.5, or 5 when it eased by day 4) and day 4
    to 5; a first moderate symptom on day 3 lowers day 4 to 7.5; a high day-3 leukocyte count
    lowers day 4 to 7.5. About 30% of women are adjusted (published: "about 30%").
    """
    doses = [10.0, 10.0, 10.0, 10.0]
    _, day2, day3, day4 = symptoms
    if day2 == "moderate":
        doses[2] = 7.5 if day4 == "moderate" else 5.0
        doses[3] = 5.0
    elif day3 == "moderate" or reduce_for_leukocytes:
        doses[3] = 7.5
    return {f"gcsf_d{day}_ug_kg": dose for day, dose in enumerate(doses, start=1)}


# --- the analysed women ----------------------------------------------------------------------


def _completed_rows(rng: np.random.Generator) -> list[Row]:
    """The 145 analysed women (status ``completed``), activated ones first."""
    activated_ages, other_ages = _completed_ages()
    ages = activated_ages + other_ages
    activated = [True] * N_ACTIVATED + [False] * N_NOT_ACTIVATED
    paths = _activation_paths(rng) + ["none"] * N_NOT_ACTIVATED
    ethnicity = _shuffled(_expand(ETHNICITY_COUNTS), rng)
    reserve = _poor_reserve(N_COMPLETED, rng)
    kinds = _diagnosis_kinds(ages)

    blood = _shuffled(_blood_counts(True), rng) + _shuffled(_blood_counts(False), rng)
    wbc_a, cd34_a = _day5_counts(True)
    wbc_n, cd34_n = _day5_counts(False)
    cd34_n, cd34_a = _pair_for_correlation([wbc_n, wbc_a], [cd34_n, cd34_a], 0.465, rng)
    day5 = _shuffled(list(zip(wbc_a, cd34_a, strict=True)), rng) + _shuffled(
        list(zip(wbc_n, cd34_n, strict=True)), rng
    )
    symptoms = _symptoms(rng)

    rows: list[Row] = []
    for k in range(N_COMPLETED):
        afc, amh = reserve[k]
        wbc_d5, cd34 = day5[k]
        row: Row = {
            "status": "completed",
            "age_years": float(ages[k]),
            "ethnicity": ethnicity[k],
            **_diagnosis_inputs(ages[k], afc, amh, kinds[k]),
            **_no_exclusion(),
            **blood[k],
            **_wbc_course(blood[k]["wbc_10e9_l"], wbc_d5, k),
            "cd34_d5_per_ul": cd34,
            **{f"symptoms_d{day}": grade for day, grade in enumerate(symptoms[k], start=1)},
            "injections": 1,
            **_reserve_follow_up(afc, amh, paths[k], k),
            "ivf_after_treatment": False,
            "followup_months": float(3 + k % 4),
            "_activated": activated[k],
        }
        rows.append(row)
    _adjust_doses(rows)
    return rows


def _adjust_doses(rows: list[Row]) -> None:
    """G-CSF doses of the analysed women: 44 of 145 (30.3%) have an adjusted dose.

    20 are adjusted for a moderate symptom; the next 24 with the highest day-3 leukocytes for
    their count.
    """
    symptomatic = {
        i for i, row in enumerate(rows) if "moderate" in (row["symptoms_d2"], row["symptoms_d3"])
    }
    by_count = sorted(
        (i for i in range(len(rows)) if i not in symptomatic),
        key=lambda i: (-rows[i]["wbc_d3_10e9_l"], i),
    )
    high = set(by_count[:24])
    for i, row in enumerate(rows):
        grades = [row[f"symptoms_d{day}"] for day in range(1, 5)]
        row.update(_gcsf_doses(grades, i in high))


def _pregnancies(completed: list[Row], rng: np.random.Generator) -> list[Row]:
    """7 women with a spontaneous and 14 others with an IVF pregnancy, all activated.

    Published: spontaneous gestation 7 of 99 activated (7.07%), after IVF 14 of 99 (14.14%),
    none among the 46 not activated. Pregnancies are ongoing at the 3–6-month follow-up. The
    14 IVF women and 24 others (12 activated, 12 not) underwent IVF after treatment.
    Marks the women's rows (``ivf_after_treatment``, ``followup_months``) and returns the
    pregnancy rows, each naming its woman by her index in ``completed`` (``_key``).
    """
    activated = [i for i, row in enumerate(completed) if row["_activated"]]
    others = [i for i, row in enumerate(completed) if not row["_activated"]]
    chosen = [activated[int(i)] for i in rng.permutation(len(activated))]
    spontaneous, ivf, ivf_only = chosen[:7], chosen[7:21], chosen[21:33]
    ivf_without_pregnancy = ivf_only + [others[int(i)] for i in rng.permutation(len(others))[:12]]

    pregnancies: list[Row] = []
    for n, i in enumerate(spontaneous):
        months = float(1 + n % 4)
        completed[i]["followup_months"] = max(completed[i]["followup_months"], months + 2)
        pregnancies.append(
            {"_key": i, "conception": "spontaneous", "months_after_treatment": months}
        )
    for n, i in enumerate(ivf):
        months = float(2 + n % 4)
        completed[i]["followup_months"] = max(completed[i]["followup_months"], months + 1)
        completed[i]["ivf_after_treatment"] = True
        pregnancies.append({"_key": i, "conception": "ivf", "months_after_treatment": months})
    for i in ivf_without_pregnancy:
        completed[i]["ivf_after_treatment"] = True
    for row in pregnancies:
        row["outcome"] = "ongoing"
    return pregnancies


# --- lost to follow-up and screen failures ---------------------------------------------------


def _lost_rows(rng: np.random.Generator) -> list[Row]:
    """37 women treated but lost to follow-up: baseline and day 1–5 data, no follow-up.

    They met the inclusion criteria (182 = 145 + 37) and were mobilised and injected; AFC and
    AMH after treatment, IVF and follow-up time are empty (unknown), so their activation is
    unknown and they are not analysed.
    """
    n = N_LOST
    ages = _shuffled(spread(n, 27, 44, 39.0, sd=3.5, decimals=0), rng)
    reserve = _poor_reserve(n, rng)
    kinds = _diagnosis_kinds(ages)
    hb = _shuffled(spread(n, 10.1, 15.4, 13.2, sd=1.0, decimals=1), rng)
    wbc = _shuffled(spread(n, 3.4, 9.1, 6.0, sd=1.2, decimals=2), rng)
    plt = _shuffled(spread(n, 150, 390, 250, sd=50, decimals=0), rng)
    # leukocytes and CD34+ on day 5 rise together (both sorted, then shuffled as pairs)
    day5 = _shuffled(
        list(
            zip(
                spread(n, 19.5, 56.8, 36.5, sd=8.0, decimals=2),
                spread(n, 5, 88, 28.0, sd=0.6, decimals=0, log=True),
                strict=True,
            )
        ),
        rng,
    )
    grades = _take(
        [
            ("none", "none", "none", "none"),
            ("none", "mild", "mild", "mild"),
            ("none", "none", "mild", "mild"),
            ("mild", "mild", "moderate", "mild"),
            ("none", "none", "none", "mild"),
        ],
        n,
    )
    ethnicity = _take(["Caucasian", "Caucasian", "Arab", "Caucasian", "Hispanic"], n)
    rows: list[Row] = []
    for k in range(n):
        afc, amh = reserve[k]
        wbc_d5, cd34 = day5[k]
        row: Row = {
            "status": "lost_to_follow_up",
            "age_years": ages[k],
            "ethnicity": ethnicity[k],
            **_diagnosis_inputs(ages[k], afc, amh, kinds[k]),
            **_no_exclusion(),
            "hemoglobin_g_dl": hb[k],
            "wbc_10e9_l": wbc[k],
            "platelets_10e9_l": plt[k],
            **_wbc_course(wbc[k], wbc_d5, k),
            "cd34_d5_per_ul": cd34,
            **{f"symptoms_d{day}": grade for day, grade in enumerate(grades[k], start=1)},
            **_gcsf_doses(grades[k], reduce_for_leukocytes=k % 6 == 0),
            "injections": 1,
            "_activated": None,
        }
        rows.append(row)
    return rows


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
"""Why each of the 83 screen failures is not eligible under the ``regenera`` protocol.

``no_diagnosis``: normal ovarian reserve (AFC 8–16, AMH ≥ 1.5 ng/mL), no previous poor
response, normal FSH and cycles — neither POR, DOR, POI nor fluctuating POI. The others have
ovarian failure but an exclusion condition (one ``excl.*`` criterion each).
"""


def _screen_failed_rows(rng: np.random.Generator) -> list[Row]:
    """The 83 women who did not meet the inclusion criteria (265 − 182): screening data only."""
    reasons = _expand(SCREEN_FAILURES)
    n = len(reasons)
    ages = _shuffled(spread(n, 24, 45, 37.5, sd=4.5, decimals=0), rng)
    reserve = _poor_reserve(n, rng)
    hb = _shuffled(spread(n, 10.5, 15.5, 13.3, sd=1.0, decimals=1), rng)
    wbc = _shuffled(spread(n, 3.6, 9.4, 6.0, sd=1.2, decimals=2), rng)
    plt = _shuffled(spread(n, 160, 410, 255, sd=50, decimals=0), rng)
    ethnicity = _take(["Caucasian", "Caucasian", "Caucasian", "Arab", "Other"], n)
    rows: list[Row] = []
    for k, reason in enumerate(reasons):
        row: Row = {
            "status": "screen_failed",
            "age_years": ages[k],
            "ethnicity": ethnicity[k],
            **_no_exclusion(),
            "hemoglobin_g_dl": hb[k],
            "wbc_10e9_l": wbc[k],
            "platelets_10e9_l": plt[k],
        }
        if reason == "no_diagnosis":
            row |= {
                "afc": 8 + k % 9,
                "amh_ng_ml": round(1.5 + (k * 0.23) % 2.5, 2),
                "fsh_1_iu_l": round(5.0 + k % 5 * 0.8, 1),
                "fsh_2_iu_l": round(5.5 + k % 4 * 0.9, 1),
                "amenorrhea_months": 0.0,
                "menses": "regular",
                "prior_oocytes_retrieved": 6 + k % 8,
                "prior_por_cycles": 0,
                "prior_por_cycles_max_stim": 0,
            }
        else:
            afc, amh = reserve[k]
            kind = "poi" if reason.endswith("_poi") else "por"
            row |= _diagnosis_inputs(ages[k], afc, amh, kind)
            row[reason] = True
        if reason == "lab_abnormality":
            row |= _LAB_ABNORMALITIES[k % len(_LAB_ABNORMALITIES)]
        row["_activated"] = None
        rows.append(row)
    return rows


_LAB_ABNORMALITIES: tuple[Row, ...] = (
    {"platelets_10e9_l": 72.0},
    {"wbc_10e9_l": 2.35},
    {"hemoglobin_g_dl": 8.1},
    {"platelets_10e9_l": 94.0},
)
"""Laboratory results that excluded a woman ("significant abnormalities")."""


# --- assembling ------------------------------------------------------------------------------


FIRST_SCREENING = date(2022, 11, 7)
"""Screening dates run every 2 days from here; treatment follows 8 weeks after screening, so
the first is 2023-01-02 and the last in 2024-06 (study period Jan 2023 – Dec 2024)."""


def _dated(row: Row, k: int) -> Row:
    """Screening-related dates of the ``k``-th woman: FSH 35 days apart, treatment 8 weeks on."""
    screening = FIRST_SCREENING + timedelta(days=2 * k)
    row = dict(row)
    if "fsh_1_iu_l" in row:
        row["fsh_1_date"] = screening - timedelta(days=35)
        row["fsh_2_date"] = screening
    if row["status"] != "screen_failed":
        row["treatment_date"] = screening + timedelta(weeks=8)
    return row


def _prp_volumes(n: int) -> list[float]:
    """SCFE-PRP volumes (mL) injected into both ovaries: 3.6–8 mL (published range)."""
    return spread(n, 3.6, 8.0, 5.6, sd=1.0, decimals=1)


def study_a() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The Study A reconstruction: (participants, pregnancies) in interchange columns.

    265 participants with ids ``RG-001`` … ``RG-265`` in a shuffled order of the three
    groups; values in canonical units and types (``ovaregen.domain.schema``), only the
    columns a clinic would record. Deterministic (``numpy`` Generator, seed :data:`SEED`).
    """
    rng = np.random.default_rng(SEED)
    completed = _completed_rows(rng)
    pregnancy_rows = _pregnancies(completed, rng)
    for n, row in enumerate(completed):
        row["_key"] = n  # pregnancy rows name their woman by this index
    everyone = completed + _lost_rows(rng) + _screen_failed_rows(rng)
    order = rng.permutation(len(everyone))
    ids: dict[int, str] = {}
    participants: list[Row] = []
    volumes = iter(_shuffled(_prp_volumes(N_COMPLETED + N_LOST), rng))
    for k, index in enumerate(order):
        row = _dated(everyone[int(index)], k)
        participant_id = f"RG-{k + 1:03d}"
        if "_key" in row:
            ids[row.pop("_key")] = participant_id
        row.pop("_activated")
        if row["status"] != "screen_failed":
            row["prp_volume_ml"] = next(volumes)
        participants.append({"participant_id": participant_id, **row})
    pregnancies = [
        {"participant_id": ids[p.pop("_key")], **p}
        for p in sorted(pregnancy_rows, key=lambda p: (ids[p["_key"]], p["conception"]))
    ]
    return (
        build_frame(participants, DatasetFile.PARTICIPANTS),
        build_frame(pregnancies, DatasetFile.PREGNANCIES),
    )


def write_study_a(folder: Path) -> Path:
    """Write the Study A reconstruction to ``folder`` (participants.csv, pregnancies.csv)."""
    participants, pregnancies = study_a()
    return write_frames(participants, pregnancies, folder, "Study A reconstruction")
