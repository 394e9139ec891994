"""The study page's FHIR server setting (issue 15, item 1): where "Fetch laboratory results"
asks for a woman's results (``clinic.fhir_settings``; ``ovaregen fhir server`` on the command
line).

Rules: setting, changing and clearing it is the administrator's (``Permission.SET_UP``) with a
grant of every site of the study — the server serves every site's women; each change is
audited; a value refused says why (409) and changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import scope
from ovaregen.clinic.fhir_settings import MAX_LENGTH, clear_fhir_server, set_fhir_server
from ovaregen.clinic.roles import Permission
from ovaregen.store.models import Study
from ovaregen.web.dependencies import Actor, ForbiddenError, SessionDep, SetUp

router = APIRouter()

SETTING = "/studies/{study}/fhir-server"


def may_set(actor: Actor, study: str) -> bool:
    """Whether she may change the study's FHIR server (module rules)."""
    return actor.grants.holding(Permission.SET_UP).every_site(study)


def _study(session: Session, study: str, actor: Actor) -> Study:
    found = scope.study_seen(session, study, actor.access)
    if not may_set(actor, found.name):
        raise ForbiddenError(
            "the FHIR server serves every site's women: setting it needs an administrator "
            "grant of every site of the study"
        )
    return found


@router.post(SETTING, include_in_schema=False)
def set_server_page(
    study: str,
    session: SessionDep,
    actor: SetUp,
    base_url: Annotated[str, Form(max_length=MAX_LENGTH + 100)] = "",
    identifier_system: Annotated[str, Form(max_length=MAX_LENGTH + 100)] = "",
) -> Response:
    """Set or change the study's FHIR server; back to the study page, which shows it."""
    found = _study(session, study, actor)
    set_fhir_server(
        session,
        found,
        base_url=base_url,
        identifier_system=identifier_system,
        username=actor.username,
    )
    return RedirectResponse(f"/studies/{found.name}#fhir-server", 303)


@router.post(f"{SETTING}/clear", include_in_schema=False)
def clear_server_page(study: str, session: SessionDep, actor: SetUp) -> Response:
    """Remove the study's FHIR server: the participant pages stop offering to fetch."""
    found = _study(session, study, actor)
    clear_fhir_server(session, found, username=actor.username)
    return RedirectResponse(f"/studies/{found.name}#fhir-server", 303)
