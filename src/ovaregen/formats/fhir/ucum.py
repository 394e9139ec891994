"""The dictionary's units as UCUM codes (The Unified Code for Units of Measure, c/s form;
FHIR R4 requires ``http://unitsofmeasure.org`` for a Quantity coded in UCUM). A count without
a UCUM unit is an annotation in braces (UCUM §6 "curly braces"), ``{follicles}``."""

from __future__ import annotations

UCUM_SYSTEM = "http://unitsofmeasure.org"

UCUM: dict[str, str] = {
    "ng/mL": "ng/mL",
    "pmol/L": "pmol/L",
    "pg/mL": "pg/mL",
    "IU/L": "[IU]/L",
    "g/dL": "g/dL",
    "10⁹/L": "10*9/L",
    "/µL": "/uL",
    "follicles": "{follicles}",
    "mm": "mm",
    "kg": "kg",
}
"""Dictionary unit (``Variable.unit``) → UCUM code."""


def ucum_of(unit: str) -> str:
    """The UCUM code of a dictionary unit; KeyError names a unit without one."""
    try:
        return UCUM[unit]
    except KeyError:
        raise KeyError(
            f"the dictionary unit {unit!r} has no UCUM code in formats.fhir.ucum"
        ) from None


IN_DICTIONARY_UNITS: dict[str, tuple[str, float]] = {
    "ng/mL": ("ng/mL", 1.0),
    "ug/L": ("ng/mL", 1.0),
    "pmol/L": ("pmol/L", 1.0),
    "pg/mL": ("pg/mL", 1.0),
    "ng/L": ("pg/mL", 1.0),
    "[IU]/L": ("IU/L", 1.0),
    "m[IU]/mL": ("IU/L", 1.0),
    "10*9/L": ("10⁹/L", 1.0),
    "10*3/uL": ("10⁹/L", 1.0),
    "/nL": ("10⁹/L", 1.0),
    "/uL": ("/mm³", 1.0),
    "/mm3": ("/mm³", 1.0),
    "{follicles}": ("follicles", 1.0),
    "{count}": ("follicles", 1.0),
    "1": ("follicles", 1.0),
}
"""An incoming UCUM code → a dictionary unit (``Variable.unit`` or an alternative's) and the
factor into it: ``value × factor`` is the value in that unit. Each is an identity of UCUM
(1 µg/L = 1 ng/mL; 1 ng/L = 1 pg/mL; 1 mIU/mL = 1 IU/L, CRITERIA.md; 10³/µL = 1/nL = 10⁹/L;
1 mm³ = 1 µL); a count of follicles is a number (UCUM unity ``1`` or an annotation)."""
