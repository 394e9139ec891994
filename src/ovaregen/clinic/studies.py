"""Studies, sites and participants.

A study is set up from a shipped protocol file (``domain.protocols``); the server sets up every
shipped protocol on first start. Sites are added by an administrator. A participant is a
pseudonymous code ``SITE-NNNN`` (numbered per study and site); no name is ever asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ovaregen.domain.protocols import PROTOCOL_NAMES, Protocol, load_protocol
from ovaregen.domain.pseudonym import pseudonym_problem
from ovaregen.store import audit
from ovaregen.store.database import Database
from ovaregen.store.migrate import upgrade
from ovaregen.store.models import Participant, Site, Study

SYSTEM = "system"
"""The audit trail's name for changes made by ovaregen itself (set-up at first start)."""
SITE_CODE = re.compile(r"^[A-Z0-9]{2,16}$")


class StudyError(ValueError):
    """A study, site or participant request that cannot be carried out (message says why)."""


class NotFoundError(LookupError):
    """No such study, site or participant."""


@cache
def protocol_of(study_name: str) -> Protocol:
    """The protocol a study runs (shipped protocol files, loaded once)."""
    return load_protocol(study_name)


def set_up_shipped_studies(session: Session) -> list[Study]:
    """Create a study for every shipped protocol not set up yet; audited."""
    existing = set(session.execute(select(Study.name)).scalars())
    created = []
    for name in PROTOCOL_NAMES:
        if name in existing:
            continue
        protocol = protocol_of(name)
        study = Study(
            name=name,
            title=protocol.title,
            protocol_version=protocol.version,
            target_enrolment=protocol.target_enrolment,
            randomised=len(protocol.arms) > 1,
        )
        session.add(study)
        session.flush()
        audit.record(
            session,
            username=SYSTEM,
            action=audit.Action.SETUP,
            entity="study",
            entity_id=study.id,
            study=name,
            changes={"name": [None, name], "protocol_version": [None, protocol.version]},
        )
        created.append(study)
    return created


def prepare_database(database: Database) -> None:
    """Apply every migration and set the shipped studies up (idempotent; at every start)."""
    upgrade(database)
    with database.transaction() as session:
        set_up_shipped_studies(session)


def studies(session: Session) -> Sequence[Study]:
    return session.execute(select(Study).order_by(Study.id)).scalars().all()


def study_named(session: Session, name: str) -> Study:
    found = session.execute(select(Study).where(Study.name == name)).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no study named {name!r}")
    return found


def sites(session: Session) -> Sequence[Site]:
    return session.execute(select(Site).order_by(Site.code)).scalars().all()


def site_coded(session: Session, code: str) -> Site:
    found = session.execute(select(Site).where(Site.code == code)).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no site with code {code!r}")
    return found


def add_site(session: Session, *, code: str, name: str, username: str) -> Site:
    """Add a site (code: 2–16 capital letters or digits); audited."""
    code = code.strip().upper()
    if not SITE_CODE.match(code):
        raise StudyError(
            f"site code {code!r} is not valid: expected 2–16 capital letters or digits"
        )
    if not name.strip():
        raise StudyError("a site needs a name")
    if session.execute(select(Site.id).where(Site.code == code)).first():
        raise StudyError(f"a site with code {code!r} exists already")
    site = Site(code=code, name=name.strip())
    session.add(site)
    session.flush()
    audit.record(
        session,
        username=username,
        action=audit.Action.CREATE,
        entity="site",
        entity_id=site.id,
        changes={"code": [None, code], "name": [None, site.name]},
    )
    return site


def participant_coded(session: Session, study: Study, code: str) -> Participant:
    """A participant by code, at any site: for the command line and set-up only. What a person
    sees goes through ``clinic.scope`` (her sites)."""
    found = session.execute(
        select(Participant).where(Participant.study_id == study.id, Participant.code == code)
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no participant {code!r} in study {study.name}")
    return found


def next_code(session: Session, study: Study, site: Site) -> str:
    """The next free pseudonymous code of a site in a study, ``SITE-0001`` onwards."""
    count = session.execute(
        select(func.count())
        .select_from(Participant)
        .where(Participant.study_id == study.id, Participant.site_id == site.id)
    ).scalar_one()
    number = int(count) + 1
    while session.execute(
        select(Participant.id).where(
            Participant.study_id == study.id, Participant.code == f"{site.code}-{number:04d}"
        )
    ).first():
        number += 1
    return f"{site.code}-{number:04d}"


def add_participant(
    session: Session, study: Study, site: Site, *, username: str, code: str | None = None
) -> Participant:
    """Register a woman for screening under a pseudonymous code (generated ``SITE-0001``
    unless one is given; a given code that looks like a name or an identity number is
    refused, ``domain.pseudonym``); audited; refused while the study database is locked."""
    from ovaregen.clinic.locks import refuse_study_change  # noqa: PLC0415 - locks build on studies

    refuse_study_change(session, study)
    code = (code or next_code(session, study, site)).strip()
    if not code or len(code) > 64:
        raise StudyError("a participant code has 1–64 characters")
    problem = pseudonym_problem(code)
    if problem is not None:
        raise StudyError(f"participant code {code!r} refused: it {problem}")
    if session.execute(
        select(Participant.id).where(Participant.study_id == study.id, Participant.code == code)
    ).first():
        raise StudyError(f"participant {code!r} exists already in study {study.name}")
    participant = Participant(study_id=study.id, site_id=site.id, code=code, status="screening")
    session.add(participant)
    session.flush()
    session.refresh(participant)
    audit.record(
        session,
        username=username,
        action=audit.Action.CREATE,
        entity="participant",
        entity_id=participant.id,
        study=study.name,
        participant=code,
        changes={"site": [None, site.code], "status": [None, "screening"]},
    )
    return participant
