"""Review of a recorded G-CSF mobilisation: each day's proposal beside the clinician's dose.

The software proposes (``ovaregen.domain.titration``), the clinician decides; both are kept,
and a day whose recorded next-day dose differs from the proposal is a deviation to review, not
an error (CRITERIA.md "G-CSF mobilization support").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ovaregen.domain.titration import (
    LAST_GCSF_DAY,
    Action,
    DoseProposal,
    DoseRefused,
    TitrationTable,
    optional_number,
    optional_text,
    propose_next_dose,
)
from ovaregen.domain.variables import GCSF_DAYS


@dataclass(frozen=True)
class MobilisationRecord:
    """One woman's recorded mobilisation, days 1–4 (None = not recorded; dose 0 = not given)."""

    participant_id: str
    doses_ug_kg: tuple[float | None, ...]
    wbc_10e9_l: tuple[float | None, ...]
    symptoms: tuple[str | None, ...]

    def __post_init__(self) -> None:
        for name in ("doses_ug_kg", "wbc_10e9_l", "symptoms"):
            if len(getattr(self, name)) != len(GCSF_DAYS):
                raise ValueError(f"{self.participant_id}: {name} needs one value per G-CSF day")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> MobilisationRecord:
        """Read a canonical row (``gcsf_dN_ug_kg``, ``wbc_dN_10e9_l``, ``symptoms_dN``)."""
        return cls(
            participant_id=str(row.get("participant_id", "")),
            doses_ug_kg=tuple(optional_number(row.get(f"gcsf_d{d}_ug_kg")) for d in GCSF_DAYS),
            wbc_10e9_l=tuple(optional_number(row.get(f"wbc_d{d}_10e9_l")) for d in GCSF_DAYS),
            symptoms=tuple(optional_text(row.get(f"symptoms_d{d}")) for d in GCSF_DAYS),
        )


@dataclass(frozen=True)
class DayReview:
    """Day ``day``'s proposal beside the dose the clinician recorded for the next day.

    ``followed`` is None when there is nothing to compare: no proposal, ``needs_review``,
    ``complete`` (no dose after day 4) or no recorded next-day dose.
    """

    day: int
    proposal: DoseProposal | None
    recorded_next_dose_ug_kg: float | None
    followed: bool | None
    note: str = ""


@dataclass(frozen=True)
class MobilisationReview:
    """Every day's proposal and whether the recorded next-day dose followed it."""

    participant_id: str
    days: tuple[DayReview, ...]
    table_id: str
    table_version: str

    @property
    def deviations(self) -> tuple[DayReview, ...]:
        """Days whose recorded next-day dose differs from the proposal."""
        return tuple(review for review in self.days if review.followed is False)


def evaluate_mobilisation(
    table: TitrationTable, record: MobilisationRecord, *, tolerance_ug_kg: float = 0.05
) -> MobilisationReview:
    """Propose for each recorded day and compare with the clinician's next-day dose.

    The dose in force is the day's recorded dose; on a day recorded as 0 it is the last dose
    given (a hold), unless G-CSF was stopped after a ``stop`` proposal. A refused input is noted
    on its day, not raised. Doses within ``tolerance_ug_kg`` of the proposal count as followed.
    """
    reviews: list[DayReview] = []
    in_force: float | None = None
    stopped_after: int | None = None
    for index, day in enumerate(GCSF_DAYS):
        given = record.doses_ug_kg[index]
        recorded_next = record.doses_ug_kg[index + 1] if day != LAST_GCSF_DAY else None
        if given is None:
            in_force = None
        elif given != 0:
            in_force, stopped_after = given, None
        if in_force is None or stopped_after is not None:
            note = (
                f"G-CSF stopped after day {stopped_after}"
                if stopped_after is not None
                else f"no dose in force on day {day} (dose not recorded or none given yet)"
            )
            reviews.append(DayReview(day, None, recorded_next, None, note))
            continue
        try:
            proposal = propose_next_dose(
                table,
                day=day,
                dose_ug_kg=in_force,
                wbc_10e9_l=record.wbc_10e9_l[index],
                symptom=record.symptoms[index],
            )
        except DoseRefused as refused:
            reviews.append(DayReview(day, None, recorded_next, None, f"refused: {refused}"))
            continue
        followed = _followed(proposal, recorded_next, tolerance_ug_kg)
        reviews.append(DayReview(day, proposal, recorded_next, followed))
        if proposal.action is Action.STOP and recorded_next == 0:
            stopped_after = day
    return MobilisationReview(record.participant_id, tuple(reviews), table.id, table.version)


def _followed(proposal: DoseProposal, recorded: float | None, tolerance: float) -> bool | None:
    if recorded is None or proposal.action in (Action.NEEDS_REVIEW, Action.COMPLETE):
        return None
    if proposal.action in (Action.HOLD_24H, Action.STOP):
        return recorded == 0
    assert proposal.next_dose_ug_kg is not None
    return abs(recorded - proposal.next_dose_ug_kg) <= tolerance
