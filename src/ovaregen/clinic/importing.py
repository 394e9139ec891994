"""Import of a dataset into a study: every table, all or nothing (INTERCHANGE.md).

A validated dataset (``io.reader``, checked against the study's protocol) is stored in the
caller's transaction, each value once, at the visit that holds it (``domain.record``):
participants.csv's values at their schedule visit, visits.csv's rows at their follow-up visit
(participants.csv's follow-up columns, their projection, fill only what a visit row leaves
empty), mobilisation.csv's days at their G-CSF visit with the recorded proposal and decision,
pregnancies and adverse events as rows. Eligibility is recomputed by the protocol's rules; an
``arm`` becomes an allocation of the ``imported`` stratum. Anything refused is refused before
a row is written; then each table is written in multi-row inserts and the trail gets one entry
per participant (its values named ``visit.variable``), pregnancy, adverse event and decision,
appended under one lock of its head (``audit.record_many``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ovaregen.clinic import flow, locks
from ovaregen.clinic.exchange import (
    BASE_COLUMNS,
    DECISION_COLUMNS,
    EVENT_COLUMNS,
    PREGNANCY_COLUMNS,
    stored,
)
from ovaregen.clinic.studies import StudyError, protocol_of
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.pseudonym import pseudonym_problem
from ovaregen.domain.record import day_columns, home_visit, mobilisation_days
from ovaregen.domain.screening import screen
from ovaregen.domain.variables import DatasetFile, variables_of
from ovaregen.io.dataset import Dataset
from ovaregen.store import audit
from ovaregen.store.models import (
    AdverseEvent,
    AllocationSlot,
    FormEntry,
    GcsfDecision,
    Participant,
    Pregnancy,
    Site,
    Study,
    utc_now,
)

IMPORTED_STRATUM = "imported"
NOT_ENROLLED = (flow.SCREENING, flow.SCREEN_FAILED)


@dataclass(frozen=True)
class ImportSummary:
    participants: int
    pregnancies: int
    allocations: int
    visits: int = 0
    adverse_events: int = 0
    mobilisation_days: int = 0


def _lines(problems: list[str]) -> str:
    shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
    return "import refused, nothing was stored:\n" + "\n".join(shown)


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
        problem = pseudonym_problem(code)
        if problem is not None:
            problems.append(
                f"participants.csv line {line}, column participant_id: {code!r} {problem}"
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
        raise StudyError(_lines(problems))
    return sites


def _grouped(frame: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True):
        groups.setdefault(row["participant_id"], []).append(row)
    return groups


def visit_values(
    protocol: Protocol,
    row: Mapping[str, Any],
    visits: Iterable[Mapping[str, Any]],
    days: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """One woman's values by the visit that holds them (``domain.record``); visit and day rows
    first, so that participants.csv's projection of them fills only what they leave empty."""
    by_visit: dict[str, dict[str, Any]] = {}
    names = {v.name for v in variables_of(DatasetFile.VISITS)} - {"participant_id", "visit"}
    for visit in visits:
        values = {k: stored(v) for k, v in visit.items() if k in names and v is not None}
        by_visit.setdefault(visit["visit"], {}).update(values)
    day_visits = {d.day: d.visit for d in mobilisation_days(protocol)}
    for day in days:
        holder = by_visit.setdefault(day_visits[day["day"]], {})
        for column, name in day_columns(day["day"]).items():
            if day.get(column) is not None:
                holder[name] = stored(day[column])
    for name, value in row.items():
        if name in BASE_COLUMNS or value is None or name not in _PARTICIPANT_NAMES:
            continue
        by_visit.setdefault(home_visit(protocol, name), {}).setdefault(name, stored(value))
    return by_visit


_PARTICIPANT_NAMES = frozenset(v.name for v in variables_of(DatasetFile.PARTICIPANTS))


def _decision(participant_id: int, day: Mapping[str, Any], username: str) -> dict[str, Any] | None:
    """The recorded proposal and decision of a mobilisation.csv day, if it has a decision."""
    if day.get("decision") is None:
        return None
    values = {attribute: day.get(column) for column, attribute in DECISION_COLUMNS.items()}
    for text in ("proposal_reason", "table_version", "reason", "proposed_action"):
        values[text] = values[text] or ""
    values["decided_by"] = values["decided_by"] or username
    return {"participant_id": participant_id, "day": day["day"]} | values


def _unstored_proposals(days: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    return [
        f"participant {code}, day {day['day']}"
        for code, rows in days.items()
        for day in rows
        if day.get("decision") is None and day.get("proposed_action") is not None
    ]


def import_dataset(
    session: Session,
    study: Study,
    dataset: Dataset,
    *,
    username: str,
    default_site: str | None = None,
) -> ImportSummary:
    """Store a validated dataset in ``study``; raises ``StudyError`` before writing anything
    (``locks.LockedError`` while the study database is locked)."""
    locks.refuse_study_change(session, study)
    protocol = protocol_of(study.name)
    frame = dataset.participants
    sites = _check_import(session, study, frame, default_site)
    visits, days = _grouped(dataset.visits), _grouped(dataset.mobilisation)
    if days and not mobilisation_days(protocol):
        raise StudyError(_lines([f"mobilisation.csv: study {study.name} has no G-CSF days"]))
    pending = _unstored_proposals(days)
    if pending:
        raise StudyError(
            _lines(
                [
                    f"mobilisation.csv, {where}: a proposal without the clinician's decision; "
                    "the clinic records a proposal with its decision (give decision, or leave "
                    "the proposal columns empty: the clinic computes the proposal itself)"
                    for where in pending
                ]
            )
        )
    screened = screen(frame, protocol)
    now = utc_now()
    reason = f"import of {dataset.source}"
    rows = list(frame.iter_rows(named=True))
    people = [
        _participant(study, sites[row["site"] or default_site or ""], row, verdict, now)
        for row, verdict in zip(rows, screened.iter_rows(named=True), strict=True)
    ]
    ids = dict(
        zip((p["code"] for p in people), _inserted(session, Participant, people), strict=True)
    )
    followup = {f.id for f in protocol.followup_visits}
    entries: list[dict[str, Any]] = []
    slots: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    trail: list[audit.NewEntry] = []
    next_sequence = _last_imported_slot(session, study)
    visit_count = day_count = 0
    for row, person in zip(rows, people, strict=True):
        code = person["code"]
        own_days = days.get(code, [])
        by_visit = visit_values(protocol, row, visits.get(code, []), own_days)
        visit_count += sum(1 for v in by_visit if v in followup)
        entries.extend(
            {
                "participant_id": ids[code],
                "visit": visit,
                "data": data,
                "updated_by": username,
                "created_at": now,
                "updated_at": now,
            }
            for visit, data in by_visit.items()
        )
        changes: dict[str, Any] = {
            "site": [None, row["site"] or default_site],
            "status": [None, person["status"]],
        }
        for visit, data in by_visit.items():
            changes.update({f"{visit}.{k}": [None, v] for k, v in data.items()})
        if row.get("arm") is not None:
            next_sequence += 1
            slot = {
                "study_id": study.id,
                "stratum": IMPORTED_STRATUM,
                "sequence": next_sequence,
                "block": 0,
                "arm": row["arm"],
                "code": f"I-{study.id}-{next_sequence:06d}",
                "participant_id": ids[code],
                "allocated_at": now,
                "allocated_by": username,
            }
            slots.append(slot)
            changes["allocation_code"] = [None, slot["code"]]
        trail.append(
            audit.NewEntry(
                username,
                audit.Action.IMPORT,
                "participant",
                ids[code],
                changes,
                study.name,
                code,
                reason,
            )
        )
        day_count += len(own_days)
        decisions.extend(
            decision
            for decision in (_decision(ids[code], day, username) for day in own_days)
            if decision is not None
        )
    _inserted(session, FormEntry, entries, returning=False)
    _inserted(session, AllocationSlot, slots, returning=False)
    codes = {number: code for code, number in ids.items()}
    records: list[tuple[Table, str, list[dict[str, Any]]]] = [
        (GcsfDecision, "gcsf_decision", decisions),
        (Pregnancy, "pregnancy", _values(dataset.pregnancies, PREGNANCY_COLUMNS, ids)),
        (AdverseEvent, "adverse_event", _values(dataset.adverse_events, EVENT_COLUMNS, ids)),
    ]
    for table, entity, values in records:
        for number, record in zip(_inserted(session, table, values), values, strict=True):
            trail.append(_record_entry(entity, number, record, codes, study, username, reason))
    audit.record_many(session, trail)
    return ImportSummary(
        len(ids), len(records[1][2]), len(slots), visit_count, len(records[2][2]), day_count
    )


def _participant(
    study: Study, site: Site, row: Mapping[str, Any], verdict: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """The participant row of a participants.csv line, eligibility by the protocol's rules."""
    eligible = verdict["eligible"]
    status = row["status"] or flow.COMPLETED
    return {
        "study_id": study.id,
        "site_id": site.id,
        "code": row["participant_id"],
        "status": status,
        "eligible": None if eligible is None else str(eligible).lower(),
        "failed_criteria": verdict["failed_criteria"] or "",
        "unknown_criteria": verdict["unknown_criteria"] or "",
        "enrolled_at": None if status in NOT_ENROLLED else now,
        "created_at": now,
    }


def _last_imported_slot(session: Session, study: Study) -> int:
    return (
        session.execute(
            select(func.max(AllocationSlot.sequence)).where(
                AllocationSlot.study_id == study.id, AllocationSlot.stratum == IMPORTED_STRATUM
            )
        ).scalar_one()
        or 0
    )


Table = (
    type[Participant]
    | type[FormEntry]
    | type[AllocationSlot]
    | type[GcsfDecision]
    | type[Pregnancy]
    | type[AdverseEvent]
)


def _inserted(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    returning: bool = True,
) -> list[int]:
    """Insert ``rows`` as multi-row statements; their new ids in the rows' order."""
    if not rows:
        return []
    if not returning:
        session.execute(insert(table), rows)
        return []
    statement = insert(table).returning(table.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


_INTERNAL = ("id", "participant_id", "created_at", "version", "decided_at")


def _record_entry(
    entity: str,
    number: int,
    values: Mapping[str, Any],
    codes: Mapping[int, str],
    study: Study,
    username: str,
    reason: str,
) -> audit.NewEntry:
    """The audit entry of an imported pregnancy, adverse event or G-CSF decision."""
    changes = {k: [None, v] for k, v in values.items() if k not in _INTERNAL and v is not None}
    return audit.NewEntry(
        username,
        audit.Action.IMPORT,
        entity,
        number,
        changes,
        study.name,
        codes[values["participant_id"]],
        reason,
    )


def _values(
    frame: pl.DataFrame, columns: tuple[str, ...], ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Pregnancy or adverse-event rows of a dataset table, with their participant's id."""
    return [
        {"participant_id": ids[row["participant_id"]]}
        | {name: stored(row[name]) for name in columns if name != "participant_id"}
        for row in frame.iter_rows(named=True)
    ]
