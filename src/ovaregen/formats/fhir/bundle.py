"""The FHIR R4 Bundle ovaregen writes (``--format fhir``): one JSON file, a Bundle of type
``collection`` (FHIR R4 §2.36 Bundle) holding

- one ResearchStudy from the protocol (identifier = the registry ids, title, status, arms:
  protocol facts, not per-woman data);
- per participant a Patient with no identifying data (only the pseudonymous participant id,
  gender female) and a ResearchSubject (study, individual, status from ``status``;
  ``assignedArm`` only when the dataset carries the ``arm`` column: an unblinded export);
- one Observation per measured value (:data:`MEASURES`): status final, LOINC code where one
  exists else ovaregen's local code (``formats.fhir.loinc``), a UCUM ``valueQuantity``
  (``formats.fhir.ucum``), ``effectiveDateTime`` when the date is known, subject → Patient.

Entries are named by ``urn:uuid`` full URLs derived (UUID v5) from the study and participant
ids, so the same dataset always gives the same bytes, and a blinded export of two datasets
that differ only in their arms gives the same file.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile, Kind
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.fhir import loinc
from ovaregen.formats.fhir.loinc import Code
from ovaregen.formats.fhir.ucum import UCUM_SYSTEM, ucum_of
from ovaregen.formats.folder import write_file
from ovaregen.formats.typed import tables_of, variable_of
from ovaregen.io.dataset import Dataset

Resource = dict[str, Any]

_NAMESPACE = uuid.UUID("6f1d3c2e-8a5b-4f0e-9c7d-0a1b2c3d4e5f")
"""ovaregen's UUID v5 namespace for the Bundle's full URLs."""

LABORATORY = "laboratory"
IMAGING = "imaging"
VITAL_SIGNS = "vital-signs"
_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"


@dataclass(frozen=True)
class Measure:
    """One measured column: its code, its Observation category and the column of its date."""

    file: DatasetFile
    column: str
    code: Code
    category: str
    date: str | None = None


_P, _V, _M = DatasetFile.PARTICIPANTS, DatasetFile.VISITS, DatasetFile.MOBILISATION
MEASURES: tuple[Measure, ...] = (
    Measure(_P, "amh_ng_ml", loinc.AMH, LABORATORY, "screening_date"),
    Measure(_P, "afc", loinc.AFC, IMAGING, "screening_date"),
    Measure(_P, "fsh_1_iu_l", loinc.FSH, LABORATORY, "fsh_1_date"),
    Measure(_P, "fsh_2_iu_l", loinc.FSH, LABORATORY, "fsh_2_date"),
    Measure(_P, "hemoglobin_g_dl", loinc.HAEMOGLOBIN, LABORATORY, "screening_date"),
    Measure(_P, "wbc_10e9_l", loinc.LEUKOCYTES, LABORATORY, "screening_date"),
    Measure(_P, "platelets_10e9_l", loinc.PLATELETS, LABORATORY, "screening_date"),
    Measure(_P, "ovary_left_mm", loinc.OVARY_LEFT, IMAGING, "screening_date"),
    Measure(_P, "ovary_right_mm", loinc.OVARY_RIGHT, IMAGING, "screening_date"),
    *(Measure(_P, f"wbc_d{d}_10e9_l", loinc.LEUKOCYTES, LABORATORY) for d in range(1, 6)),
    Measure(_P, "cd34_d5_per_ul", loinc.CD34, LABORATORY),
    Measure(_P, "afc_post", loinc.AFC, IMAGING),
    Measure(_P, "amh_post_ng_ml", loinc.AMH, LABORATORY),
    Measure(_V, "afc_post", loinc.AFC, IMAGING, "visit_date"),
    Measure(_V, "amh_post_ng_ml", loinc.AMH, LABORATORY, "visit_date"),
    Measure(_M, "wbc_10e9_l", loinc.LEUKOCYTES, LABORATORY),
    Measure(_M, "weight_kg", loinc.BODY_WEIGHT, VITAL_SIGNS),
)
"""Every measured value the dataset holds and where it goes (the dictionary's units)."""

SUBJECT_STATUS = {
    "screening": "screening",
    "screen_failed": "ineligible",
    "ongoing": "on-study",
    "withdrawn": "withdrawn",
    "lost_to_follow_up": "off-study",
    "completed": "off-study",
}
"""The dataset's ``status`` → ResearchSubject.status (FHIR R4 value set research-subject-status)."""
_FINISHED = {"screen_failed", "withdrawn", "lost_to_follow_up", "completed"}

_REGISTRY_SYSTEMS = {"NCT": "https://clinicaltrials.gov"}


def write(dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords) -> list[Path]:
    """Write the Bundle to the one file ``out`` (atomically, ``formats.folder.write_file``)."""
    del records  # audit trail and signatures have no place in a collection of results
    entries = list(bundle_entries(dataset, protocol))

    def writing(path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write('{"resourceType":"Bundle","type":"collection","entry":[')
            for i, entry in enumerate(entries):
                handle.write(("," if i else "") + _json(entry))
            handle.write("]}\n")

    return write_file(out, writing)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _url(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(parts))}"


def _entry(url: str, resource: Resource) -> Resource:
    return {"fullUrl": url, "resource": resource}


def bundle_entries(dataset: Dataset, protocol: Protocol) -> Iterator[Resource]:
    """The Bundle's entries: the study, then per participant Patient and ResearchSubject,
    then the Observations."""
    tables = tables_of(dataset)
    participants = tables[DatasetFile.PARTICIPANTS]
    study_url = _url(protocol.name, "study")
    yield _entry(study_url, research_study(protocol, participants))
    with_arm = "arm" in participants.columns
    columns = ["participant_id", "status", *(["arm"] if with_arm else [])]
    for row in participants.select(c for c in columns if c in participants.columns).iter_rows(
        named=True
    ):
        pid = str(row["participant_id"])
        patient_url = _url(protocol.name, "patient", pid)
        yield _entry(patient_url, _patient(protocol, pid))
        subject: Resource = {
            "resourceType": "ResearchSubject",
            "identifier": [{"system": _id_system(protocol), "value": pid}],
            "status": SUBJECT_STATUS.get(str(row.get("status")), "candidate"),
            "study": {"reference": study_url},
            "individual": {"reference": patient_url},
        }
        if with_arm and row.get("arm") is not None:
            subject["assignedArm"] = str(row["arm"])
        yield _entry(_url(protocol.name, "subject", pid), subject)
    for measure in MEASURES:
        frame = tables.get(measure.file)
        if frame is not None and measure.column in frame.columns:
            yield from _observations(protocol, measure, frame)


def _id_system(protocol: Protocol) -> str:
    return f"urn:ovaregen:study:{protocol.name}:participant"


def _patient(protocol: Protocol, pid: str) -> Resource:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": _id_system(protocol), "value": pid}],
        "gender": "female",
    }


def research_study(protocol: Protocol, participants: pl.DataFrame) -> Resource:
    """The ResearchStudy: registry ids, title, design, arms; status ``completed`` when every
    participant's course is finished, else ``active`` (the protocol states no status)."""
    identifiers: list[Resource] = [{"system": "urn:ovaregen:study", "value": protocol.name}]
    for registry_id in (r.strip() for r in protocol.registry.split(",")):
        if registry_id:
            identifier = {"value": registry_id}
            system = next(
                (s for p, s in _REGISTRY_SYSTEMS.items() if registry_id.startswith(p)), None
            )
            if system is not None:
                identifier = {"system": system, **identifier}
            identifiers.append(identifier)
    statuses = participants["status"].drop_nulls() if "status" in participants.columns else None
    finished = statuses is not None and len(statuses) > 0 and statuses.is_in(_FINISHED).all()
    study: Resource = {
        "resourceType": "ResearchStudy",
        "identifier": identifiers,
        "title": protocol.title,
        "status": "completed" if finished else "active",
        "description": protocol.design,
    }
    if protocol.arms:
        study["arm"] = [
            {"name": arm.id, "description": f"{arm.label}: {arm.description}"}
            for arm in protocol.arms
        ]
    return study


def _observations(protocol: Protocol, measure: Measure, frame: pl.DataFrame) -> Iterator[Resource]:
    variable = variable_of(measure.file, measure.column)
    if variable is None or variable.unit is None:
        raise ValueError(f"{measure.column} is not a dictionary measure with a unit")
    unit, ucum = variable.unit, ucum_of(variable.unit)
    integer = variable.kind is Kind.INTEGER
    key = {_V: "visit", _M: "day"}.get(measure.file)
    date = measure.date if measure.date in frame.columns else None
    columns = ["participant_id", measure.column, *([key] if key else []), *([date] if date else [])]
    rows = frame.select(columns).filter(pl.col(measure.column).is_not_null())
    category = [{"coding": [{"system": _CATEGORY_SYSTEM, "code": measure.category}]}]
    code = {
        "coding": [
            {
                "system": measure.code.system,
                "code": measure.code.code,
                "display": measure.code.display,
            }
        ],
        "text": variable.description,
    }
    for row in rows.iter_rows(named=True):
        pid = str(row["participant_id"])
        where = str(row[key]) if key else "baseline"
        value = row[measure.column]
        observation: Resource = {
            "resourceType": "Observation",
            "identifier": [
                {
                    "system": f"urn:ovaregen:study:{protocol.name}:observation",
                    "value": f"{pid}/{measure.file.value}/{where}/{measure.column}",
                }
            ],
            "status": "final",
            "category": category,
            "code": code,
            "subject": {"reference": _url(protocol.name, "patient", pid)},
        }
        if date and row[date] is not None:
            observation["effectiveDateTime"] = row[date].isoformat()
        observation["valueQuantity"] = {
            "value": int(value) if integer else float(value),
            "unit": unit,
            "system": UCUM_SYSTEM,
            "code": ucum,
        }
        url = _url(protocol.name, "observation", pid, measure.file.value, where, measure.column)
        yield _entry(url, observation)
