"""A study's dashboard, computed live from the database on every request (nothing cached).

- Screening funnel: counted from the participants' status and screening verdict
  (``store.models.Participant``); randomised women are counted through the blind
  (``clinic.blinding.allocations_of``), so the dashboard never touches an arm.
- Enrolment against the protocol's target (``Study.target_enrolment``; 66 for ucmsc-rct,
  NCT05308342), by month of enrolment and by site.
- Live outcomes: the study's own analysis plan (``analysis.plans.run_plan``) on the study's data
  as the reader may see them (``clinic.exchange.study_dataset``). The dashboard only picks the
  plan's headline results; it computes no statistic itself. A blinded reader's dataset has no
  arm, so a randomised study's between-arm results cannot be computed for her, and any result
  split by arm is withheld (ICH E9 §2.3.1, triple-blind design of Study C).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.analysis.plans import PLANS, run_plan
from ovaregen.analysis.result import Result
from ovaregen.clinic import flow
from ovaregen.clinic.blinding import allocations_of
from ovaregen.clinic.exchange import study_dataset
from ovaregen.clinic.flow import ENROLLED_STATUSES
from ovaregen.clinic.scope import Access, visible
from ovaregen.clinic.studies import protocol_of
from ovaregen.report.results_json import plain
from ovaregen.store.models import Participant, Site, Study

log = logging.getLogger(__name__)

HEADLINES: Mapping[str, tuple[str, ...]] = {
    "regenera": (
        "activation_rate",
        "activation_by_afc_rate",
        "activation_by_amh_rate",
        "pregnancy_rate",
        "spontaneous_pregnancy_rate",
        "ivf_pregnancy_rate",
    ),
    "mensc": (
        "pregnancy_rate",
        "spontaneous_pregnancy_rate",
        "ivf_pregnancy_rate",
        "live_birth_rate_per_woman",
        "infants_per_woman",
        "miscarriage_rate_per_pregnancy",
    ),
}
"""The results shown per plan; a plan not listed (ucmsc-rct) shows every result it gives."""
ARM_RESULT_PREFIX = "arm_difference_"
NO_DATA = "not enough data yet"
UNKNOWN_MONTH = "not recorded"
BLINDED = "the plan's results compare the arms: they are shown to the unblinded statistician only"


@dataclass(frozen=True)
class Funnel:
    """Counts of the screening funnel and the flow after enrolment."""

    registered: int
    screened: int
    eligible: int
    not_eligible: int
    eligibility_unknown: int
    in_screening: int
    screen_failed: int
    enrolled: int
    randomised: int | None
    ongoing: int
    withdrawn: int
    lost_to_follow_up: int
    completed: int

    def stages(self) -> list[tuple[str, str, int]]:
        """(key, label, count) in funnel order; randomised only for a randomised study."""
        stages = [
            ("registered", "registered", self.registered),
            ("screened", "screened (eligibility computed)", self.screened),
            ("eligible", "eligible", self.eligible),
            ("not_eligible", "not eligible", self.not_eligible),
            (
                "eligibility_unknown",
                "eligibility unknown (values missing)",
                self.eligibility_unknown,
            ),
            ("in_screening", "still in screening (to decide)", self.in_screening),
            ("screen_failed", "screen failed", self.screen_failed),
            ("enrolled", "enrolled", self.enrolled),
        ]
        if self.randomised is not None:
            stages.append(("randomised", "randomised", self.randomised))
        stages += [
            ("ongoing", "in follow-up (ongoing)", self.ongoing),
            ("withdrawn", "withdrawn", self.withdrawn),
            ("lost_to_follow_up", "lost to follow-up", self.lost_to_follow_up),
            ("completed", "completed", self.completed),
        ]
        return stages


@dataclass(frozen=True)
class Enrolment:
    """Women enrolled against the protocol's target, by month and by site."""

    enrolled: int
    target: int | None
    by_month: list[tuple[str, int]]
    by_site: list[tuple[str, int]]

    @property
    def percent(self) -> float | None:
        """Enrolled as a percentage of the target (None without a target)."""
        if not self.target:
            return None
        return 100.0 * self.enrolled / self.target

    @property
    def bar_width(self) -> float:
        """The bar's filled share of 100 (capped at 100 when enrolment passes the target)."""
        return min(self.percent or 0.0, 100.0)


@dataclass(frozen=True)
class Outcome:
    """One headline result of the plan, as the plan reports it."""

    id: str
    title: str
    method: str
    n: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    numerator: Any
    denominator: Any
    numerator_label: str | None
    denominator_label: str | None
    warnings: tuple[str, ...]
    groups: tuple[tuple[str, int], ...] = ()
    """The groups compared (label, n) in the plan's order: the arms' protocol labels."""

    @property
    def enough_data(self) -> bool:
        return self.n > 0 and self.estimate is not None

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = plain(
            {
                "id": self.id,
                "title": self.title,
                "method": self.method,
                "n": self.n,
                "estimate": self.estimate,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "p_value": self.p_value,
                "numerator": self.numerator,
                "denominator": self.denominator,
                "numerator_label": self.numerator_label,
                "denominator_label": self.denominator_label,
                "enough_data": self.enough_data,
                "warnings": list(self.warnings),
            }
        )
        return document


@dataclass(frozen=True)
class Outcomes:
    """The plan's headline results, or why there are none to show."""

    plan: str | None
    results: tuple[Outcome, ...]
    message: str | None
    arm_results_withheld: bool


@dataclass(frozen=True)
class ArmCount:
    """One arm of the protocol as the unblinded statistician reads it: its id, the protocol's
    label and how many women of the reader's sites are allocated to it."""

    id: str
    label: str
    n: int


@dataclass(frozen=True)
class Dashboard:
    study: Study
    funnel: Funnel
    enrolment: Enrolment
    outcomes: Outcomes
    every_site: bool = True
    sites: tuple[str, ...] = ()
    """Whom the counts are of: every site, or the reader's sites (``clinic.scope``)."""
    arms: tuple[ArmCount, ...] = ()
    """The arms in the protocol's order with n per arm; empty for a blinded reader."""

    def as_json(self) -> dict[str, Any]:
        arms = (
            {"arms": [{"id": a.id, "label": a.label, "n": a.n} for a in self.arms]}
            if self.arms
            else {}
        )
        return arms | {
            "study": self.study.name,
            "sites": "all" if self.every_site else list(self.sites),
            "funnel": {key: count for key, _, count in self.funnel.stages()},
            "enrolment": {
                "enrolled": self.enrolment.enrolled,
                "target": self.enrolment.target,
                "percent": self.enrolment.percent,
                "by_month": [{"month": m, "enrolled": n} for m, n in self.enrolment.by_month],
                "by_site": [{"site": s, "enrolled": n} for s, n in self.enrolment.by_site],
            },
            "outcomes": {
                "plan": self.outcomes.plan,
                "message": self.outcomes.message,
                "arm_results_withheld": self.outcomes.arm_results_withheld,
                "results": [r.as_json() for r in self.outcomes.results],
            },
        }


def _people(
    session: Session, study: Study, access: Access
) -> list[tuple[int, str, str | None, Any, str]]:
    """The women of ``study`` at the reader's sites (``clinic.scope``): every count is of them."""
    rows = session.execute(
        select(
            Participant.id,
            Participant.status,
            Participant.eligible,
            Participant.enrolled_at,
            Site.code,
        )
        .join(Site, Site.id == Participant.site_id)
        .where(Participant.study_id == study.id, visible(study, access))
    )
    return [(int(i), status, eligible, at, site) for i, status, eligible, at, site in rows]


def funnel_of(session: Session, study: Study, access: Access) -> Funnel:
    """The screening funnel of ``study`` at the reader's sites (module docstring)."""
    people = _people(session, study, access)
    statuses = Counter(status for _, status, _, _, _ in people)
    verdicts = Counter(eligible for _, _, eligible, _, _ in people)
    randomised = (
        len(allocations_of(session, (i for i, *_ in people), blinded=True))
        if study.randomised
        else None
    )
    return Funnel(
        registered=len(people),
        screened=sum(n for verdict, n in verdicts.items() if verdict is not None),
        eligible=verdicts["true"],
        not_eligible=verdicts["false"],
        eligibility_unknown=verdicts["unknown"],
        in_screening=statuses[flow.SCREENING],
        screen_failed=statuses[flow.SCREEN_FAILED],
        enrolled=sum(statuses[s] for s in ENROLLED_STATUSES),
        randomised=randomised,
        ongoing=statuses[flow.ONGOING],
        withdrawn=statuses["withdrawn"],
        lost_to_follow_up=statuses["lost_to_follow_up"],
        completed=statuses["completed"],
    )


def enrolment_of(session: Session, study: Study, access: Access) -> Enrolment:
    """Enrolment against target, by month of ``enrolled_at`` (UTC) and by site, at the
    reader's sites."""
    enrolled = [p for p in _people(session, study, access) if p[1] in ENROLLED_STATUSES]
    months = Counter(at.strftime("%Y-%m") if at else UNKNOWN_MONTH for _, _, _, at, _ in enrolled)
    sites = Counter(site for *_, site in enrolled)
    return Enrolment(
        enrolled=len(enrolled),
        target=study.target_enrolment,
        by_month=sorted(months.items(), key=lambda item: (item[0] == UNKNOWN_MONTH, item[0])),
        by_site=sorted(sites.items()),
    )


def _outcome(result: Result) -> Outcome:
    extra = result.extra
    return Outcome(
        id=result.id,
        title=result.title,
        method=result.method,
        n=result.n,
        estimate=result.estimate,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        p_value=result.p_value,
        numerator=extra.get("numerator"),
        denominator=extra.get("denominator"),
        numerator_label=extra.get("numerator_label"),
        denominator_label=extra.get("denominator_label"),
        warnings=tuple(result.warnings),
        groups=tuple(
            (str(g["group"]), int(g["n"]))
            for g in extra.get("groups") or ()
            if isinstance(g, Mapping) and "group" in g and "n" in g
        ),
    )


def _split_by_arm(result: Result) -> bool:
    return result.id.startswith(ARM_RESULT_PREFIX) or "groups" in result.extra


def outcomes_of(session: Session, study: Study, *, blinded: bool, access: Access) -> Outcomes:
    """The plan's headline results on the live data (module docstring); never raises."""
    withheld = blinded and study.randomised
    if study.name not in PLANS:
        return Outcomes(None, (), f"no analysis plan for study {study.name}", withheld)
    dataset = study_dataset(session, study, blinded=blinded, access=access)
    if dataset.participants.height == 0:
        return Outcomes(study.name, (), f"{NO_DATA}: nobody past screening", withheld)
    try:
        analysis = run_plan(study.name, dataset)
    except Exception:  # the dashboard reports, never fails: a plan may not cope with sparse data
        log.exception("analysis plan %s failed on the live data of %s", study.name, study.name)
        return Outcomes(
            study.name, (), f"{NO_DATA}: the analysis plan could not run on the data", withheld
        )
    wanted = HEADLINES.get(study.name)
    chosen = [
        r
        for r in analysis.results
        if (wanted is None or r.id in wanted) and not (withheld and _split_by_arm(r))
    ]
    if wanted is not None:
        chosen.sort(key=lambda r: wanted.index(r.id))
    results = tuple(_outcome(r) for r in chosen)
    if any(r.enough_data for r in results):
        message = None
    elif withheld and not results:
        message = BLINDED
    else:
        message = NO_DATA
    return Outcomes(study.name, results, message, withheld)


def arms_of(
    session: Session, study: Study, *, blinded: bool, access: Access
) -> tuple[ArmCount, ...]:
    """The protocol's arms in its order, labelled as the protocol labels them, with the number
    of women allocated to each at the reader's sites (CONSORT 2010 item 13a: n per arm, arms
    named); nothing for a blinded reader or a study without randomisation (ICH E9 §2.3.1)."""
    if blinded or not study.randomised:
        return ()
    people = _people(session, study, access)
    views = allocations_of(session, (i for i, *_ in people), blinded=False)
    counts = Counter(view.arm for view in views.values())
    return tuple(ArmCount(a.id, a.label, counts[a.id]) for a in protocol_of(study.name).arms)


def dashboard_of(session: Session, study: Study, *, blinded: bool, access: Access) -> Dashboard:
    """Everything the dashboard shows, computed now, of the women at the reader's sites."""
    return Dashboard(
        study=study,
        funnel=funnel_of(session, study, access),
        enrolment=enrolment_of(session, study, access),
        outcomes=outcomes_of(session, study, blinded=blinded, access=access),
        every_site=access.every_site(study.name),
        sites=tuple(sorted(access.sites_in(study.name) or ())),
        arms=arms_of(session, study, blinded=blinded, access=access),
    )
