"""Source-data verification (SDV): the monitor's mark that a form agrees with the source
documents (ICH E6(R3) §3.11.4 monitoring; REDCap's and OpenClinica's "SDV" flag).

The rules:
- a mark records who, when (UTC), the form's version and the SHA-256 of its values then
  (``clinic.record_hash``); marks are only ever added, never changed or deleted;
- whether a form is verified is computed, not stored: its latest mark holds while the form's
  values still have the marked hash; after any change the mark is *cleared*, and the page says
  who changed the form, when, and from which version to which. No write path has to remember
  to clear anything, so none can forget;
- the monitor sends back the ``seen`` hash of the values she looked at: a form changed since
  she loaded the page is refused (409), never verified unseen;
- forms are the saved, not arm-revealing visit forms and the pregnancy and adverse-event lists
  (``record_hash``: the blinded monitor verifies only what she sees);
- every mark is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic import scope
from ovaregen.clinic.record_hash import Form, forms_of
from ovaregen.clinic.studies import NotFoundError, StudyError
from ovaregen.store import audit
from ovaregen.store.models import Participant, SourceVerification, Study

ENTITY = "source_verification"
TIME_FORMAT = "%Y-%m-%d %H:%M UTC"


class State(StrEnum):
    NOT_VERIFIED = "not verified"
    VERIFIED = "verified"
    CLEARED = "cleared"


class StaleFormError(StudyError):
    """The form changed since the monitor looked at it (409): nothing was marked."""


@dataclass(frozen=True)
class FormVerification:
    """A form and its SDV state: its latest mark, and whether the form still matches it."""

    form: Form
    mark: SourceVerification | None

    @property
    def state(self) -> State:
        if self.mark is None:
            return State.NOT_VERIFIED
        return State.VERIFIED if self.mark.values_sha256 == self.form.sha256 else State.CLEARED

    @property
    def text(self) -> str:
        """The state in words, as the participant's and the form's pages show it."""
        mark = self.mark
        if mark is None:
            return "not verified against source"
        if self.state is State.VERIFIED:
            return (
                f"verified by {mark.verified_by} on {mark.verified_at.strftime(TIME_FORMAT)} "
                f"({self.version_text(mark.form_version)})"
            )
        form = self.form
        who = f" by {form.changed_by}" if form.changed_by else ""
        when = f" on {form.changed_at.strftime(TIME_FORMAT)}" if form.changed_at else ""
        return (
            f"verification cleared: changed{who}{when} after verification by "
            f"{mark.verified_by} ({self.version_text(mark.form_version)} → {form.version})"
        )

    def version_text(self, version: int) -> str:
        return f"{version} rows" if self.form.is_list else f"version {version}"

    def as_json(self) -> dict[str, object]:
        mark = self.mark
        return {
            "form": self.form.key,
            "label": self.form.label,
            "version": self.form.version,
            "seen": self.form.seen,
            "state": self.state.value,
            "text": self.text,
            "verified_by": mark.verified_by if mark else None,
            "verified_at": mark.verified_at if mark else None,
            "verified_version": mark.form_version if mark else None,
        }


def _latest_marks(
    session: Session, participant_ids: Sequence[int]
) -> dict[tuple[int, str], SourceVerification]:
    rows = session.execute(
        select(SourceVerification)
        .where(SourceVerification.participant_id.in_(participant_ids))
        .order_by(SourceVerification.id)
    ).scalars()
    return {(row.participant_id, row.form): row for row in rows}  # the last one wins


def states_of(session: Session, participant: Participant) -> list[FormVerification]:
    """The SDV state of each of the woman's forms with data."""
    marks = _latest_marks(session, [participant.id])
    return [
        FormVerification(form, marks.get((participant.id, key)))
        for key, form in forms_of(session, participant).items()
    ]


def state_of(session: Session, participant: Participant, key: str) -> FormVerification | None:
    """The SDV state of one form (None when the form has no data or is not a form here)."""
    return next((s for s in states_of(session, participant) if s.form.key == key), None)


def verify(
    session: Session, participant: Participant, key: str, seen: str, *, username: str
) -> FormVerification:
    """Mark form ``key`` verified as the monitor saw it (``seen``); audited. 404 for a form
    without data, 409 when it changed since she looked."""
    current = state_of(session, participant, key)
    if current is None:
        raise NotFoundError(f"participant {participant.code} has no saved form {key!r} to verify")
    form = current.form
    if seen != form.seen:
        raise StaleFormError(
            f"{form.label} of {participant.code} changed since you looked at it "
            f"(now {current.version_text(form.version)}): reload it and verify again; "
            "nothing was marked"
        )
    mark = SourceVerification(
        participant_id=participant.id,
        form=key,
        form_version=form.version,
        values_sha256=form.sha256,
        verified_by=username,
    )
    session.add(mark)
    session.flush()
    audit.record(
        session,
        username=username,
        action=audit.Action.CREATE,
        entity=ENTITY,
        entity_id=mark.id,
        changes={
            "form": [None, key],
            "form_version": [None, form.version],
            "values_sha256": [None, form.sha256],
            "previous_state": [current.state.value, State.VERIFIED.value],
        },
        study=participant.study.name,
        participant=participant.code,
        reason="verified against source",
    )
    return FormVerification(form, mark)


@dataclass(frozen=True)
class WorklistRow:
    """One form of the monitor's SDV worklist."""

    participant: Participant
    verification: FormVerification


def worklist(
    session: Session, study: Study, access: scope.Access, site: str | None = None
) -> list[WorklistRow]:
    """Every form with data of the women the reader sees (of one site if given), with its
    state: the monitor's list of what is still to verify, verified, or cleared."""
    women = [
        w
        for w in scope.participants_seen(session, study, access)
        if site is None or w.site.code == site
    ]
    marks = _latest_marks(session, [w.id for w in women])
    return [
        WorklistRow(woman, FormVerification(form, marks.get((woman.id, key))))
        for woman in women
        for key, form in forms_of(session, woman).items()
    ]
