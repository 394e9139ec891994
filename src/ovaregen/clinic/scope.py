"""Access by study and site: which women a reader may see, and in which role — the one place
where it is applied (issue 13 item 1; REDCap's "data access groups" and user roles per project,
OpenClinica's study- and site-level roles; ICH E6(R3) §4.2.2 and 21 CFR Part 11 §11.10(d):
access limited to authorised people).

The rules:
- a user holds grants, each a study (or every study) × a site (or every site) × a role, stored
  in ``site_access`` and given with ``ovaregen user add/grant --role R --study S --site CODE``
  (``all`` for every one): the role (``clinic.roles``) says what she may do there, the study
  and site where. A coordinator at MAD1 in study A may be a monitor at BCN2 in study C;
- at one study and site she holds one role (``clinic.site_access`` refuses a grant that
  overlaps one of another role), and in one study she is blinded or not in every role she
  holds there (ICH E9 §2.3.1: who sees the arm does not assess outcomes);
- what she may do with a woman is what her role at the woman's study and site allows
  (``roles_at``); with a study, what some role of hers in the study allows (``roles_in``);
- a woman is seen when a grant covers her study and her site; a user with no grant sees no
  woman at all (least privilege: an account created or migrated without sites is closed, not
  open);
- a woman who is not seen does not exist for the reader: every participant is found through
  ``participant_seen`` (404, the same answer as for an unknown code) and every list or count
  through ``participants_seen`` / ``visible`` (she is never listed or counted);
- a study no grant covers is unknown too (404) and not listed;
- a route that needs a permission works on the grants whose role holds it (``holding``): a
  monitor at BCN2 who coordinates at MAD1 exports, verifies and reads the audit trail of the
  women of the sites where her role allows it, and no others;
- the audit trail shows a reader the entries of the women she sees; entries about no woman
  (set-up, users, lists) only to a reader holding every site of that study (``audit_visible``),
  since such entries are not of one site.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from ovaregen.clinic.roles import Permission, Role, may
from ovaregen.clinic.studies import NotFoundError
from ovaregen.store.models import AuditEntry, Participant, Site, SiteAccess, Study


class _Stratum(Protocol):
    @property
    def stratum(self) -> str: ...


T = TypeVar("T", bound=_Stratum)
ALL = "all"
"""The word for "every study" or "every site" on the command line and in the audit trail."""


def _meet(one: str | None, other: str | None) -> bool:
    return one is None or other is None or one == other


@dataclass(frozen=True, order=True)
class Grant:
    """A study name (None: every study) × a site code (None: every site) × the role she holds
    there (a ``clinic.roles.Role`` value)."""

    study: str | None
    site: str | None
    role: str

    def covers(self, study: str, site: str) -> bool:
        return self.study in (None, study) and self.site in (None, site)

    def in_study(self, study: str) -> bool:
        return self.study in (None, study)

    def shares_a_study(self, other: Grant) -> bool:
        """Whether some study is covered by both."""
        return _meet(self.study, other.study)

    def overlaps(self, other: Grant) -> bool:
        """Whether some study and site are covered by both."""
        return self.shares_a_study(other) and _meet(self.site, other.site)

    @property
    def place(self) -> str:
        """``study/site`` (``all`` for every one), as the command line names it."""
        return f"{self.study or ALL}/{self.site or ALL}"

    def __str__(self) -> str:
        return f"{self.place} as {self.role}"


@dataclass(frozen=True)
class Access:
    """Every grant a reader holds (none: she sees no woman)."""

    grants: frozenset[Grant] = field(default_factory=frozenset)

    def studies(self, names: Iterable[str]) -> list[str]:
        """Those of ``names`` some grant covers, in the given order."""
        return [n for n in names if any(g.study in (None, n) for g in self.grants)]

    def sites_in(self, study: str) -> frozenset[str] | None:
        """The site codes seen in ``study``; None when every site is."""
        held = [g for g in self.grants if g.study in (None, study)]
        if any(g.site is None for g in held):
            return None
        return frozenset(g.site for g in held if g.site is not None)

    def every_site(self, study: str) -> bool:
        return self.sites_in(study) is None

    def sees(self, study: str, site: str) -> bool:
        return any(g.covers(study, site) for g in self.grants)

    def site_codes(self) -> frozenset[str] | None:
        """The sites seen in some study; None when some grant holds every site."""
        if any(g.site is None for g in self.grants):
            return None
        return frozenset(g.site for g in self.grants if g.site is not None)

    def every_site_everywhere(self) -> bool:
        return any(g.study is None and g.site is None for g in self.grants)

    def roles(self) -> frozenset[str]:
        """Every role she holds somewhere."""
        return frozenset(g.role for g in self.grants)

    def roles_in(self, study: str) -> frozenset[str]:
        """The roles she holds at some site of ``study``."""
        return frozenset(g.role for g in self.grants if g.in_study(study))

    def roles_at(self, study: str, site: str) -> frozenset[str]:
        """The role she holds at ``site`` of ``study`` (one, or none: ``clinic.site_access``)."""
        return frozenset(g.role for g in self.grants if g.covers(study, site))

    def holding(self, permission: Permission) -> Access:
        """Only the grants whose role allows ``permission`` (module docstring)."""
        return Access(frozenset(g for g in self.grants if may(g.role, permission)))

    def describe(self) -> str:
        return ", ".join(str(g) for g in sorted(self.grants, key=str)) or "no site"


NOWHERE = Access()


def everywhere(role: str) -> Access:
    """Every study and every site in ``role``."""
    return Access(frozenset({Grant(None, None, role)}))


EVERYWHERE = everywhere(Role.ADMIN.value)
"""Every woman of every study, for the command line (whoever holds the data folder; what it
shows is decided by the command, not by this role: blinded, the administrator's)."""


def access_of(session: Session, user_id: int) -> Access:
    """The grants held by a user (``site_access``)."""
    rows = session.execute(select(SiteAccess).where(SiteAccess.user_id == user_id)).scalars()
    return Access(
        frozenset(
            Grant(
                row.study.name if row.study else None,
                row.site.code if row.site else None,
                row.role,
            )
            for row in rows
        )
    )


def visible(study: Study, access: Access) -> ColumnElement[bool]:
    """The condition on ``Participant`` (of ``study``) of the women the reader sees."""
    if not access.studies([study.name]):
        return false()
    sites = access.sites_in(study.name)
    if sites is None:
        return true()
    if not sites:
        return false()
    return Participant.site_id.in_(select(Site.id).where(Site.code.in_(sorted(sites))))


def study_seen(session: Session, name: str, access: Access) -> Study:
    """A study some grant covers; any other is unknown (404)."""
    found = session.execute(select(Study).where(Study.name == name)).scalar_one_or_none()
    if found is None or not access.studies([found.name]):
        raise NotFoundError(f"no study named {name!r}")
    return found


def studies_seen(session: Session, access: Access) -> Sequence[Study]:
    rows = session.execute(select(Study).order_by(Study.id)).scalars().all()
    return [s for s in rows if access.studies([s.name])]


def participants_seen(session: Session, study: Study, access: Access) -> Sequence[Participant]:
    """The women of ``study`` the reader sees, by code."""
    return (
        session.execute(
            select(Participant)
            .where(Participant.study_id == study.id, visible(study, access))
            .order_by(Participant.code)
        )
        .scalars()
        .all()
    )


def participant_seen(session: Session, study: Study, code: str, access: Access) -> Participant:
    """One woman the reader sees; another site's woman is "no participant" (404), as an
    unknown code is."""
    found = session.execute(
        select(Participant).where(
            Participant.study_id == study.id, Participant.code == code, visible(study, access)
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no participant {code!r} in study {study.name}")
    return found


def sites_seen(session: Session, access: Access, study: str | None = None) -> Sequence[Site]:
    """The sites the reader holds (in ``study``, or in any study)."""
    codes = access.site_codes() if study is None else access.sites_in(study)
    if study is not None and not access.studies([study]):
        codes = frozenset()
    query = select(Site).order_by(Site.code)
    if codes is not None:
        query = query.where(Site.code.in_(sorted(codes)))
    return session.execute(query).scalars().all()


def site_seen(session: Session, code: str, study: str, access: Access) -> Site:
    """A site the reader holds in ``study`` (registering a woman there); else unknown (404)."""
    found = session.execute(select(Site).where(Site.code == code)).scalar_one_or_none()
    if found is None or not access.sees(study, found.code):
        raise NotFoundError(f"no site with code {code!r}")
    return found


def strata_seen(strata: Iterable[T], study: str, access: Access) -> list[T]:
    """The allocation strata of the reader's sites: a stratum's key starts with its site
    (``clinic.randomisation.stratum_key``); another site's strata, and imported allocations
    of no site, are counts of women she does not see."""
    sites = access.sites_in(study)
    if not access.studies([study]):
        return []
    if sites is None:
        return list(strata)
    return [s for s in strata if s.stratum.split("|")[0] in sites]


def audit_visible(access: Access) -> ColumnElement[bool]:
    """The condition on ``AuditEntry`` of the entries the reader sees (module docstring)."""
    if access.every_site_everywhere():
        return true()
    if not access.grants:
        return false()
    clauses: list[ColumnElement[bool]] = []
    for grant in access.grants:
        woman = [
            Participant.code == AuditEntry.participant,
            Study.name == AuditEntry.study,
        ]
        if grant.study is not None:
            woman.append(Study.name == grant.study)
        if grant.site is not None:
            woman.append(Site.code == grant.site)
        clauses.append(
            exists(
                select(Participant.id)
                .join(Study, Study.id == Participant.study_id)
                .join(Site, Site.id == Participant.site_id)
                .where(and_(*woman))
            )
        )
        if grant.site is None and grant.study is not None:
            clauses.append(and_(AuditEntry.participant == "", AuditEntry.study == grant.study))
    return or_(*clauses)
