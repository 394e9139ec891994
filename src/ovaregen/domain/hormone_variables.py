"""The hormone variables of the data dictionary: AMH, FSH and oestradiol, with their units,
conversions and plausibility limits (``domain.variables`` assembles them into the dictionary).

Source: INTERCHANGE.md (columns) and CRITERIA.md "Units and plausibility" (AMH and FSH
conversions and suggested hard limits). Oestradiol is not in INTERCHANGE.md: ovaregen records
it (issue 15: imported with the laboratory results); it is not a POI criterion (CRITERIA.md,
ESHRE/ASRM/CRE/IMS 2024: "Oestradiol is not a criterion"). Soft limits are ovaregen's own.
"""

from __future__ import annotations

from ovaregen.domain.variable import AlternativeUnit, DatasetFile, Kind, Limits, Variable

AMH_PMOL_L_PER_NG_ML = 7.14
"""AMH: ng/mL × 7.14 = pmol/L (CRITERIA.md "Units and plausibility")."""
OESTRADIOL_PMOL_L_PER_PG_ML = 3.671
"""Oestradiol: pg/mL × 3.671 = pmol/L (pmol/L × 0.2724 = pg/mL), from the molar mass of
oestradiol, 272.38 g/mol: 1 pg/mL = 1/272.38 nmol/L = 3.671 pmol/L."""

AMH_HARD, AMH_SOFT = Limits(0, 30), Limits(0, 15)
FSH_HARD, FSH_SOFT = Limits(0, 250), Limits(0, 150)
OESTRADIOL_HARD, OESTRADIOL_SOFT = Limits(0, 10000), Limits(0, 4000)
"""ovaregen's own: ovarian stimulation for IVF may raise oestradiol to several thousand pg/mL."""

RESERVE = "Ovarian reserve and diagnosis"
"""The dictionary group of the baseline hormones."""

_P = DatasetFile.PARTICIPANTS


def amh(name: str, pmol_column: str, description: str, group: str) -> Variable:
    """AMH in ng/mL; ``pmol_column`` accepted instead and converted."""
    return Variable(
        name,
        _P,
        Kind.NUMBER,
        description,
        "ng/mL",
        AMH_HARD,
        AMH_SOFT,
        alternatives=(AlternativeUnit(pmol_column, "pmol/L", 1 / AMH_PMOL_L_PER_NG_ML),),
        group=group,
    )


def fsh(n: int) -> tuple[Variable, Variable]:
    """FSH measurement ``n`` of the POI rule (IU/L; mIU/mL accepted) and its date."""
    value = Variable(
        f"fsh_{n}_iu_l",
        _P,
        Kind.NUMBER,
        f"FSH, measurement {n} (for the POI rule)",
        "IU/L",
        FSH_HARD,
        FSH_SOFT,
        alternatives=(AlternativeUnit(f"fsh_{n}_miu_ml", "mIU/mL", 1.0),),
        group=RESERVE,
    )
    date = Variable(f"fsh_{n}_date", _P, Kind.DATE, f"date of FSH measurement {n}", group=RESERVE)
    return value, date


def fsh_after_treatment(group: str) -> Variable:
    """FSH at a follow-up visit (IU/L; mIU/mL accepted, as at screening), recorded by the
    clinic."""
    return Variable(
        "fsh_post_iu_l",
        _P,
        Kind.NUMBER,
        "FSH after treatment",
        "IU/L",
        FSH_HARD,
        FSH_SOFT,
        alternatives=(AlternativeUnit("fsh_post_miu_ml", "mIU/mL", 1.0),),
        group=group,
        repeated=True,
    )


def oestradiol(name: str, pmol_column: str, description: str, group: str) -> Variable:
    """Serum oestradiol in pg/mL; ``pmol_column`` accepted instead and converted."""
    return Variable(
        name,
        _P,
        Kind.NUMBER,
        description,
        "pg/mL",
        OESTRADIOL_HARD,
        OESTRADIOL_SOFT,
        alternatives=(AlternativeUnit(pmol_column, "pmol/L", 1 / OESTRADIOL_PMOL_L_PER_PG_ML),),
        group=group,
    )
