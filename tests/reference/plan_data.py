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
  screen failures without an arm, some lost to follow-up (outcomes unknown), AFC and AMH
  before and after, menses at follow-up, pregnancies and the complications checklist.

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


def _dataset(participants: Columns, pregnancies: Columns, folder: Path) -> Dataset:
    return Dataset(
        participants=_frame(participants, DatasetFile.PARTICIPANTS),
        pregnancies=_frame(pregnancies, DatasetFile.PREGNANCIES),
        source=str(folder),
        supplied={
            DatasetFile.PARTICIPANTS.value: tuple(participants),
            DatasetFile.PREGNANCIES.value: tuple(pregnancies),
        },
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


def ucmsc(rng: np.random.Generator) -> Dataset:
    """Study C-like participants (module docstring)."""
    n_screen_failed, n = 4, 80
    randomised = n - n_screen_failed
    arm = np.array(["ucmsc_hrt"] * (randomised // 2) + ["hrt"] * (randomised - randomised // 2))
    rng.shuffle(arm)
    status = np.array(
        rng.choice(
            ["completed", "", "lost_to_follow_up"], size=randomised, p=[0.86, 0.06, 0.08]
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
    afc_post = np.maximum(afc + rng.integers(-1, 3, n) + experimental * rng.integers(0, 4, n), 0)
    ratio = np.exp(rng.normal(0.05 + 0.25 * experimental, 0.3, n))
    amh_post = _amh_after(rng, amh, ratio)
    resumed = rng.random(n) < np.where(experimental, 0.45, 0.25)
    followup_menses = np.where(
        resumed,
        rng.choice(["regular", "irregular"], size=n),
        rng.choice(["amenorrhea", "menopause"], size=n, p=[0.8, 0.2]),
    )
    unknown_outcome = failed | lost
    participants: Columns = {
        "participant_id": ids,
        "status": [s or None for s in status.tolist()],
        "arm": [a or None for a in arm.tolist()],
        "age_years": _numbers(age),
        "amh_ng_ml": _numbers(amh),
        "afc": _integers(afc),
        "menses": ["amenorrhea"] * n,
        "afc_post": _integers(afc_post, unknown_outcome | _missing(rng, n, 0.04)),
        "amh_post_ng_ml": _numbers(amh_post, unknown_outcome | _missing(rng, n, 0.04)),
        "menses_followup": [
            None if gap else str(m)
            for m, gap in zip(
                followup_menses, unknown_outcome | _missing(rng, n, 0.03), strict=True
            )
        ],
    }
    for column in COMPLICATIONS:
        happened = rng.random(n) < 0.03
        unknown = failed | _missing(rng, n, 0.02)
        participants[column] = [
            None if u else bool(h) for h, u in zip(happened, unknown, strict=True)
        ]
    chance = np.where(experimental, 0.18, 0.07)
    pregnant = ~failed & (rng.random(n) < chance)
    women = [ids[i] for i in np.flatnonzero(pregnant)]
    pregnancies = _empty_pregnancies()
    _pregnancy_rows(rng, women, (2, 18), [0.3] * len(women), pregnancies)
    return _dataset(participants, pregnancies, FOLDERS["ucmsc-rct"])


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
