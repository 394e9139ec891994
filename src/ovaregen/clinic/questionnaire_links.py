"""Questionnaire links: a participant answers one follow-up visit without logging in
(issue 13 item 8; study B's structured telephone questionnaire, STUDIES.md).

The rules:
- a coordinator or investigator (``Permission.ENTER_DATA``) creates a link for one enrolled
  woman (ongoing or lost to follow-up: a withdrawn woman gave back her consent, ICH E6(R3)
  §2.8.10) and one follow-up visit of the protocol that has questions she can answer herself
  (``LAY_QUESTIONS``); the secret is ``secrets.token_urlsafe(32)``, shown once, and only its
  SHA-256 is kept (as for API tokens, ``clinic.tokens``);
- a link is used once, expires (``LIFETIME``, 14 days unless the server says otherwise) and can
  be revoked; a new link for the same visit revokes the one before it;
- a link that is unknown, spent, expired or revoked is "no live link": the public page answers
  every one of these the same way, so a guess learns nothing (no oracle);
- her answers are checked like the eCRF (``clinic.ecrf.parse_entry``: a message per question,
  nothing saved on an error); the form questions are saved into the visit's form, and what she
  reports about pregnancies and infants is kept on the link as answers for the coordinator to
  review and record as pregnancies: a self-report is not source-verified data (ICH E6(R3)
  §4.2, source records), and a pregnancy row needs its conception, timing and outcome checked;
- every change is audited as the participant's (``participant:CODE (questionnaire link N)``,
  21 CFR Part 11 §11.10(e): who entered the data), the link's creation and revocation as the
  staff member's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ovaregen.clinic import ecrf, flow
from ovaregen.clinic.ecrf import Field, FormRefusedError
from ovaregen.clinic.studies import NotFoundError, StudyError
from ovaregen.domain.protocols import Protocol, Visit
from ovaregen.domain.variables import variable
from ovaregen.store import audit
from ovaregen.store.models import Participant, QuestionnaireLink, utc_now

LIFETIME = timedelta(days=14)
SECRET_BYTES = 32
ANSWERING = frozenset({flow.ONGOING, flow.LOST_TO_FOLLOW_UP})
"""The statuses of a woman who may be sent a link."""
MAX_REPORT = 2000
MAX_PREGNANCIES = 10


@dataclass(frozen=True)
class Question:
    """One question in lay words: the dictionary variable it answers and the answers offered
    (value, words); the empty value is "I don't know" and leaves the form's value as it is."""

    name: str
    text: str
    answers: tuple[tuple[str, str], ...]


YES_NO = (("yes", "Yes"), ("no", "No"), ("", "I don't know"))
LAY_QUESTIONS: dict[str, Question] = {
    q.name: q
    for q in (
        Question(
            "menses_followup",
            "How are your periods now?",
            (
                ("regular", "Regular, about every month"),
                ("irregular", "Irregular"),
                ("amenorrhea", "I have had no period for several months"),
                ("menopause", "I am in the menopause"),
                ("", "I don't know"),
            ),
        ),
        Question(
            "ivf_after_treatment", "Have you had IVF since the injection into your ovaries?", YES_NO
        ),
        Question("comp_ovarian_cyst", "Has a doctor found a cyst on an ovary?", YES_NO),
        Question("comp_ovarian_torsion", "Has an ovary been twisted (ovarian torsion)?", YES_NO),
        Question("comp_endometrioma", "Has a doctor found an endometrioma?", YES_NO),
        Question(
            "comp_endometriosis", "Has a doctor told you that you have endometriosis?", YES_NO
        ),
        Question("comp_ovarian_malignancy", "Has a doctor found cancer of an ovary?", YES_NO),
        Question("comp_pid", "Have you had a pelvic infection (inflammatory disease)?", YES_NO),
        Question("comp_ectopic", "Have you had a pregnancy outside the womb (ectopic)?", YES_NO),
        Question(
            "comp_autoimmune",
            "Has a doctor told you that you have an autoimmune disease?",
            YES_NO,
        ),
    )
}
"""The follow-up variables a woman can answer herself, in the words put to her."""
REPORT_QUESTIONS = (
    Question("pregnant", "Have you been pregnant since the injection?", YES_NO[:2]),
    Question("pregnancies", "If yes: how many times?", ()),
    Question(
        "pregnancy_details",
        "If yes: for each pregnancy, when it started, whether it came naturally or by IVF, and "
        "how it ended (for example miscarriage or birth, and how many babies).",
        (),
    ),
    Question(
        "infant_health",
        "If you had a baby: has any of your children had a serious health problem (for example "
        "a birth defect, a thyroid problem, leukaemia or another cancer, autism)?",
        (),
    ),
)
"""What she reports for the coordinator's review (kept on the link, not in a form)."""


class LinkRefusedError(Exception):
    """No live link for this secret (unknown, spent, expired or revoked): one answer for all."""


def questions_of(visit: Visit) -> list[Question]:
    return [LAY_QUESTIONS[name] for name in visit.records if name in LAY_QUESTIONS]


def questionnaire_visits(protocol: Protocol) -> list[Visit]:
    """The follow-up visits with questions a woman can answer herself."""
    return [v for v in protocol.schedule if v.follow_up and questions_of(v)]


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def form_key(secret: str, link_id: int) -> str:
    """The public form's CSRF field: bound to this link (no session cookie exists)."""
    return hmac.new(
        secret.encode("utf-8"), f"questionnaire form {link_id}".encode(), hashlib.sha256
    ).hexdigest()


def participant_actor(link: QuestionnaireLink) -> str:
    """Who answers through the link, as the audit trail names her."""
    return f"participant:{link.participant.code} (questionnaire link {link.id})"[:64]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def state(link: QuestionnaireLink, now: datetime) -> str:
    """``used``, ``revoked``, ``expired`` or ``live`` (for the staff's panel only)."""
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if _aware(link.expires_at) <= now else "live"


def links_of(session: Session, participant: Participant) -> Sequence[QuestionnaireLink]:
    return (
        session.execute(
            select(QuestionnaireLink)
            .where(QuestionnaireLink.participant_id == participant.id)
            .order_by(QuestionnaireLink.id.desc())
        )
        .scalars()
        .all()
    )


def _audit(
    session: Session, link: QuestionnaireLink, username: str, action: str, changes: dict[str, Any]
) -> None:
    audit.record(
        session,
        username=username,
        action=action,
        entity="questionnaire_link",
        entity_id=link.id,
        changes=changes,
        study=link.participant.study.name,
        participant=link.participant.code,
    )


def _revoke(session: Session, link: QuestionnaireLink, username: str, now: datetime) -> None:
    link.revoked_at, link.revoked_by = now, username
    session.flush()
    _audit(session, link, username, "revoke", {"revoked_at": [None, audit.timestamp(now)]})


def create_link(
    session: Session,
    participant: Participant,
    protocol: Protocol,
    visit_id: str,
    *,
    username: str,
    lifetime: timedelta = LIFETIME,
    now: datetime | None = None,
) -> tuple[QuestionnaireLink, str]:
    """A new link and its secret (shown once); the live links of the same visit are revoked."""
    now = now or utc_now()
    if visit_id not in {v.id for v in questionnaire_visits(protocol)}:
        offered = ", ".join(v.id for v in questionnaire_visits(protocol)) or "none in this study"
        raise StudyError(f"visit {visit_id!r} has no participant questionnaire: expected {offered}")
    if participant.status not in ANSWERING:
        raise StudyError(
            f"participant {participant.code} cannot be sent a questionnaire: her status is "
            f"{participant.status.replace('_', ' ')} (expected ongoing or lost to follow-up)"
        )
    for earlier in links_of(session, participant):
        if earlier.visit == visit_id and state(earlier, now) == "live":
            _revoke(session, earlier, username, now)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    link = QuestionnaireLink(
        token_hash=secret_hash(secret),
        participant_id=participant.id,
        participant=participant,
        visit=visit_id,
        created_at=now,
        created_by=username,
        expires_at=now + lifetime,
        answers={},
    )
    session.add(link)
    session.flush()
    _audit(
        session,
        link,
        username,
        "create",
        {"visit": [None, visit_id], "expires_at": [None, audit.timestamp(link.expires_at)]},
    )
    return link, secret


def revoke_link(
    session: Session, participant: Participant, link_id: int, *, username: str
) -> QuestionnaireLink:
    """Revoke one of her links; a link of another woman is unknown (404), a spent or ended
    one is refused (409)."""
    link = session.get(QuestionnaireLink, link_id)
    if link is None or link.participant_id != participant.id:
        raise NotFoundError(f"no questionnaire link {link_id} for participant {participant.code}")
    now = utc_now()
    if state(link, now) != "live":
        raise StudyError(f"questionnaire link {link_id} is {state(link, now)} already")
    _revoke(session, link, username, now)
    return link


def live_link(session: Session, secret: str, now: datetime | None = None) -> QuestionnaireLink:
    """The live link of ``secret``; ``LinkRefusedError`` for every other case alike."""
    now = now or utc_now()
    link = session.execute(
        select(QuestionnaireLink).where(QuestionnaireLink.token_hash == secret_hash(secret))
    ).scalar_one_or_none()
    if link is None or state(link, now) != "live" or link.participant.status not in ANSWERING:
        raise LinkRefusedError
    return link


def _report(texts: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    pregnant = texts.get("pregnant", "").strip()
    if pregnant not in ("yes", "no"):
        errors["pregnant"] = "Please answer whether you have been pregnant (yes or no)."
    count_text = texts.get("pregnancies", "").strip()
    count: int | None = None
    if count_text:
        if not count_text.isdigit() or not 1 <= int(count_text) <= MAX_PREGNANCIES:
            errors["pregnancies"] = (
                f"Please write how many times as a number from 1 to {MAX_PREGNANCIES}."
            )
        else:
            count = int(count_text)
    if pregnant == "yes" and count is None and "pregnancies" not in errors:
        errors["pregnancies"] = "Please write how many times you have been pregnant."
    report: dict[str, Any] = {"pregnant": pregnant == "yes" if pregnant else None}
    report["pregnancies"] = count if pregnant == "yes" else 0
    for name in ("pregnancy_details", "infant_health"):
        text = texts.get(name, "").strip()
        if len(text) > MAX_REPORT:
            errors[name] = f"Please keep this answer under {MAX_REPORT} characters."
        report[name] = text
    return report


def checked_answers(
    visit: Visit, texts: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form values (canonical, ``ecrf.parse_entry``) and the report; ``FormRefusedError``
    with a message per question when any answer is missing or not one offered."""
    errors: dict[str, str] = {}
    questions = questions_of(visit)
    for question in questions:
        if question.name not in texts:
            errors[question.name] = f"Please answer: {question.text}"
        elif texts[question.name] not in {value for value, _ in question.answers}:
            errors[question.name] = f"Please choose one of the answers offered: {question.text}"
    report = _report(texts, errors)
    values: dict[str, Any] = {}
    try:
        fields = [Field(variable(q.name)) for q in questions if q.name not in errors]
        values = ecrf.parse_entry(fields, {k: texts.get(k) for k in texts}).values
    except FormRefusedError as refused:
        errors.update(refused.errors)
    if errors:
        raise FormRefusedError(errors)
    return {k: v for k, v in values.items() if v is not None}, report


def answer(
    session: Session, link: QuestionnaireLink, visit: Visit, texts: Mapping[str, str]
) -> None:
    """Save her answers and spend the link, all or nothing: the values into the visit's form,
    the report on the link, both audited as hers. A link spent at the same moment by another
    submission is refused (``LinkRefusedError``), nothing saved."""
    values, report = checked_answers(visit, texts)
    now = utc_now()
    claimed = session.execute(
        update(QuestionnaireLink)
        .where(
            QuestionnaireLink.id == link.id,
            QuestionnaireLink.used_at.is_(None),
            QuestionnaireLink.revoked_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkRefusedError
    session.refresh(link)
    who = participant_actor(link)
    saved = ecrf.form_entry(session, link.participant, visit.id)
    if saved is None or not saved.data.get("visit_date"):
        values["visit_date"] = now.date().isoformat()  # the day she answered
    ecrf.save_form(
        session,
        link.participant,
        visit.id,
        values,
        username=who,
        expected_version=saved.version if saved is not None else None,
        reason=f"answered by the participant through questionnaire link {link.id}",
    )
    link.answers = report
    session.flush()
    _audit(
        session,
        link,
        who,
        "answer",
        {
            "used_at": [None, audit.timestamp(now)],
            **{f"report.{k}": [None, v] for k, v in report.items()},
        },
    )
