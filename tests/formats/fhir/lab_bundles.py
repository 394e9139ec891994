"""Laboratory Bundles as a hospital's FHIR server would send them, for the import tests: one
Patient per woman (her participant id under a given identifier system) and Observations with
LOINC codes, UCUM units and specimen dates."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LOCAL = "urn:ovaregen:fhir:measure"

_numbers = itertools.count(1)


def system_of(study: str) -> str:
    return f"urn:ovaregen:study:{study}:participant"


@dataclass
class LabBundle:
    """A Bundle under construction: ``patient`` then ``result`` calls, then ``json()``."""

    kind: str = "collection"
    entries: list[dict[str, Any]] = field(default_factory=list)

    def patient(self, code: str, *, system: str, patient_id: str | None = None) -> str:
        """Add her Patient; returns the reference her results use."""
        pid = patient_id or f"pat-{code}"
        self.entries.append(
            {
                "fullUrl": f"https://lab.example.org/fhir/Patient/{pid}",
                "resource": {
                    "resourceType": "Patient",
                    "id": pid,
                    "identifier": [
                        {"system": "https://hospital.example.org/mrn", "value": f"MRN{pid}"},
                        {"system": system, "value": code},
                    ],
                },
            }
        )
        return f"Patient/{pid}"

    def result(
        self,
        subject: str,
        code: str,
        value: float | None,
        unit: str,
        taken: str,
        *,
        system: str = LOINC,
        status: str = "final",
        observation_id: str | None = None,
        issued: str = "2024-06-01T09:30:00+02:00",
        ucum: bool = True,
        comparator: str | None = None,
        specimen_taken: str | None = None,
    ) -> str:
        """Add one Observation (and its Specimen when ``specimen_taken``); returns its id."""
        oid = observation_id or f"obs-{next(_numbers)}"
        quantity: dict[str, Any] = {"unit": unit}
        if value is not None:
            quantity["value"] = value
        if ucum:
            quantity |= {"system": UCUM, "code": unit}
        if comparator:
            quantity["comparator"] = comparator
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": oid,
            "status": status,
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "laboratory",
                        }
                    ]
                }
            ],
            "code": {"coding": [{"system": system, "code": code}]},
            "subject": {"reference": subject},
            "effectiveDateTime": f"{taken}T08:00:00+01:00",
            "issued": issued,
            "valueQuantity": quantity,
        }
        if specimen_taken:
            sid = f"spec-{oid}"
            self.entries.append(
                {
                    "fullUrl": f"https://lab.example.org/fhir/Specimen/{sid}",
                    "resource": {
                        "resourceType": "Specimen",
                        "id": sid,
                        "collection": {"collectedDateTime": specimen_taken},
                    },
                }
            )
            resource["specimen"] = {"reference": f"Specimen/{sid}"}
        self.entries.append(
            {"fullUrl": f"https://lab.example.org/fhir/Observation/{oid}", "resource": resource}
        )
        return oid

    def json(self) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": self.kind, "entry": list(self.entries)}
