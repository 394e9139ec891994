"""Reading the audit trail: filters from a form or the command line, pages newest first, and
the flat CSV export (one row per changed field).

The trail never holds an arm (allocations record their neutral code only, ``clinic.blinding``);
the values that reveal one (the arm-revealing visits' forms, and such values in an import
entry) are left out of a blinded reader's view (``clinic.views``). Times are UTC (21 CFR
Part 11 §11.10(e): "computer-generated, time-stamped audit trails"). In the CSV a text cell
that a spreadsheet would run as a formula gets a leading quote (``io.spreadsheet_safe``);
numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ovaregen.clinic.scope import audit_visible
from ovaregen.clinic.views import Reader, changes_seen, hash_seen, hidden_entities
from ovaregen.io.spreadsheet_safe import escaped_cell
from ovaregen.store import audit
from ovaregen.store.models import AuditEntry

PAGE_SIZE = 100
"""Entries per page of the audit view."""
MAX_LIMIT = 1_000
"""The most entries one API request returns."""
CSV_COLUMNS = (
    "id",
    "at",
    "username",
    "action",
    "entity",
    "entity_id",
    "study",
    "participant",
    "field",
    "old",
    "new",
    "reason",
    "hash",
)


class FilterError(ValueError):
    """A filter value that cannot be understood (names the field, value and what is expected)."""


def moment(value: str, field: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date or date-time as aware UTC (naive = UTC); a bare date as ``until`` means the
    end of that day. Empty → None."""
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1, microseconds=-1) if end_of_day else start
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(
            f"{field}: {value!r} is not a date; expected YYYY-MM-DD or an ISO 8601 date-time "
            "such as 2025-03-01T09:30:00Z"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def audit_filter(
    *,
    participant: str = "",
    username: str = "",
    study: str = "",
    since: str = "",
    until: str = "",
    reader: Reader,
) -> audit.AuditFilter:
    """The filter for the given (possibly empty) form or command-line values, leaving out
    what ``reader`` may not see: the arm-revealing entries when blinded, and the entries of
    women outside her sites (``clinic.scope.audit_visible``)."""
    start = moment(since, "from")
    end = moment(until, "to", end_of_day=True)
    if start is not None and end is not None and end < start:
        raise FilterError(f"to: {until!r} is before from {since!r}; expected a later time")
    return audit.AuditFilter(
        participant=participant.strip() or None,
        username=username.strip() or None,
        study=study.strip() or None,
        since=start,
        until=end,
        hidden_entities=hidden_entities(reader),
        seen=audit_visible(reader.access),
    )


def one_woman(session: Session, where: audit.AuditFilter) -> audit.AuditFilter:
    """``where`` unchanged, or ``FilterError`` when it names a participant code without a study
    and women of several studies (that the reader sees) have that code: a code is unique only
    within a study (``participant`` table, unique per study), so the trail of one woman is
    asked for by study and code (ICH E6(R3) §3.16: records attributable to one participant)."""
    if not where.participant or where.study:
        return where
    studies = (
        session.execute(
            audit.filtered(select(AuditEntry.study).distinct(), where).order_by(AuditEntry.study)
        )
        .scalars()
        .all()
    )
    if len(studies) > 1:
        raise FilterError(
            f"participant: {where.participant!r} is a code in several studies "
            f"({', '.join(studies)}); a code is unique only within a study: "
            "expected the study too (e.g. study=" + studies[0] + ")"
        )
    return where


@dataclass(frozen=True)
class AuditPage:
    """One page of matching entries, newest first."""

    entries: Sequence[AuditEntry]
    total: int
    offset: int
    limit: int

    @property
    def has_newer(self) -> bool:
        return self.offset > 0

    @property
    def has_older(self) -> bool:
        return self.offset + len(self.entries) < self.total


def newest_first(
    session: Session, where: audit.AuditFilter, *, limit: int = PAGE_SIZE, offset: int = 0
) -> AuditPage:
    """Entries matching ``where``, newest first, ``limit`` from ``offset``."""
    total = session.execute(
        audit.filtered(select(func.count()).select_from(AuditEntry), where)
    ).scalar_one()
    entries = (
        session.execute(
            audit.filtered(select(AuditEntry), where)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )
    return AuditPage(entries, int(total), offset, limit)


def shown(value: Any) -> str:
    """A recorded value as text: empty for none, JSON for lists and mappings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changed_values(entry: AuditEntry, reader: Reader) -> list[tuple[str, Any, Any]]:
    """``(field, old, new)`` as recorded, for each field the entry changed that the reader may
    see (old is None for a change recorded without one)."""
    rows: list[tuple[str, Any, Any]] = []
    for field, change in sorted(changes_seen(entry, reader).items()):
        if isinstance(change, list) and len(change) == 2:
            rows.append((field, change[0], change[1]))
        else:
            rows.append((field, None, change))
    return rows


def changed_fields(entry: AuditEntry, reader: Reader) -> list[tuple[str, str, str]]:
    """``(field, old, new)`` as text for each field the entry changed that the reader may see."""
    return [(field, shown(old), shown(new)) for field, old, new in changed_values(entry, reader)]


def csv_value(value: Any) -> str:
    """A recorded value as a CSV cell: a number as it is (a negative one stays a number), any
    other value as text escaped against formula injection (``io.spreadsheet_safe``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return shown(value)
    return escaped_cell(shown(value))


def entry_json(entry: AuditEntry, reader: Reader) -> dict[str, object]:
    """An entry as the API shows it to ``reader``."""
    return {
        "id": entry.id,
        "at": audit.timestamp(entry.at),
        "username": entry.username,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "study": entry.study,
        "participant": entry.participant,
        "changes": dict(changes_seen(entry, reader)),
        "reason": entry.reason,
        "hash": hash_seen(entry, reader) or None,
    }


def csv_rows(entries: Iterable[AuditEntry], reader: Reader) -> Iterable[list[str]]:
    """One row per changed field (one row with an empty field for an entry without changes);
    text cells escaped against formula injection, so that no spreadsheet runs one."""
    for entry in entries:
        texts = (
            audit.timestamp(entry.at),
            entry.username,
            entry.action,
            entry.entity,
            entry.entity_id,
            entry.study,
            entry.participant,
        )
        head = [str(entry.id), *(csv_value(text) for text in texts)]
        tail = [csv_value(entry.reason), csv_value(hash_seen(entry, reader))]
        for field, old, new in changed_values(entry, reader) or [("", None, None)]:
            yield [*head, csv_value(field), csv_value(old), csv_value(new), *tail]


def audit_csv(entries: Iterable[AuditEntry], reader: Reader) -> str:
    """The entries as CSV text (UTF-8, comma-separated, header row, ``\\n`` line ends; text
    cells as ``io.spreadsheet_safe`` writes them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(entries, reader))
    return buffer.getvalue()
