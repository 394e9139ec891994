"""Emergency unblinding: one woman's arm to an investigator of her site, for a stated
emergency, recorded and made known.

The rules (issue 13 item 7; ICH E9 §2.3.1 and §2.3.2, ICH E6(R3) §2.7 and §3.10):

* **Her own site.** Breaking the blind is a decision about one woman's care, taken by an
  investigator responsible for her care at her site. Site scoping already answers another
  site's woman 404; beyond that, some grant of the investigator must *name* her site
  (:func:`may_unblind_at`). A grant of every site — a coordinating or central person — does not
  suffice: ICH E9 asks that the blind be broken only as far as a woman's welfare requires, and
  a study-wide investigator is nobody's treating physician. She is asked, like anyone, for the
  category and the explanation once she is granted the site.
* **A stated category** from :data:`CATEGORIES` and a free-text explanation of at least
  :data:`MIN_UNBLINDING_REASON` characters; free text alone or a category not in the list is
  refused and nothing is revealed.
* **A second request shows the first**: when she was unblinded before, the request names who,
  when and why, and the arm is revealed again only once the requester confirms she has read
  them (``seen_earlier``); the second request is recorded as the first was.
* **Made known**: every unblinding is a row (who, whom, when, category, reason; never the arm)
  and an audit entry; her page marks her unblinded for everyone who may view her (that she was
  unblinded does not depend on her arm), and the statistician and principal investigator
  (``Permission.SEE_UNBLINDINGS``) read the list of every one at their sites.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic import scope
from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError
from ovaregen.clinic.scope import Access
from ovaregen.clinic.studies import StudyError, protocol_of
from ovaregen.store import audit
from ovaregen.store.models import AllocationSlot, Participant, Study, Unblinding

MIN_UNBLINDING_REASON = 10
CATEGORIES: dict[str, str] = {
    "serious_adverse_event": "serious adverse event whose management needs the treatment known",
    "pregnancy": "pregnancy whose care needs the treatment known",
    "regulatory_safety_request": "regulatory or safety request (e.g. an expedited SUSAR report)",
    "other_medical_emergency": "other medical emergency needing the treatment known",
}
"""The emergencies that justify breaking the blind for one woman, in the order offered."""
UNSTATED = "not stated (recorded before categories)"


class AlreadyUnblindedError(StudyError):
    """She was unblinded before and the requester has not confirmed reading it (409)."""

    def __init__(self, participant: str, earlier: Sequence[Unblinding]) -> None:
        first = earlier[0]
        super().__init__(
            f"participant {participant} was unblinded before ({len(earlier)} time(s); first "
            f"on {first.at:%Y-%m-%d %H:%M} UTC by {first.username}, "
            f"{category_label(first.category)}): read the earlier unblinding(s) and confirm "
            "(seen_earlier) to have the arm shown again; nothing was revealed"
        )
        self.earlier = tuple(earlier)


@dataclass(frozen=True)
class Unblinded:
    """An emergency unblinding's answer: the arm, revealed to one investigator."""

    participant: str
    allocation_code: str
    arm: str
    arm_label: str
    category: str
    reason: str
    at: datetime
    earlier: int
    """How many unblindings of her came before this one."""


@dataclass(frozen=True)
class Mark:
    """One unblinding as anyone who may view her sees it: who, whom, when, why; no arm."""

    participant: str
    site: str
    username: str
    at: datetime
    category: str | None
    reason: str
    repeat: bool
    """Whether she had been unblinded before this one."""

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    def as_json(self) -> dict[str, object]:
        return {
            "participant": self.participant,
            "site": self.site,
            "unblinded_by": self.username,
            "at": audit.timestamp(self.at),
            "category": self.category,
            "category_label": self.category_label,
            "reason": self.reason,
            "repeat": self.repeat,
        }


def category_label(category: str | None) -> str:
    """The category's words (rows before revision 0012 have none)."""
    return UNSTATED if category is None else CATEGORIES.get(category, category)


def may_unblind_at(access: Access, study: str, site: str) -> bool:
    """Whether a grant names ``site`` (for ``study`` or every study): an every-site grant does
    not make its holder an investigator of her site (module docstring)."""
    return any(g.site == site and g.study in (None, study) for g in access.grants)


def checked_request(category: str, reason: str) -> tuple[str, str]:
    """The category and explanation, stripped; refused (422) unless both are stated."""
    category, reason = category.strip(), reason.strip()
    if not category:
        raise ReasonRequiredError(
            "emergency unblinding needs a category: expected one of "
            + ", ".join(CATEGORIES)
            + "; nothing was revealed"
        )
    if category not in CATEGORIES:
        raise FormRefusedError(
            {"category": f"{category!r} is not a category: expected one of {', '.join(CATEGORIES)}"}
        )
    if len(reason) < MIN_UNBLINDING_REASON:
        raise ReasonRequiredError(
            "emergency unblinding needs an explanation of at least "
            f"{MIN_UNBLINDING_REASON} characters (e.g. the clinical emergency); "
            "nothing was revealed"
        )
    return category, reason


def unblindings_of(session: Session, participant: Participant) -> Sequence[Unblinding]:
    """Past emergency unblindings of a participant, oldest first (who, when, why; no arm)."""
    return (
        session.execute(
            select(Unblinding)
            .where(Unblinding.participant_id == participant.id)
            .order_by(Unblinding.at, Unblinding.id)
        )
        .scalars()
        .all()
    )


def unblind(
    session: Session,
    participant: Participant,
    *,
    username: str,
    category: str,
    reason: str,
    seen_earlier: bool = False,
) -> Unblinded:
    """Reveal one participant's arm for a stated emergency; recorded and audited.

    Refused (nothing revealed, nothing written) without a listed category and an explanation,
    when she is not randomised, and — when she was unblinded before — unless the requester
    confirms ``seen_earlier``. The arm is neither in the row nor in the audit entry.
    """
    category, reason = checked_request(category, reason)
    slot = session.execute(
        select(AllocationSlot).where(AllocationSlot.participant_id == participant.id)
    ).scalar_one_or_none()
    if slot is None:
        raise StudyError(
            f"participant {participant.code} is not randomised: there is no arm to reveal"
        )
    earlier = unblindings_of(session, participant)
    if earlier and not seen_earlier:
        raise AlreadyUnblindedError(participant.code, earlier)
    record = Unblinding(
        participant_id=participant.id, username=username, reason=reason, category=category
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        username=username,
        action=audit.Action.UNBLIND,
        entity="unblinding",
        entity_id=record.id,
        study=participant.study.name,
        participant=participant.code,
        changes={
            "unblinded_by": [None, username],
            "allocation_code": [None, slot.code],
            "category": [None, category],
            "earlier_unblindings": [None, len(earlier)],
        },
        reason=reason,
    )
    labels = {arm.id: arm.label for arm in protocol_of(participant.study.name).arms}
    return Unblinded(
        participant.code,
        slot.code,
        slot.arm,
        labels.get(slot.arm, slot.arm),
        category,
        reason,
        record.at,
        len(earlier),
    )


def _marks(rows: Sequence[tuple[Unblinding, Participant]]) -> list[Mark]:
    seen: set[int] = set()
    marks = []
    for row, woman in rows:
        marks.append(
            Mark(
                woman.code,
                woman.site.code,
                row.username,
                row.at,
                row.category,
                row.reason,
                woman.id in seen,
            )
        )
        seen.add(woman.id)
    return marks


def marks_of(session: Session, participant: Participant) -> list[Mark]:
    """Her unblindings, oldest first, as her page shows them to everyone who may view her."""
    return _marks([(row, participant) for row in unblindings_of(session, participant)])


def notifications(session: Session, study: Study, access: Access) -> list[Mark]:
    """Every emergency unblinding of ``study`` at the reader's sites, newest first."""
    rows = session.execute(
        select(Unblinding, Participant)
        .join(Participant, Unblinding.participant_id == Participant.id)
        .where(Participant.study_id == study.id, scope.visible(study, access))
        .order_by(Unblinding.at, Unblinding.id)
    ).all()
    return list(reversed(_marks([(u, p) for u, p in rows])))
