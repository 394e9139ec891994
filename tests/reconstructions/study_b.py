"""Patient-level reconstruction of Study B, the MenSC long-term follow-up (STUDIES.md).

105 women with poor ovarian response (Bologna), all treated with one or two intra-ovarian
injections of autologous menstrual-blood stromal cells between Aug 2018 and Sep 2021 and all
followed up (status ``completed``). Every published count comes out exactly when computed
through ``ovaregen``'s domain and statistics functions; the age mean and SD to two decimals.

Published figures and the blocks below that reproduce them:

* age 37.91 ± 4.98 (24–45); 23 < 35 (12 pregnant), 82 ≥ 35 (26 pregnant); age of the pregnant
  women median 36 (24–43): :data:`PREGNANT_AGES`, :data:`NOT_PREGNANT_AGES`;
* 70 one injection (29 pregnant), 35 two (9 pregnant); menses at injection 91 regular
  (33 pregnant), 14 irregular (5 pregnant); menses at follow-up: :func:`_menses` and
  :func:`_injections`;
* 38 women pregnant (27 spontaneously, 13 through IVF, 2 both ways), 43 pregnancies, 12
  miscarriages, 31 live births, one of twins (32 infants); median months to the first
  pregnancy 3 (1–24) spontaneous, 5.5 (2–13) IVF: :data:`PREGNANCY_HISTORIES`;
* 54 women had IVF after the injection: :func:`_ivf_after_treatment`;
* follow-up ≥ 2.5 years, mean 3.72 years: :func:`_followup_months`;
* one ovarian cyst during pregnancy, no other complication, no infant deaths or anomalies.

The chi-squares of the paper's Table 2 (age: Yates χ² 2.4321, p 0.1189; menses: p 1) follow
from these margins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ovaregen.domain.variables import DatasetFile
from tests.reconstructions import build_frame, spread, write_frames

__all__ = ["study_b", "write_study_b"]

Row = dict[str, Any]

SEED = 2018
N_WOMEN = 105
N_PREGNANT = 38

PREGNANT_AGES: dict[int, int] = {
    24: 1, 28: 1, 30: 1, 31: 1, 32: 2, 33: 2, 34: 4,
    35: 5, 36: 3, 37: 2, 38: 2, 39: 3, 40: 3, 41: 3, 42: 3, 43: 2,
}  # fmt: skip
"""Ages (years: count) of the 38 pregnant women: 12 < 35, 26 ≥ 35; median 36 (24–43)."""

NOT_PREGNANT_AGES: dict[int, int] = {
    25: 1, 26: 1, 27: 1, 28: 2, 29: 1, 31: 1, 32: 2, 34: 2,
    35: 4, 36: 4, 37: 4, 38: 4, 39: 5, 40: 5, 41: 6, 42: 6, 43: 5, 44: 6, 45: 7,
}  # fmt: skip
"""Ages of the 67 women not pregnant: 11 < 35, 56 ≥ 35.

With :data:`PREGNANT_AGES`: sum 3981 (mean 37.914), sum of squares 153513 (SD 4.977), range
24–45 — the published 37.91 ± 4.98 (24–45).
"""

Pregnancy = tuple[str, float, str, int]
"""(conception, months after the (last) injection, outcome, infants born alive)."""

_SPONTANEOUS_FIRST_MONTHS = (1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 6, 7, 8, 9, 11, 18, 24)
"""Months to the first spontaneous pregnancy of the 23 women pregnant once, spontaneously
(the other 4 spontaneous first pregnancies are at 2, 2, 4 and 13 months, below)."""
_IVF_FIRST_MONTHS = (2, 3, 4, 5, 5, 5.5, 6, 7, 9, 11, 13)
"""Months to the IVF pregnancy of the 11 women pregnant once, through IVF (the other two first
IVF pregnancies are at 4 and 8 months, below)."""


def _single_pregnancies() -> list[list[Pregnancy]]:
    """The 34 women pregnant exactly once: 23 spontaneous, 11 IVF.

    7 end in miscarriage (5 spontaneous, 2 IVF), 27 in live birth; the IVF pregnancy at 7
    months gives twins.
    """
    spontaneous = [
        _once("spontaneous", months, miscarriage=k in (2, 6, 10, 15, 19))
        for k, months in enumerate(_SPONTANEOUS_FIRST_MONTHS)
    ]
    ivf = [
        _once("ivf", months, miscarriage=k in (1, 8), infants=2 if months == 7 else 1)
        for k, months in enumerate(_IVF_FIRST_MONTHS)
    ]
    return spontaneous + ivf


def _once(
    conception: str, months: float, *, miscarriage: bool, infants: int = 1
) -> list[Pregnancy]:
    """A single pregnancy, ending in miscarriage or in the live birth of ``infants``."""
    if miscarriage:
        return [(conception, float(months), "miscarriage", 0)]
    return [(conception, float(months), "live_birth", infants)]


PREGNANCY_HISTORIES: tuple[list[Pregnancy], ...] = (
    # pregnant three times, spontaneously: two miscarriages, then a live birth
    [("spontaneous", 2.0, "miscarriage", 0), ("spontaneous", 9.0, "miscarriage", 0),
     ("spontaneous", 20.0, "live_birth", 1)],
    # pregnant twice, spontaneously
    [("spontaneous", 4.0, "miscarriage", 0), ("spontaneous", 16.0, "live_birth", 1)],
    # pregnant both ways
    [("spontaneous", 2.0, "miscarriage", 0), ("ivf", 8.0, "live_birth", 1)],
    [("ivf", 4.0, "miscarriage", 0), ("spontaneous", 13.0, "live_birth", 1)],
    *_single_pregnancies(),
)  # fmt: skip
"""The pregnancies of the 38 pregnant women, one list per woman.

25 spontaneous only, 11 IVF only, 2 both ways: 27 women with a spontaneous and 13 with an IVF
pregnancy. 3 + 2 + 2 + 2 + 34 = 43 pregnancies; 12 miscarriages, 31 live births, 32 infants.
Months to the first spontaneous pregnancy (27 women): median 3, range 1–24; to the first IVF
pregnancy (13 women): median 5.5, range 2–13. No infant died in the first year and none has
a congenital anomaly.
"""

MENSES_PREGNANT = {
    ("regular", "regular"): 30,
    ("regular", "irregular"): 3,
    ("irregular", "regular"): 3,
    ("irregular", "irregular"): 2,
}
"""Menses at injection and at follow-up of the 38 pregnant women (33 regular, 5 irregular)."""
MENSES_NOT_PREGNANT = {
    ("regular", "regular"): 48,
    ("regular", "irregular"): 9,
    ("irregular", "regular"): 3,
    ("irregular", "irregular"): 2,
}
"""Menses of 62 of the 67 women not pregnant; the 5 oldest reach menopause
(:func:`_menses`). Altogether: of 91 regular at injection 78 stay regular, 12 become irregular,
1 menopausal; of 14 irregular 6 become regular, 4 stay irregular, 4 menopausal."""

MENOPAUSE = (("irregular", "menopause"),) * 4 + (("regular", "menopause"),)


def _expand(counts: dict[Any, int]) -> list[Any]:
    """``{value: count}`` as a list, in the dictionary's order."""
    return [value for value, count in counts.items() for _ in range(count)]


def _shuffled(values: Sequence[Any], rng: np.random.Generator) -> list[Any]:
    """``values`` in the order of a permutation drawn from ``rng``."""
    return [values[i] for i in rng.permutation(len(values))]


def _menses(
    ages: Sequence[int], pregnant: Sequence[bool], rng: np.random.Generator
) -> list[tuple[str, str]]:
    """(menses at injection, menses at follow-up) per woman.

    The five oldest women not pregnant reach menopause (four irregular at injection, one
    regular); the other pairs are shuffled within pregnant and not pregnant women.
    """
    not_pregnant = [i for i in range(len(ages)) if not pregnant[i]]
    oldest = sorted(not_pregnant, key=lambda i: (-ages[i], i))[: len(MENOPAUSE)]
    pools = {
        True: _shuffled(_expand(MENSES_PREGNANT), rng),
        False: _shuffled(_expand(MENSES_NOT_PREGNANT), rng),
    }
    result: list[tuple[str, str]] = []
    for i in range(len(ages)):
        result.append(MENOPAUSE[oldest.index(i)] if i in oldest else pools[pregnant[i]].pop())
    return result


def _injections(pregnant: Sequence[bool], rng: np.random.Generator) -> list[int]:
    """1 or 2 injections: 29 of the pregnant and 41 of the others had one (70), 9 + 26 two."""
    pools = {
        True: _shuffled(_expand({1: 29, 2: 9}), rng),
        False: _shuffled(_expand({1: 41, 2: 26}), rng),
    }
    return [pools[p].pop() for p in pregnant]


def _ivf_after_treatment(
    histories: Sequence[list[Pregnancy]],
    menses: Sequence[tuple[str, str]],
    rng: np.random.Generator,
) -> list[bool]:
    """54 women had IVF after the injection: the 13 pregnant through IVF and 41 of the 62
    women neither pregnant nor menopausal (drawn from ``rng``); 13 / 54 = 24% succeeded."""
    result = [any(conception == "ivf" for conception, *_ in h) for h in histories]
    candidates = [
        i
        for i, (history, (_, followup)) in enumerate(zip(histories, menses, strict=True))
        if not history and followup != "menopause"
    ]
    for i in _shuffled(candidates, rng)[:41]:
        result[i] = True
    return result


def _followup_months() -> list[float]:
    """Follow-up (months from the last injection to the last contact), longest first.

    Published: followed ≥ 2.5 years, mean 3.72 years: 30–72 months, mean 44.6 (4683 / 105).
    The longest follow-up goes to the earliest treated woman.
    """
    return sorted(spread(N_WOMEN, 30, 72, 44.6, sd=9.0, decimals=0), reverse=True)


FIRST_INJECTION = date(2018, 8, 6)
LAST_INJECTION = date(2021, 9, 27)


def _treatment_dates() -> list[date]:
    """First-injection dates evenly spaced from Aug 2018 to Sep 2021 (published period)."""
    span = (LAST_INJECTION - FIRST_INJECTION).days
    return [
        FIRST_INJECTION + timedelta(days=round(k * span / (N_WOMEN - 1))) for k in range(N_WOMEN)
    ]


def _baseline(k: int) -> Row:
    """Ovarian reserve and history for the Bologna criteria (``mensc``: POR by Bologna).

    AFC 1–6 (abnormal reserve test, AFC < 7) and at least one earlier poor response
    (``prior_por_cycles ≥ 1``): two of the three features, so every woman has POR.
    """
    return {
        "afc": 1 + (k * 5) % 6,
        "amh_ng_ml": round(0.12 + (k * 37) % 90 / 100, 2),
        "prior_oocytes_retrieved": k % 4,
        "prior_por_cycles": 1 + k % 3,
        "prior_por_cycles_max_stim": (k // 3) % 3,
    }


COMPLICATIONS = (
    "ovarian_cyst",
    "ovarian_torsion",
    "endometrioma",
    "endometriosis",
    "ovarian_malignancy",
    "pid",
    "ectopic",
    "autoimmune",
)
"""The complications checklist: all recorded, only one ovarian cyst (during a pregnancy)."""


def _women(rng: np.random.Generator) -> tuple[list[Row], list[list[Pregnancy]]]:
    """The 105 women (pregnant first) and each one's pregnancies (empty when none)."""
    histories = list(PREGNANCY_HISTORIES) + [[] for _ in range(N_WOMEN - N_PREGNANT)]
    pregnant = [bool(h) for h in histories]
    ages = _shuffled(_expand(PREGNANT_AGES), rng) + _shuffled(_expand(NOT_PREGNANT_AGES), rng)
    menses = _menses(ages, pregnant, rng)
    injections = _injections(pregnant, rng)
    ivf = _ivf_after_treatment(histories, menses, rng)
    cyst = next(i for i, h in enumerate(histories) if len(h) == 1 and h[0][2] == "live_birth")
    rows: list[Row] = []
    for k in range(N_WOMEN):
        rows.append(
            {
                "status": "completed",
                "age_years": float(ages[k]),
                **_baseline(k),
                "menses": menses[k][0],
                "injections": injections[k],
                "cells_injected_millions": float(injections[k] * (8 + k % 5)),
                "ivf_after_treatment": ivf[k],
                "menses_followup": menses[k][1],
                **{f"comp_{name}": False for name in COMPLICATIONS},
                "comp_ovarian_cyst": k == cyst,
            }
        )
    return rows, histories


def study_b() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The Study B reconstruction: (participants, pregnancies) in interchange columns.

    Ids ``MS-001`` … ``MS-105`` in a shuffled order, first injections in id order from Aug
    2018 to Sep 2021, the earliest treated followed longest. Deterministic (``numpy``
    Generator, seed :data:`SEED`).
    """
    rng = np.random.default_rng(SEED)
    rows, histories = _women(rng)
    dates = _treatment_dates()
    followup = _followup_months()
    participants: list[Row] = []
    pregnancies: list[Row] = []
    for k, index in enumerate(rng.permutation(N_WOMEN)):
        participant_id = f"MS-{k + 1:03d}"
        participants.append(
            {
                "participant_id": participant_id,
                **rows[int(index)],
                "treatment_date": dates[k],
                "followup_months": followup[k],
            }
        )
        for conception, months, outcome, infants in histories[int(index)]:
            pregnancies.append(
                {
                    "participant_id": participant_id,
                    "conception": conception,
                    "months_after_treatment": months,
                    "outcome": outcome,
                    "infants_live_born": infants,
                    "infant_death_first_year": 0,
                    "congenital_anomaly": 0,
                }
            )
    return (
        build_frame(participants, DatasetFile.PARTICIPANTS),
        build_frame(pregnancies, DatasetFile.PREGNANCIES),
    )


def write_study_b(folder: Path) -> Path:
    """Write the Study B reconstruction to ``folder`` (participants.csv, pregnancies.csv)."""
    participants, pregnancies = study_b()
    return write_frames(participants, pregnancies, folder, "Study B reconstruction")
