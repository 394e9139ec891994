"""Dates of one woman's record that contradict each other (queried for a person to check).

Rules (a data manager's usual edit checks; ICH E6(R3) §3.16 on data integrity):
- no date lies in the future;
- the treatment is not before the screening (``treatment_date`` ≥ ``screening_date``);
- no follow-up visit is before the treatment, and the schedule's follow-up visits follow one
  another in order;
- a pregnancy is not conceived months after the last contact: ``months_after_treatment`` at
  most the months from the treatment to the last visit (or ``followup_months``), with one
  month's grace for a conception reported at that visit.
Only dates that are known are judged; an unknown date contradicts nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ovaregen.domain.protocols import Protocol

DAYS_PER_MONTH = 365.25 / 12
GRACE_MONTHS = 1.0


@dataclass(frozen=True)
class DateProblem:
    """Where a contradiction is (visit, variable), what is wrong, and the value there."""

    visit: str
    variable: str
    problem: str
    value: str


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def contradictions(
    protocol: Protocol,
    forms: Mapping[str, Mapping[str, Any]],
    home: Mapping[str, str],
    pregnancy_months: Sequence[float],
    today: date,
) -> Iterator[DateProblem]:
    """Every contradiction among one woman's saved forms (``forms``: visit → values)."""
    for held, values in forms.items():
        for name, value in values.items():
            when = _date(value)
            if when is not None and when > today and name.endswith("date"):
                yield DateProblem(held, name, "a date in the future", when.isoformat())
    screening = _date(forms.get(home.get("screening_date", ""), {}).get("screening_date"))
    treated = _date(forms.get(home.get("treatment_date", ""), {}).get("treatment_date"))
    if screening and treated and treated < screening:
        yield DateProblem(
            home["treatment_date"],
            "treatment_date",
            f"treatment before screening ({screening.isoformat()})",
            treated.isoformat(),
        )
    last: tuple[str, date] | None = None
    for visit in protocol.followup_visits:
        seen = _date(forms.get(visit.id, {}).get("visit_date"))
        if seen is None:
            continue
        if treated and seen < treated:
            yield DateProblem(
                visit.id,
                "visit_date",
                f"visit before the treatment ({treated.isoformat()})",
                seen.isoformat(),
            )
        if last is not None and seen < last[1]:
            yield DateProblem(
                visit.id,
                "visit_date",
                f"before the earlier visit {last[0]} ({last[1].isoformat()})",
                seen.isoformat(),
            )
        last = (visit.id, seen)
    reach = _followed_months(forms, home, treated, last)
    if reach is None:
        return
    for months in pregnancy_months:
        if months > reach + GRACE_MONTHS:
            yield DateProblem(
                home.get("followup_months", last[0] if last else ""),
                "months_after_treatment",
                f"a pregnancy {months:g} months after treatment, but the last contact was "
                f"{reach:.1f} months after it",
                f"{months:g}",
            )


def _followed_months(
    forms: Mapping[str, Mapping[str, Any]],
    home: Mapping[str, str],
    treated: date | None,
    last: tuple[str, date] | None,
) -> float | None:
    """Months from the treatment to the last contact: the last visit, or followup_months."""
    reach: list[float] = []
    if treated and last:
        reach.append((last[1] - treated).days / DAYS_PER_MONTH)
    months = forms.get(home.get("followup_months", ""), {}).get("followup_months")
    if isinstance(months, int | float) and not isinstance(months, bool):
        reach.append(float(months))
    return max(reach) if reach else None
