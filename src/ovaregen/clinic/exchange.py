"""Export of a study in the interchange format (INTERCHANGE.md): the flat projection of what
the clinic stores, every table of it.

- participants.csv: one row per woman, screening included (status ``screening``), her
  pseudonymous code as ``participant_id``; the values held once per woman from the visit that
  holds each (``domain.record``), and the follow-up columns at ``Protocol.summary_visit``;
- visits.csv: one row per woman and follow-up visit with a saved form (visit date and the
  measurements of that visit);
- pregnancies.csv, adverse_events.csv; mobilisation.csv (Study A): one row per G-CSF day with a
  saved form, the recorded proposal and the clinician's decision (who decided, and why).

Blinding (``clinic.blinding``): ``arm`` and the protocol's arm-revealing variables are written
only for a reader allowed to see arms. Import: ``clinic.importing``.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic import locks
from ovaregen.clinic.blinding import arms_by_participant
from ovaregen.clinic.scope import Access, participants_seen
from ovaregen.clinic.studies import protocol_of
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.record import day_columns, home_visit, mobilisation_days
from ovaregen.domain.schema import canonical_schema
from ovaregen.domain.variables import DatasetFile, Kind, variables_of
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.registry import Writer
from ovaregen.io.dataset import PROVENANCE_FILE, ClinicExport, Dataset
from ovaregen.io.writer import csv_text, interchange_frame
from ovaregen.store import audit
from ovaregen.store.models import (
    AdverseEvent,
    FormEntry,
    GcsfDecision,
    Participant,
    Pregnancy,
    Study,
    utc_now,
)

EXPORT_ACTION = audit.Action.EXPORT
"""The audit action of a dataset export."""
PREGNANCY_COLUMNS = tuple(v.name for v in variables_of(DatasetFile.PREGNANCIES))
EVENT_COLUMNS = tuple(v.name for v in variables_of(DatasetFile.ADVERSE_EVENTS))
DECISION_COLUMNS = {
    "proposed_action": "proposed_action",
    "proposed_dose_ug_kg": "proposed_dose_ug_kg",
    "proposal_reason": "proposal_reason",
    "table_version": "table_version",
    "decision": "decision",
    "decided_dose_ug_kg": "decided_dose_ug_kg",
    "decision_reason": "reason",
    "decided_by": "decided_by",
}
"""mobilisation.csv column → ``GcsfDecision`` attribute."""
VISIT_DATE = "visit_date"
BASE_COLUMNS = ("participant_id", "site", "status", "arm")
Entries = Mapping[int, Mapping[str, Mapping[str, Any]]]
"""Saved form values: participant id → visit → variable → canonical value."""


def typed(value: Any, kind: Kind) -> Any:
    """A stored (JSON) value as the frame's type."""
    if value is None:
        return None
    if kind is Kind.DATE:
        return date.fromisoformat(value) if isinstance(value, str) else value
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.NUMBER:
        return float(value)
    return value


def stored(value: Any) -> Any:
    """A frame value as kept in a form's JSON (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def _frame(rows: list[dict[str, Any]], file: DatasetFile) -> pl.DataFrame:
    schema = canonical_schema(file)
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema, orient="row")


def _supplied(frame: pl.DataFrame, always: Iterable[str] = ()) -> tuple[str, ...]:
    """The columns written: those always written, and those with a value."""
    keep = set(always)
    nulls = frame.null_count().row(0, named=True) if frame.width else {}
    return tuple(c for c in frame.columns if c in keep or nulls[c] < frame.height)


def _entries(session: Session, ids: Sequence[int]) -> dict[int, dict[str, dict[str, Any]]]:
    entries: dict[int, dict[str, dict[str, Any]]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for entry in session.execute(
            select(FormEntry).where(FormEntry.participant_id.in_(chunk))
        ).scalars():
            entries.setdefault(entry.participant_id, {})[entry.visit] = entry.data
    return entries


def participant_rows(
    protocol: Protocol, people: Sequence[Participant], entries: Entries, arms: Mapping[int, str]
) -> list[dict[str, Any]]:
    """One participants.csv row per woman: each value from the visit that holds it."""
    kinds = {v.name: v.kind for v in variables_of(DatasetFile.PARTICIPANTS)}
    homes = {name: home_visit(protocol, name) for name in kinds if name not in BASE_COLUMNS}
    rows = []
    for person in people:
        visits = entries.get(person.id, {})
        row: dict[str, Any] = {
            name: typed(visits.get(home, {}).get(name), kinds[name]) for name, home in homes.items()
        }
        row.update(
            participant_id=person.code,
            site=person.site.code,
            status=person.status,
            arm=arms.get(person.id),
        )
        rows.append(row)
    return rows


def visit_rows(
    protocol: Protocol, people: Sequence[Participant], entries: Entries
) -> list[dict[str, Any]]:
    """One visits.csv row per woman and follow-up visit with a saved form."""
    kinds = {v.name: v.kind for v in variables_of(DatasetFile.VISITS)}
    rows = []
    for person in people:
        visits = entries.get(person.id, {})
        for visit in protocol.followup_visits:
            data = visits.get(visit.id)
            if data is None:
                continue
            row = {
                name: typed(data.get(name), kinds[name]) for name in (VISIT_DATE, *visit.records)
            }
            rows.append(row | {"participant_id": person.code, "visit": visit.id})
    return rows


def mobilisation_rows(
    session: Session, protocol: Protocol, people: Sequence[Participant], entries: Entries
) -> list[dict[str, Any]]:
    """One mobilisation.csv row per woman and G-CSF day whose form holds a value of it."""
    days = mobilisation_days(protocol)
    if not days:
        return []
    kinds = {v.name: v.kind for v in variables_of(DatasetFile.MOBILISATION)}
    decisions = {
        (row.participant_id, row.day): row
        for row in session.execute(
            select(GcsfDecision).where(GcsfDecision.participant_id.in_([p.id for p in people]))
        ).scalars()
    }
    rows = []
    for person in people:
        visits = entries.get(person.id, {})
        for day in days:
            data = visits.get(day.visit)
            if data is None:
                continue
            row: dict[str, Any] = {name: None for name in kinds}
            row |= {"participant_id": person.code, "day": day.day}
            for column, name in day_columns(day.day).items():
                row[column] = typed(data.get(name), kinds[column])
            decision = decisions.get((person.id, day.day))
            if decision is not None:
                for column, attribute in DECISION_COLUMNS.items():
                    value = getattr(decision, attribute)
                    row[column] = None if value == "" else value
            if any(row[c] is not None for c in row if c not in ("participant_id", "day")):
                rows.append(row)  # a visit form holding none of the day's values is no day
    return rows


def _records(
    session: Session,
    table: type[Pregnancy] | type[AdverseEvent],
    codes: Mapping[int, str],
    columns: Sequence[str],
) -> list[dict[str, Any]]:
    rows = []
    statement: Any = select(table).where(table.participant_id.in_(list(codes)))
    for record in session.execute(statement.order_by(table.id)).scalars():
        rows.append(
            {"participant_id": codes[record.participant_id]}
            | {name: getattr(record, name) for name in columns if name != "participant_id"}
        )
    rows.sort(key=lambda r: str(r["participant_id"]))
    return rows


def _events(session: Session, codes: Mapping[int, str]) -> pl.DataFrame:
    rows = _records(session, AdverseEvent, codes, EVENT_COLUMNS)
    for row in rows:
        row["onset_date"] = typed(row["onset_date"], Kind.DATE)
    return _frame(rows, DatasetFile.ADVERSE_EVENTS)


def study_dataset(session: Session, study: Study, *, blinded: bool, access: Access) -> Dataset:
    """The study's record as an interchange dataset of the women ``access`` sees (her sites,
    ``clinic.scope``); ``arm`` and the arm-revealing variables only when not ``blinded`` (for
    a blinded reader they are unknown and not supplied, so that no file written from it
    carries them)."""
    protocol = protocol_of(study.name)
    exported_at = audit.timestamp(utc_now())
    people = list(participants_seen(session, study, access))
    entries = _entries(session, [p.id for p in people])
    arms = arms_by_participant(session, study.id, blinded=blinded) if study.randomised else {}
    codes = {p.id: p.code for p in people}
    hidden = set(protocol.arm_revealing) if blinded else set()
    participants_frame = _frame(
        participant_rows(protocol, people, entries, arms), DatasetFile.PARTICIPANTS
    )
    frames = {
        DatasetFile.PARTICIPANTS: participants_frame,
        DatasetFile.VISITS: _frame(visit_rows(protocol, people, entries), DatasetFile.VISITS),
        DatasetFile.PREGNANCIES: _frame(
            _records(session, Pregnancy, codes, PREGNANCY_COLUMNS), DatasetFile.PREGNANCIES
        ),
        DatasetFile.ADVERSE_EVENTS: _events(session, codes),
        DatasetFile.MOBILISATION: _frame(
            mobilisation_rows(session, protocol, people, entries), DatasetFile.MOBILISATION
        ),
    }
    base = BASE_COLUMNS[:3] + (("arm",) if study.randomised and not blinded else ())
    supplied = {
        DatasetFile.PARTICIPANTS.value: tuple(
            c for c in _supplied(participants_frame, base) if c not in hidden
        ),
        DatasetFile.VISITS.value: _supplied(
            frames[DatasetFile.VISITS], ("participant_id", "visit")
        ),
        DatasetFile.PREGNANCIES.value: PREGNANCY_COLUMNS,
        DatasetFile.ADVERSE_EVENTS.value: EVENT_COLUMNS,
    }
    if mobilisation_days(protocol):
        supplied[DatasetFile.MOBILISATION.value] = _supplied(
            frames[DatasetFile.MOBILISATION], ("participant_id", "day")
        )
    return Dataset(
        participants=participants_frame.with_columns(
            pl.lit(None, participants_frame.schema[name]).alias(name) for name in sorted(hidden)
        ),
        pregnancies=frames[DatasetFile.PREGNANCIES],
        visits=frames[DatasetFile.VISITS],
        adverse_events=frames[DatasetFile.ADVERSE_EVENTS],
        mobilisation=frames[DatasetFile.MOBILISATION],
        source=f"ovaregen clinic, study {study.name}, exported {exported_at}",
        supplied=supplied,
        clinic_export=_clinic_export(session, study, people, exported_at, blinded=blinded),
    )


def _clinic_export(
    session: Session,
    study: Study,
    people: Sequence[Participant],
    exported_at: str,
    *,
    blinded: bool,
) -> ClinicExport:
    """The export's provenance: the study's lock state as the final analysis takes it."""
    state = locks.lock_state(session, study, [p.id for p in people])
    held = state.study_lock
    return ClinicExport(
        study=study.name,
        exported_at=exported_at,
        blinded=blinded,
        study_locked=held is not None,
        locked_since=audit.timestamp(held.locked_at) if held is not None else None,
        locked_by=held.locked_by if held is not None else None,
        lock_reason=held.lock_reason if held is not None else None,
        participants_locked=state.participants_locked,
        forms_locked=state.forms_locked,
    )


def record_export(
    session: Session, study: Study, dataset: Dataset, *, username: str, blinded: bool
) -> None:
    """Audit an export: who took which study's data, blinded or with the arm column."""
    audit.record(
        session,
        username=username,
        action=EXPORT_ACTION,
        entity="dataset",
        entity_id=study.name,
        study=study.name,
        changes={
            "blinded": [None, blinded],
            **(
                {"study_locked": [None, dataset.clinic_export.study_locked]}
                if dataset.clinic_export is not None
                else {}
            ),
            **{
                file.value: [None, dataset.table(file).height]
                for file in DatasetFile
                if dataset.has(file)
            },
        },
        reason="export of the study dataset" + ("" if blinded else " with allocated arms"),
    )


def dataset_files(dataset: Dataset) -> dict[str, str]:
    """Every file of the dataset as interchange CSV text, as ``io.writer`` writes them."""
    return {
        file.file_name: csv_text(interchange_frame(dataset, file))
        for file in DatasetFile
        if file is DatasetFile.PARTICIPANTS or dataset.has(file)
    }


def dataset_zip(dataset: Dataset) -> bytes:
    """The dataset's CSV files in a zip, with its provenance.json (a clinic export's lock
    state) as ``io.writer`` writes it beside them."""
    buffer = io.BytesIO()
    provenance = dataset.provenance_json()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in dataset_files(dataset).items():
            archive.writestr(name, text)
        if provenance is not None:
            archive.writestr(PROVENANCE_FILE, provenance)
    return buffer.getvalue()


def formatted_zip(
    dataset: Dataset, protocol: Protocol, write: Writer, records: ClinicRecords, name: str
) -> bytes:
    """The files a format's writer writes for the dataset (and the clinic's records), zipped
    under ``name/`` as the writer lays them out: written in a temporary folder, removed
    afterwards. ``FormatError`` from the writer passes through: nothing is zipped."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="ovaregen-export-") as folder:
        out = Path(folder) / name
        write(dataset, protocol, out, records)
        files = [out] if out.is_file() else sorted(p for p in out.rglob("*") if p.is_file())
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()
