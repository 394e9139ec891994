"""What a clinic export carries beside the dataset (issue 14 item 3): the audit trail of the
exported women and their electronic signatures, as the plain records of
``formats.clinic_records`` that a format writes (CDISC ODM 1.3.2: the ``AuditRecord`` and
``Signature`` elements of ClinicalData).

The rules:
- the entries are those of the audit view (``clinic.audit_view.audit_filter``) of the study
  for the exporter: her sites only (``clinic.scope.audit_visible``) and, for a blinded export,
  without the arm-revealing forms' entries and with the arm-revealing values removed from any
  other entry (``clinic.views``) — the one filter of the trail, not a second one; of those,
  the entries about an exported woman (an entry about no woman, such as a study set-up, is
  about no record of the file), oldest first (21 CFR 11.10(e));
- the signatures are those of the exported women, oldest first, each ``intact`` while the
  values signed are unchanged (``clinic.signatures.state``, 21 CFR 11.70); no signature covers
  an arm-revealing form (``clinic.record_hash``), and for a blinded export one that names such
  a form would be left out as well;
- ``visit`` and ``form`` say which of her records an entry or signature is about: a visit's
  eCRF (``form:<visit>``) is that visit and its form; a pregnancy or an adverse event is the
  form ``pregnancies`` / ``adverse_events`` (the lists beside the visits, as signatures name
  them); an entry that names a form, a visit or a visit's field in its changes (a verification,
  a lock, a deviation, a data query) that form or visit; empty when it is about the woman
  herself (or her casebook, for a signature).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic.audit_view import audit_filter, shown
from ovaregen.clinic.record_hash import ADVERSE_EVENTS, PREGNANCIES
from ovaregen.clinic.roles import Role, is_blinded
from ovaregen.clinic.scope import Access, visible
from ovaregen.clinic.signatures import CASEBOOK, state
from ovaregen.clinic.studies import protocol_of
from ovaregen.clinic.views import Reader, changes_seen, hidden_visits
from ovaregen.formats.clinic_records import AuditRecord, ClinicRecords, SignatureRecord
from ovaregen.io.dataset import Dataset
from ovaregen.store import audit
from ovaregen.store.models import AuditEntry, Participant, Signature, Study

LIST_FORMS = {"pregnancy": PREGNANCIES, "adverse_event": ADVERSE_EVENTS}
"""The audit entity of a list row → the form (list) it belongs to (``clinic.record_hash``)."""
FORM_ENTITY = "form:"
EXPORTER = "export"
"""The reader's username: what she may see depends on her grants and the blind only."""


def exporter_reader(access: Access, *, blinded: bool) -> Reader:
    """The reader whose view of the trail an export carries: the exporter's grants, blinded
    or not as the export is (a blinded export by an unblinded statistician is blinded)."""
    role = next(r for r in Role if is_blinded(r) == blinded)
    return Reader(EXPORTER, role.value, access)


def utc(at: datetime) -> datetime:
    """``at`` as aware UTC (the database keeps UTC; SQLite returns it naive)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _text(value: Any) -> str | None:
    """A recorded value as the audit view shows it (``audit_view.shown``); None: no value."""
    if value is None:
        return None
    return value if type(value) is str else shown(value)


def before_after(change: Any) -> tuple[str | None, str | None]:
    """A recorded change as ``(before, after)`` text: ``[old, new]``, or a bare new value
    (recorded without the old one), as ``audit_view.changed_values`` reads it."""
    if isinstance(change, list) and len(change) == 2:
        return _text(change[0]), _text(change[1])
    return None, _text(change)


def _visits(study: str) -> frozenset[str]:
    return frozenset(v.id for v in protocol_of(study).schedule)


def _named(entry: AuditEntry, key: str) -> str:
    """The text an entry's changes give ``key`` (the new value of ``[old, new]``), or ""."""
    value = entry.changes.get(key)
    value = value[-1] if isinstance(value, list) and value else value
    return value if isinstance(value, str) else ""


def placed(entry: AuditEntry, visits: frozenset[str]) -> tuple[str, str]:
    """``(visit, form)`` of the record an entry is about (module docstring): its entity (a
    visit's eCRF, a list row), else what its changes name — a ``form`` (verification, lock),
    a ``visit`` (deviation), a ``field`` ``visit.variable`` (data query)."""
    if entry.entity.startswith(FORM_ENTITY):
        visit = entry.entity.removeprefix(FORM_ENTITY)
        return visit, visit
    if entry.entity in LIST_FORMS:
        return "", LIST_FORMS[entry.entity]
    form = _named(entry, "form")
    visit = _named(entry, "visit") or _named(entry, "field").partition(".")[0] or form
    visit = visit if visit in visits else ""
    return visit, form or visit


def _scope_place(scope: str, visits: frozenset[str]) -> tuple[str, str]:
    if scope == CASEBOOK:
        return "", ""
    return (scope if scope in visits else ""), scope


def audit_records(
    session: Session, study: Study, codes: frozenset[str], reader: Reader
) -> tuple[AuditRecord, ...]:
    """The entries about the women of ``codes`` that ``reader`` sees, oldest first."""
    where = audit_filter(study=study.name, reader=reader)
    statement = (
        audit.filtered(select(AuditEntry), where)
        .where(AuditEntry.participant != "")
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    visits = _visits(study.name)
    records = []
    for entry in session.execute(statement).scalars():
        if entry.participant not in codes:
            continue
        visit, form = placed(entry, visits)
        records.append(
            AuditRecord(
                entry_id=entry.id,
                at=utc(entry.at),
                username=entry.username,
                action=entry.action,
                participant=entry.participant,
                visit=visit,
                form=form,
                changes={
                    name: before_after(change)
                    for name, change in sorted(changes_seen(entry, reader).items())
                },
                reason=entry.reason,
            )
        )
    return tuple(records)


def signature_records(
    session: Session, study: Study, codes: frozenset[str], reader: Reader
) -> tuple[SignatureRecord, ...]:
    """The signatures of the women of ``codes`` that ``reader`` sees, oldest first."""
    hidden = hidden_visits(study.name, reader)
    visits = _visits(study.name)
    rows: Sequence[tuple[Signature, Participant]] = [
        (row[0], row[1])
        for row in session.execute(
            select(Signature, Participant)
            .join(Participant, Participant.id == Signature.participant_id)
            .where(Participant.study_id == study.id, visible(study, reader.access))
            .order_by(Signature.signed_at, Signature.id)
        ).all()
    ]
    records = []
    for signature, woman in rows:
        if woman.code not in codes or signature.scope in hidden:
            continue
        visit, form = _scope_place(signature.scope, visits)
        records.append(
            SignatureRecord(
                signature_id=signature.id,
                at=utc(signature.signed_at),
                username=signature.signer,
                printed_name=signature.printed_name,
                meaning=signature.meaning,
                participant=woman.code,
                visit=visit,
                form=form,
                values_hash=signature.values_sha256,
                intact=state(session, woman, signature).valid,
            )
        )
    return tuple(records)


def exported_codes(dataset: Dataset) -> frozenset[str]:
    """The codes of the women in the dataset (participants.csv)."""
    return frozenset(str(c) for c in dataset.participants.get_column("participant_id"))


def clinic_records(
    session: Session, study: Study, dataset: Dataset, access: Access, blinded: bool
) -> ClinicRecords:
    """The audit records and signatures of the women of ``dataset`` (``clinic.exchange
    .study_dataset`` of the same ``access`` and blind), as the exporter may see them."""
    reader = exporter_reader(access, blinded=blinded)
    codes = exported_codes(dataset)
    return ClinicRecords(
        audit=audit_records(session, study, codes, reader),
        signatures=signature_records(session, study, codes, reader),
    )
