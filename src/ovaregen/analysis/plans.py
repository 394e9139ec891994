"""The analysis plans, by name (the protocol names), and running one on a dataset.

Besides its own results and tables, every plan's analysis gets the ``completeness`` table of
the variables it uses (:data:`PLAN_VARIABLES`, ``analysis.completeness``) and, for a study with
published figures, the ``reproduction`` table; it carries the dataset's checksum and, for a
synthetic dataset, the sentence saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ovaregen.analysis import mensc, regenera, ucmsc_rct
from ovaregen.analysis.cohort import Cohort, build_cohort
from ovaregen.analysis.completeness import (
    BASELINE,
    FOLLOW_UP,
    OUTCOME,
    PREDICTOR,
    PRIMARY_PART,
    SAFETY,
    SUBGROUP,
    PlanVariables,
    Used,
    completeness_table,
)
from ovaregen.analysis.populations import ANALYSED, RANDOMISED, TREATED
from ovaregen.analysis.reproduction import reproduction_table, targets_for
from ovaregen.analysis.result import Analysis, Population, Result, Table
from ovaregen.domain.diagnoses import RULES_VERSION
from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.domain.variables import COMPLICATIONS
from ovaregen.io.dataset import Dataset

PlanFunction = Callable[
    [Cohort], tuple[tuple[Population, ...], tuple[Result, ...], tuple[Table, ...]]
]

PLANS: dict[str, PlanFunction] = {
    "regenera": regenera.analyse,
    "mensc": mensc.analyse,
    "ucmsc-rct": ucmsc_rct.analyse,
}
"""Plan name → plan; each plan analyses the study of the protocol of the same name."""

_ACTIVATION = Used("oocyte_activation", OUTCOME, "oocyte activation (AFC rise ≥ 3 or AMH ≥ 1.2×)")
_PREGNANCY = (
    Used("pregnant", OUTCOME, "any pregnancy"),
    Used("pregnancy_spontaneous", OUTCOME, "spontaneous pregnancy"),
    Used("pregnancy_ivf", OUTCOME, "pregnancy after IVF"),
)
_COMPLICATIONS = tuple(
    Used(column, SAFETY, f"complication: {words}", if_recorded=True)
    for column, words in COMPLICATIONS.items()
)
_FOLLOW_UP = Used("followup_months", FOLLOW_UP, "follow-up, last injection to last contact")
_LABELS = {"oocyte_activation": _ACTIVATION.label, "pregnant": "any pregnancy"}

PLAN_VARIABLES: dict[str, PlanVariables] = {
    "regenera": PlanVariables(
        ANALYSED,
        (
            Used("afc_post", PRIMARY_PART),
            Used("amh_post_ng_ml", PRIMARY_PART),
            *_PREGNANCY,
            *(Used(f"symptoms_d{day}", SAFETY) for day in range(1, 5)),
            Used("wbc_d5_10e9_l", PREDICTOR),
            Used("cd34_d5_per_ul", PREDICTOR),
            Used("age_years", BASELINE),
            Used("ethnicity", BASELINE),
            Used("hemoglobin_g_dl", BASELINE),
            Used("wbc_10e9_l", BASELINE),
            Used("platelets_10e9_l", BASELINE),
            Used("amh_ng_ml", BASELINE),
            Used("afc", BASELINE),
            Used("por_bologna", BASELINE, "poor ovarian response (Bologna criteria)"),
            Used("dor", BASELINE, "diminished ovarian reserve (POSEIDON groups 3–4)"),
            Used("poi", BASELINE, "premature ovarian insufficiency (ESHRE)"),
        ),
        labels=_LABELS,
    ),
    "mensc": PlanVariables(
        TREATED,
        (
            *_PREGNANCY,
            Used("ivf_after_treatment", SUBGROUP),
            Used("menses_followup", OUTCOME),
            *_COMPLICATIONS,
            _FOLLOW_UP,
            Used("age_years", BASELINE),
            Used("injections", BASELINE),
            Used("menses", BASELINE),
        ),
        endpoints={"pregnancy": "pregnant"},
        labels=_LABELS,
    ),
    "ucmsc-rct": PlanVariables(
        RANDOMISED,
        (
            Used("amh_post_ng_ml", OUTCOME),
            Used("afc_post", OUTCOME),
            _ACTIVATION,
            Used("menses_followup", OUTCOME),
            Used("pregnant", OUTCOME, "any pregnancy"),
            Used("has_live_birth", OUTCOME, "any live birth"),
            *_COMPLICATIONS,
            _FOLLOW_UP,
            Used("age_years", BASELINE),
            Used("amh_ng_ml", BASELINE),
            Used("afc", BASELINE),
            Used("fsh_1_iu_l", BASELINE),
            Used("amenorrhea_months", BASELINE),
            Used("menses", BASELINE),
        ),
        labels=_LABELS,
    ),
}
"""Plan name → what the plan uses, for its ``completeness`` table (``analysis.completeness``):
its analysis population, then its outcomes, predictors and Table 1 variables, as the plan
module analyses them (the protocol's primary endpoint is put first by the table itself)."""


def run_plan(name: str, dataset: Dataset, protocol: Protocol | None = None) -> Analysis:
    """Run plan ``name`` on ``dataset`` under ``protocol`` (default: the shipped one)."""
    if name not in PLANS:
        raise KeyError(f"no analysis plan {name!r}: choose {', '.join(PLANS)}")
    chosen = protocol or load_protocol(name)
    cohort = build_cohort(dataset, chosen)
    populations, results, tables = PLANS[name](cohort)
    ids = [r.id for r in results]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise AssertionError(f"plan {name} gives duplicate result ids: {duplicated}")
    warnings = tuple(f"dataset: {finding.message}" for finding in dataset.warnings)
    if name in PLAN_VARIABLES:
        tables = (*tables, completeness_table(cohort, PLAN_VARIABLES[name]))
    analysis = Analysis(
        plan=name,
        protocol_name=chosen.name,
        protocol_version=chosen.version,
        rules_version=RULES_VERSION,
        dataset=dataset.source,
        populations=populations,
        results=results,
        tables=tables,
        warnings=warnings,
        dataset_checksum=dataset.checksum,
        synthetic=dataset.provenance.statement if dataset.provenance is not None else None,
    )
    targets = targets_for(name)
    if not targets:
        return analysis
    return replace(analysis, tables=(*analysis.tables, reproduction_table(analysis, targets)))
