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
