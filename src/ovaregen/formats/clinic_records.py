"""What a clinic export carries beyond the dataset (issue 14 item 3: ODM's AuditRecords and
Signatures): plain records, filled by ``clinic.exchange_records`` so that the writers never
import the clinic. A file dataset has none (``NO_CLINIC_RECORDS``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class AuditRecord:
    """One audit-trail entry about a woman's data (21 CFR 11.10(e)): who, when (UTC), what,
    why. ``visit`` and ``form`` are empty when the entry is about the woman herself;
    ``changes`` maps a variable to its [before, after] text (None: no value)."""

    entry_id: int
    at: datetime
    username: str
    action: str
    participant: str
    visit: str
    form: str
    changes: dict[str, tuple[str | None, str | None]]
    reason: str


@dataclass(frozen=True)
class SignatureRecord:
    """One electronic signature (21 CFR 11.50): printed name, when (UTC), meaning, of a casebook
    (``form`` empty) or one form, bound to ``values_hash``; ``intact`` False when the values
    changed since (the signature is broken until signed again)."""

    signature_id: int
    at: datetime
    username: str
    printed_name: str
    meaning: str
    participant: str
    visit: str
    form: str
    values_hash: str
    intact: bool


@dataclass(frozen=True)
class ClinicRecords:
    """The audit records (in time order) and signatures of the exported women."""

    audit: tuple[AuditRecord, ...] = field(default_factory=tuple)
    signatures: tuple[SignatureRecord, ...] = field(default_factory=tuple)


NO_CLINIC_RECORDS = ClinicRecords()
