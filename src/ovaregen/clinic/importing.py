"""Import of a dataset into a study: every table, all or nothing (INTERCHANGE.md).

A validated dataset (``io.reader``, checked against the study's protocol) is stored in the
caller's transaction, each value once, at the visit that holds it (``domain.record``):
participants.csv's values at their schedule visit, visits.csv's rows at their follow-up visit
(participants.csv's follow-up columns, their projection, fill only what a visit row leaves
empty), mobilisation.csv's days at their G-CSF visit with the recorded proposal and decision,
pregnancies and adverse events as rows. Eligibility is recomputed by the protocol's rules; an
``arm`` becomes an allocation of the ``imported`` stratum. Anything refused is refused before
a row is written; one audit entry per participant (its values named ``visit.variable``), per
pregnancy, adverse event and decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ovaregen.clinic import flow
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


def _decision(participant_id: int, day: Mapping[str, Any], username: str) -> GcsfDecision | None:
    """The recorded proposal and decision of a mobilisation.csv day, if it has a decision."""
    if day.get("decision") is None:
        return None
    values = {attribute: day.get(column) for column, attribute in DECISION_COLUMNS.items()}
    for text in ("proposal_reason", "table_version", "reason", "proposed_action"):
        values[text] = values[text] or ""
    values["decided_by"] = values["decided_by"] or username
    return GcsfDecision(participant_id=participant_id, day=day["day"], **values)


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
    """Store a validated dataset in ``study``; raises ``StudyError`` before writing anything."""
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
    ids: dict[str, int] = {}
    allocations = visit_count = day_count = 0
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
        status = row["status"] or flow.COMPLETED
        participant = Participant(
            study_id=study.id,
            site_id=site.id,
            code=row["participant_id"],
            status=status,
            eligible=None if eligible is None else str(eligible).lower(),
            failed_criteria=verdict["failed_criteria"] or "",
            unknown_criteria=verdict["unknown_criteria"] or "",
            enrolled_at=None if status in NOT_ENROLLED else now,
        )
        session.add(participant)
        session.flush()
        ids[participant.code] = participant.id
        own_days = days.get(participant.code, [])
        by_visit = visit_values(protocol, row, visits.get(participant.code, []), own_days)
        visit_count += sum(1 for v in by_visit if v in {f.id for f in protocol.followup_visits})
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
        changes: dict[str, Any] = {"site": [None, site.code], "status": [None, status]}
        for visit, data in by_visit.items():
            changes.update({f"{visit}.{k}": [None, v] for k, v in data.items()})
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
            reason=reason,
        )
        for day in own_days:
            decision = _decision(participant.id, day, username)
            day_count += 1
            if decision is not None:
                _add(session, decision, "gcsf_decision", study, participant.code, username, reason)
    pregnancies = _rows(
        session,
        Pregnancy,
        "pregnancy",
        dataset.pregnancies,
        PREGNANCY_COLUMNS,
        ids,
        study,
        username,
        reason,
    )
    events = _rows(
        session,
        AdverseEvent,
        "adverse_event",
        dataset.adverse_events,
        EVENT_COLUMNS,
        ids,
        study,
        username,
        reason,
    )
    session.flush()
    return ImportSummary(len(ids), pregnancies, allocations, visit_count, events, day_count)


def _add(
    session: Session,
    record: Pregnancy | AdverseEvent | GcsfDecision,
    entity: str,
    study: Study,
    code: str,
    username: str,
    reason: str,
) -> None:
    session.add(record)
    session.flush()
    values = {c.key: getattr(record, c.key) for c in record.__table__.columns}
    for internal in ("id", "participant_id", "created_at", "version", "decided_at"):
        values.pop(internal, None)
    audit.record(
        session,
        username=username,
        action=audit.Action.IMPORT,
        entity=entity,
        entity_id=record.id,
        study=study.name,
        participant=code,
        changes={k: [None, stored(v)] for k, v in values.items() if v is not None},
        reason=reason,
    )


def _rows(
    session: Session,
    table: type[Pregnancy] | type[AdverseEvent],
    entity: str,
    frame: pl.DataFrame,
    columns: tuple[str, ...],
    ids: Mapping[str, int],
    study: Study,
    username: str,
    reason: str,
) -> int:
    count = 0
    for row in frame.iter_rows(named=True):
        values = {name: stored(row[name]) for name in columns if name != "participant_id"}
        record = table(participant_id=ids[row["participant_id"]], **values)
        _add(session, record, entity, study, row["participant_id"], username, reason)
        count += 1
    return count
