"""Confirming an allocation before it is made: what the randomiser sees, and the stale check.

An allocation cannot be undone (ICH E9 §2.3.2: the concealed list is used in order), so the
one click of issue 13 item 10 becomes two steps, as in REDCap's and OpenClinica's randomisation
modules: a confirmation naming the woman's code, her site, the stratification factors as
recorded at screening (her stratum), her eligibility and her consent; then the allocation, only
on an explicit confirmation that carries what was seen (:func:`seen_key`: her participant row's
version and her screening form's version). When her screening changed in between, the key no
longer matches and the allocation is refused (409): the randomiser confirms again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ovaregen.clinic import ecrf, locks
from ovaregen.clinic.blinding import AllocationView, allocation_of
from ovaregen.clinic.randomisation import (
    SCREENING_VISIT,
    factors_of,
    list_of,
    participant_stratum,
    refusal,
)
from ovaregen.clinic.studies import StudyError
from ovaregen.store.models import Participant


class StaleConfirmationError(StudyError):
    """The woman's record changed since the confirmation was shown (409)."""


@dataclass(frozen=True)
class Confirmation:
    """What the randomiser confirms: no arm, no slot, no block."""

    participant: str
    site: str
    eligible: str | None
    consent: bool
    factors: tuple[tuple[str, str], ...]
    """Each stratification factor and her value as recorded at screening ("unknown" if none)."""
    stratum: str | None
    refusal: str | None
    """Why she cannot be randomised now (None when she can)."""
    seen: str
    allocation: AllocationView | None
    """Her allocation when she is randomised already."""

    def as_json(self) -> dict[str, object]:
        return {
            "participant": self.participant,
            "site": self.site,
            "eligible": self.eligible,
            "consent": self.consent,
            "factors": dict(self.factors),
            "stratum": self.stratum,
            "refusal": self.refusal,
            "seen": self.seen,
            "allocation": self.allocation.as_json() if self.allocation else None,
        }


def seen_key(session: Session, participant: Participant) -> str:
    """``<participant version>.<screening form version>``: changes when her screening does."""
    entry = ecrf.form_entry(session, participant, SCREENING_VISIT)
    return f"{participant.version}.{entry.version if entry is not None else 0}"


def _shown(value: object) -> str:
    if value is None:
        return "unknown"
    return str(value).lower() if isinstance(value, bool) else str(value)


def confirmation_of(session: Session, participant: Participant, *, blinded: bool) -> Confirmation:
    """The confirmation page's facts about her, as the caller may see them."""
    entry = ecrf.form_entry(session, participant, SCREENING_VISIT)
    values = dict(entry.data) if entry is not None else {}
    randomisation = list_of(session, participant.study)
    factors = factors_of(randomisation) if randomisation is not None else ()
    why = refusal(session, participant)
    if randomisation is None:
        why = why or (
            f"study {participant.study.name} has no allocation list yet: an administrator "
            "sets it up first"
        )
    stratum = None
    if why is None:
        try:
            stratum = participant_stratum(session, participant, factors)
        except StudyError as error:
            why = str(error)
    return Confirmation(
        participant=participant.code,
        site=participant.site.code,
        eligible=participant.eligible,
        consent=values.get("consent") is True,
        factors=tuple((f.name, _shown(values.get(f.name))) for f in factors),
        stratum=stratum,
        refusal=why,
        seen=seen_key(session, participant),
        allocation=allocation_of(session, participant, blinded=blinded),
    )


def confirmed(session: Session, participant: Participant, *, confirm: bool, seen: str) -> None:
    """Refuse an allocation of locked data first (423, ``clinic.locks``: nothing to confirm),
    then one that was not confirmed (422) or whose confirmation is stale (409)."""
    locks.refuse_participant_change(session, participant)
    if not confirm:
        raise ecrf.FormRefusedError(
            {
                "confirm": "the allocation was not confirmed: expected the confirmation page's "
                "'Allocate' (API: \"confirm\": true); nothing was allocated"
            }
        )
    current = seen_key(session, participant)
    if seen.strip() and seen.strip() != current:
        raise StaleConfirmationError(
            f"participant {participant.code}'s record changed since the confirmation was shown "
            f"(seen {seen.strip()}, now {current}): review her screening and confirm again; "
            "nothing was allocated"
        )
    if not seen.strip():
        raise ecrf.FormRefusedError(
            {
                "seen": "missing: expected the 'seen' value of the confirmation "
                f"(GET …/allocation/confirmation; now {current}); nothing was allocated"
            }
        )
