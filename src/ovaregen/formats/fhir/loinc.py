"""The codes ovaregen gives its measured values: LOINC where a LOINC term exists, else the
local code system :data:`LOCAL_SYSTEM` (AFC, ovarian diameter and CD34+ have no LOINC term the
project has verified).

A LOINC code is ``NNNNN-C`` with ``C`` its mod-10 check digit (LOINC Users' Guide, appendix
"Calculating Mod 10 check digits"): :func:`check_digit`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ovaregen.domain.laboratory import Analyte

LOINC_SYSTEM = "http://loinc.org"
"""LOINC's code system URI (FHIR R4 terminologies-systems)."""
LOCAL_SYSTEM = "urn:ovaregen:fhir:measure"
"""ovaregen's own code system for measures without a LOINC term (a URN: no web address is
claimed)."""


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str


AMH = Code(LOINC_SYSTEM, "38476-8", "Anti-Mullerian hormone [Mass/volume] in Serum or Plasma")
AMH_PMOL = Code(LOINC_SYSTEM, "48377-6", "Anti-Mullerian hormone [Moles/volume] in Serum or Plasma")
FSH = Code(LOINC_SYSTEM, "15067-2", "Follitropin [Units/volume] in Serum or Plasma")
OESTRADIOL = Code(LOINC_SYSTEM, "2243-4", "Estradiol (E2) [Mass/volume] in Serum or Plasma")
OESTRADIOL_PMOL = Code(LOINC_SYSTEM, "14715-7", "Estradiol (E2) [Moles/volume] in Serum or Plasma")
LEUKOCYTES = Code(LOINC_SYSTEM, "6690-2", "Leukocytes [#/volume] in Blood by Automated count")
HAEMOGLOBIN = Code(LOINC_SYSTEM, "718-7", "Hemoglobin [Mass/volume] in Blood")
PLATELETS = Code(LOINC_SYSTEM, "777-3", "Platelets [#/volume] in Blood by Automated count")
BODY_WEIGHT = Code(LOINC_SYSTEM, "29463-7", "Body weight")

AFC = Code(LOCAL_SYSTEM, "afc", "Antral follicle count, both ovaries (no LOINC term)")
OVARY_LEFT = Code(LOCAL_SYSTEM, "ovary-left-diameter", "Mean diameter of the left ovary")
OVARY_RIGHT = Code(LOCAL_SYSTEM, "ovary-right-diameter", "Mean diameter of the right ovary")
CD34 = Code(LOCAL_SYSTEM, "cd34-blood", "Circulating CD34+ cells [#/volume] in Blood")

LOINC_CODES = (
    AMH,
    AMH_PMOL,
    FSH,
    OESTRADIOL,
    OESTRADIOL_PMOL,
    LEUKOCYTES,
    HAEMOGLOBIN,
    PLATELETS,
    BODY_WEIGHT,
)
"""Every LOINC code the project uses (out in ``--format fhir``, in with ``fhir import``)."""


def check_digit(number: str) -> int:
    """LOINC's mod-10 check digit of the code's number part (the Users' Guide's steps): the
    odd positions counted from the right, read right to left, times 2; the even positions
    before it; the digits summed; the check digit brings the sum to the next multiple of 10."""
    if not number.isdigit():
        raise ValueError(f"a LOINC number is digits only, not {number!r}")
    reversed_digits = number[::-1]
    odd = reversed_digits[0::2]
    even = reversed_digits[1::2]
    joined = even + str(int(odd) * 2)
    total = sum(int(d) for d in joined)
    return (10 - total % 10) % 10


def is_valid_loinc(code: str) -> bool:
    """Whether ``code`` is ``digits-digit`` with the right check digit."""
    number, dash, digit = code.partition("-")
    return (
        bool(dash)
        and number.isdigit()
        and digit.isdigit()
        and len(digit) == 1
        and (check_digit(number) == int(digit))
    )


@dataclass(frozen=True)
class Incoming:
    """A code ``fhir import`` takes: what it measures and the UCUM units of its property
    (a mass code takes mass units, a molar code molar ones: LOINC's property axis)."""

    code: Code
    analyte: Analyte
    units: frozenset[str]


_MASS_AMH = frozenset({"ng/mL", "ug/L"})
_MOLAR = frozenset({"pmol/L"})
_FSH_UNITS = frozenset({"[IU]/L", "m[IU]/mL"})
_MASS_E2 = frozenset({"pg/mL", "ng/L"})
_COUNT_BLOOD = frozenset({"10*9/L", "10*3/uL", "/nL", "/uL", "/mm3"})
_COUNT = frozenset({"{follicles}", "1", "{count}"})

INCOMING: tuple[Incoming, ...] = (
    Incoming(AMH, Analyte.AMH, _MASS_AMH),
    Incoming(AMH_PMOL, Analyte.AMH, _MOLAR),
    Incoming(FSH, Analyte.FSH, _FSH_UNITS),
    Incoming(OESTRADIOL, Analyte.OESTRADIOL, _MASS_E2),
    Incoming(OESTRADIOL_PMOL, Analyte.OESTRADIOL, _MOLAR),
    Incoming(LEUKOCYTES, Analyte.LEUKOCYTES, _COUNT_BLOOD),
    Incoming(AFC, Analyte.AFC, _COUNT),
)
"""The results ``ovaregen fhir import`` takes (issue 15): LOINC terms, and AFC's local code
(no LOINC term exists for an antral follicle count)."""


def incoming(system: str | None, code: str | None) -> Incoming | None:
    """The incoming code ``system|code`` names, if ovaregen takes it."""
    return next((i for i in INCOMING if i.code.system == system and i.code.code == code), None)
