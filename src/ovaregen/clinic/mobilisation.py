"""The G-CSF mobilisation log of Study A (regenera): days 1–4 and day 5, proposal and decision.

Rules (STUDIES.md Study A; CRITERIA.md "G-CSF mobilization support"):
- each day is its schedule visit (``mobilisation_d1`` … ``mobilisation_d4``, day 5 =
  ``injection``) saved through ``clinic.ecrf.save_form``, so the log and the generic eCRFs share
  one source of truth; saving one day saves one visit (version and reason-for-change rules);
- weight (kg) and the PRP platelet concentration are not interchange columns: they are defined
  here with their limits and kept in the same visit's values; the total dose of a day is
  weight × dose (µg);
- after day N is recorded the titration table (``domain.titration``) proposes day N + 1's dose;
  the dose in force on a held day (dose 0) is the last dose given (``domain.mobilisation_review``);
- the software proposes, the investigator decides: one decision per day ('accept' or 'change'
  with a dose within the dictionary's hard limit and a reason); changing a recorded decision
  needs a reason, is version-checked and audited old → new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ovaregen.clinic import locks
from ovaregen.clinic.ecrf import (
    Entry,
    Field,
    FormRefusedError,
    ReasonRequiredError,
    form_entry,
    parse_entry,
    save_form,
    visit_of,
)
from ovaregen.clinic.followup import require_enrolled
from ovaregen.clinic.studies import NotFoundError, StudyError, protocol_of
from ovaregen.domain.mobilisation_review import MobilisationRecord, evaluate_mobilisation
from ovaregen.domain.titration import (
    DOSE_HARD_LIMIT_UG_KG,
    LAST_GCSF_DAY,
    Action,
    DoseProposal,
    DoseRefused,
    TitrationTable,
    load_titration_table,
)
from ovaregen.domain.variables import (
    GCSF_DAYS,
    PER_MM3_TO_10E9_L,
    AlternativeUnit,
    DatasetFile,
    Kind,
    Limits,
    Variable,
    variable,
)
from ovaregen.store import audit
from ovaregen.store.models import GcsfDecision, Participant, utc_now

STUDY = "regenera"
"""G-CSF mobilisation is Study A's alone."""
DAY_VISITS = {
    1: "mobilisation_d1",
    2: "mobilisation_d2",
    3: "mobilisation_d3",
    4: "mobilisation_d4",
}
INJECTION_DAY, INJECTION_VISIT = 5, "injection"
DECISIONS = ("accept", "change")
_GROUP = "G-CSF mobilisation (Study A)"

WEIGHT = Variable(
    "weight_kg",
    DatasetFile.PARTICIPANTS,
    Kind.NUMBER,
    "body weight on the G-CSF day (for the total dose)",
    "kg",
    hard=Limits(25, 250),
    soft=Limits(40, 120),
    group=_GROUP,
)
"""Body weight: the total G-CSF dose is weight × µg/kg (ovaregen's plausibility limits)."""
PRP_PLATELETS = Variable(
    "prp_platelets_10e9_l",
    DatasetFile.PARTICIPANTS,
    Kind.NUMBER,
    "platelet concentration of the SCFE-PRP",
    "10⁹/L",
    hard=Limits(5, 10000),
    soft=Limits(150, 3000),
    alternatives=(AlternativeUnit("prp_platelets_per_mm3", "/mm³", PER_MM3_TO_10E9_L),),
    group=_GROUP,
)
"""PRP platelets: whole blood holds 150–450 × 10⁹/L, PRP concentrates it a few-fold."""


@cache
def titration_table() -> TitrationTable:
    """The shipped titration table of Study A (loaded once)."""
    return load_titration_table()


def require_mobilisation(participant: Participant) -> None:
    """404 for a study without G-CSF mobilisation; 409 for a woman not enrolled."""
    if participant.study.name != STUDY:
        raise NotFoundError(
            f"study {participant.study.name} has no G-CSF mobilisation (Study A, {STUDY}, only)"
        )
    require_enrolled(participant)


def visit_id(day: int) -> str:
    """The schedule visit holding day ``day`` (1–4 G-CSF days, 5 = injection)."""
    if day == INJECTION_DAY:
        return INJECTION_VISIT
    if day not in DAY_VISITS:
        raise FormRefusedError({"day": f"day: {day} is not a mobilisation day; expected 1–5"})
    return DAY_VISITS[day]


def day_fields(day: int) -> tuple[Field, ...]:
    """The inputs of one day's row of the log, in column order."""
    visit_of(protocol_of(STUDY), visit_id(day))
    if day == INJECTION_DAY:
        names = ("wbc_d5_10e9_l", "cd34_d5_per_ul", "prp_volume_ml")
        return (*(Field(variable(name)) for name in names), Field(PRP_PLATELETS))
    return (
        Field(WEIGHT),
        Field(variable(f"gcsf_d{day}_ug_kg")),
        Field(variable(f"wbc_d{day}_10e9_l")),
        Field(variable(f"symptoms_d{day}")),
    )


@dataclass(frozen=True)
class MobilisationDay:
    """One row of the log: saved values (canonical units), proposal and decision."""

    day: int
    visit: str
    fields: tuple[Field, ...]
    values: dict[str, Any]
    version: int | None
    updated_by: str
    proposal: DoseProposal | None
    proposal_note: str
    decision: GcsfDecision | None
    decided_dose_hint: float | None
    """The dose the investigator decided for this day after the day before."""

    @property
    def recorded(self) -> bool:
        return self.version is not None

    @property
    def total_dose_ug(self) -> float | None:
        """Weight × dose in µg (None unless both are recorded)."""
        weight = self.values.get(WEIGHT.name)
        dose = self.values.get(f"gcsf_d{self.day}_ug_kg")
        if weight is None or dose is None or self.day == INJECTION_DAY:
            return None
        return round(float(weight) * float(dose), 1)


def decisions_of(session: Session, participant: Participant) -> dict[int, GcsfDecision]:
    rows = session.execute(
        select(GcsfDecision).where(GcsfDecision.participant_id == participant.id)
    ).scalars()
    return {row.day: row for row in rows}


def mobilisation_log(session: Session, participant: Participant) -> tuple[MobilisationDay, ...]:
    """Days 1–5 with their values; days 1–4 once recorded with the proposal and decision."""
    entries = {day: form_entry(session, participant, visit_id(day)) for day in (*GCSF_DAYS, 5)}
    values = {day: dict(entry.data) if entry else {} for day, entry in entries.items()}
    record = MobilisationRecord.from_row(
        {k: v for day in GCSF_DAYS for k, v in values[day].items()}
    )
    review = evaluate_mobilisation(titration_table(), record)
    decisions = decisions_of(session, participant)
    days = []
    for day in (*GCSF_DAYS, INJECTION_DAY):
        entry = entries[day]
        proposal, note = None, ""
        if entry is not None and day in GCSF_DAYS:
            day_review = review.days[day - 1]
            proposal, note = day_review.proposal, day_review.note
        before = decisions.get(day - 1)
        days.append(
            MobilisationDay(
                day=day,
                visit=visit_id(day),
                fields=day_fields(day),
                values=values[day],
                version=entry.version if entry else None,
                updated_by=entry.updated_by if entry else "",
                proposal=proposal,
                proposal_note=note,
                decision=decisions.get(day),
                decided_dose_hint=before.decided_dose_ug_kg if before else None,
            )
        )
    return tuple(days)


def save_day(
    session: Session,
    participant: Participant,
    day: int,
    texts: Mapping[str, Any],
    units: Mapping[str, str] | None = None,
    *,
    username: str,
    expected_version: int | None,
    reason: str = "",
) -> Entry:
    """Validate and save one day's row as its visit (audited by ``ecrf.save_form``)."""
    require_mobilisation(participant)
    fields = day_fields(day)
    given = {k: "" if v is None else str(v) for k, v in texts.items()}
    entry = parse_entry(fields, given, units)
    entry.values = {k: _exact(v) for k, v in entry.values.items()}
    save_form(
        session,
        participant,
        visit_id(day),
        entry.values,
        username=username,
        expected_version=expected_version,
        reason=reason,
    )
    return entry


def _exact(value: Any) -> Any:
    """A converted number without floating-point noise (12500 /mm³ → 12.5, not 12.500…02)."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


def check_decided_dose(day: int, dose_ug_kg: float) -> None:
    """Raise ``DoseRefused`` for a dose the clinician cannot decide (hard limit, after day 4)."""
    if dose_ug_kg < 0 or dose_ug_kg > DOSE_HARD_LIMIT_UG_KG:
        raise DoseRefused(
            f"{dose_ug_kg:g} µg/kg/day is outside the hard limits 0–{DOSE_HARD_LIMIT_UG_KG:g} "
            "µg/kg/day; check the value and that it is in µg/kg, not mg/kg"
        )
    if day == LAST_GCSF_DAY and dose_ug_kg > 0:
        raise DoseRefused(
            f"day {day} was the last G-CSF day: no dose after it (the course is not prolonged)"
        )


FAR_FROM_PROPOSAL = 0.5
"""A decided dose more than half the proposed dose away from it needs confirmation."""


def _plausible_low() -> float:
    limits = variable("gcsf_d1_ug_kg").soft
    assert limits is not None, "the data dictionary sets usual limits for the G-CSF dose"
    return limits.low


PLAUSIBLE_LOW_UG_KG = _plausible_low()
"""Below the dictionary's usual G-CSF dose (2.5 µg/kg/day) a dose given needs confirmation."""


def confirmation_needed(proposal: DoseProposal, decided: float | None) -> str | None:
    """Why a decided dose needs the clinician's confirmation, or None: far from the
    proposal (a slip of a digit), or below a plausible dose while not zero (a unit slip)."""
    if decided is None:
        return None
    proposed = proposal.next_dose_ug_kg
    if (
        proposed is not None
        and proposed > 0
        and abs(decided - proposed) > FAR_FROM_PROPOSAL * proposed
    ):
        return (
            f"{decided:g} µg/kg/day is far from the proposed {proposed:g} µg/kg/day; "
            "confirm the dose to save it"
        )
    if 0 < decided < PLAUSIBLE_LOW_UG_KG:
        return (
            f"{decided:g} µg/kg/day is below a usual G-CSF dose ({PLAUSIBLE_LOW_UG_KG:g} "
            "µg/kg/day); check it is µg/kg and confirm the dose to save it"
        )
    return None


def _decided_dose(proposal: DoseProposal, decision: str, dose_ug_kg: float | None) -> float | None:
    if decision == "accept":
        if proposal.action is Action.NEEDS_REVIEW:
            raise FormRefusedError(
                {
                    "decision": "decision: the proposal needs review and gives no dose; "
                    "expected 'change' with the dose you decide and a reason"
                }
            )
        return 0.0 if proposal.action is Action.STOP else proposal.next_dose_ug_kg
    if dose_ug_kg is None:
        raise FormRefusedError(
            {"dose_ug_kg": "dose: nothing given; expected the dose you decide in µg/kg/day"}
        )
    try:
        check_decided_dose(proposal.day, dose_ug_kg)
    except DoseRefused as refused:
        raise FormRefusedError({"dose_ug_kg": f"dose: {refused}"}) from None
    return dose_ug_kg


def decide(
    session: Session,
    participant: Participant,
    *,
    day: int,
    decision: str,
    dose_ug_kg: float | None,
    reason: str,
    username: str,
    expected_version: int | None,
    confirmed: bool = False,
) -> GcsfDecision:
    """Record the investigator's decision on day ``day``'s proposal; audited.

    'change' needs a dose and a reason, and ``confirmed`` when the dose is far from the
    proposal or implausibly low (``confirmation_needed``); a second decision for the same day
    is a change of decision: it needs a reason and the version the person opened.
    """
    require_mobilisation(participant)
    if day not in GCSF_DAYS:
        raise FormRefusedError({"day": f"day: {day} is not a G-CSF day; expected 1–4"})
    if decision not in DECISIONS:
        raise FormRefusedError(
            {"decision": f'decision: "{decision}" is not accepted; expected accept or change'}
        )
    locks.refuse_form_change(session, participant, visit_id(day))
    proposal = mobilisation_log(session, participant)[day - 1].proposal
    if proposal is None:
        raise StudyError(
            f"no proposal for day {day} yet: record day {day}'s dose, leukocytes and symptom "
            "grade first"
        )
    decided = _decided_dose(proposal, decision, dose_ug_kg)
    if decision == "change" and not confirmed:
        why = confirmation_needed(proposal, decided)
        if why is not None:
            raise FormRefusedError({"confirm": why})
    reason = reason.strip()
    if decision == "change" and not reason:
        raise ReasonRequiredError("give a reason for deciding otherwise than the proposal")
    new = {
        "proposed_action": proposal.action.value,
        "proposed_dose_ug_kg": proposal.next_dose_ug_kg,
        "proposal_reason": proposal.reason,
        "table_version": f"{proposal.table_id} {proposal.table_version}",
        "decision": decision,
        "decided_dose_ug_kg": decided,
    }
    row = decisions_of(session, participant).get(day)
    if row is None:
        if expected_version not in (None, 0):
            raise StudyError(
                f"the decision on day {day} you opened no longer exists; reload the page"
            )
        row = GcsfDecision(
            participant_id=participant.id, day=day, reason=reason, decided_by=username, **new
        )
        try:
            with session.begin_nested():  # a decision taken at the same moment stands
                session.add(row)
                session.flush()
        except IntegrityError:
            raise StudyError(
                f"the decision on day {day} was recorded by someone else at the same moment; "
                "nothing was saved: reload and decide again"
            ) from None
        _record(session, participant, row, audit.Action.CREATE, {}, new | {"day": day}, reason)
        return row
    if expected_version != row.version:
        raise StudyError(
            f"the decision on day {day} was recorded by {row.decided_by} at "
            f"{audit.timestamp(row.decided_at)} (version {row.version}) after you opened the "
            "page; nothing was saved: reload and decide again"
        )
    old = {name: getattr(row, name) for name in new}
    if not audit.differences(old, new):
        return row
    if not reason:
        raise ReasonRequiredError(
            f"the decision on day {day} was recorded before: give a reason for changing it"
        )
    for name, value in new.items():
        setattr(row, name, value)
    row.reason, row.decided_by, row.decided_at = reason, username, utc_now()
    try:
        session.flush()
    except StaleDataError:
        raise StudyError(
            f"the decision on day {day} was changed by someone else at the same moment; "
            "reload and decide again"
        ) from None
    _record(session, participant, row, audit.Action.UPDATE, old, new, reason)
    return row


def _record(
    session: Session,
    participant: Participant,
    row: GcsfDecision,
    action: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    reason: str,
) -> None:
    audit.record(
        session,
        username=row.decided_by,
        action=action,
        entity="gcsf_decision",
        entity_id=row.id,
        study=participant.study.name,
        participant=participant.code,
        changes=audit.differences(old, new),
        reason=reason,
    )


def proposal_json(proposal: DoseProposal | None) -> dict[str, Any] | None:
    """A proposal as the API shows it."""
    if proposal is None:
        return None
    return {
        "action": proposal.action.value,
        "next_dose_ug_kg": proposal.next_dose_ug_kg,
        "applies_to_day": proposal.applies_to_day,
        "reason": proposal.reason,
        "rules": [
            {
                "condition": rule.condition,
                "action": rule.action.value,
                "source": rule.source,
                "note": rule.note,
            }
            for rule in proposal.rules
        ],
        "missing": list(proposal.missing),
        "table_id": proposal.table_id,
        "table_version": proposal.table_version,
    }


def decision_json(row: GcsfDecision | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "day": row.day,
        "decision": row.decision,
        "decided_dose_ug_kg": row.decided_dose_ug_kg,
        "proposed_action": row.proposed_action,
        "proposed_dose_ug_kg": row.proposed_dose_ug_kg,
        "table_version": row.table_version,
        "reason": row.reason,
        "decided_by": row.decided_by,
        "decided_at": audit.timestamp(row.decided_at),
        "version": row.version,
    }


def log_json(days: Sequence[MobilisationDay]) -> list[dict[str, Any]]:
    """The log as the API shows it: values in canonical units."""
    return [
        {
            "day": day.day,
            "visit": day.visit,
            "version": day.version,
            "values": {f.name: day.values.get(f.name) for f in day.fields},
            "total_dose_ug": day.total_dose_ug,
            "proposal": proposal_json(day.proposal),
            "proposal_note": day.proposal_note,
            "decision": decision_json(day.decision),
            "decided_dose_hint_ug_kg": day.decided_dose_hint,
        }
        for day in days
    ]
