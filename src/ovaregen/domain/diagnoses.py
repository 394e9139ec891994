"""Diagnoses of ovarian failure as three-valued rule sets: POI, Bologna POR, POSEIDON, DOR.

Every rule follows ``shared/spec/CRITERIA.md`` exactly, missing values included. Cut-offs the
guidelines leave open are :class:`DiagnosisSettings`, printed with every result.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from ovaregen.domain.criteria import Criterion, RuleSet, all_of, any_of, at_least

RULES_VERSION = "2026.1"
"""Version of ovaregen's encoding of the guideline rules; recorded with every result."""


class PoiEdition(StrEnum):
    """Editions of the ESHRE POI guideline."""

    ESHRE_2016 = "eshre-2016"
    ESHRE_2024 = "eshre-2024"


class ReserveLogic(StrEnum):
    """How POSEIDON combines AFC and AMH into low / adequate reserve."""

    AND = "and"
    """Low = AFC < 5 and AMH < 1.2 (Study A's wording); disagreeing markers: unclassified."""
    OR = "or"
    """Low = AFC < 5 or AMH < 1.2 (some centres)."""


POI_SOURCES = {
    PoiEdition.ESHRE_2016: "ESHRE 2016 (Webber et al., Hum Reprod 2016;31:926)",
    PoiEdition.ESHRE_2024: "ESHRE/ASRM/CRE/IMS 2024 (Panay et al., Hum Reprod Open 2024, hoae065)",
}
BOLOGNA_SOURCE = "ESHRE Bologna criteria (Ferraretti et al., Hum Reprod 2011;26:1616)"
POSEIDON_SOURCE = "POSEIDON (Alviggi et al., Fertil Steril 2016;105:1452)"
DOR_SOURCE = "Study A: DOR = POSEIDON group 3 or 4 (AMH < 1.2 ng/mL and AFC < 5)"

POI_AGE_BELOW = 40
POI_CYCLE_MONTHS = 4
POI_FSH_ABOVE_IU_L = 25
POI_FSH_DAYS_APART = 28
"""2016: two FSH values "> 4 weeks apart" = dates more than 28 days apart."""
POSEIDON_AFC_BELOW = 5
POSEIDON_AMH_BELOW_NG_ML = 1.2
POSEIDON_AGE_BELOW = 35
POSEIDON_POOR_BELOW = 4
"""Previous response: < 4 oocytes = poor (a), 4–9 = suboptimal (b), ≥ 10 = not low-prognosis."""
POSEIDON_NORMAL_FROM = 10
BOLOGNA_AGE_FROM = 40

POSEIDON_GROUPS = ("1a", "1b", "2a", "2b", "3", "4", "none", "unclassified", "unknown")


@dataclass(frozen=True)
class DiagnosisSettings:
    """Cut-offs the guidelines leave to the centre (CRITERIA.md)."""

    bologna_afc_below: int = 7
    """Bologna abnormal reserve test: AFC below this (guideline range 5–7)."""
    bologna_amh_below_ng_ml: float = 1.1
    """Bologna abnormal reserve test: AMH below this (guideline range 0.5–1.1 ng/mL)."""
    poseidon_reserve: ReserveLogic = ReserveLogic.AND

    def __post_init__(self) -> None:
        if not 5 <= self.bologna_afc_below <= 7:
            raise ValueError(
                f"Bologna AFC cut-off {self.bologna_afc_below} is outside the guideline's 5–7"
            )
        if not 0.5 <= self.bologna_amh_below_ng_ml <= 1.1:
            raise ValueError(
                f"Bologna AMH cut-off {self.bologna_amh_below_ng_ml} ng/mL is outside the "
                "guideline's 0.5–1.1 ng/mL"
            )

    def describe(self) -> str:
        """The settings in words, printed with every screening result."""
        return (
            f"Bologna reserve test: AFC < {self.bologna_afc_below} or "
            f"AMH < {self.bologna_amh_below_ng_ml:g} ng/mL; POSEIDON reserve markers combined "
            f"with '{self.poseidon_reserve.value}'"
        )


_age = pl.col("age_years")
_afc = pl.col("afc")
_amh = pl.col("amh_ng_ml")


def _fsh_2016() -> pl.Expr:
    """Two FSH > 25 IU/L more than 28 days apart (CRITERIA.md, missing values for 2016).

    True when both values are > 25 and their dates are more than 28 days apart; false when any
    recorded value is ≤ 25, or both values are recorded and their dates are ≤ 28 days apart;
    otherwise unknown.
    """
    fsh1, fsh2 = pl.col("fsh_1_iu_l"), pl.col("fsh_2_iu_l")
    days_apart = (pl.col("fsh_2_date") - pl.col("fsh_1_date")).dt.total_days().abs()
    any_normal = (fsh1 <= POI_FSH_ABOVE_IU_L) | (fsh2 <= POI_FSH_ABOVE_IU_L)
    too_close = fsh1.is_not_null() & fsh2.is_not_null() & (days_apart <= POI_FSH_DAYS_APART)
    confirmed = (
        (fsh1 > POI_FSH_ABOVE_IU_L)
        & (fsh2 > POI_FSH_ABOVE_IU_L)
        & (days_apart > POI_FSH_DAYS_APART)
    )
    return (
        pl.when(any_normal.fill_null(False) | too_close.fill_null(False))
        .then(pl.lit(False))
        .when(confirmed.fill_null(False))
        .then(pl.lit(True))
        .otherwise(pl.lit(None, pl.Boolean))
    )


def _fsh_2024() -> pl.Expr:
    """One FSH > 25 IU/L (CRITERIA.md, missing values for 2024).

    True when any recorded FSH is > 25; false when at least one is recorded and none is > 25;
    unknown when none is recorded.
    """
    values = (pl.col("fsh_1_iu_l"), pl.col("fsh_2_iu_l"))
    raised = any_of((v > POI_FSH_ABOVE_IU_L).fill_null(False) for v in values)
    recorded = any_of(v.is_not_null() for v in values)
    return (
        pl.when(raised)
        .then(pl.lit(True))
        .when(recorded)
        .then(pl.lit(False))
        .otherwise(pl.lit(None, pl.Boolean))
    )


def poi_rules(edition: PoiEdition) -> RuleSet:
    """POI and fluctuating POI by one guideline edition.

    POI = age < 40 and oligo/amenorrhoea ≥ 4 months and the edition's FSH criterion.
    Fluctuating POI (Study A's wording) = age < 40 and exactly one of the cycle and FSH
    criteria true, the other false; reported as its own label, not as POI.
    """
    source = POI_SOURCES[edition]
    fsh_2016 = edition is PoiEdition.ESHRE_2016
    age = Criterion(
        "poi.age", f"age < {POI_AGE_BELOW} years", source, ("age_years",), _age < POI_AGE_BELOW
    )
    cycle = Criterion(
        "poi.cycle",
        f"oligo/amenorrhoea for ≥ {POI_CYCLE_MONTHS} months",
        source,
        ("amenorrhea_months",),
        pl.col("amenorrhea_months") >= POI_CYCLE_MONTHS,
    )
    fsh = Criterion(
        "poi.fsh",
        (
            f"FSH > {POI_FSH_ABOVE_IU_L} IU/L on two occasions > 4 weeks "
            f"(> {POI_FSH_DAYS_APART} days) apart"
            if fsh_2016
            else f"one FSH > {POI_FSH_ABOVE_IU_L} IU/L"
        ),
        source,
        ("fsh_1_iu_l", "fsh_1_date", "fsh_2_iu_l", "fsh_2_date")
        if fsh_2016
        else ("fsh_1_iu_l", "fsh_2_iu_l"),
        _fsh_2016() if fsh_2016 else _fsh_2024(),
    )
    poi = Criterion(
        "poi",
        f"POI ({edition.value}): age, cycle and FSH criteria all met",
        source,
        age.inputs + cycle.inputs + fsh.inputs,
        all_of((age.expression, cycle.expression, fsh.expression)),
        parts=(age.id, cycle.id, fsh.id),
    )
    exactly_one = (cycle.expression & ~fsh.expression) | (~cycle.expression & fsh.expression)
    fluctuating = Criterion(
        "poi.fluctuating",
        "fluctuating POI: age < 40 and exactly one of the cycle and FSH criteria met",
        f"Study A's wording, with the criteria of {source}",
        poi.inputs,
        age.expression & exactly_one,
        parts=(age.id, cycle.id, fsh.id),
    )
    return RuleSet(
        f"poi-{edition.value}", RULES_VERSION, source, (age, cycle, fsh, poi, fluctuating)
    )


def bologna_rules(settings: DiagnosisSettings) -> RuleSet:
    """POR by the Bologna criteria: at least two of three features, or two POR episodes
    after maximal stimulation on their own (CRITERIA.md)."""
    age_or_risk = Criterion(
        "bologna.age_or_risk",
        f"(i) age ≥ {BOLOGNA_AGE_FROM} or another risk factor for POR (empty flag = none)",
        BOLOGNA_SOURCE,
        ("age_years", "por_risk_factor"),
        (_age >= BOLOGNA_AGE_FROM) | pl.col("por_risk_factor").fill_null(False),
    )
    previous_por = Criterion(
        "bologna.previous_por",
        "(ii) a previous POR: ≤ 3 oocytes with a conventional stimulation (≥ 1 such cycle)",
        BOLOGNA_SOURCE,
        ("prior_por_cycles",),
        pl.col("prior_por_cycles") >= 1,
    )
    reserve_test = Criterion(
        "bologna.reserve_test",
        f"(iii) abnormal ovarian reserve test: AFC < {settings.bologna_afc_below} or "
        f"AMH < {settings.bologna_amh_below_ng_ml:g} ng/mL",
        BOLOGNA_SOURCE,
        ("afc", "amh_ng_ml"),
        (_afc < settings.bologna_afc_below) | (_amh < settings.bologna_amh_below_ng_ml),
    )
    features = (age_or_risk, previous_por, reserve_test)
    two_features = Criterion(
        "bologna.two_features",
        "at least two of features (i)–(iii)",
        BOLOGNA_SOURCE,
        tuple(i for f in features for i in f.inputs),
        at_least(2, [f.expression for f in features]),
        parts=tuple(f.id for f in features),
    )
    max_stim = Criterion(
        "bologna.max_stim",
        "two episodes of POR after maximal stimulation (sufficient on their own)",
        BOLOGNA_SOURCE,
        ("prior_por_cycles_max_stim",),
        pl.col("prior_por_cycles_max_stim") >= 2,
    )
    por = Criterion(
        "por_bologna",
        "POR by the Bologna criteria",
        BOLOGNA_SOURCE,
        two_features.inputs + max_stim.inputs,
        two_features.expression | max_stim.expression,
        parts=(two_features.id, max_stim.id),
    )
    return RuleSet(
        "por-bologna-2011",
        RULES_VERSION,
        f"{BOLOGNA_SOURCE}; {settings.describe()}",
        (*features, two_features, max_stim, por),
    )


def low_reserve(settings: DiagnosisSettings) -> pl.Expr:
    """POSEIDON low reserve, three-valued: AFC < 5 and (or) AMH < 1.2 ng/mL."""
    afc_low, amh_low = _afc < POSEIDON_AFC_BELOW, _amh < POSEIDON_AMH_BELOW_NG_ML
    if settings.poseidon_reserve is ReserveLogic.AND:
        return afc_low & amh_low
    return afc_low | amh_low


def poseidon_group(settings: DiagnosisSettings) -> pl.Expr:
    """The POSEIDON group: ``1a``–``4``, ``none``, ``unclassified`` or ``unknown``.

    Adequate reserve = AFC ≥ 5 and AMH ≥ 1.2 ng/mL; low reserve = AFC < 5 and AMH < 1.2
    (or, as a setting, either low). Group 1/2 (age < 35 / ≥ 35): adequate reserve with a poor
    (< 4 oocytes: a) or suboptimal (4–9: b) previous response; group 3/4: low reserve.
    Adequate reserve with ≥ 10 oocytes: ``none``. Markers that disagree under "and":
    ``unclassified``. A missing marker, age, or (adequate reserve) oocyte count: ``unknown``.
    Under "or", one low marker settles low reserve even when the other is missing.
    """
    afc_low, amh_low = _afc < POSEIDON_AFC_BELOW, _amh < POSEIDON_AMH_BELOW_NG_ML
    low = low_reserve(settings)
    young = _age < POSEIDON_AGE_BELOW
    oocytes = pl.col("prior_oocytes_retrieved")
    letter = pl.when(oocytes < POSEIDON_POOR_BELOW).then(pl.lit("a")).otherwise(pl.lit("b"))
    adequate_group = pl.when(young).then(pl.lit("1")).otherwise(pl.lit("2")) + letter
    markers_missing = _afc.is_null() | _amh.is_null()
    if settings.poseidon_reserve is ReserveLogic.AND:
        undetermined = markers_missing
        disagree = afc_low != amh_low
    else:
        undetermined = low.is_null()
        disagree = pl.lit(False)
    return (
        pl.when(undetermined)
        .then(pl.lit("unknown"))
        .when(disagree)
        .then(pl.lit("unclassified"))
        .when(low & _age.is_null())
        .then(pl.lit("unknown"))
        .when(low)
        .then(pl.when(young).then(pl.lit("3")).otherwise(pl.lit("4")))
        .when(oocytes.is_null())
        .then(pl.lit("unknown"))
        .when(oocytes >= POSEIDON_NORMAL_FROM)
        .then(pl.lit("none"))
        .when(_age.is_null())
        .then(pl.lit("unknown"))
        .otherwise(adequate_group)
    )


def dor_rule(settings: DiagnosisSettings) -> Criterion:
    """Study A's DOR = POSEIDON group 3 or 4, i.e. low reserve whatever the age.

    Three-valued on the markers alone: age decides only between groups 3 and 4.
    """
    return Criterion(
        "dor",
        f"DOR: POSEIDON group 3 or 4 (AFC < {POSEIDON_AFC_BELOW} "
        f"{settings.poseidon_reserve.value} AMH < {POSEIDON_AMH_BELOW_NG_ML:g} ng/mL)",
        f"{DOR_SOURCE}; {POSEIDON_SOURCE}",
        ("afc", "amh_ng_ml"),
        low_reserve(settings),
    )
