"""Calibrated synthetic cohorts of the three studies (shared/spec/STUDIES.md).

``synthesize(study, n, seed)`` returns a complete synthetic :class:`~ovaregen.io.dataset.Dataset`
in canonical units and types: every table the study has (regenera: participants, pregnancies,
mobilisation days; mensc: participants, pregnancies; ucmsc-rct: participants, follow-up
visits, pregnancies, adverse events), each file's ``supplied`` columns the ones the study
records (in data-dictionary order), ready for ``ovaregen.io.writer.write_dataset``. The files
agree with one another as the reader demands (``ovaregen.io.agreement``): participants.csv's
follow-up columns are the values at ``Protocol.summary_visit``, its G-CSF day columns the days
of mobilisation.csv.

At the published size (:data:`PUBLISHED_SIZE`) every count-based figure of the paper comes
out exactly; at any other size each count is a largest-remainder apportionment of the
published one (``ovaregen.synth.counts``); continuous values follow the published summaries
approximately. Same seed, same dataset (and the same bytes written). Every dataset records that
it is synthetic (``Dataset.provenance``: generator, version, study, n, seed), which
``write_dataset`` writes as ``provenance.json`` and the reader reads back, so that the report of
any synthetic dataset says so. :data:`TARGETS` lists,
per study, the published figure beside which a report prints the reproduced one;
:data:`ASSUMPTIONS` says what the generator had to choose where the paper is silent or
inconsistent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

import polars as pl

from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset, Provenance, empty_table
from ovaregen.synth import mensc, regenera, ucmsc_rct
from ovaregen.synth.counts import Tables
from ovaregen.synth.ucmsc_safety import ADVERSE_EVENTS

__all__ = [
    "ASSUMPTIONS",
    "MINIMUM_SIZE",
    "PUBLISHED_SIZE",
    "STUDIES",
    "TARGETS",
    "Target",
    "synthesize",
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

_GENERATORS: dict[str, Callable[[int, int], Tables]] = {
    "regenera": regenera.synthesize_regenera,
    "mensc": mensc.synthesize_mensc,
    "ucmsc-rct": ucmsc_rct.synthesize_ucmsc_rct,
}


def synthesize(study: str, n: int, seed: int) -> Dataset:
    """The synthetic dataset of ``study`` with ``n`` participants (see the module docstring).

    ``source`` is ``"synthetic STUDY, n = N, seed = SEED"`` and ``provenance`` the same call
    with ovaregen's version. Raises ``ValueError`` for an unknown study or an ``n`` below the
    study's minimum (:data:`MINIMUM_SIZE`).
    """
    if study not in _GENERATORS:
        raise ValueError(f"unknown study {study!r}; choose one of {', '.join(STUDIES)}")
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"n must be an integer, not {n!r}")
    tables = _GENERATORS[study](n, seed)

    def frame(file: DatasetFile) -> pl.DataFrame:
        return conform(tables[file], file) if file in tables else empty_table(file)

    return Dataset(
        participants=frame(DatasetFile.PARTICIPANTS),
        pregnancies=frame(DatasetFile.PREGNANCIES),
        visits=frame(DatasetFile.VISITS),
        adverse_events=frame(DatasetFile.ADVERSE_EVENTS),
        mobilisation=frame(DatasetFile.MOBILISATION),
        source=f"synthetic {study}, n = {n}, seed = {seed}",
        supplied={file.value: tuple(table.columns) for file, table in tables.items()},
        provenance=Provenance("ovaregen", generator_version(), study, n, seed),
    )


def generator_version() -> str:
    """The installed ovaregen's version (the generator of a synthetic dataset)."""
    try:
        return metadata.version("ovaregen")
    except metadata.PackageNotFoundError:
        return "unknown"


def _events(arm: str) -> int:
    """Adverse events of an arm of 33 women (the published size's arm)."""
    return sum(rule.women.get(arm, 0) for rule in ADVERSE_EVENTS)


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
        Target(
            "gcsf_decisions",
            "G-CSF proposals and decisions (mobilisation.csv)",
            "not published",
            "assumed",
            "proposals of the shipped titration table; 'change' where the dose given differs",
        ),
        Target("weight", "body weight", "not published", "assumed", "mean 64 kg (50–90)"),
        Target(
            "prp_platelets",
            "SCFE-PRP platelets × 10⁹/L",
            "not published",
            "assumed",
            "mean 650 (400–900)",
        ),
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
        Target(
            "afc",
            "AFC rise at 3 / 6 / 12 months, UC-MSC + HRT vs HRT",
            "not published",
            "assumed",
            "+2.2 / +1.6 / +1.0 vs +0.2 / +0.2 / +0.1",
        ),
        Target(
            "amh",
            "AMH rise ng/mL at 3 / 6 / 12 months, UC-MSC + HRT vs HRT",
            "not published",
            "assumed",
            "+0.3 / +0.2 / +0.1 vs 0",
        ),
        Target(
            "menses",
            "menses resumed at 3 / 6 / 12 months",
            "not published",
            "assumed",
            "20 / 15 / 12% vs 5 / 5 / 3% (7 / 5 / 4 vs 2 / 2 / 1)",
        ),
        Target("pregnant", "women pregnant", "not published", "assumed", "6% vs 3% (2 vs 1)"),
        Target(
            "adverse_events",
            "adverse events, UC-MSC + HRT vs HRT",
            "not published",
            "assumed",
            f"{_events('ucmsc_hrt')} vs {_events('hrt')} events; procedure-related in the cell "
            "arm only, one serious (ovarian haematoma, grade 3)",
        ),
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
        "mobilisation.csv: each day's proposal is the shipped titration table's "
        "(regenera-gcsf-titration 1.0) for the recorded day; the doses given are the "
        "haematologist's, so where the next day's dose differs (the table holds G-CSF 24 h "
        "for a moderate symptom; the paper's practice lowers the dose) the decision is "
        "'change' with a reason; deciders investigator1–3.",
        "Body weight 64 ± 8 kg (50–90), SCFE-PRP platelets 650 ± 120 × 10⁹/L (400–900): not "
        "published.",
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
        "No results are published; assumed effect per follow-up visit (month_3 / month_6 / "
        "month_12), a response to the cells that wanes: AFC +2.2 / +1.6 / +1.0 vs +0.2 / +0.2 / "
        "+0.1 follicles, AMH +0.3 / +0.2 / +0.1 vs 0 ng/mL, menses resumed 20 / 15 / 12% vs "
        "5 / 5 / 3%, pregnant by 12 months 6% vs 3% (UC-MSC + HRT vs HRT alone).",
        "Each visit's AFC and AMH = μ₀ + β·(baseline − μ₀) + effect·(the woman's response, mean "
        "1, SD 0.35) + her own level + visit noise, with β = 0.7: the visits of a woman are "
        "correlated and the post value depends on the baseline (a baseline-adjusted ANCOVA "
        "is meaningful). participants.csv holds the values of its summary visit (month_3 for "
        "AFC, AMH and menses; month_12 for follow-up time and complications, none occurring).",
        "Visits on day 91, 183 and 365 after the start of treatment, ± up to 5 days.",
        "Both arms start randomised treatment on treatment_date with the same cyclic HRT ("
        f"{ucmsc_rct.HRT_REGIMEN}); UC-MSC women have one injection of 10 × 10⁶ cells, HRT-alone "
        "women no injection (injections and cells_injected_millions empty).",
        "Adverse events (CTCAE 5.0), women per 33 of each arm: HRT-related in both arms — "
        "breast tenderness 6, headache 4, breakthrough bleeding 3, nausea 2 (grade 1–2); "
        "procedure-related in the cell arm only — pelvic pain after injection 8, vaginal "
        "bleeding at the puncture site 4 (grade 1–2), ovarian haematoma 1 (grade 3, serious, "
        "recovered); none fatal. Apportioned to the arm sizes at any n.",
    ),
}
