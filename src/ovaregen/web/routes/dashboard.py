"""Study dashboard and data-quality queries: pages and API, thin over ``clinic.dashboard`` and
``clinic.queries`` (both computed live on each request; arms only through the blind)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from ovaregen.clinic import scope
from ovaregen.clinic.dashboard import dashboard_of
from ovaregen.clinic.queries import KIND_LABELS, QueryKind, queries_of
from ovaregen.clinic.query_lists import raised_from_checks
from ovaregen.clinic.roles import Permission
from ovaregen.clinic.studies import protocol_of
from ovaregen.web.dependencies import SessionDep, Viewer
from ovaregen.web.pages import page

router = APIRouter()


def _kind(text: str | None) -> QueryKind | None:
    """The ``kind`` filter; empty means every kind, anything else unknown is refused (422)."""
    if not text:
        return None
    try:
        return QueryKind(text)
    except ValueError:
        raise HTTPException(
            422,
            f"filter kind: {text!r} is not a kind of query; expected one of "
            + ", ".join(k.value for k in QueryKind),
        ) from None


@router.get("/api/studies/{study}/dashboard", tags=["dashboard"])
def dashboard_api(study: str, session: SessionDep, actor: Viewer) -> dict[str, Any]:
    """Screening funnel, enrolment against target and the plan's headline results, live;
    results split by arm only for a reader allowed to see arms."""
    found = scope.study_seen(session, study, actor.access)
    return dashboard_of(
        session, found, blinded=not actor.may(Permission.COMPARE_ARMS), access=actor.access
    ).as_json()


@router.get("/api/studies/{study}/queries", tags=["dashboard"])
def queries_api(
    study: str,
    session: SessionDep,
    actor: Viewer,
    kind: str | None = None,
    site: str | None = None,
    visit: str | None = None,
) -> dict[str, Any]:
    """Data-quality queries of the enrolled women, optionally filtered by kind, site, visit."""
    found = scope.study_seen(session, study, actor.access)
    listed = queries_of(
        session,
        found,
        kind=_kind(kind),
        site=site or None,
        visit=visit or None,
        access=actor.access,
    )
    return {
        "study": found.name,
        "counts": {k.value: n for k, n in listed.counts.items()},
        "queries": [q.as_json() for q in listed.queries],
    }


@router.get("/studies/{study}/dashboard", include_in_schema=False)
def dashboard_page(study: str, request: Request, session: SessionDep, actor: Viewer) -> Response:
    found = scope.study_seen(session, study, actor.access)
    return page(
        request,
        "dashboard.j2",
        actor,
        study=found,
        protocol=protocol_of(found.name),
        dashboard=dashboard_of(
            session, found, blinded=not actor.may(Permission.COMPARE_ARMS), access=actor.access
        ),
    )


@router.get("/studies/{study}/queries", include_in_schema=False)
def queries_page(
    study: str,
    request: Request,
    session: SessionDep,
    actor: Viewer,
    kind: str | None = None,
    site: str | None = None,
    visit: str | None = None,
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    return page(
        request,
        "queries.j2",
        actor,
        study=found,
        protocol=protocol_of(found.name),
        listed=queries_of(
            session,
            found,
            kind=_kind(kind),
            site=site or None,
            visit=visit or None,
            access=actor.access,
        ),
        kind_labels=KIND_LABELS,
        chosen={"kind": kind or "", "site": site or "", "visit": visit or ""},
        raised=raised_from_checks(session, found, actor.reader),
    )
