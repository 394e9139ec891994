"""Export and import of a study in the interchange format (INTERCHANGE.md).

Export: one participants row per woman past screening-in-progress (pseudonymous code as
``participant_id``), the values of all her forms merged in schedule order (a later visit's value
wins, e.g. the 12-month AFC over the 3-month one), and her pregnancies. The ``arm`` column is
written only for a reader allowed to see arms (``clinic.blinding``). Participants still being
screened have no final eligibility and are left out (counted in the warnings); enrolled women
still in follow-up get an empty status.

Import: a validated dataset (``io.reader``) is stored all or nothing in the caller's
transaction — every value to the first schedule visit that records it (else to
``OTHER_VISIT``), eligibility recomputed by the protocol's rules, one audit entry per
participant and pregnancy.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ovaregen.clinic.blinding import arms_by_participant
from ovaregen.clinic.studies import StudyError, participants, protocol_of
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.schema import canonical_schema
from ovaregen.domain.screening import screen
from ovaregen.domain.variables import DatasetFile, Kind, variables_of
from ovaregen.io.dataset import Dataset, Finding, Severity
from ovaregen.io.writer import interchange_frame
from ovaregen.store import audit
from ovaregen.store.models import (
    AllocationSlot,
    FormEntry,
    Participant,
    Pregnancy,
    Site,
    Study,
    utc_now,
)

OTHER_VISIT = "long_term_followup"
"""Where values go that no schedule visit records (the complications checklist, menses at
follow-up)."""
IMPORTED_STRATUM = "imported"
STATUS_EXPORTED = {
    "screen_failed": "screen_failed",
    "withdrawn": "withdrawn",
    "lost_to_follow_up": "lost_to_follow_up",
    "completed": "completed",
    "enrolled": None,
}
"""Database status → interchange status (None: empty cell, still in follow-up)."""
EXPORT_ACTION = audit.Action.EXPORT
"""The audit action of a dataset export."""
PREGNANCY_COLUMNS = tuple(v.name for v in variables_of(DatasetFile.PREGNANCIES))
_BASE_COLUMNS = ("participant_id", "site", "status", "arm")


def visit_order(protocol: Protocol, visits: Sequence[str]) -> list[str]:
    """Visits in schedule order, then any other visit ids (sorted) — later ones win."""
    scheduled = [v.id for v in protocol.schedule]
    return [v for v in scheduled if v in visits] + sorted(v for v in visits if v not in scheduled)


def visit_for(protocol: Protocol) -> dict[str, str]:
    """Variable → the first schedule visit that records it."""
    home: dict[str, str] = {}
    for visit in protocol.schedule:
        for name in visit.records:
            home.setdefault(name, visit.id)
    return home


def _typed(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind is Kind.DATE:
        return date.fromisoformat(value) if isinstance(value, str) else value
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.NUMBER:
        return float(value)
    return value


def _stored(value: Any) -> Any:
    """A frame value as kept in a form's JSON (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def study_dataset(session: Session, study: Study, *, blinded: bool) -> Dataset:
    """The study's data as an interchange dataset; ``arm`` only when not ``blinded``."""
    protocol = protocol_of(study.name)
    people = [p for p in participants(session, study) if p.status != "screening"]
    in_screening = session.execute(
        select(func.count())
        .select_from(Participant)
        .where(Participant.study_id == study.id, Participant.status == "screening")
    ).scalar_one()
    ids = [p.id for p in people]
    entries: dict[int, dict[str, dict[str, Any]]] = {}
    if ids:
        for entry in session.execute(
            select(FormEntry).where(FormEntry.participant_id.in_(ids))
        ).scalars():
            entries.setdefault(entry.participant_id, {})[entry.visit] = entry.data
    arms = arms_by_participant(session, study.id, blinded=blinded) if study.randomised else {}
    schema = canonical_schema(DatasetFile.PARTICIPANTS)
    kinds = {v.name: v.kind for v in variables_of(DatasetFile.PARTICIPANTS)}
    rows = []
    for person in people:
        merged: dict[str, Any] = {}
        visits = entries.get(person.id, {})
        for visit in visit_order(protocol, list(visits)):
            merged.update({k: v for k, v in visits[visit].items() if k in kinds})
        row = {name: _typed(merged.get(name), kinds[name]) for name in schema}
        row.update(
            participant_id=person.code,
            site=person.site.code,
            status=STATUS_EXPORTED.get(person.status),
            arm=arms.get(person.id),
        )
        rows.append(row)
    frame = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    pregnancies = _pregnancy_frame(session, {p.id: p.code for p in people})
    supplied = [
        name
        for name in schema
        if name in _BASE_COLUMNS[:3]
        or (name == "arm" and study.randomised and not blinded)
        or (name not in _BASE_COLUMNS and frame.get_column(name).null_count() < frame.height)
    ]
    warnings = []
    if in_screening:
        warnings.append(
            Finding(
                Severity.WARNING,
                "participants.csv",
                f"{in_screening} participant(s) still being screened are not exported",
            )
        )
    return Dataset(
        participants=frame,
        pregnancies=pregnancies,
        source=f"ovaregen clinic, study {study.name}, exported {audit.timestamp(utc_now())}",
        supplied={"participants": tuple(supplied), "pregnancies": PREGNANCY_COLUMNS},
        warnings=tuple(warnings),
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
            "participants": [None, dataset.participants.height],
            "pregnancies": [None, dataset.pregnancies.height],
        },
        reason="export of the study dataset" + ("" if blinded else " with allocated arms"),
    )


def dataset_zip(dataset: Dataset) -> bytes:
    """participants.csv and pregnancies.csv in a zip, written as ``io.writer`` writes them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in (DatasetFile.PARTICIPANTS, DatasetFile.PREGNANCIES):
            text = interchange_frame(dataset, file).write_csv(
                include_header=True, null_value="", line_terminator="\n"
            )
            archive.writestr(f"{file.value}.csv", text)
    return buffer.getvalue()


def _pregnancy_frame(session: Session, codes: Mapping[int, str]) -> pl.DataFrame:
    schema = canonical_schema(DatasetFile.PREGNANCIES)
    if not codes:
        return pl.DataFrame(schema=schema)
    rows = [
        {
            "participant_id": codes[row.participant_id],
            **{name: getattr(row, name) for name in PREGNANCY_COLUMNS if name != "participant_id"},
        }
        for row in session.execute(
            select(Pregnancy)
            .where(Pregnancy.participant_id.in_(list(codes)))
            .order_by(Pregnancy.participant_id, Pregnancy.id)
        ).scalars()
    ]
    rows.sort(key=lambda r: str(r["participant_id"]))
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class ImportSummary:
    participants: int
    pregnancies: int
    allocations: int


STATUS_IMPORTED = {
    None: "completed",
    "completed": "completed",
    "screen_failed": "screen_failed",
    "withdrawn": "withdrawn",
    "lost_to_follow_up": "lost_to_follow_up",
}


def _check_import(
    session: Session, study: Study, frame: pl.DataFrame, default_site: str | None
) -> dict[str, Site]:
    """Refuse before writing anything: unknown sites, codes already present, arms of a
    single-arm study or not in the protocol."""
    problems: list[str] = []
    sites = {s.code: s for s in session.execute(select(Site)).scalars()}
    named = frame.get_column("site").fill_null(default_site or "").to_list()
    empty = [line for line, code in enumerate(named, start=2) if not code]
    if empty:
        lines = f"line {empty[0]}" if len(empty) == 1 else f"{len(empty)} rows (lines {empty[0]}–)"
        problems.append(
            f"participants.csv {lines}, column site: empty; give the site in the file or "
            "a default site (--site)"
        )
    unknown: dict[str, list[int]] = {}
    for line, code in enumerate(named, start=2):
        if code and code not in sites:
            unknown.setdefault(code, []).append(line)
    for code, rows in unknown.items():
        more = f" (and {len(rows) - 1} more rows)" if len(rows) > 1 else ""
        problems.append(
            f"participants.csv line {rows[0]}{more}, column site: {code!r} is not a site set up "
            f"here (set up: {', '.join(sorted(sites)) or 'none'}; add it with ovaregen site add)"
        )
    existing = set(
        session.execute(select(Participant.code).where(Participant.study_id == study.id)).scalars()
    )
    for line, code in enumerate(frame.get_column("participant_id").to_list(), start=2):
        if code in existing:
            problems.append(
                f"participants.csv line {line}, column participant_id: {code!r} is already in "
                f"study {study.name}"
            )
    arms = {a.id for a in protocol_of(study.name).arms}
    for line, arm in enumerate(frame.get_column("arm").to_list(), start=2):
        if arm is None:
            continue
        if not study.randomised:
            problems.append(f"participants.csv line {line}, column arm: {study.name} has no arms")
        elif arm not in arms:
            problems.append(
                f"participants.csv line {line}, column arm: {arm!r} is not an arm of "
                f"{study.name} (expected {', '.join(sorted(arms))})"
            )
    if problems:
        shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise StudyError("import refused, nothing was stored:\n" + "\n".join(shown))
    return sites


def import_dataset(
    session: Session,
    study: Study,
    dataset: Dataset,
    *,
    username: str,
    default_site: str | None = None,
) -> ImportSummary:
    """Store a validated dataset in ``study``; raises ``StudyError`` before writing anything."""
    protocol = protocol_of(study.name)
    frame = dataset.participants
    sites = _check_import(session, study, frame, default_site)
    screened = screen(frame, protocol)
    home = visit_for(protocol)
    kinds = {v.name: v.kind for v in variables_of(DatasetFile.PARTICIPANTS)}
    values_of = [n for n in kinds if n not in _BASE_COLUMNS]
    now = utc_now()
    ids: dict[str, int] = {}
    allocations = 0
    next_sequence = (
        session.execute(
            select(func.max(AllocationSlot.sequence)).where(
                AllocationSlot.study_id == study.id, AllocationSlot.stratum == IMPORTED_STRATUM
            )
        ).scalar_one()
        or 0
    )
    for row, verdict in zip(
        frame.iter_rows(named=True), screened.iter_rows(named=True), strict=True
    ):
        site = sites[row["site"] or default_site or ""]
        eligible = verdict["eligible"]
        participant = Participant(
            study_id=study.id,
            site_id=site.id,
            code=row["participant_id"],
            status=STATUS_IMPORTED.get(row["status"], "completed"),
            eligible=None if eligible is None else str(eligible).lower(),
            failed_criteria=verdict["failed_criteria"] or "",
            unknown_criteria=verdict["unknown_criteria"] or "",
            enrolled_at=None if row["status"] == "screen_failed" else now,
        )
        session.add(participant)
        session.flush()
        ids[participant.code] = participant.id
        by_visit: dict[str, dict[str, Any]] = {}
        for name in values_of:
            if row.get(name) is not None:
                by_visit.setdefault(home.get(name, OTHER_VISIT), {})[name] = _stored(row[name])
        session.add_all(
            FormEntry(
                participant_id=participant.id,
                visit=visit,
                data=data,
                updated_by=username,
                updated_at=now,
            )
            for visit, data in by_visit.items()
        )
        changes: dict[str, Any] = {
            "site": [None, site.code],
            "status": [None, participant.status],
        }
        for data in by_visit.values():
            changes.update({k: [None, v] for k, v in data.items()})
        if row.get("arm") is not None:
            next_sequence += 1
            allocations += 1
            slot = AllocationSlot(
                study_id=study.id,
                stratum=IMPORTED_STRATUM,
                sequence=next_sequence,
                block=0,
                arm=row["arm"],
                code=f"I-{study.id}-{next_sequence:06d}",
                participant_id=participant.id,
                allocated_at=now,
                allocated_by=username,
            )
            session.add(slot)
            changes["allocation_code"] = [None, slot.code]
        audit.record(
            session,
            username=username,
            action=audit.Action.IMPORT,
            entity="participant",
            entity_id=participant.id,
            study=study.name,
            participant=participant.code,
            changes=changes,
            reason=f"import of {dataset.source}",
        )
    pregnancies = 0
    for row in dataset.pregnancies.iter_rows(named=True):
        pregnancy = Pregnancy(
            participant_id=ids[row["participant_id"]],
            **{name: row[name] for name in PREGNANCY_COLUMNS if name != "participant_id"},
        )
        session.add(pregnancy)
        session.flush()
        pregnancies += 1
        audit.record(
            session,
            username=username,
            action=audit.Action.IMPORT,
            entity="pregnancy",
            entity_id=pregnancy.id,
            study=study.name,
            participant=row["participant_id"],
            changes={k: [None, v] for k, v in row.items() if v is not None},
            reason=f"import of {dataset.source}",
        )
    session.flush()
    return ImportSummary(len(ids), pregnancies, allocations)
