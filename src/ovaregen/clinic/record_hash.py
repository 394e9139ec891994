"""The forms of a woman's casebook and the SHA-256 of their exact values (21 CFR 11.70:
a signature, and a source-data verification mark, are bound to the record they cover).

A *form* is one saved visit eCRF (``FormEntry``: its values and version) or one of the lists
kept beside the visits — her pregnancies and her adverse events — taken whole (every row, with
its id and version). Its hash is the SHA-256 of a canonical JSON serialisation (sorted keys, no
spaces, UTF-8) of the study, the participant's code, the form's key, its version and its
values: the same values give the same hash on SQLite and PostgreSQL, any change of a value,
of the version, or of whose form it is gives another, and another woman's forms never enter it.
That hash is stored with a mark or a signature and entered in the audit trail; pages and the
API show instead ``seen``, the hash of the form's key, version and values alone (no code, no
row ids), which a reader sends back to say which values she verified or signed: it is the same
for two women with the same values, so it tells nothing about who she is or her arm.

The blind: arm-revealing visits (``Visit.arm_revealing``, the cell injection of study C) are
never forms here. Every role that verifies or signs is blinded (``clinic.roles``), so what she
verifies or signs must be what she sees, and a mark or a signature whose state followed the
injection form would tell a blinded reader which women were injected. The treatment visits are
therefore verified and signed by nobody; the treatment team's own records cover them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic.followup import events_of, pregnancies_of
from ovaregen.clinic.studies import protocol_of
from ovaregen.store.models import FormEntry, Participant

PREGNANCIES = "pregnancies"
ADVERSE_EVENTS = "adverse_events"
LIST_LABELS = {PREGNANCIES: "Pregnancies", ADVERSE_EVENTS: "Adverse events"}
_ROW_SKIPPED = frozenset({"participant_id", "created_at"})
"""Columns of a list row that are not its values (whose row it is is in the form's key)."""


@dataclass(frozen=True)
class Form:
    """One form as it stands: its key (a visit id or a list's name), label, version (a visit
    form's version; a list's number of rows), values' hash, and who changed it last (lists:
    unknown, the audit trail has it)."""

    key: str
    label: str
    version: int
    sha256: str
    seen: str
    changed_by: str = ""
    changed_at: datetime | None = None

    @property
    def is_list(self) -> bool:
        return self.key in LIST_LABELS


def canonical(value: Any) -> bytes:
    """The canonical serialisation hashed: JSON, sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def form_hash(participant: Participant, key: str, version: int, values: Any) -> str:
    """The SHA-256 of one form's values, bound to its study, woman, key and version."""
    return sha256_of(
        {
            "study": participant.study.name,
            "participant": participant.code,
            "form": key,
            "version": version,
            "values": values,
        }
    )


def forms_hash(participant: Participant, scope: str, hashes: Mapping[str, str]) -> str:
    """The SHA-256 of a set of forms (a casebook or one form) from their hashes by key."""
    return sha256_of(
        {
            "study": participant.study.name,
            "participant": participant.code,
            "scope": scope,
            "forms": dict(hashes),
        }
    )


def seen_hash(key: str, version: int, values: Any) -> str:
    """The SHA-256 of a form's key, version and values only (what a reader is shown)."""
    return sha256_of({"form": key, "version": version, "values": values})


def _row(row: object) -> dict[str, Any]:
    table = row.__table__  # type: ignore[attr-defined]
    return {c.key: getattr(row, c.key) for c in table.columns if c.key not in _ROW_SKIPPED}


def _list_form(participant: Participant, key: str, rows: Sequence[object]) -> Form:
    values = [_row(r) for r in rows]
    anonymous = [{k: v for k, v in row.items() if k != "id"} for row in values]
    count = len(values)
    return Form(
        key,
        LIST_LABELS[key],
        count,
        form_hash(participant, key, count, values),
        seen_hash(key, count, anonymous),
    )


def forms_of(session: Session, participant: Participant) -> dict[str, Form]:
    """The woman's forms with data, in schedule order then the lists (none arm-revealing)."""
    protocol = protocol_of(participant.study.name)
    saved = {
        entry.visit: entry
        for entry in session.execute(
            select(FormEntry).where(FormEntry.participant_id == participant.id)
        ).scalars()
    }
    found: dict[str, Form] = {}
    for visit in protocol.schedule:
        entry = saved.get(visit.id)
        if visit.arm_revealing or entry is None:
            continue
        found[visit.id] = Form(
            visit.id,
            visit.label,
            entry.version,
            form_hash(participant, visit.id, entry.version, entry.data),
            seen_hash(visit.id, entry.version, entry.data),
            entry.updated_by,
            entry.updated_at,
        )
    for key, rows in (
        (PREGNANCIES, pregnancies_of(session, participant)),
        (ADVERSE_EVENTS, events_of(session, participant)),
    ):
        if rows:
            found[key] = _list_form(participant, key, rows)
    return found


def form_label(participant: Participant, key: str) -> str:
    """A form key as people read it (a visit's label, a list's name; else the key)."""
    if key in LIST_LABELS:
        return LIST_LABELS[key]
    for visit in protocol_of(participant.study.name).schedule:
        if visit.id == key:
            return visit.label
    return key
