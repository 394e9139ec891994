"""The data dictionary: every variable of the interchange format, in code.

Source: ``shared/spec/INTERCHANGE.md`` (columns, types, units) and ``CRITERIA.md`` section
"Units and plausibility" (conversions, suggested hard limits). Soft limits are ovaregen's own
clinical plausibility ranges: a value outside them is accepted with a warning for a person to
check. ``docs/data-dictionary.md`` is generated from this module (``ovaregen dictionary``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ovaregen.domain.hormone_variables import (
    AMH_PMOL_L_PER_NG_ML,
    OESTRADIOL_PMOL_L_PER_PG_ML,
    RESERVE,
    amh,
    fsh,
    fsh_after_treatment,
    oestradiol,
)
from ovaregen.domain.record_variables import (
    adverse_event_variables,
    mobilisation_variables,
    pregnancy_variables,
    visit_variables,
)
from ovaregen.domain.variable import (
    AlternativeUnit,
    DatasetFile,
    Kind,
    Limits,
    Variable,
)

__all__ = [  # defined in domain.variable and domain.hormone_variables, re-exported here
    "AMH_PMOL_L_PER_NG_ML",
    "OESTRADIOL_PMOL_L_PER_PG_ML",
    "AlternativeUnit",
    "DatasetFile",
    "Kind",
    "Limits",
    "Variable",
]

# Conversions (CRITERIA.md "Units and plausibility"); the hormones' are in
# domain.hormone_variables (AMH_PMOL_L_PER_NG_ML, OESTRADIOL_PMOL_L_PER_PG_ML).
PER_MM3_TO_10E9_L = 1e-3
"""Leukocytes and platelets: count/mm³ = count/µL; × 10⁻³ gives 10⁹/L."""

SYMPTOM_GRADES = ("none", "mild", "moderate", "severe")
"""G-CSF symptom grades of Study A, mildest first (STUDIES.md, Study A)."""
MENSES = ("regular", "irregular", "amenorrhea", "menopause")
STATUSES = ("screening", "screen_failed", "ongoing", "withdrawn", "lost_to_follow_up", "completed")
"""Participant flow (INTERCHANGE.md): ``screening`` = not yet decided; ``ongoing`` = enrolled,
follow-up not finished; neither is analysed as completed."""
CONCEPTIONS = ("spontaneous", "ivf")
PREGNANCY_OUTCOMES = (
    "ongoing",
    "live_birth",
    "miscarriage",
    "ectopic",
    "stillbirth",
    "termination",
)

EXCLUSION_CONDITIONS: dict[str, str] = {
    "karyotype_abnormal": "female chromosomal abnormality",
    "partner_karyotype_abnormal": "male partner's chromosomal abnormality",
    "genetic_poi": "genetic ovarian insufficiency",
    "autoimmune_poi": "autoimmune ovarian insufficiency",
    "autoimmune_disease": "autoimmune disease",
    "serious_illness": "other serious medical or surgical disease",
    "endometriosis": "clinical endometriosis",
    "adenomyosis": "adenomyosis",
    "pelvic_adhesions": "previous abdominal surgery with pelvic adhesions",
    "ovaries_inaccessible": "ovaries not visible or not reachable vaginally",
    "ovarian_tumor_history": "history of borderline or malignant ovarian tumour surgery",
    "uterine_dysplasia": "uterine dysplasia",
    "hrt_contraindication": "contraindication to hormone replacement therapy",
    "recent_poi_trial": "an experimental POI/POF study elsewhere in the past year",
    "partner_severe_male_factor": "male partner's azoospermia or severe oligozoospermia",
    "hbsag": "positive HBsAg serology",
    "anti_hbc": "positive anti-HBc serology",
    "hcv": "positive HCV serology",
    "hiv": "positive HIV serology",
    "syphilis": "positive syphilis serology",
    "lab_abnormality": "significant abnormality in laboratory results",
    "product_allergy": "known intolerance or allergy to the study products",
}
"""Exclusion conditions, one boolean column each (INTERCHANGE.md)."""

COMPLICATIONS: dict[str, str] = {
    "comp_ovarian_cyst": "ovarian cyst",
    "comp_ovarian_torsion": "ovarian torsion",
    "comp_endometrioma": "endometrioma",
    "comp_endometriosis": "endometriosis",
    "comp_ovarian_malignancy": "ovarian malignancy",
    "comp_pid": "pelvic inflammatory disease",
    "comp_ectopic": "ectopic pregnancy",
    "comp_autoimmune": "autoimmune disease",
}
"""Long-term complications checklist of Study B (INTERCHANGE.md)."""

GCSF_DAYS = (1, 2, 3, 4)
"""G-CSF is given on mobilisation days 1–4; leukocytes and CD34+ are measured on day 5."""
WBC_DAYS = (1, 2, 3, 4, 5)

_P = DatasetFile.PARTICIPANTS

AGE = Limits(10, 60)
AFC_HARD, AFC_SOFT = Limits(0, 80), Limits(0, 50)
WBC_HARD = Limits(0.1, 150)
FOLLOWUP_HARD, FOLLOWUP_SOFT = Limits(0, 240), Limits(0, 120)


def _wbc(name: str, per_mm3_column: str, description: str, soft: Limits, group: str) -> Variable:
    return Variable(
        name,
        _P,
        Kind.NUMBER,
        description,
        "10⁹/L",
        WBC_HARD,
        soft,
        alternatives=(AlternativeUnit(per_mm3_column, "/mm³", PER_MM3_TO_10E9_L),),
        group=group,
    )


def _flag(name: str, description: str, group: str) -> Variable:
    return Variable(name, _P, Kind.BOOLEAN, description, group=group)


def _build() -> tuple[Variable, ...]:
    ident = "Identification and flow"
    reserve = RESERVE
    blood = "Blood count"
    eligibility = "Eligibility"
    exclusion = "Exclusion conditions"
    treatment = "Treatment"
    mobilisation = "G-CSF mobilisation (Study A)"
    followup = "Follow-up"
    complications = "Complications"

    variables: list[Variable] = [
        Variable(
            "participant_id",
            _P,
            Kind.TEXT,
            "pseudonymous participant id; never a name",
            required=True,
            unique=True,
            group=ident,
        ),
        Variable("site", _P, Kind.TEXT, "recruiting site", group=ident),
        Variable(
            "status",
            _P,
            Kind.CHOICE,
            "participant flow status; drives the flow diagram",
            choices=STATUSES,
            default="completed",
            group=ident,
        ),
        Variable("arm", _P, Kind.TEXT, "allocated arm (randomised studies only)", group=ident),
        Variable(
            "age_years",
            _P,
            Kind.NUMBER,
            "age at screening / first treatment",
            "years",
            AGE,
            Limits(18, 50),
            group=ident,
        ),
        Variable("ethnicity", _P, Kind.TEXT, "self-reported ethnicity", group=ident),
        Variable("screening_date", _P, Kind.DATE, "date of the screening visit", group=ident),
        amh("amh_ng_ml", "amh_pmol_l", "baseline anti-Müllerian hormone", reserve),
        Variable(
            "afc",
            _P,
            Kind.INTEGER,
            "baseline antral follicle count, both ovaries",
            "follicles",
            AFC_HARD,
            AFC_SOFT,
            group=reserve,
        ),
        *fsh(1),
        *fsh(2),
        oestradiol("oestradiol_pg_ml", "oestradiol_pmol_l", "baseline serum oestradiol", reserve),
        Variable(
            "amenorrhea_months",
            _P,
            Kind.NUMBER,
            "duration of oligo/amenorrhoea",
            "months",
            Limits(0, 480),
            Limits(0, 240),
            group=reserve,
        ),
        Variable(
            "menses",
            _P,
            Kind.CHOICE,
            "menstrual status at baseline / injection",
            choices=MENSES,
            group=reserve,
        ),
        Variable(
            "prior_oocytes_retrieved",
            _P,
            Kind.INTEGER,
            "oocytes in the last conventional stimulation cycle",
            "oocytes",
            Limits(0, 100),
            Limits(0, 40),
            group=reserve,
        ),
        Variable(
            "prior_por_cycles",
            _P,
            Kind.INTEGER,
            "earlier cycles with ≤ 3 oocytes under conventional stimulation",
            "cycles",
            Limits(0, 50),
            Limits(0, 15),
            group=reserve,
        ),
        Variable(
            "prior_por_cycles_max_stim",
            _P,
            Kind.INTEGER,
            "earlier POR episodes after maximal stimulation",
            "cycles",
            Limits(0, 50),
            Limits(0, 15),
            group=reserve,
        ),
        Variable(
            "por_risk_factor",
            _P,
            Kind.BOOLEAN,
            "another risk factor for POR (Bologna feature i); empty means none",
            group=reserve,
        ),
        Variable(
            "hemoglobin_g_dl",
            _P,
            Kind.NUMBER,
            "baseline haemoglobin",
            "g/dL",
            Limits(3, 25),
            Limits(7, 18),
            alternatives=(AlternativeUnit("hemoglobin_g_l", "g/L", 0.1),),
            group=blood,
        ),
        _wbc("wbc_10e9_l", "wbc_per_mm3", "baseline leukocytes", Limits(2, 20), blood),
        Variable(
            "platelets_10e9_l",
            _P,
            Kind.NUMBER,
            "baseline platelets",
            "10⁹/L",
            Limits(5, 2000),
            Limits(50, 800),
            alternatives=(AlternativeUnit("platelets_per_mm3", "/mm³", PER_MM3_TO_10E9_L),),
            group=blood,
        ),
        Variable(
            "ovary_left_mm",
            _P,
            Kind.NUMBER,
            "mean diameter of the left ovary",
            "mm",
            Limits(1, 80),
            Limits(5, 50),
            group=eligibility,
        ),
        Variable(
            "ovary_right_mm",
            _P,
            Kind.NUMBER,
            "mean diameter of the right ovary",
            "mm",
            Limits(1, 80),
            Limits(5, 50),
            group=eligibility,
        ),
        _flag("married", "married (Study C inclusion)", eligibility),
        _flag("consent", "signed informed consent", eligibility),
        _flag(
            "spontaneous_follicular_activity",
            "spontaneous follicular activity present",
            eligibility,
        ),
    ]
    variables += [
        _flag(name, description, exclusion) for name, description in EXCLUSION_CONDITIONS.items()
    ]
    variables += [
        Variable(
            "treatment_date",
            _P,
            Kind.DATE,
            "day 0 of the study treatment: the first intra-ovarian injection (in a trial, the "
            "start of the randomised treatment in every arm)",
            group=treatment,
        ),
        Variable(
            "injections",
            _P,
            Kind.INTEGER,
            "number of intra-ovarian injections",
            "injections",
            Limits(1, 20),
            Limits(1, 4),
            group=treatment,
        ),
        Variable(
            "cells_injected_millions",
            _P,
            Kind.NUMBER,
            "cells injected in all (MenSC, UC-MSC)",
            "10⁶ cells",
            Limits(0, 1000),
            Limits(1, 100),
            group=treatment,
        ),
        Variable(
            "hrt_regimen",
            _P,
            Kind.TEXT,
            "hormone replacement regimen (drugs, doses, cycle); every arm that receives HRT",
            group=treatment,
        ),
        Variable(
            "prp_volume_ml",
            _P,
            Kind.NUMBER,
            "SCFE-PRP volume injected, both ovaries",
            "mL",
            Limits(0, 20),
            Limits(2, 10),
            group=treatment,
        ),
        Variable(
            "prp_platelets_10e9_l",
            _P,
            Kind.NUMBER,
            "platelet concentration of the SCFE-PRP",
            "10⁹/L",
            Limits(5, 10000),
            Limits(150, 3000),
            alternatives=(AlternativeUnit("prp_platelets_per_mm3", "/mm³", PER_MM3_TO_10E9_L),),
            group=treatment,
        ),
    ]
    variables += [
        Variable(
            f"gcsf_d{day}_ug_kg",
            _P,
            Kind.NUMBER,
            f"G-CSF dose given on day {day}",
            "µg/kg/day",
            Limits(0, 20),
            Limits(2.5, 15),
            group=mobilisation,
        )
        for day in GCSF_DAYS
    ]
    variables += [
        _wbc(
            f"wbc_d{day}_10e9_l",
            f"wbc_d{day}_per_mm3",
            f"leukocytes on mobilisation day {day}",
            Limits(2, 80),
            mobilisation,
        )
        for day in WBC_DAYS
    ]
    variables += [
        Variable(
            f"symptoms_d{day}",
            _P,
            Kind.CHOICE,
            f"G-CSF symptom grade on day {day}",
            choices=SYMPTOM_GRADES,
            group=mobilisation,
        )
        for day in GCSF_DAYS
    ]
    variables += [
        Variable(
            "cd34_d5_per_ul",
            _P,
            Kind.NUMBER,
            "circulating CD34+ cells on day 5",
            "/µL",
            Limits(0, 2000),
            Limits(0, 300),
            group=mobilisation,
        ),
        Variable(
            "afc_post",
            _P,
            Kind.INTEGER,
            "antral follicle count after treatment",
            "follicles",
            AFC_HARD,
            AFC_SOFT,
            group=followup,
            repeated=True,
        ),
        replace(
            amh("amh_post_ng_ml", "amh_post_pmol_l", "AMH after treatment", followup),
            repeated=True,
        ),
        fsh_after_treatment(followup),
        replace(
            oestradiol(
                "oestradiol_post_pg_ml",
                "oestradiol_post_pmol_l",
                "oestradiol after treatment",
                followup,
            ),
            repeated=True,
        ),
        replace(
            _flag("ivf_after_treatment", "underwent IVF after treatment", followup),
            repeated=True,
        ),
        Variable(
            "menses_followup",
            _P,
            Kind.CHOICE,
            "menstrual status at the follow-up visit",
            choices=MENSES,
            group=followup,
            repeated=True,
        ),
        Variable(
            "followup_months",
            _P,
            Kind.NUMBER,
            "from last injection to last contact",
            "months",
            FOLLOWUP_HARD,
            FOLLOWUP_SOFT,
            group=followup,
            repeated=True,
        ),
    ]
    variables += [
        replace(_flag(name, f"complication: {description}", complications), repeated=True)
        for name, description in COMPLICATIONS.items()
    ]
    followup_variables = [v for v in variables if v.repeated]
    variables += pregnancy_variables(CONCEPTIONS, PREGNANCY_OUTCOMES, FOLLOWUP_HARD, FOLLOWUP_SOFT)
    variables += visit_variables(followup_variables)
    variables += adverse_event_variables()
    variables += mobilisation_variables(
        dose=next(v for v in variables if v.name == "gcsf_d1_ug_kg"),
        leukocytes=next(v for v in variables if v.name == "wbc_d1_10e9_l"),
        symptoms=next(v for v in variables if v.name == "symptoms_d1"),
    )
    return tuple(variables)


VARIABLES: tuple[Variable, ...] = _build()
"""Every variable of the interchange format, in file order."""


def variables_of(file: DatasetFile) -> tuple[Variable, ...]:
    """The variables of one dataset file, in column order."""
    return tuple(v for v in VARIABLES if v.file is file)


def variable(name: str, file: DatasetFile = DatasetFile.PARTICIPANTS) -> Variable:
    """Look one variable up by its canonical column name."""
    for v in VARIABLES:
        if v.name == name and v.file is file:
            return v
    raise KeyError(f"{name!r} is not a variable of {file.value}.csv")


def column_aliases(file: DatasetFile) -> Iterator[tuple[str, Variable, AlternativeUnit]]:
    """Every alternative-unit column of a file with the variable it converts into."""
    for v in variables_of(file):
        for alternative in v.alternatives:
            yield alternative.column, v, alternative
