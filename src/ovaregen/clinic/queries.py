"""Data-quality queries: what a coordinator should look at, computed live from the database.

Only enrolled women are queried (status ongoing or later; screen failures and women still
being screened are not). Kinds of query:

- ``missing``: a variable of a visit she has reached (a visit with any saved value, and always
  screening) has no value — empty means unknown (INTERCHANGE.md "Conventions"), so it is asked
  for; ``por_risk_factor`` is not, an empty cell there means none (data dictionary);
- ``eligibility``: a value needed to decide an eligibility criterion that her screening left
  unknown (``Participant.unknown_criteria``, the criterion's inputs, CRITERIA.md);
- ``soft_range``: a saved value outside the dictionary's soft limits (``Variable.soft``; saved with
  a warning for a person to check, CRITERIA.md "Units and plausibility");
- ``inconsistent``: values that contradict each other — a pregnancy without a treatment date,
  a value after treatment without its baseline, a G-CSF dose without that day's leukocytes.

Nothing is stored: once the value is fixed the query is gone from the next list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic.dates import contradictions
from ovaregen.clinic.flow import ENROLLED_STATUSES
from ovaregen.clinic.scope import Access, visible
from ovaregen.clinic.studies import protocol_of
from ovaregen.clinic.views import queried_visits
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.record import home_visit
from ovaregen.domain.variables import (
    GCSF_DAYS,
    DatasetFile,
    Kind,
    Variable,
    variable,
    variables_of,
)
from ovaregen.io.units import number_text
from ovaregen.store.models import FormEntry, Participant, Pregnancy, Site, Study

SCREENING = "screening"
NOT_QUERIED_WHEN_EMPTY = frozenset({"por_risk_factor"})
"""Variables whose empty cell means "none" in the data dictionary, so it is not a gap."""


class QueryKind(StrEnum):
    MISSING = "missing"
    ELIGIBILITY = "eligibility"
    SOFT_RANGE = "soft_range"
    INCONSISTENT = "inconsistent"


KIND_LABELS: Mapping[QueryKind, str] = {
    QueryKind.MISSING: "missing value",
    QueryKind.ELIGIBILITY: "needed for eligibility",
    QueryKind.SOFT_RANGE: "outside the usual range",
    QueryKind.INCONSISTENT: "inconsistency",
}


@dataclass(frozen=True)
class Rule:
    """``present`` is recorded but ``absent`` is not: an inconsistency worth a look."""

    present: str
    absent: str
    problem: str


RULES: tuple[Rule, ...] = (
    Rule("afc_post", "afc", "AFC after treatment recorded without the baseline AFC"),
    Rule(
        "amh_post_ng_ml",
        "amh_ng_ml",
        "AMH after treatment recorded without the baseline AMH",
    ),
    *(
        Rule(
            f"gcsf_d{day}_ug_kg",
            f"wbc_d{day}_10e9_l",
            f"G-CSF dose given on day {day} but no leukocyte count that day",
        )
        for day in GCSF_DAYS
    ),
)
PREGNANCY_RULE = Rule(
    "pregnancy", "treatment_date", "pregnancy recorded but no treatment date (first injection)"
)


@dataclass(frozen=True)
class Query:
    """One row of the list: where to go, what to look at, and why."""

    kind: QueryKind
    participant: str
    site: str
    visit: str
    visit_label: str
    scheduled: bool
    variable: str
    description: str
    problem: str
    value: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "participant": self.participant,
            "site": self.site,
            "visit": self.visit,
            "visit_label": self.visit_label,
            "variable": self.variable,
            "description": self.description,
            "problem": self.problem,
            "value": self.value,
        }


@dataclass(frozen=True)
class QueryList:
    """The queries chosen by the filters, the counts per kind (site and visit filters
    applied), and the choices the filters offer."""

    queries: tuple[Query, ...]
    counts: Mapping[QueryKind, int]
    sites: tuple[str, ...]
    visits: tuple[tuple[str, str], ...]


@cache
def _criteria(study_name: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Judged criterion id → its description and the dictionary variables it reads (the
    protocol's rules, built once per study)."""
    names = {v.name for v in variables_of(DatasetFile.PARTICIPANTS)}
    return {
        criterion.id: (criterion.description, tuple(n for n in criterion.inputs if n in names))
        for criterion in protocol_of(study_name).rules().judged
    }


def _shown(value: Any, var: Variable | None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        text = number_text(float(value))
        return f"{text} {var.unit}" if var is not None and var.unit else text
    return str(value)


def _values_frame(entries: list[tuple[int, str, dict[str, Any]]]) -> pl.DataFrame:
    """One row per saved value: participant id, visit, variable, number (numeric values)."""
    rows = [
        (pid, visit, name, float(value) if _numeric(value) else None)
        for pid, visit, data in entries
        for name, value in data.items()
        if value is not None
    ]
    return pl.DataFrame(
        rows,
        schema={"pid": pl.Int64, "visit": pl.String, "variable": pl.String, "number": pl.Float64},
        orient="row",
    )


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _soft_limits() -> pl.DataFrame:
    rows = [
        (v.name, v.soft.low, v.soft.high)
        for v in variables_of(DatasetFile.PARTICIPANTS)
        if v.soft is not None and v.kind in (Kind.NUMBER, Kind.INTEGER)
    ]
    return pl.DataFrame(
        rows,
        schema={"variable": pl.String, "low": pl.Float64, "high": pl.Float64},
        orient="row",
    )


def _describe(name: str) -> tuple[Variable | None, str]:
    try:
        var = variable(name)
    except KeyError:
        return None, name
    return var, var.description


class _Found(NamedTuple):
    """A query before it is dressed for display: participant by id, variable by name."""

    kind: QueryKind
    pid: int
    visit: str
    variable: str
    problem: str
    value: str | None


@dataclass(frozen=True)
class _Saved:
    """What the queries read: the enrolled women (id → code, site, unknown criteria), their
    values one row each (Polars), merged per woman in schedule order, and who has a pregnancy."""

    people: dict[int, tuple[str, str, str]]
    values: pl.DataFrame
    merged: dict[int, dict[str, Any]]
    pregnant: set[int]
    by_visit: dict[int, dict[str, dict[str, Any]]]
    pregnancy_months: dict[int, list[float]]


def _load(session: Session, study: Study, order: Mapping[str, int], access: Access) -> _Saved:
    """The saved values of the enrolled women at the reader's sites (``clinic.scope``)."""
    people = {
        int(pid): (code, site_code, unknown or "")
        for pid, code, site_code, unknown in session.execute(
            select(Participant.id, Participant.code, Site.code, Participant.unknown_criteria)
            .join(Site, Site.id == Participant.site_id)
            .where(
                Participant.study_id == study.id,
                Participant.status.in_(sorted(ENROLLED_STATUSES)),
                visible(study, access),
            )
        )
    }
    entries: list[tuple[int, str, dict[str, Any]]] = []
    pregnant: set[int] = set()
    pregnancy_months: dict[int, list[float]] = {}
    unqueried = {v.id for v in protocol_of(study.name).schedule} - {
        v.id for v in queried_visits(protocol_of(study.name))
    }
    if people:
        entries = [
            (int(pid), v, dict(data or {}))
            for pid, v, data in session.execute(
                select(FormEntry.participant_id, FormEntry.visit, FormEntry.data).where(
                    FormEntry.participant_id.in_(list(people))
                )
            )
            if v not in unqueried
        ]
        for pid, months in session.execute(
            select(Pregnancy.participant_id, Pregnancy.months_after_treatment).where(
                Pregnancy.participant_id.in_(list(people))
            )
        ):
            pregnant.add(int(pid))
            if months is not None:
                pregnancy_months.setdefault(int(pid), []).append(float(months))
    merged: dict[int, dict[str, Any]] = {}
    by_visit: dict[int, dict[str, dict[str, Any]]] = {}
    for pid, visit, data in sorted(entries, key=lambda e: order.get(e[1], len(order))):
        merged.setdefault(pid, {}).update({k: v for k, v in data.items() if v is not None})
        by_visit.setdefault(pid, {})[visit] = data
    return _Saved(people, _values_frame(entries), merged, pregnant, by_visit, pregnancy_months)


def _eligibility(saved: _Saved, study: Study, home: Mapping[str, str], first: str) -> list[_Found]:
    """Inputs of the criteria a woman's screening left unknown, saved at no visit."""
    criteria = _criteria(study.name)
    found: dict[tuple[int, str, str], _Found] = {}
    for pid, (_, _, unknown) in saved.people.items():
        have = saved.merged.get(pid, {})
        for criterion in filter(None, unknown.split(";")):
            description, inputs = criteria.get(criterion, (criterion, ()))
            for name in inputs:
                where = home.get(name, first)
                if name not in have and (pid, where, name) not in found:
                    found[(pid, where, name)] = _Found(
                        QueryKind.ELIGIBILITY,
                        pid,
                        where,
                        name,
                        f"no value: needed to decide criterion {criterion} ({description})",
                        None,
                    )
    return list(found.values())


def _missing(saved: _Saved, protocol: Protocol, first: str) -> list[_Found]:
    """Each recorded variable of each visit reached (any value saved, or the first visit)."""
    schedule = pl.DataFrame(
        [(v.id, name) for v in queried_visits(protocol) for name in v.records],
        schema={"visit": pl.String, "variable": pl.String},
        orient="row",
    ).unique()
    everyone = pl.DataFrame(
        {"pid": list(saved.people), "visit": [first] * len(saved.people)},
        schema={"pid": pl.Int64, "visit": pl.String},
    )
    reached = pl.concat([saved.values.select("pid", "visit").unique(), everyone]).unique()
    missing = (
        reached.join(schedule, on="visit")
        .join(
            saved.values.select("pid", "visit", "variable"),
            on=["pid", "visit", "variable"],
            how="anti",
        )
        .filter(~pl.col("variable").is_in(sorted(NOT_QUERIED_WHEN_EMPTY)))
    )
    return [
        _Found(QueryKind.MISSING, pid, where, name, "no value", None)
        for pid, where, name in missing.select("pid", "visit", "variable").iter_rows()
    ]


def _soft_range(saved: _Saved) -> list[_Found]:
    """Saved numbers outside the dictionary's soft limits."""
    outside = saved.values.join(_soft_limits(), on="variable").filter(
        (pl.col("number") < pl.col("low")) | (pl.col("number") > pl.col("high"))
    )
    found = []
    for pid, where, name, number, low, high in outside.iter_rows():
        var, _ = _describe(name)
        unit = f" {var.unit}" if var is not None and var.unit else ""
        found.append(
            _Found(
                QueryKind.SOFT_RANGE,
                pid,
                where,
                name,
                f"outside the usual range {number_text(low)}–{number_text(high)}{unit}: "
                "check it against the source document",
                _shown(number, var),
            )
        )
    return found


def _dates(saved: _Saved, protocol: Protocol, home: Mapping[str, str], today: date) -> list[_Found]:
    """Dates that contradict each other or lie in the future (``clinic.dates``)."""
    return [
        _Found(QueryKind.INCONSISTENT, pid, p.visit, p.variable, p.problem, p.value)
        for pid in saved.people
        for p in contradictions(
            protocol,
            saved.by_visit.get(pid, {}),
            home,
            saved.pregnancy_months.get(pid, []),
            today,
        )
    ]


def _inconsistencies(saved: _Saved, home: Mapping[str, str]) -> list[_Found]:
    """The ``RULES`` the protocol records both sides of, and a pregnancy without treatment."""
    rules = [r for r in RULES if r.present in home and r.absent in home]
    found = []
    for pid in saved.people:
        have = saved.merged.get(pid, {})
        for rule in rules:
            if rule.present in have and rule.absent not in have:
                shown = _shown(have[rule.present], _describe(rule.present)[0])
                found.append(
                    _Found(
                        QueryKind.INCONSISTENT,
                        pid,
                        home[rule.absent],
                        rule.absent,
                        rule.problem,
                        f"{rule.present} = {shown}",
                    )
                )
        absent = PREGNANCY_RULE.absent
        if pid in saved.pregnant and absent in home and absent not in have:
            found.append(
                _Found(
                    QueryKind.INCONSISTENT,
                    pid,
                    home[absent],
                    absent,
                    PREGNANCY_RULE.problem,
                    "pregnancy recorded",
                )
            )
    return found


def queries_of(
    session: Session,
    study: Study,
    *,
    kind: QueryKind | None = None,
    site: str | None = None,
    visit: str | None = None,
    today: date | None = None,
    access: Access,
) -> QueryList:
    """Every query of the study's enrolled women at the reader's sites, filtered (module
    docstring)."""
    protocol = protocol_of(study.name)
    labels = {v.id: v.label for v in protocol.schedule}
    order = {v.id: i for i, v in enumerate(protocol.schedule)}
    home = {v.name: home_visit(protocol, v.name) for v in variables_of(DatasetFile.PARTICIPANTS)}
    first = SCREENING if SCREENING in labels else protocol.schedule[0].id
    saved = _load(session, study, order, access)
    eligibility = _eligibility(saved, study, home, first)
    asked = {(f.pid, f.visit, f.variable) for f in eligibility}
    found = [
        *eligibility,
        *(f for f in _missing(saved, protocol, first) if (f.pid, f.visit, f.variable) not in asked),
        *_soft_range(saved),
        *_inconsistencies(saved, home),
        *_dates(saved, protocol, home, today or date.today()),
    ]
    every = []
    for f in found:
        code, site_code, _ = saved.people[f.pid]
        every.append(
            Query(
                kind=f.kind,
                participant=code,
                site=site_code,
                visit=f.visit,
                visit_label=labels.get(f.visit, f.visit.replace("_", " ")),
                scheduled=f.visit in labels,
                variable=f.variable,
                description=_describe(f.variable)[1],
                problem=f.problem,
                value=f.value,
            )
        )
    columns = {name: i for i, name in enumerate(home)}
    every.sort(
        key=lambda q: (
            q.participant,
            order.get(q.visit, len(order)),
            q.visit,
            columns.get(q.variable, len(columns)),
            q.kind.value,
        )
    )
    placed = [q for q in every if (not site or q.site == site) and (not visit or q.visit == visit)]
    return QueryList(
        queries=tuple(q for q in placed if kind is None or q.kind is kind),
        counts={k: sum(1 for q in placed if q.kind is k) for k in QueryKind},
        sites=tuple(sorted({code for _, code, _ in saved.people.values()})),
        visits=tuple((v.id, v.label) for v in protocol.schedule),
    )
