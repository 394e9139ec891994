"""Laboratory results into the clinic's forms: review, then accept (issue 15).

Rules:
- nothing is stored before a person accepts it: ``review_results`` only reads; ``accept``
  stores the placements accepted, each through the form's own save (``enrolment.save_visit``:
  locks, enrolment, version, eligibility, visit-window deviations), in one transaction;
- every accepted value is audited with its source as the reason (the Observation's id, its
  issued time, the server or file);
- a woman's identifier systems are the study's pseudonym system (``--format fhir``) and the one
  the administrator configured with its FHIR server (``clinic.fhir_settings``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic import ecrf, enrolment, flow, locks, mobilisation
from ovaregen.clinic.deviations import as_date
from ovaregen.clinic.studies import protocol_of
from ovaregen.domain.laboratory import Casebook, Placement, PreTreatment, Review
from ovaregen.domain.laboratory_placement import place
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.record import home_visit
from ovaregen.domain.visit_windows import ANCHOR
from ovaregen.formats.fhir.observations import Results, participant_system
from ovaregen.store.models import FormEntry, Participant, Study


def casebooks_of(
    session: Session, study: Study, women: Sequence[Participant]
) -> dict[str, Casebook]:
    """Their saved forms, treatment dates, enrolment and locked forms, as placing needs them,
    in two look-ups for any number of women (a laboratory's Bundle may hold a whole study)."""
    protocol = protocol_of(study.name)
    forms: dict[int, dict[str, dict[str, Any]]] = {w.id: {} for w in women}
    for chunk in range(0, len(women), _CHUNK):
        ids = [w.id for w in women[chunk : chunk + _CHUNK]]
        entries = session.execute(select(FormEntry).where(FormEntry.participant_id.in_(ids)))
        for entry in entries.scalars():
            forms[entry.participant_id][entry.visit] = dict(entry.data)
    locked = locks.locked_forms(session, study, women)
    home = home_visit(protocol, ANCHOR)
    course = _mobilisation(protocol)
    return {
        w.code: Casebook(
            code=w.code,
            treated=as_date(forms[w.id].get(home, {}).get(ANCHOR)),
            enrolled=w.status not in flow.NOT_ENROLLED,
            forms=forms[w.id],
            locked=locked[w.id],
            course=course,
        )
        for w in women
    }


_CHUNK = 500
"""Women per look-up of their forms (a bound on the statement's parameters)."""


def _mobilisation(protocol: Protocol) -> PreTreatment | None:
    """Study A's G-CSF mobilisation before the injection (``clinic.mobilisation``)."""
    if not any(v.id in mobilisation.DAY_VISITS.values() for v in protocol.schedule):
        return None
    return PreTreatment(
        days=mobilisation.INJECTION_DAY,
        label="G-CSF mobilisation",
        where="leukocytes of a G-CSF day are entered on that day's mobilisation form, which "
        "proposes the next dose (and day 5's with the CD34+ count)",
    )


def identifier_systems(study: Study, configured: str | None) -> frozenset[str]:
    """The identifier systems whose values are this study's participant ids."""
    systems = {participant_system(study.name)}
    if configured:
        systems.add(configured)
    return frozenset(systems)


def review_results(
    session: Session,
    study: Study,
    read: Results,
    women: Sequence[Participant],
    *,
    configured_system: str | None,
    today: date,
) -> Review:
    """Where each result would go among ``women`` (the women the reader may enter data for),
    and what is refused; nothing is stored."""
    protocol = protocol_of(study.name)
    named = {i.value for result in read.results for i in result.patient}
    books = casebooks_of(session, study, [w for w in women if w.code in named])
    placed = place(
        read.results,
        protocol,
        books,
        screening=enrolment.screening_visit(protocol).id,
        identifier_systems=identifier_systems(study, configured_system),
        today=today,
    )
    refusals = tuple(
        sorted(
            (*read.refusals, *placed.refusals),
            key=lambda r: (r.source.entry or 0, r.source.observation),
        )
    )
    return Review(placed.placements, refusals)


@dataclass(frozen=True)
class Accepted:
    """What ``accept`` stored, and the placements it was asked for that no longer exist."""

    stored: tuple[Placement, ...]
    missing: tuple[str, ...]


def accept(
    session: Session,
    study: Study,
    review: Review,
    *,
    keys: Collection[str] | None,
    username: str,
) -> Accepted:
    """Store the accepted placements (``keys``; None: every placement to store) through each
    form's save, audited with their sources. Raises what the form's save raises
    (``locks.LockedError``, ``ecrf.VersionConflictError``, ``StudyError``): the caller rolls the
    whole acceptance back."""
    wanted = review.to_store if keys is None else tuple(p for p in review.to_store if p.key in keys)
    known = {p.key for p in review.to_store}
    missing = tuple(sorted(set(keys or ()) - known))
    codes = {p.participant for p in wanted}
    women = {
        w.code: w
        for w in session.execute(
            select(Participant).where(Participant.study_id == study.id, Participant.code.in_(codes))
        ).scalars()
    }
    for placement in wanted:
        woman = women[placement.participant]
        entry = ecrf.form_entry(session, woman, placement.visit)
        enrolment.save_visit(
            session,
            woman,
            placement.visit,
            placement.values(),
            username=username,
            expected_version=entry.version if entry else None,
            reason=placement.reason(),
        )
    return Accepted(wanted, missing)
