"""The data dictionary of the repeated records: pregnancies, follow-up visits, adverse events
and G-CSF mobilisation days (INTERCHANGE.md, one table each).

A follow-up visit's row (visits.csv) holds the follow-up measurements of ``domain.variables``
(those marked ``repeated``) under their dictionary names, once per visit. An adverse event is
graded with CTCAE (grade 5 = death related to the event; ICH E2A: an event resulting in death
is serious). A mobilisation day (Study A) holds what was given and measured that day and, for
days 1–4, what the titration table proposed and what the clinician decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ovaregen.domain.variable import AlternativeUnit, DatasetFile, Kind, Limits, Variable

AE_GRADES = Limits(1, 5)
"""CTCAE grades: 1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death (CTCAE v5.0)."""
AE_RELATEDNESS = ("unrelated", "unlikely", "possible", "probable", "definite", "unknown")
"""Relatedness to the study treatment (INTERCHANGE.md; WHO-UMC causality categories)."""
AE_OUTCOMES = ("ongoing", "recovered", "recovered_with_sequelae", "fatal", "unknown")
"""Outcome of an adverse event (INTERCHANGE.md)."""
PROPOSED_ACTIONS = ("continue", "reduce", "hold_24h", "stop", "needs_review", "complete")
"""What the titration proposal says to do next (``domain.titration.Action``)."""
DECISIONS = ("accept", "change")
"""The clinician's decision on a proposal: take it, or give another dose (with a reason)."""
MOBILISATION_DAYS = Limits(1, 5)
"""G-CSF days 1–4; day 5 is the day of the leukocyte and CD34+ count and the injection."""

_V = DatasetFile.VISITS
_E = DatasetFile.ADVERSE_EVENTS
_M = DatasetFile.MOBILISATION


def _participant(file: DatasetFile, description: str, group: str) -> Variable:
    return Variable("participant_id", file, Kind.TEXT, description, required=True, group=group)


def pregnancy_variables(
    conceptions: tuple[str, ...],
    outcomes: tuple[str, ...],
    months_hard: Limits,
    months_soft: Limits,
) -> list[Variable]:
    """pregnancies.csv: one row per pregnancy (INTERCHANGE.md)."""
    file, group = DatasetFile.PREGNANCIES, "Pregnancies"

    def infants(name: str, description: str, soft: Limits | None = None) -> Variable:
        return Variable(
            name, file, Kind.INTEGER, description, "infants", Limits(0, 8), soft, group=group
        )

    return [
        _participant(file, "the pregnant participant", group),
        Variable(
            "conception",
            file,
            Kind.CHOICE,
            "how the pregnancy was conceived",
            choices=conceptions,
            group=group,
        ),
        Variable(
            "months_after_treatment",
            file,
            Kind.NUMBER,
            "months from (last) injection to conception",
            "months",
            months_hard,
            months_soft,
            group=group,
        ),
        Variable(
            "outcome",
            file,
            Kind.CHOICE,
            "outcome of the pregnancy",
            choices=outcomes,
            group=group,
        ),
        infants("infants_live_born", "infants born alive (2 for twins)", Limits(0, 3)),
        infants("infant_death_first_year", "infants who died in their first year"),
        infants("congenital_anomaly", "infants with a congenital anomaly"),
    ]


def visit_variables(followup: Sequence[Variable]) -> list[Variable]:
    """visits.csv: one row per participant and follow-up visit, holding that visit's values of
    the follow-up variables (the participants.csv variables marked ``repeated``)."""
    group = "Follow-up visits"
    return [
        _participant(_V, "the participant seen", group),
        Variable(
            "visit",
            _V,
            Kind.TEXT,
            "a follow-up visit id of the protocol's schedule (month_3, month_12, …)",
            required=True,
            group=group,
        ),
        Variable("visit_date", _V, Kind.DATE, "date of the visit", group=group),
        *(replace(v, file=_V, group=group) for v in followup),
    ]


def adverse_event_variables() -> list[Variable]:
    """adverse_events.csv: one row per adverse event (INTERCHANGE.md)."""
    group = "Adverse events"
    return [
        _participant(_E, "the participant with the event", group),
        Variable(
            "term",
            _E,
            Kind.TEXT,
            "the event as reported (MedDRA-coded terms welcome)",
            required=True,
            group=group,
        ),
        Variable("onset_date", _E, Kind.DATE, "date the event began", group=group),
        Variable(
            "grade",
            _E,
            Kind.INTEGER,
            "CTCAE grade (1 mild … 5 death related to the event); 5 ⇔ outcome fatal",
            "grade",
            AE_GRADES,
            group=group,
        ),
        Variable("ctcae_version", _E, Kind.TEXT, "CTCAE version used (e.g. 5.0)", group=group),
        Variable(
            "serious",
            _E,
            Kind.BOOLEAN,
            "serious adverse event (ICH E2A); fatal ⇒ serious",
            group=group,
        ),
        Variable(
            "related",
            _E,
            Kind.CHOICE,
            "relatedness to the study treatment",
            choices=AE_RELATEDNESS,
            group=group,
        ),
        Variable(
            "outcome",
            _E,
            Kind.CHOICE,
            "outcome of the event",
            choices=AE_OUTCOMES,
            group=group,
        ),
    ]


def mobilisation_variables(
    *, dose: Variable, leukocytes: Variable, symptoms: Variable
) -> list[Variable]:
    """mobilisation.csv: one row per participant and G-CSF day (Study A). ``dose``,
    ``leukocytes`` and ``symptoms`` are day 1's participants.csv variables, whose kind, unit
    and limits every day shares."""
    group = "G-CSF mobilisation days (Study A)"
    wbc_alternatives = tuple(
        AlternativeUnit("wbc_per_mm3", a.unit, a.factor) for a in leukocytes.alternatives
    )

    def dose_like(name: str, description: str, *, held: bool = False) -> Variable:
        """A dose as day 1's; ``held`` doses may be 0 as usual (a 24-hour hold proposes 0)."""
        soft = dose.soft
        if held and soft is not None:
            soft = Limits(0, soft.high)
        return replace(dose, name=name, file=_M, description=description, soft=soft, group=group)

    def text(name: str, description: str) -> Variable:
        return Variable(name, _M, Kind.TEXT, description, group=group)

    return [
        _participant(_M, "the participant mobilised", group),
        Variable(
            "day",
            _M,
            Kind.INTEGER,
            "G-CSF day (1–4 G-CSF given; 5 = CD34+ count and injection)",
            "day",
            MOBILISATION_DAYS,
            required=True,
            group=group,
        ),
        Variable(
            "weight_kg",
            _M,
            Kind.NUMBER,
            "body weight on the day (for the total dose)",
            "kg",
            Limits(25, 250),
            Limits(40, 120),
            group=group,
        ),
        dose_like("dose_ug_kg", "G-CSF dose given that day (days 1–4)"),
        replace(
            leukocytes,
            name="wbc_10e9_l",
            file=_M,
            description="leukocytes that day",
            alternatives=wbc_alternatives,
            group=group,
        ),
        replace(symptoms, name="symptoms", file=_M, description="G-CSF symptom grade", group=group),
        Variable(
            "proposed_action",
            _M,
            Kind.CHOICE,
            "what the titration table proposed after that day",
            choices=PROPOSED_ACTIONS,
            group=group,
        ),
        dose_like("proposed_dose_ug_kg", "the dose proposed for the next day", held=True),
        text("proposal_reason", "why the table proposed it (its rows and inputs)"),
        text("table_version", "the titration table and version that proposed it"),
        Variable(
            "decision",
            _M,
            Kind.CHOICE,
            "the clinician's decision on the proposal",
            choices=DECISIONS,
            group=group,
        ),
        dose_like(
            "decided_dose_ug_kg", "the dose the clinician decided for the next day", held=True
        ),
        text("decision_reason", "the clinician's reason (needed when changing the proposal)"),
        text("decided_by", "who decided (user name)"),
    ]
