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
    Measure(_P, "oestradiol_pg_ml", loinc.OESTRADIOL, LABORATORY, "screening_date"),
    Measure(_P, "hemoglobin_g_dl", loinc.HAEMOGLOBIN, LABORATORY, "screening_date"),
    Measure(_P, "wbc_10e9_l", loinc.LEUKOCYTES, LABORATORY, "screening_date"),
    Measure(_P, "platelets_10e9_l", loinc.PLATELETS, LABORATORY, "screening_date"),
    Measure(_P, "ovary_left_mm", loinc.OVARY_LEFT, IMAGING, "screening_date"),
    Measure(_P, "ovary_right_mm", loinc.OVARY_RIGHT, IMAGING, "screening_date"),
    *(Measure(_P, f"wbc_d{d}_10e9_l", loinc.LEUKOCYTES, LABORATORY) for d in range(1, 6)),
    Measure(_P, "cd34_d5_per_ul", loinc.CD34, LABORATORY),
    Measure(_P, "afc_post", loinc.AFC, IMAGING),
    Measure(_P, "amh_post_ng_ml", loinc.AMH, LABORATORY),
    Measure(_P, "fsh_post_iu_l", loinc.FSH, LABORATORY),
    Measure(_P, "oestradiol_post_pg_ml", loinc.OESTRADIOL, LABORATORY),
    Measure(_V, "afc_post", loinc.AFC, IMAGING, "visit_date"),
    Measure(_V, "amh_post_ng_ml", loinc.AMH, LABORATORY, "visit_date"),
    Measure(_V, "fsh_post_iu_l", loinc.FSH, LABORATORY, "visit_date"),
    Measure(_V, "oestradiol_post_pg_ml", loinc.OESTRADIOL, LABORATORY, "visit_date"),
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
    """Write the Bundle to the one file ``out`` (atomically, ``formats.folder.write_file``),
    entry by entry: the Bundle is never held whole in memory."""
    del records  # audit trail and signatures have no place in a collection of results

    def writing(path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write('{"resourceType":"Bundle","type":"collection","entry":[')
            first = True
            for chunk in bundle_entries(dataset, protocol):
                handle.write(("" if first else ",") + chunk)
                first = False
            handle.write("]}\n")

    return write_file(out, writing)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _url(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(parts))}"


def _entry(url: str, resource: Resource) -> str:
    return _json({"fullUrl": url, "resource": resource})


def _entries(urls: pl.Expr, resources: pl.Expr) -> pl.Expr:
    """Each row's entry as JSON text: its full URL and its resource (a struct, encoded)."""
    return pl.concat_str(
        pl.lit('{"fullUrl":"'),
        urls,
        pl.lit('","resource":'),
        resources.struct.json_encode(),
        pl.lit("}"),
    )


def _urls(protocol: Protocol, kind: str, keys: pl.Series) -> pl.Series:
    """The ``urn:uuid`` full URL of each key (UUID v5: module docstring)."""
    return pl.Series([_url(protocol.name, kind, key) for key in keys], dtype=pl.String)


def bundle_entries(dataset: Dataset, protocol: Protocol) -> Iterator[str]:
    """The Bundle's entries as JSON text: the study, then per participant Patient and
    ResearchSubject, then the Observations, measure by measure."""
    tables = tables_of(dataset)
    participants = tables[DatasetFile.PARTICIPANTS]
    study_url = _url(protocol.name, "study")
    yield _entry(study_url, research_study(protocol, participants))
    yield from _people(protocol, participants, study_url)
    for measure in MEASURES:
        frame = tables.get(measure.file)
        if frame is not None and measure.column in frame.columns:
            yield from _observations(protocol, measure, frame)


def _people(protocol: Protocol, participants: pl.DataFrame, study_url: str) -> Iterator[str]:
    """Per participant her Patient, then her ResearchSubject (``assignedArm`` only when the
    dataset carries ``arm``)."""
    ids = participants["participant_id"].cast(pl.String)
    identifier = pl.concat_list(
        pl.struct(pl.lit(_id_system(protocol)).alias("system"), pl.col("pid").alias("value"))
    )
    patient = pl.struct(
        pl.lit("Patient").alias("resourceType"),
        identifier.alias("identifier"),
        pl.lit("female").alias("gender"),
    )
    status = (
        pl.col("status")
        .cast(pl.String)
        .replace_strict(SUBJECT_STATUS, default="candidate", return_dtype=pl.String)
        if "status" in participants.columns
        else pl.lit("candidate")
    )
    subject_fields = [
        pl.lit("ResearchSubject").alias("resourceType"),
        identifier.alias("identifier"),
        status.alias("status"),
        pl.struct(pl.lit(study_url).alias("reference")).alias("study"),
        pl.struct(pl.col("patient_url").alias("reference")).alias("individual"),
    ]
    subject = _entries(pl.col("subject_url"), pl.struct(subject_fields))
    if "arm" in participants.columns:
        armed = _entries(
            pl.col("subject_url"),
            pl.struct(*subject_fields, pl.col("arm").cast(pl.String).alias("assignedArm")),
        )
        subject = pl.when(pl.col("arm").is_null()).then(subject).otherwise(armed)
    frame = participants.with_columns(
        pid=ids,
        patient_url=_urls(protocol, "patient", ids),
        subject_url=_urls(protocol, "subject", ids),
    ).select(_entries(pl.col("patient_url"), patient).alias("patient"), subject.alias("subject"))
    for patient_entry, subject_entry in frame.iter_rows():
        yield patient_entry
        yield subject_entry


def _id_system(protocol: Protocol) -> str:
    return f"urn:ovaregen:study:{protocol.name}:participant"


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


def _observations(protocol: Protocol, measure: Measure, frame: pl.DataFrame) -> Iterator[str]:
    """One Observation per non-null value of the measure's column (module docstring)."""
    variable = variable_of(measure.file, measure.column)
    if variable is None or variable.unit is None:
        raise ValueError(f"{measure.column} is not a dictionary measure with a unit")
    key = {_V: "visit", _M: "day"}.get(measure.file)
    date = measure.date if measure.date in frame.columns else None
    rows = frame.filter(pl.col(measure.column).is_not_null())
    if rows.is_empty():
        return
    pid = pl.col("participant_id").cast(pl.String)
    where = pl.col(key).cast(pl.String) if key else pl.lit("baseline")
    value_id = pl.concat_str(
        pid, pl.lit(f"/{measure.file.value}/"), where, pl.lit(f"/{measure.column}")
    )
    value_ids = rows.select(value_id).to_series()
    patients = rows["participant_id"].cast(pl.String)
    rows = rows.with_columns(
        value_id=value_ids,
        url=_urls(protocol, "observation", value_ids),
        patient_url=_urls(protocol, "patient", patients),
    )
    value = pl.col(measure.column)
    fields = [
        pl.lit("Observation").alias("resourceType"),
        pl.concat_list(
            pl.struct(
                pl.lit(f"urn:ovaregen:study:{protocol.name}:observation").alias("system"),
                pl.col("value_id").alias("value"),
            )
        ).alias("identifier"),
        pl.lit("final").alias("status"),
        pl.concat_list(
            pl.struct(
                pl.concat_list(
                    pl.struct(
                        pl.lit(_CATEGORY_SYSTEM).alias("system"),
                        pl.lit(measure.category).alias("code"),
                    )
                ).alias("coding")
            )
        ).alias("category"),
        pl.struct(
            pl.concat_list(
                pl.struct(
                    pl.lit(measure.code.system).alias("system"),
                    pl.lit(measure.code.code).alias("code"),
                    pl.lit(measure.code.display).alias("display"),
                )
            ).alias("coding"),
            pl.lit(variable.description).alias("text"),
        ).alias("code"),
        pl.struct(pl.col("patient_url").alias("reference")).alias("subject"),
    ]
    quantity = pl.struct(
        (value.cast(pl.Int64) if variable.kind is Kind.INTEGER else value.cast(pl.Float64)).alias(
            "value"
        ),
        pl.lit(variable.unit).alias("unit"),
        pl.lit(UCUM_SYSTEM).alias("system"),
        pl.lit(ucum_of(variable.unit)).alias("code"),
    ).alias("valueQuantity")
    entry = _entries(pl.col("url"), pl.struct(*fields, quantity))
    if date:
        dated = _entries(
            pl.col("url"),
            pl.struct(
                *fields,
                pl.col(date).dt.strftime("%Y-%m-%d").alias("effectiveDateTime"),
                quantity,
            ),
        )
        entry = pl.when(pl.col(date).is_null()).then(entry).otherwise(dated)
    yield from rows.select(entry).to_series()
