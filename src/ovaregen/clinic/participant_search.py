"""Searching and paging a study's participants, filtered and counted in SQL (issue 13 item 8).

The rules:
- a search sees only the women ``clinic.scope.visible`` lets the reader see: another site's
  woman is never listed nor counted (ICH E6(R3) §4.2.2, access limited to authorised people);
- the text matches a participant code or a neutral allocation code (``R-…``), case-insensitive,
  anywhere in the code; the allocation code is the blind's neutral label, shown to every role
  (``clinic.blinding``), the arm is never searched nor sorted on, so a blinded reader's list
  cannot differ between two women who differ only in their arm;
- the order is stable and arm-free: by participant code, then by row id;
- a filter must name a known value (status of ``clinic.flow``, one of the reader's sites,
  eligibility ``true``/``false``/``unknown``/``not_screened``), a page starts at 1 and holds
  1 to ``MAX_PAGE_SIZE`` rows: anything else is refused with a message naming the parameter,
  its value and what was expected (``SearchError``), never half-answered;
- a page past the last answers no rows (a bookmarked search of a list that shrank), and says
  how many pages there are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from ovaregen.clinic import flow, scope
from ovaregen.store.models import AllocationSlot, Participant, Study

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_TEXT = 64
STATUSES = (
    flow.SCREENING,
    flow.SCREEN_FAILED,
    flow.ONGOING,
    flow.WITHDRAWN,
    flow.LOST_TO_FOLLOW_UP,
    flow.COMPLETED,
)
NOT_SCREENED = "not_screened"
ELIGIBILITIES = ("true", "false", "unknown", NOT_SCREENED)
"""``participant.eligible`` as stored (``domain.criteria.truth_label``), or never screened."""


class SearchError(ValueError):
    """A search parameter that is not one of the expected values (answered 422)."""


@dataclass(frozen=True)
class Search:
    """What the reader asks for; empty strings mean "any"."""

    text: str = ""
    status: str = ""
    site: str = ""
    eligible: str = ""
    page: int = 1
    page_size: int | None = DEFAULT_PAGE_SIZE
    """None: every matching row on one page (the API asked without paging parameters)."""

    def query(self, *, explicit: bool = False, **changes: object) -> str:
        """The query string of this search (with ``changes``), so a link or a bookmark brings
        back the same rows; defaults are left out unless ``explicit`` (the API's links, where
        no paging parameter means every row)."""
        chosen = replace(self, **changes)  # type: ignore[arg-type]
        size = chosen.page_size
        pairs = {
            "q": chosen.text,
            "status": chosen.status,
            "site": chosen.site,
            "eligible": chosen.eligible,
            "page": str(chosen.page) if explicit or chosen.page != 1 else "",
            "page_size": str(size) if size and (explicit or size != DEFAULT_PAGE_SIZE) else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    @property
    def filtered(self) -> bool:
        return any((self.text, self.status, self.site, self.eligible))


@dataclass(frozen=True)
class Found:
    """One page of a search: its rows, and where it lies among all the matching women."""

    search: Search
    rows: Sequence[Participant]
    total: int

    @property
    def pages(self) -> int:
        size = self.search.page_size
        return 1 if size is None else max(1, -(-self.total // size))

    @property
    def first_row(self) -> int:
        """The 1-based number of the page's first row (0 when the page is empty)."""
        if not self.rows:
            return 0
        return 1 if self.search.page_size is None else _offset(self.search) + 1

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1 if self.rows else 0

    def neighbours(self) -> dict[str, int]:
        """The pages linked from this one: first, previous, next, last (RFC 8288 relations)."""
        page, last = self.search.page, self.pages
        links = {"first": 1, "last": last}
        if page > 1:
            links["prev"] = min(page - 1, last)
        if page < last:
            links["next"] = page + 1
        return links


def _offset(search: Search) -> int:
    return 0 if search.page_size is None else (search.page - 1) * search.page_size


def _number(name: str, raw: str | int | None, default: int, highest: int | None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SearchError(f"{name} {raw!r} is not a whole number") from None
    if value < 1 or (highest is not None and value > highest):
        bound = f"from 1 to {highest}" if highest is not None else "1 or more"
        raise SearchError(f"{name} {value} is out of range: expected {bound}")
    return value


def _choice(name: str, raw: str, allowed: Sequence[str]) -> str:
    value = raw.strip()
    if value and value not in allowed:
        raise SearchError(f"{name} {value!r} is not known: expected one of {', '.join(allowed)}")
    return value


def parsed(
    parameters: Mapping[str, str | int | None],
    sites: Sequence[str],
    *,
    page_size: int | None = DEFAULT_PAGE_SIZE,
) -> Search:
    """The search the parameters ask for (``q``, ``status``, ``site``, ``eligible``, ``page``,
    ``page_size``), checked against the reader's ``sites``; ``SearchError`` otherwise.
    ``page_size`` is the size when none is given (None: every row, when no page is given
    either)."""

    def text_of(name: str) -> str:
        value = parameters.get(name)
        return "" if value is None else str(value)

    page = _number("page", parameters.get("page"), 1, None)
    size: int | None = _number(
        "page_size", parameters.get("page_size"), page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
    )
    if page_size is None and not text_of("page_size") and not text_of("page"):
        size = None
    text = text_of("q").strip()
    if len(text) > MAX_TEXT:
        raise SearchError(f"q is {len(text)} characters long: expected at most {MAX_TEXT}")
    if any(ord(c) < 32 for c in text):
        raise SearchError("q holds a control character: expected the letters of a code")
    return Search(
        text=text,
        status=_choice("status", text_of("status"), STATUSES),
        site=_choice("site", text_of("site").upper(), sites),
        eligible=_choice("eligible", text_of("eligible"), ELIGIBILITIES),
        page=page,
        page_size=size,
    )


def _pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions(study: Study, access: scope.Access, search: Search) -> list[ColumnElement[bool]]:
    """The SQL conditions on ``Participant`` of the women the search finds."""
    found: list[ColumnElement[bool]] = [
        Participant.study_id == study.id,
        scope.visible(study, access),
    ]
    if search.text:
        pattern = _pattern(search.text)
        allocated = select(AllocationSlot.participant_id).where(
            AllocationSlot.study_id == study.id,
            AllocationSlot.participant_id.is_not(None),
            AllocationSlot.code.ilike(pattern, escape="\\"),
        )
        found.append(
            or_(Participant.code.ilike(pattern, escape="\\"), Participant.id.in_(allocated))
        )
    if search.status:
        found.append(Participant.status == search.status)
    if search.site:
        found.append(Participant.site.has(code=search.site))
    if search.eligible == NOT_SCREENED:
        found.append(Participant.eligible.is_(None))
    elif search.eligible:
        found.append(Participant.eligible == search.eligible)
    return found


def search_participants(
    session: Session, study: Study, access: scope.Access, search: Search
) -> Found:
    """One page of the women of ``study`` the reader sees that match ``search``, and how many
    match in all; both counted by the database."""
    where = conditions(study, access, search)
    total = session.execute(select(func.count(Participant.id)).where(*where)).scalar_one()
    query = select(Participant).where(*where).order_by(Participant.code, Participant.id)
    if search.page_size is not None:
        query = query.offset(_offset(search)).limit(search.page_size)
    rows = session.execute(query).scalars().all()
    return Found(search, rows, int(total))
