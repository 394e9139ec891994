"""The data dictionary: complete against INTERCHANGE.md, and internally consistent."""

from __future__ import annotations

import pytest

from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.variables import (
    AMH_PMOL_L_PER_NG_ML,
    OESTRADIOL_PMOL_L_PER_PG_ML,
    VARIABLES,
    DatasetFile,
    Kind,
    column_aliases,
    variable,
    variables_of,
)

# Every column INTERCHANGE.md lists for participants.csv, in its words.
INTERCHANGE_PARTICIPANTS = [
    "participant_id",
    "site",
    "status",
    "arm",
    "age_years",
    "ethnicity",
    "amh_ng_ml",
    "afc",
    "fsh_1_iu_l",
    "fsh_1_date",
    "fsh_2_iu_l",
    "fsh_2_date",
    "amenorrhea_months",
    "menses",
    "prior_oocytes_retrieved",
    "prior_por_cycles",
    "prior_por_cycles_max_stim",
    "por_risk_factor",
    "hemoglobin_g_dl",
    "wbc_10e9_l",
    "platelets_10e9_l",
    "ovary_left_mm",
    "ovary_right_mm",
    "married",
    "consent",
    "spontaneous_follicular_activity",
    "karyotype_abnormal",
    "partner_karyotype_abnormal",
    "genetic_poi",
    "autoimmune_poi",
    "autoimmune_disease",
    "serious_illness",
    "endometriosis",
    "adenomyosis",
    "pelvic_adhesions",
    "ovaries_inaccessible",
    "ovarian_tumor_history",
    "uterine_dysplasia",
    "hrt_contraindication",
    "recent_poi_trial",
    "partner_severe_male_factor",
    "hbsag",
    "anti_hbc",
    "hcv",
    "hiv",
    "syphilis",
    "lab_abnormality",
    "product_allergy",
    "treatment_date",
    "injections",
    "cells_injected_millions",
    "prp_volume_ml",
    "gcsf_d1_ug_kg",
    "gcsf_d2_ug_kg",
    "gcsf_d3_ug_kg",
    "gcsf_d4_ug_kg",
    "wbc_d1_10e9_l",
    "wbc_d2_10e9_l",
    "wbc_d3_10e9_l",
    "wbc_d4_10e9_l",
    "wbc_d5_10e9_l",
    "symptoms_d1",
    "symptoms_d2",
    "symptoms_d3",
    "symptoms_d4",
    "cd34_d5_per_ul",
    "afc_post",
    "amh_post_ng_ml",
    "ivf_after_treatment",
    "menses_followup",
    "followup_months",
    "comp_ovarian_cyst",
    "comp_ovarian_torsion",
    "comp_endometrioma",
    "comp_endometriosis",
    "comp_ovarian_malignancy",
    "comp_pid",
    "comp_ectopic",
    "comp_autoimmune",
]
INTERCHANGE_PREGNANCIES = [
    "participant_id",
    "conception",
    "months_after_treatment",
    "outcome",
    "infants_live_born",
    "infant_death_first_year",
    "congenital_anomaly",
]
ALTERNATIVES = {"amh_pmol_l", "wbc_per_mm3", "platelets_per_mm3", "wbc_d5_per_mm3"}


INTERCHANGE_VISITS_FIXED = ["participant_id", "visit", "visit_date"]
INTERCHANGE_ADVERSE_EVENTS = [
    "participant_id",
    "term",
    "onset_date",
    "grade",
    "ctcae_version",
    "serious",
    "related",
    "outcome",
]
INTERCHANGE_MOBILISATION = [
    "participant_id",
    "day",
    "weight_kg",
    "dose_ug_kg",
    "wbc_10e9_l",
    "symptoms",
    "proposed_action",
    "proposed_dose_ug_kg",
    "table_version",
    "decision",
    "decided_dose_ug_kg",
    "decision_reason",
    "decided_by",
]
OVAREGEN_ADDITIONS = {
    DatasetFile.PARTICIPANTS: [
        "screening_date",
        "oestradiol_pg_ml",
        "hrt_regimen",
        "prp_platelets_10e9_l",
        "fsh_post_iu_l",
        "oestradiol_post_pg_ml",
    ],
    DatasetFile.MOBILISATION: ["proposal_reason"],
}
"""Columns ovaregen's record holds beyond INTERCHANGE.md (captured, so exported)."""


def _without_additions(file: DatasetFile) -> list[str]:
    extra = OVAREGEN_ADDITIONS.get(file, [])
    return [v.name for v in variables_of(file) if v.name not in extra]


def test_every_interchange_column_is_in_the_dictionary_in_order() -> None:
    assert _without_additions(DatasetFile.PARTICIPANTS) == INTERCHANGE_PARTICIPANTS
    assert _without_additions(DatasetFile.PREGNANCIES) == INTERCHANGE_PREGNANCIES
    assert _without_additions(DatasetFile.ADVERSE_EVENTS) == INTERCHANGE_ADVERSE_EVENTS
    assert _without_additions(DatasetFile.MOBILISATION) == INTERCHANGE_MOBILISATION
    for file, extra in OVAREGEN_ADDITIONS.items():
        assert set(extra) <= {v.name for v in variables_of(file)}


def test_visits_hold_the_follow_up_measurements_under_their_dictionary_names() -> None:
    """INTERCHANGE.md visits.csv: id, visit, date, then the visit's measurements."""
    names = [v.name for v in variables_of(DatasetFile.VISITS)]
    assert names[:3] == INTERCHANGE_VISITS_FIXED
    repeated = [v.name for v in variables_of(DatasetFile.PARTICIPANTS) if v.repeated]
    assert names[3:] == repeated
    assert {"afc_post", "amh_post_ng_ml", "menses_followup", "followup_months"} <= set(repeated)
    aliases = {column for column, _, _ in column_aliases(DatasetFile.VISITS)}
    assert "amh_post_pmol_l" in aliases


def test_interchange_alternative_units_are_accepted() -> None:
    aliases = {column for column, _, _ in column_aliases(DatasetFile.PARTICIPANTS)}
    assert aliases >= ALTERNATIVES
    assert not aliases & {v.name for v in VARIABLES}, "an alias may not shadow a variable"


def test_conversions() -> None:
    amh = variable("amh_ng_ml").alternative_for("amh_pmol_l")
    assert amh is not None and 7.14 * amh.factor == pytest.approx(1.0)
    assert AMH_PMOL_L_PER_NG_ML == 7.14
    platelets = variable("platelets_10e9_l").alternative_for("platelets_per_mm3")
    assert platelets is not None and 247_910 * platelets.factor == pytest.approx(247.91)


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("age_years", 10, 60),
        ("amh_ng_ml", 0, 30),
        ("fsh_1_iu_l", 0, 250),
        ("afc", 0, 80),
        ("hemoglobin_g_dl", 3, 25),
        ("wbc_10e9_l", 0.1, 150),
        ("platelets_10e9_l", 5, 2000),
        ("cd34_d5_per_ul", 0, 2000),
        ("gcsf_d1_ug_kg", 0, 20),
        ("prp_volume_ml", 0, 20),
        ("ovary_left_mm", 1, 80),
        ("followup_months", 0, 240),
    ],
)
def test_suggested_hard_limits_of_criteria_md(name: str, low: float, high: float) -> None:
    hard = variable(name).hard
    assert hard is not None and (hard.low, hard.high) == (low, high)


def test_soft_limits_lie_inside_hard_limits_and_choices_are_lower_case() -> None:
    for v in VARIABLES:
        if v.soft and v.hard:
            assert v.hard.low <= v.soft.low <= v.soft.high <= v.hard.high, v.name
        assert (v.kind is Kind.CHOICE) == bool(v.choices), v.name
        assert all(c == c.lower() for c in v.choices)
        assert v.description, v.name


def test_oestradiol_and_follow_up_fsh_units_limits_and_conversion() -> None:
    """Issue 15: oestradiol in pg/mL (pmol/L accepted: 1 pg/mL = 3.671 pmol/L, molar mass
    272.38 g/mol), hard 0–10000 and soft 0–4000 pg/mL; follow-up FSH as FSH, in IU/L."""
    assert OESTRADIOL_PMOL_L_PER_PG_ML == 3.671
    assert pytest.approx(1000 / 272.38, abs=5e-4) == OESTRADIOL_PMOL_L_PER_PG_ML
    for name, pmol, file in [
        ("oestradiol_pg_ml", "oestradiol_pmol_l", DatasetFile.PARTICIPANTS),
        ("oestradiol_post_pg_ml", "oestradiol_post_pmol_l", DatasetFile.PARTICIPANTS),
        ("oestradiol_post_pg_ml", "oestradiol_post_pmol_l", DatasetFile.VISITS),
    ]:
        v = variable(name, file)
        assert (v.kind, v.unit) == (Kind.NUMBER, "pg/mL")
        assert v.hard is not None and (v.hard.low, v.hard.high) == (0, 10000)
        assert v.soft is not None and (v.soft.low, v.soft.high) == (0, 4000)
        alternative = v.alternative_for(pmol)
        assert alternative is not None and alternative.unit == "pmol/L"
        assert 100 * alternative.factor == pytest.approx(27.24, abs=0.005)
    fsh_post, fsh_1 = variable("fsh_post_iu_l"), variable("fsh_1_iu_l")
    assert (fsh_post.kind, fsh_post.unit) == (Kind.NUMBER, "IU/L")
    assert (fsh_post.hard, fsh_post.soft) == (fsh_1.hard, fsh_1.soft)
    assert variable("fsh_post_iu_l", DatasetFile.VISITS).unit == "IU/L"
    assert variable("oestradiol_pg_ml").group == variable("amh_ng_ml").group
    assert not variable("oestradiol_pg_ml").repeated
    for name in ("fsh_post_iu_l", "oestradiol_post_pg_ml"):
        assert variable(name).repeated
        assert variable(name).group == variable("amh_post_ng_ml").group


def test_oestradiol_and_follow_up_fsh_in_file_order() -> None:
    names = [v.name for v in variables_of(DatasetFile.PARTICIPANTS)]
    assert names[names.index("fsh_2_date") + 1] == "oestradiol_pg_ml"
    after = names.index("amh_post_ng_ml")
    assert names[after + 1 : after + 3] == ["fsh_post_iu_l", "oestradiol_post_pg_ml"]


@pytest.mark.parametrize(
    ("protocol", "baseline", "followup"),
    [
        ("regenera", "screening", ["followup"]),
        ("mensc", "baseline", ["month_3", "month_6"]),
        ("ucmsc-rct", "screening", ["month_3", "month_6", "month_12"]),
    ],
)
def test_schedules_record_oestradiol_and_follow_up_fsh(
    protocol: str, baseline: str, followup: list[str]
) -> None:
    """Oestradiol at the first visit; FSH and oestradiol after treatment at every visit that
    records AMH after treatment, and at no other."""
    schedule = load_protocol(protocol).schedule
    assert [v.id for v in schedule if "oestradiol_pg_ml" in v.records] == [baseline]
    with_amh = [v.id for v in schedule if "amh_post_ng_ml" in v.records]
    assert with_amh == followup
    for name in ("fsh_post_iu_l", "oestradiol_post_pg_ml"):
        assert [v.id for v in schedule if name in v.records] == followup, name
