"""Random datasets for the end-to-end check of the analysis plans against R (``plans.R``).

Run from the repository root: ``.venv/bin/python tests/reference/plan_data.py``. It writes, in
the interchange format (INTERCHANGE.md, ``ovaregen.io.writer.write_dataset``):

* ``data/regenera-random/`` — Study A-like: 300 women, statuses mostly completed (some empty,
  i.e. completed), ~10% lost to follow-up, ~10% screen failures; values missing at random in
  age, day-5 leukocytes and CD34+, AFC and AMH after treatment (complete-case handling);
  continuous values with 1–2 decimals (few exact ties); CD34+ correlated with day-5
  leukocytes (r ≈ 0.45); about two thirds activated; pregnancies (spontaneous / IVF);
* ``data/mensc-random/`` — Study B-like: 150 treated women (1 or 2 injections, treatment
  date), 8 screen failures without treatment (two of them with a pregnancy row that the plan
  must leave out), menses, IVF after treatment, follow-up 30–72 months, ~35% with 1–3
  pregnancies (spontaneous / IVF, live birth / miscarriage, twins);
* ``data/ucmsc-random/`` — Study C-like: 80 participants, arms ``ucmsc_hrt`` / ``hrt``,
  4 screen failures without an arm; ``visits.csv`` with the protocol's follow-up visits
  ``month_3``, ``month_6``, ``month_12`` of every randomised woman (AFC, AMH and menses at
  each; follow-up time and the complications checklist at month_12), values missing at random,
  women lost to follow-up missing their later visits (or all of them); AFC and AMH after
  treatment depend on the baseline (and on a level of each woman's own), so that the ANCOVA of
  the primary outcome has signal; participants.csv's follow-up columns hold the month_3 values
  (followup_months and the checklist the month_12 ones), as ``Protocol.summary_visit`` says;
  pregnancies; ``adverse_events.csv`` with 1–4 events of about 60% of the randomised women
  (more in the cell arm), terms in different letter case and with stray spaces, CTCAE grades
  1–4 and some unknown, serious ones and some of unknown seriousness, no fatal event (so the
  worst-grade-5 row has an empty margin), and events of two screen failures that the plan must
  leave out.

Every AMH after treatment differs from exactly 1.2 × baseline by more than 1e-6 ng/mL, so that
the activation rule's floating-point tolerance (``AMH_TOLERANCE_NG_ML``) never decides a case
and R's plain ``>=`` gives the same answer. The generator is seeded (``numpy`` ``default_rng``)
and the output is committed; rerunning it rewrites the same files.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from ovaregen.domain.schema import canonical_schema
from ovaregen.domain.variables import COMPLICATIONS, DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.io.writer import write_dataset

SEED = 20_240_611
DATA = Path(__file__).parent / "data"
FOLDERS = {
    "regenera": DATA / "regenera-random",
    "mensc": DATA / "mensc-random",
    "ucmsc-rct": DATA / "ucmsc-random",
}
AMH_RATIO = 1.2
BOUNDARY_GAP = 1e-6

Columns = dict[str, list[Any]]
FloatArray = NDArray[np.float64]


def _frame(columns: Columns, file: DatasetFile) -> pl.DataFrame:
    schema = canonical_schema(file)
    return pl.DataFrame(columns, schema={name: schema[name] for name in columns})


def _dataset(
    participants: Columns,
    pregnancies: Columns,
    folder: Path,
    *,
    visits: Columns | None = None,
    adverse_events: Columns | None = None,
) -> Dataset:
    """The dataset of these files; visits.csv and adverse_events.csv only when given."""
    files = {DatasetFile.PARTICIPANTS: participants, DatasetFile.PREGNANCIES: pregnancies}
    if visits is not None:
        files[DatasetFile.VISITS] = visits
    if adverse_events is not None:
        files[DatasetFile.ADVERSE_EVENTS] = adverse_events
    return Dataset(
        source=str(folder),
        supplied={file.value: tuple(columns) for file, columns in files.items()},
        **{file.value: _frame(columns, file) for file, columns in files.items()},
    )


def _numbers(
    values: NDArray[np.floating[Any]], missing: NDArray[np.bool_] | None = None
) -> list[float | None]:
    """Floats as a list, None where ``missing``."""
    gaps = np.zeros(values.size, dtype=bool) if missing is None else missing
    return [None if gap else float(v) for v, gap in zip(values, gaps, strict=True)]


def _integers(
    values: NDArray[np.int64], missing: NDArray[np.bool_] | None = None
) -> list[int | None]:
    gaps = np.zeros(values.size, dtype=bool) if missing is None else missing
    return [None if gap else int(v) for v, gap in zip(values, gaps, strict=True)]


def _missing(rng: np.random.Generator, n: int, share: float) -> NDArray[np.bool_]:
    return rng.random(n) < share


def _amh_after(rng: np.random.Generator, amh: FloatArray, ratio: FloatArray) -> FloatArray:
    """AMH after treatment, 2 decimals, never within 1e-6 ng/mL of exactly 1.2 × baseline.

    About 5% are put next to the boundary (1.2 × baseline ± 0.01, rounded), so that the ``>=``
    of the rule is exercised on both sides by a few thousandths of a ng/mL.
    """
    post = np.round(amh * ratio, 2)
    near = rng.random(amh.size) < 0.05
    post[near] = np.round(
        AMH_RATIO * amh[near] + rng.choice([-0.01, 0.01], size=int(near.sum())), 2
    )
    on_boundary = np.abs(post - AMH_RATIO * amh) < BOUNDARY_GAP
    post[on_boundary] = np.round(post[on_boundary] + 0.01, 2)
    assert not np.any(np.abs(post - AMH_RATIO * amh) < BOUNDARY_GAP)
    return post


def _expit(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


def _pregnancy_rows(
    rng: np.random.Generator,
    women: list[str],
    months: tuple[int, int],
    ivf_share: list[float],
    rows: Columns,
) -> None:
    """Append 1–3 pregnancies of each woman in ``women`` to ``rows`` (months increasing)."""
    for woman, ivf in zip(women, ivf_share, strict=True):
        count = int(rng.choice([1, 2, 3], p=[0.75, 0.2, 0.05]))
        when = np.sort(rng.choice(np.arange(months[0], months[1] + 1), size=count, replace=False))
        for month in when:
            live = bool(rng.random() < 0.72)
            rows["participant_id"].append(woman)
            rows["conception"].append("ivf" if rng.random() < ivf else "spontaneous")
            rows["months_after_treatment"].append(float(month))
            rows["outcome"].append("live_birth" if live else "miscarriage")
            rows["infants_live_born"].append(int(rng.choice([1, 2], p=[0.85, 0.15])) if live else 0)


def _empty_pregnancies() -> Columns:
    return {
        "participant_id": [],
        "conception": [],
        "months_after_treatment": [],
        "outcome": [],
        "infants_live_born": [],
    }


def regenera(rng: np.random.Generator) -> Dataset:
    """Study A-like women (module docstring)."""
    n = 300
    ids = [f"RG{i:03d}" for i in range(1, n + 1)]
    status = rng.choice(
        ["completed", "", "lost_to_follow_up", "screen_failed", "withdrawn"],
        size=n,
        p=[0.70, 0.08, 0.10, 0.10, 0.02],
    )
    age = np.round(rng.uniform(26.0, 44.0, n), 1)
    afc = rng.integers(0, 8, n)
    amh = np.round(np.clip(np.exp(rng.normal(math.log(0.9), 0.6, n)), 0.05, 6.0), 2)
    z_wbc, z_other = rng.standard_normal(n), rng.standard_normal(n)
    wbc_d5 = np.round(np.clip(36.0 + 8.0 * z_wbc, 8.0, 75.0), 2)
    r = 0.5
    cd34 = np.round(np.clip(42.0 + 16.0 * (r * z_wbc + math.sqrt(1 - r * r) * z_other), 2, 250), 2)
    activated = rng.random(n) < _expit(0.45 - 0.10 * (age - 35.0) + 0.02 * (cd34 - 42.0))
    mode = rng.choice(["afc", "amh", "both"], size=n, p=[0.35, 0.35, 0.30])
    by_afc, by_amh = activated & (mode != "amh"), activated & (mode != "afc")
    afc_post = np.maximum(afc + np.where(by_afc, rng.integers(3, 8, n), rng.integers(-1, 3, n)), 0)
    amh_post = _amh_after(
        rng, amh, np.where(by_amh, rng.uniform(1.22, 2.2, n), rng.uniform(0.6, 1.18, n))
    )

    screen_failed = status == "screen_failed"
    no_follow_up = (status == "withdrawn") | (
        (status == "lost_to_follow_up") & (rng.random(n) < 0.5)
    )
    no_day5 = screen_failed
    participants: Columns = {
        "participant_id": ids,
        "status": [s or None for s in status.tolist()],
        "age_years": _numbers(age, _missing(rng, n, 0.03)),
        "ethnicity": [
            None if gap else str(e)
            for e, gap in zip(
                rng.choice(["asian", "white", "black", "mixed"], size=n, p=[0.5, 0.3, 0.1, 0.1]),
                _missing(rng, n, 0.05),
                strict=True,
            )
        ],
        "hemoglobin_g_dl": _numbers(np.round(rng.normal(13.0, 1.0, n), 1)),
        "wbc_10e9_l": _numbers(np.round(np.clip(rng.normal(6.5, 1.5, n), 2.5, 15.0), 2)),
        "platelets_10e9_l": _numbers(np.round(np.clip(rng.normal(250.0, 50.0, n), 100, 500), 0)),
        "amh_ng_ml": _numbers(amh),
        "afc": _integers(afc),
        "wbc_d5_10e9_l": _numbers(wbc_d5, no_day5 | _missing(rng, n, 0.04)),
        "cd34_d5_per_ul": _numbers(cd34, no_day5 | _missing(rng, n, 0.04)),
        "afc_post": _integers(afc_post, screen_failed | no_follow_up | _missing(rng, n, 0.04)),
        "amh_post_ng_ml": _numbers(amh_post, screen_failed | no_follow_up | _missing(rng, n, 0.04)),
    }
    pregnancies = _empty_pregnancies()
    chance = np.where(activated, 0.22, 0.08)
    pregnant = ~screen_failed & (rng.random(n) < chance)
    women = [ids[i] for i in np.flatnonzero(pregnant)]
    _pregnancy_rows(rng, women, (1, 24), [0.6] * len(women), pregnancies)
    return _dataset(participants, pregnancies, FOLDERS["regenera"])


def mensc(rng: np.random.Generator) -> Dataset:
    """Study B-like women (module docstring)."""
    treated, screened_out = 150, 8
    n = treated + screened_out
    ids = [f"MS{i:03d}" for i in range(1, n + 1)]
    status = np.array(
        rng.choice(
            ["completed", "", "lost_to_follow_up"], size=treated, p=[0.82, 0.10, 0.08]
        ).tolist()
        + ["screen_failed"] * screened_out
    )
    rng.shuffle(status)
    failed = status == "screen_failed"
    age = rng.integers(24, 46, n)
    injections = rng.choice([1, 2], size=n, p=[0.6, 0.4])
    start = dt.date(2015, 1, 1)
    dates = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, 1500, n)]
    menses = rng.choice(["regular", "irregular", "amenorrhea"], size=n, p=[0.58, 0.35, 0.07])
    menses_followup = rng.choice(
        ["regular", "irregular", "amenorrhea", "menopause"], size=n, p=[0.55, 0.3, 0.1, 0.05]
    )
    ivf_after = rng.random(n) < 0.35
    ivf_unknown = _missing(rng, n, 0.04)
    participants: Columns = {
        "participant_id": ids,
        "status": [s or None for s in status.tolist()],
        "age_years": _numbers(age.astype(float)),
        "menses": [None if f else str(m) for m, f in zip(menses, failed, strict=True)],
        "treatment_date": [None if f else d for d, f in zip(dates, failed, strict=True)],
        "injections": _integers(injections, failed),
        "cells_injected_millions": [
            None if f else 5.0 * int(k) for k, f in zip(injections, failed, strict=True)
        ],
        "ivf_after_treatment": [
            None if f or u else bool(v)
            for v, f, u in zip(ivf_after, failed, ivf_unknown, strict=True)
        ],
        "menses_followup": [
            None if f else str(m) for m, f in zip(menses_followup, failed, strict=True)
        ],
        "followup_months": _numbers(rng.integers(30, 73, n).astype(float), failed),
    }
    chance = _expit(-1.05 - 0.09 * (age - 35.0) + 0.5 * (injections - 1))
    pregnant = ~failed & (rng.random(n) < chance)
    women = [ids[i] for i in np.flatnonzero(pregnant)]
    ivf_share = [0.65 if ivf_after[i] else 0.08 for i in np.flatnonzero(pregnant)]
    pregnancies = _empty_pregnancies()
    _pregnancy_rows(rng, women, (1, 30), ivf_share, pregnancies)
    outsiders = [ids[i] for i in np.flatnonzero(failed)[:2]]  # screen failures who conceived
    _pregnancy_rows(rng, outsiders, (1, 30), [0.0, 0.0], pregnancies)
    return _dataset(participants, pregnancies, FOLDERS["mensc"])


VISITS = ("month_3", "month_6", "month_12")
VISIT_DAYS = (91, 182, 365)
AFC_EFFECT = (1.5, 2.0, 1.0)  # UC-MSC + HRT minus HRT, AFC after treatment, by visit
AMH_LOG_EFFECT = (0.25, 0.30, 0.15)  # on the log AMH ratio after / before
RESUMED = ((0.45, 0.25), (0.50, 0.25), (0.40, 0.30))  # P(menses resumed): (ucmsc_hrt, hrt)
AE_TERMS = (  # (the ways a term is written: letter case, stray spaces), relative frequency
    (("Headache", "headache ", " HEADACHE", "Headache"), 0.22),
    (("Pelvic pain", "pelvic pain", "Pelvic Pain ", "Pelvic pain"), 0.20),
    (("Nausea", "nausea", "Nausea "), 0.12),
    (("Hot flushes", "hot flushes"), 0.12),
    (("Vaginal bleeding", "Vaginal Bleeding"), 0.10),
    (("Breast tenderness",), 0.08),
    (("Fever", "fever "), 0.06),
    (("Injection-site bruising",), 0.05),
    (("Ovarian cyst",), 0.05),
)
AE_RELATED = ["unrelated", "unlikely", "possible", "probable", "definite", "unknown"]
AE_OUTCOMES = ["ongoing", "recovered", "recovered_with_sequelae", "unknown"]


def _visit_rows(
    rng: np.random.Generator,
    ids: list[str],
    attended: NDArray[np.int64],
    start: list[dt.date],
    values: dict[str, list[list[Any]]],
) -> Columns:
    """visits.csv: the first ``attended[i]`` visits of woman i, each with its values."""
    rows: Columns = {"participant_id": [], "visit": [], "visit_date": []}
    rows |= {name: [] for name in values}
    for i, woman in enumerate(ids):
        for k in range(int(attended[i])):
            rows["participant_id"].append(woman)
            rows["visit"].append(VISITS[k])
            day = VISIT_DAYS[k] + int(rng.integers(-10, 11))
            rows["visit_date"].append(start[i] + dt.timedelta(days=day))
            for name, by_visit in values.items():
                rows[name].append(by_visit[k][i])
    return rows


def _adverse_event_rows(
    rng: np.random.Generator,
    women: list[int],
    ids: list[str],
    extra: FloatArray,
    start: list[dt.date],
) -> Columns:
    """adverse_events.csv: 1 + Poisson(``extra[i]``) events of each woman i in ``women`` (CTCAE
    1–4, some of unknown grade or seriousness; no fatal event), ordered by onset."""
    rows: Columns = {
        name: []
        for name in (
            "participant_id",
            "term",
            "onset_date",
            "grade",
            "ctcae_version",
            "serious",
            "related",
            "outcome",
        )
    }
    weights = np.array([w for _, w in AE_TERMS])
    for i in women:
        count = 1 + int(rng.poisson(extra[i]))
        onsets = np.sort(rng.integers(1, 366, count))
        for onset in onsets:
            variants = AE_TERMS[int(rng.choice(len(AE_TERMS), p=weights / weights.sum()))][0]
            grade = int(rng.choice([1, 2, 3, 4], p=[0.55, 0.28, 0.12, 0.05]))
            serious = bool(rng.random() < (0.7 if grade >= 3 else 0.04))
            rows["participant_id"].append(ids[i])
            rows["term"].append(str(variants[int(rng.integers(0, len(variants)))]))
            rows["onset_date"].append(start[i] + dt.timedelta(days=int(onset)))
            rows["grade"].append(None if rng.random() < 0.06 else grade)
            rows["ctcae_version"].append("5.0")
            rows["serious"].append(None if rng.random() < 0.03 else serious)
            rows["related"].append(str(rng.choice(AE_RELATED)))
            rows["outcome"].append(str(rng.choice(AE_OUTCOMES, p=[0.12, 0.78, 0.05, 0.05])))
    return rows


def ucmsc(rng: np.random.Generator) -> Dataset:
    """Study C-like participants (module docstring)."""
    n_screen_failed, n = 4, 80
    randomised = n - n_screen_failed
    arm = np.array(["ucmsc_hrt"] * (randomised // 2) + ["hrt"] * (randomised - randomised // 2))
    rng.shuffle(arm)
    status = np.array(
        rng.choice(
            ["completed", "", "lost_to_follow_up"], size=randomised, p=[0.84, 0.06, 0.10]
        ).tolist()
        + ["screen_failed"] * n_screen_failed
    )
    arm = np.concatenate([arm, np.array([""] * n_screen_failed)])
    order = rng.permutation(n)
    status, arm = status[order], arm[order]
    ids = [f"UC{i:03d}" for i in range(1, n + 1)]
    experimental = arm == "ucmsc_hrt"
    lost = status == "lost_to_follow_up"
    failed = status == "screen_failed"
    age = np.round(rng.uniform(22.0, 40.0, n), 1)
    afc = rng.integers(0, 5, n)
    amh = np.round(np.clip(np.exp(rng.normal(math.log(0.25), 0.7, n)), 0.02, 1.5), 2)
    start = [dt.date(2022, 5, 2) + dt.timedelta(days=int(d)) for d in rng.integers(0, 420, n)]
    # Visits attended, in order: every randomised woman all three, unless lost to follow-up
    # (then none, month_3 only, or month_3 and month_6); screen failures none.
    attended = np.where(failed, 0, np.where(lost, rng.choice([0, 1, 2], size=n), 3))
    level_afc = rng.normal(0.0, 0.8, n)  # each woman's own level, shared by her visits
    level_amh = rng.normal(0.0, 0.2, n)
    by_visit: dict[str, list[list[Any]]] = {
        "afc_post": [],
        "amh_post_ng_ml": [],
        "menses_followup": [],
    }
    for k in range(len(VISITS)):
        shift = np.round(0.3 + level_afc + AFC_EFFECT[k] * experimental + rng.normal(0, 1.0, n))
        afc_post = np.maximum(afc + shift.astype(np.int64), 0)
        log_ratio = 0.05 + AMH_LOG_EFFECT[k] * experimental + level_amh + rng.normal(0, 0.25, n)
        amh_post = _amh_after(rng, amh, np.exp(log_ratio))
        resumed = rng.random(n) < np.where(experimental, *RESUMED[k])
        menses_followup = np.where(
            resumed,
            rng.choice(["regular", "irregular"], size=n),
            rng.choice(["amenorrhea", "menopause"], size=n, p=[0.8, 0.2]),
        )
        by_visit["afc_post"].append(_integers(afc_post, _missing(rng, n, 0.04)))
        by_visit["amh_post_ng_ml"].append(_numbers(amh_post, _missing(rng, n, 0.04)))
        by_visit["menses_followup"].append(
            [
                None if gap else str(m)
                for m, gap in zip(menses_followup, _missing(rng, n, 0.03), strict=True)
            ]
        )
    # Recorded at month_12 only; empty at the earlier visits.
    last = len(VISITS) - 1
    at_end: dict[str, list[Any]] = {
        "followup_months": _numbers(np.round(rng.uniform(11.4, 13.2, n), 1), _missing(rng, n, 0.03))
    }
    for column in COMPLICATIONS:
        happened = rng.random(n) < 0.03
        at_end[column] = [
            None if u else bool(h) for h, u in zip(happened, _missing(rng, n, 0.02), strict=True)
        ]
    for name, values in at_end.items():
        by_visit[name] = [[None] * n] * last + [values]
    visits = _visit_rows(rng, ids, attended, start, by_visit)

    def summary(name: str, k: int) -> list[Any]:
        """participants.csv's value: visit k's, empty where she did not attend it."""
        return [v if attended[i] > k else None for i, v in enumerate(by_visit[name][k])]

    participants: Columns = {
        "participant_id": ids,
        "status": [s or None for s in status.tolist()],
        "arm": [a or None for a in arm.tolist()],
        "age_years": _numbers(age),
        "amh_ng_ml": _numbers(amh),
        "afc": _integers(afc),
        "menses": ["amenorrhea"] * n,
        "afc_post": summary("afc_post", 0),
        "amh_post_ng_ml": summary("amh_post_ng_ml", 0),
        "menses_followup": summary("menses_followup", 0),
        "followup_months": summary("followup_months", last),
        **{column: summary(column, last) for column in COMPLICATIONS},
    }
    chance = np.where(experimental, 0.18, 0.07)
    pregnant = ~failed & (rng.random(n) < chance)
    women = [ids[i] for i in np.flatnonzero(pregnant)]
    pregnancies = _empty_pregnancies()
    _pregnancy_rows(rng, women, (2, 18), [0.3] * len(women), pregnancies)
    # Adverse events: about 60% of the randomised women have one or more (more in the cell
    # arm); two screen failures have events too, which the plan must leave out.
    has_events = ~failed & (rng.random(n) < np.where(experimental, 0.65, 0.55))
    has_events[np.flatnonzero(failed)[:2]] = True
    with_events = [int(i) for i in np.flatnonzero(has_events)]
    extra_events = np.where(experimental, 0.9, 0.5)  # beyond the first, Poisson mean
    events = _adverse_event_rows(rng, with_events, ids, extra_events, start)
    return _dataset(
        participants,
        pregnancies,
        FOLDERS["ucmsc-rct"],
        visits=visits,
        adverse_events=events,
    )


def main() -> None:
    """Write the three datasets (module docstring); each study has its own random stream."""
    for index, (plan, build) in enumerate(
        (("regenera", regenera), ("mensc", mensc), ("ucmsc-rct", ucmsc))
    ):
        folder = FOLDERS[plan]
        write_dataset(build(np.random.default_rng([SEED, index])), folder)
        print(f"wrote {folder}")


if __name__ == "__main__":
    main()
