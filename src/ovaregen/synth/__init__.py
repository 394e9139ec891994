"""Calibrated synthetic cohorts of the three studies (shared/spec/STUDIES.md).

``synthesize(study, n, seed)`` returns the participants and pregnancies frames of a synthetic
dataset in interchange columns and canonical units and types (only the columns the study
records, in data-dictionary order); :func:`to_dataset` packs them for
``ovaregen.io.writer.write_dataset``.

At the published size (:data:`PUBLISHED_SIZE`) every count-based figure of the paper comes
out exactly; at any other size each count is a largest-remainder apportionment of the
published one (``ovaregen.synth.counts``); continuous values follow the published summaries
approximately. Same seed, same frames. :data:`TARGETS` lists, per study, the published figure
beside which a report prints the reproduced one; :data:`ASSUMPTIONS` says what the generator
had to choose where the paper is silent or inconsistent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.synth import mensc, regenera, ucmsc_rct

__all__ = [
    "ASSUMPTIONS",
    "MINIMUM_SIZE",
    "PUBLISHED_SIZE",
    "STUDIES",
    "TARGETS",
    "Target",
    "synthesize",
    "to_dataset",
]

STUDIES = ("regenera", "mensc", "ucmsc-rct")
PUBLISHED_SIZE = {
    "regenera": regenera.PUBLISHED_SIZE,
    "mensc": mensc.PUBLISHED_SIZE,
    "ucmsc-rct": ucmsc_rct.PUBLISHED_SIZE,
}
"""What ``n`` counts: regenera — women recruited (265 → 182 eligible → 145 analysed);
mensc — women treated; ucmsc-rct — women randomised."""
MINIMUM_SIZE = {
    "regenera": regenera.MINIMUM,
    "mensc": mensc.MINIMUM,
    "ucmsc-rct": ucmsc_rct.MINIMUM,
}

_GENERATORS: dict[str, Callable[[int, int], tuple[pl.DataFrame, pl.DataFrame]]] = {
    "regenera": regenera.synthesize_regenera,
    "mensc": mensc.synthesize_mensc,
    "ucmsc-rct": ucmsc_rct.synthesize_ucmsc_rct,
}


def synthesize(study: str, n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The synthetic (participants, pregnancies) of ``study`` with ``n`` participants.

    Raises ``ValueError`` for an unknown study or an ``n`` below the study's minimum
    (:data:`MINIMUM_SIZE`).
    """
    if study not in _GENERATORS:
        raise ValueError(f"unknown study {study!r}; choose one of {', '.join(STUDIES)}")
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"n must be an integer, not {n!r}")
    return _GENERATORS[study](n, seed)


def to_dataset(participants: pl.DataFrame, pregnancies: pl.DataFrame, source: str) -> Dataset:
    """The frames as a :class:`Dataset` whose written files hold exactly their columns."""
    return Dataset(
        participants=conform(participants, DatasetFile.PARTICIPANTS),
        pregnancies=conform(pregnancies, DatasetFile.PREGNANCIES),
        source=source,
        supplied={
            DatasetFile.PARTICIPANTS.value: tuple(participants.columns),
            DatasetFile.PREGNANCIES.value: tuple(pregnancies.columns),
        },
    )


@dataclass(frozen=True)
class Target:
    """One published figure and how the synthetic cohort reproduces it.

    ``kind``: ``exact`` (a count, exact at the published size, apportioned elsewhere),
    ``approximate`` (a continuous summary) or ``assumed`` (not published: our assumption).
    """

    id: str
    label: str
    published: str
    kind: str
    note: str = ""


TARGETS: dict[str, tuple[Target, ...]] = {
    "regenera": (
        Target("recruited", "women recruited", "265", "exact"),
        Target("eligible", "met the inclusion criteria", "182", "exact"),
        Target("lost", "lost to follow-up", "37", "exact"),
        Target("analysed", "analysed", "145", "exact"),
        Target("activated", "oocyte activation", "99 of 145 (68.28%)", "exact"),
        Target("spontaneous", "spontaneous gestation", "7 of 99 activated (7.07%)", "exact"),
        Target("ivf", "gestation after IVF", "14 of 99 activated (14.14%)", "exact"),
        Target("not_activated_pregnant", "pregnant, not activated", "0 of 46", "exact"),
        Target(
            "ethnicity",
            "Caucasian / Arab / Hispanic",
            "77.2% / 15.2% / 4.8%",
            "exact",
            "112 / 22 / 7 (and 4 other) of 145",
        ),
        Target("table3_d2", "Table 3 day +2 mild / moderate / none", "59 / 12 / 74", "exact"),
        Target("table3_d3", "Table 3 day +3 mild / moderate / none", "72 / 20 / 53", "exact"),
        Target("table3_d4", "Table 3 day +4 mild / moderate / none", "85 / 17 / 43", "exact"),
        Target(
            "table3_d1",
            "Table 3 day +1 mild / moderate / none",
            "12 / 0 / 74 (sums to 86, not 145)",
            "assumed",
            "reproduced as published; the other 59 women have day +1 unrecorded",
        ),
        Target("age", "age, mean (range)", "39.1 (26–44)", "approximate"),
        Target("hb", "haemoglobin g/dL, not vs activated", "13.1 vs 13.6", "approximate"),
        Target("wbc", "leukocytes /mm³, not vs activated", "5752 vs 6151", "approximate"),
        Target("platelets", "platelets /mm³, not vs activated", "252522 vs 245768", "approximate"),
        Target(
            "wbc_d5", "day-5 leukocytes /mm³, not vs activated", "37666 vs 36359", "approximate"
        ),
        Target("cd34_d5", "day-5 CD34+ /µL, not vs activated", "26.5 vs 33.1", "approximate"),
        Target("wbc_cd34_r", "Pearson r, leukocytes vs CD34+ (day 5)", "0.465", "approximate"),
        Target("cd34_auc", "ROC AUC of CD34+ for activation", "0.487", "approximate"),
        Target("gcsf_adjusted", "women with an adjusted G-CSF dose", "about 30%", "approximate"),
    ),
    "mensc": (
        Target("women", "women treated", "105", "exact"),
        Target("age", "age, mean ± SD (range)", "37.91 ± 4.98 (24–45)", "exact"),
        Target("injections", "one / two injections", "70 / 35", "exact"),
        Target("pregnant", "women pregnant", "38 (36.19%)", "exact"),
        Target("spontaneous", "pregnant spontaneously", "27", "exact"),
        Target("ivf", "pregnant through IVF", "13", "exact"),
        Target("both", "pregnant both ways", "2", "exact"),
        Target("pregnancies", "pregnancies", "43", "exact"),
        Target("ivf_after", "women with IVF after injection", "54 (13 pregnant, 24%)", "exact"),
        Target("miscarriages", "miscarriages", "12", "exact"),
        Target("live_births", "pregnancies ending in live birth", "31 (one of twins)", "exact"),
        Target("infants", "infants born alive", "32", "exact"),
        Target("months_spont", "months to pregnancy, spontaneous", "median 3 (1–24)", "exact"),
        Target("months_ivf", "months to pregnancy, IVF", "median 5.5 (2–13)", "exact"),
        Target("age_lt35", "pregnant, age < 35 / ≥ 35", "12/23 vs 26/82", "exact"),
        Target("menses", "pregnant, regular / irregular menses", "33/91 vs 5/14", "exact"),
        Target("by_injections", "pregnant, one / two injections", "29/70 vs 9/35", "exact"),
        Target(
            "menses_followup",
            "menses at follow-up: regular / irregular / menopause",
            "84 / 16 / 5",
            "exact",
        ),
        Target("pregnant_age", "age of the pregnant women", "median 36 (24–43)", "exact"),
        Target("complications", "complications", "one ovarian cyst", "exact"),
        Target("followup", "follow-up, mean", "3.72 years (≥ 2.5)", "approximate"),
    ),
    "ucmsc-rct": (
        Target("randomised", "women randomised", "66 (target)", "exact"),
        Target("arms", "UC-MSC + HRT / HRT alone", "1:1 (33 / 33)", "exact"),
        Target("afc", "AFC rise, UC-MSC + HRT vs HRT", "not published", "assumed", "+2.2 vs +0.2"),
        Target(
            "amh", "AMH rise ng/mL, UC-MSC + HRT vs HRT", "not published", "assumed", "+0.3 vs 0"
        ),
        Target("menses", "menses resumed", "not published", "assumed", "20% vs 5% (7 vs 2)"),
        Target("pregnant", "women pregnant", "not published", "assumed", "6% vs 3% (2 vs 1)"),
    ),
}

ASSUMPTIONS: dict[str, tuple[str, ...]] = {
    "regenera": (
        "n counts women recruited; flow apportioned from 265 → 83 screen failures, "
        "37 lost to follow-up, 145 analysed (182 eligible).",
        "Table 3 day +1 is inconsistent in the paper (12 + 0 + 74 = 86, not 145): the "
        "cohort reproduces 12 mild, 0 moderate and 74 none and leaves day +1 unrecorded for "
        "the other 59 analysed women (shown as 'not recorded').",
        "The paper's '53.1% never had symptoms' cannot hold with its day +4 (43 without "
        "symptoms): at worst 43 none, 82 mild, 20 moderate, no severe.",
        "Activation follows from AFC and AMH before and after: of the 99 activated, 40 meet "
        "both criteria, 30 only the AFC rise (≥ 3) and 29 only the AMH rise (≥ 20%).",
        "The 83 screen failures: 30 without ovarian failure, 53 with an exclusion condition "
        "(endometriosis 12, pelvic adhesions 8, laboratory abnormality 8, …).",
        "Besides the 14 IVF pregnancies, 24 women (12 activated, 12 not) had IVF without "
        "pregnancy; pregnancies are ongoing at the 3–6-month follow-up.",
        "The activated women's highest haemoglobin is 18.0 g/dL (published 18.2, above the "
        "dictionary's usual range) so that no row warns.",
        "G-CSF starts at 10 µg/kg/day (the paper's 'mg/kg' is a unit error) and is lowered "
        "for moderate symptoms or high day-3 leukocytes: about 30% adjusted.",
    ),
    "mensc": (
        "n counts women treated (all followed up, status completed).",
        "Ages, menses, injections, pregnancy histories and IVF are those of the patient-level "
        "reconstruction, apportioned in two strata (pregnant / not pregnant).",
        "The five women who reach menopause are the oldest not pregnant (4 irregular and 1 "
        "regular at injection).",
        "Cells injected: 8–12 × 10⁶ per injection (not published).",
    ),
    "ucmsc-rct": (
        "n counts women randomised; no screen failures are generated, every woman is "
        "eligible under the ucmsc-rct protocol and completes 12 months.",
        "Randomisation 1:1 in permuted blocks of six (66 = 11 blocks: 33 / 33).",
        "No results are published; assumed effect at 12 months: AFC +2.2 vs +0.2 follicles "
        "(a difference of +2), AMH +0.3 vs 0 ng/mL, menses resumed 20% vs 5%, pregnant 6% vs "
        "3% (UC-MSC + HRT vs HRT alone).",
        "HRT-alone women have a treatment_date (start of randomised treatment) but no "
        "injection; UC-MSC women one injection of 10 × 10⁶ cells.",
    ),
}
