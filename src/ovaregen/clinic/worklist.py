"""The worklist of a study at the reader's sites: visits to do and women to decide.

Rules (ICH E6(R3) §3.2 protocol compliance; the "visits due" report of REDCap/OpenClinica):
- only the women the reader sees (``clinic.scope``) are listed, and only the visits her role
  may see (``clinic.views``): a window is never shown for an arm-revealing visit to the blind;
- a visit is judged against its window (``domain.visit_windows``) from the treatment date;
  without a treatment date no window is known and nothing is listed;
- an ongoing woman's visit without a visit date is upcoming (the window opens within the
  look-ahead), due (open) or overdue (closed); women withdrawn, lost or completed are not
  expected at visits any more;
- a visit done with a date outside its window is listed as out of window for every woman;
- a woman still in screening whose eligibility is undecided (not screened, or unknown
  criteria) is listed with her days since registration.
The work is two queries (the women, their forms) and a pass over them: fast for 1,000 women.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic import flow
from ovaregen.clinic.deviations import as_date
from ovaregen.clinic.scope import Access, participants_seen
from ovaregen.domain.protocols import Protocol, Visit
from ovaregen.domain.record import home_visit
from ovaregen.domain.visit_windows import ANCHOR, Timing, timing
from ovaregen.store.models import FormEntry, Participant, Study

LISTED = (Timing.OVERDUE, Timing.DUE, Timing.UPCOMING, Timing.OUT_OF_WINDOW)
DEFAULT_LOOK_AHEAD = 14
"""Days ahead in which an opening window makes a visit upcoming."""
MAX_LOOK_AHEAD = 366


@dataclass(frozen=True)
class VisitItem:
    """One woman's visit that needs attention, with its window's dates."""

    code: str
    site: str
    visit: str
    label: str
    timing: Timing
    target: date
    opens: date
    closes: date
    visit_date: date | None

    def as_json(self) -> dict[str, Any]:
        return {
            "participant": self.code,
            "site": self.site,
            "visit": self.visit,
            "label": self.label,
            "timing": self.timing.value,
            "target": self.target.isoformat(),
            "opens": self.opens.isoformat(),
            "closes": self.closes.isoformat(),
            "visit_date": self.visit_date.isoformat() if self.visit_date else None,
        }


@dataclass(frozen=True)
class ScreeningItem:
    """A woman in screening whose eligibility is not decided yet."""

    code: str
    site: str
    eligible: str | None
    unknown_criteria: tuple[str, ...]
    days_in_screening: int

    def as_json(self) -> dict[str, Any]:
        return {
            "participant": self.code,
            "site": self.site,
            "eligible": self.eligible,
            "unknown_criteria": list(self.unknown_criteria),
            "days_in_screening": self.days_in_screening,
        }


@dataclass(frozen=True)
class Worklist:
    today: date
    look_ahead: int
    visits: tuple[VisitItem, ...]
    screening: tuple[ScreeningItem, ...]

    def of(self, kind: Timing) -> tuple[VisitItem, ...]:
        return tuple(item for item in self.visits if item.timing is kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "look_ahead_days": self.look_ahead,
            **{kind.value: [item.as_json() for item in self.of(kind)] for kind in LISTED},
            "screening_undecided": [item.as_json() for item in self.screening],
        }


def _forms(session: Session, women: Sequence[Participant]) -> dict[int, dict[str, dict[str, Any]]]:
    """Every saved form of these women: participant id → visit → values (one query)."""
    found: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    ids = [w.id for w in women]
    for chunk in (ids[i : i + 900] for i in range(0, len(ids), 900)):
        rows = session.execute(
            select(FormEntry.participant_id, FormEntry.visit, FormEntry.data).where(
                FormEntry.participant_id.in_(chunk)
            )
        )
        for participant_id, visit, data in rows:
            found[participant_id][visit] = data
    return found


def _visit_items(
    woman: Participant,
    forms: dict[str, dict[str, Any]],
    protocol: Protocol,
    visits: Sequence[Visit],
    today: date,
    look_ahead: int,
) -> list[VisitItem]:
    treated = as_date(forms.get(home_visit(protocol, ANCHOR), {}).get(ANCHOR))
    if treated is None:
        return []
    items = []
    for visit in visits:
        window = visit.window
        if window is None:
            continue
        seen = as_date(forms.get(visit.id, {}).get("visit_date"))
        if seen is None and woman.status != flow.ONGOING:
            continue
        found = timing(window, treated, seen, today, look_ahead)
        if found in LISTED:
            items.append(
                VisitItem(
                    woman.code,
                    woman.site.code,
                    visit.id,
                    visit.label,
                    found,
                    window.target(treated),
                    window.opens(treated),
                    window.closes(treated),
                    seen,
                )
            )
    return items


def _undecided(woman: Participant, today: date) -> ScreeningItem | None:
    if woman.status != flow.SCREENING or woman.eligible not in (None, "unknown"):
        return None
    registered = woman.created_at.date()
    return ScreeningItem(
        woman.code,
        woman.site.code,
        woman.eligible,
        tuple(c for c in woman.unknown_criteria.split(";") if c),
        (today - registered).days,
    )


def worklist(
    session: Session,
    study: Study,
    protocol: Protocol,
    access: Access,
    visits: Sequence[Visit],
    *,
    today: date,
    look_ahead: int = DEFAULT_LOOK_AHEAD,
) -> Worklist:
    """The study's worklist at the reader's sites on ``today``, for the ``visits`` she sees."""
    if not 0 <= look_ahead <= MAX_LOOK_AHEAD:
        raise ValueError(f"look-ahead {look_ahead} days: expected 0 to {MAX_LOOK_AHEAD}")
    women = participants_seen(session, study, access)
    forms = _forms(session, [w for w in women if w.status in flow.ENROLLED_STATUSES])
    items = [
        item
        for woman in women
        if woman.status in flow.ENROLLED_STATUSES
        for item in _visit_items(woman, forms[woman.id], protocol, visits, today, look_ahead)
    ]
    items.sort(key=lambda i: (i.opens, i.code, i.visit))
    screening = [s for s in (_undecided(w, today) for w in women) if s is not None]
    screening.sort(key=lambda s: (-s.days_in_screening, s.code))
    return Worklist(today, look_ahead, tuple(items), tuple(screening))
