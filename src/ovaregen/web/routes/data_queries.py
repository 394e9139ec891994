"""The monitor's query cycle: pages and API, thin over ``clinic.data_queries`` (the steps) and
``clinic.query_lists`` (what a reader sees).

Raising, closing and re-opening take ``Permission.RAISE_QUERY`` (the monitor, the data
manager); answering takes ``Permission.ANSWER_QUERY`` (the site), whose value change is the
ordinary form save with its reason and version check. Every URL holds ``/queries``: the
monitor and the data manager write nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import data_queries as cycle
from ovaregen.clinic import ecrf, scope
from ovaregen.clinic.data_queries import NewValue, QueryInputError, QueryState
from ovaregen.clinic.query_lists import QueryRow, queries_raised, state_counts
from ovaregen.store import audit
from ovaregen.store.models import DataQuery, QueryMessage, Study
from ovaregen.web.dependencies import Actor, QueryAnswerer, QueryRaiser, RowId, SessionDep, Viewer
from ovaregen.web.pages import page
from ovaregen.web.routes.forms import typed_text, value_text
from ovaregen.web.submission import Submitted, version_of

router = APIRouter()

DONE = {
    "raised": "query raised",
    "already": "a query raised from this check is still open: here it is (none was added)",
    "answered": "answer saved",
    "closed": "query closed",
    "reopened": "query re-opened",
}
"""The flash of the thread page after a step (``?done=``)."""


def _state(text: str | None) -> QueryState | None:
    """The ``state`` filter; empty means every state, anything else unknown is refused."""
    if not text:
        return None
    try:
        return QueryState(text)
    except ValueError:
        raise HTTPException(
            422,
            f"filter state: {text!r} is not a state of a query; expected one of "
            + ", ".join(s.value for s in QueryState),
        ) from None


def _refused(error: QueryInputError) -> HTTPException:
    return HTTPException(422, f"{error}; nothing was saved")


def _version(text: str | None) -> int:
    version = version_of(text)
    if version is None:
        raise HTTPException(
            422, f"version: {text or ''!r} is not valid; expected the query's version number"
        )
    return version


def _thread_url(study: Study, query: DataQuery, done: str = "") -> str:
    url = f"/studies/{study.name}/queries/raised/{query.id}"
    return f"{url}?done={done}" if done else url


def _message_json(message: QueryMessage) -> dict[str, Any]:
    return {
        "step": message.action,
        "username": message.username,
        "role": message.role,
        "at": audit.timestamp(message.at),
        "text": message.text,
        "value_changed": message.value_changed,
        "old_value": message.old_value,
        "new_value": message.new_value,
    }


def _row(session: Session, study: Study, query: DataQuery, actor: Actor) -> QueryRow:
    return queries_raised(session, study, actor.reader, query=query)[0]


def _thread_json(session: Session, study: Study, query: DataQuery, actor: Actor) -> dict[str, Any]:
    return _row(session, study, query, actor).as_json() | {
        "messages": [_message_json(m) for m in cycle.thread_of(session, query)]
    }


# ---- pages -------------------------------------------------------------------------------


@router.get("/studies/{study}/queries/raised", include_in_schema=False)
def raised_page(
    study: str,
    request: Request,
    session: SessionDep,
    actor: Viewer,
    state: str | None = None,
    site: str | None = None,
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    every = queries_raised(session, found, actor.reader, site=site or None)
    chosen = _state(state)
    return page(
        request,
        "data_queries.j2",
        actor,
        study=found,
        rows=[r for r in every if chosen is None or r.state is chosen],
        counts=state_counts(every),
        states=list(QueryState),
        sites=[s.code for s in scope.sites_seen(session, actor.access, found.name)],
        chosen={"state": state or "", "site": site or ""},
    )


@router.get("/studies/{study}/queries/raised/{query_id}", include_in_schema=False)
def thread_page(
    study: str,
    query_id: RowId,
    request: Request,
    session: SessionDep,
    actor: Viewer,
    done: str | None = None,
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    query = cycle.query_seen(session, found, query_id, actor.reader)
    visit, fld = cycle.queried_field(found.name, query.visit, query.variable, actor.reader)
    entry = ecrf.form_entry(session, query.participant, visit.id)
    return page(
        request,
        "data_query.j2",
        actor,
        study=found,
        query=_row(session, found, query, actor),
        messages=cycle.thread_of(session, query),
        visit=visit,
        units=[u.unit for u in fld.units],
        current=value_text(fld, (entry.data or {}).get(fld.name) if entry else None),
        form_version=entry.version if entry else "",
        flash=DONE.get(done or "", ""),
        base=f"/studies/{found.name}/participants/{query.participant.code}",
    )


@router.post("/studies/{study}/participants/{code}/queries", include_in_schema=False)
def raise_page(
    study: str, code: str, session: SessionDep, actor: QueryRaiser, form: Submitted
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    try:
        raised = cycle.raise_query(
            session,
            participant,
            visit=form.get("visit", ""),
            variable=form.get("variable", ""),
            message=form.get("message"),
            reader=actor.reader,
            from_check=form.get("check", ""),
        )
    except QueryInputError as error:
        raise _refused(error) from None
    done = "already" if raised.already else "raised"
    return RedirectResponse(_thread_url(found, raised.query, done), 303)


def _new_value(form: dict[str, str]) -> NewValue | None:
    if form.get("change") != "yes":
        return None
    return NewValue(
        text=form.get("value", ""),
        unit=form.get("unit") or None,
        form_version=version_of(form.get("form_version")),
        reason=form.get("reason", ""),
    )


@router.post("/studies/{study}/queries/raised/{query_id}/answer", include_in_schema=False)
def answer_page(
    study: str, query_id: RowId, session: SessionDep, actor: QueryAnswerer, form: Submitted
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    query = cycle.query_seen(session, found, query_id, actor.reader)
    try:
        cycle.answer_query(
            session,
            query,
            message=form.get("message"),
            reader=actor.reader,
            expected_version=_version(form.get("version")),
            new_value=_new_value(form),
        )
    except QueryInputError as error:
        raise _refused(error) from None
    return RedirectResponse(_thread_url(found, query, "answered"), 303)


def _raiser_step(
    step: Callable[..., object],
    done: str,
    study: str,
    query_id: RowId,
    session: Session,
    actor: Actor,
    form: Mapping[str, str],
) -> Response:
    """Close or re-open (``step``) a query from its thread page; back to it, saying ``done``."""
    found = scope.study_seen(session, study, actor.access)
    query = cycle.query_seen(session, found, query_id, actor.reader)
    try:
        step(
            session,
            query,
            message=form.get("message"),
            reader=actor.reader,
            expected_version=_version(form.get("version")),
        )
    except QueryInputError as error:
        raise _refused(error) from None
    return RedirectResponse(_thread_url(found, query, done), 303)


@router.post("/studies/{study}/queries/raised/{query_id}/close", include_in_schema=False)
def close_page(
    study: str, query_id: RowId, session: SessionDep, actor: QueryRaiser, form: Submitted
) -> Response:
    return _raiser_step(cycle.close_query, "closed", study, query_id, session, actor, form)


@router.post("/studies/{study}/queries/raised/{query_id}/reopen", include_in_schema=False)
def reopen_page(
    study: str, query_id: RowId, session: SessionDep, actor: QueryRaiser, form: Submitted
) -> Response:
    return _raiser_step(cycle.reopen_query, "reopened", study, query_id, session, actor, form)


# ---- API ---------------------------------------------------------------------------------


class RaiseIn(BaseModel):
    visit: str
    variable: str
    message: Annotated[str, Field(max_length=cycle.MESSAGE_LIMIT)]
    check: str = ""
    """The kind of computed check it is raised from (``clinic.queries``), if any."""


class StepIn(BaseModel):
    message: Annotated[str, Field(max_length=cycle.MESSAGE_LIMIT)] = ""
    version: int
    """The query's version read (a stale one is refused, 409)."""


class AnswerIn(StepIn):
    change_value: bool = False
    value: str | bool | int | float | None = None
    """The new value (typed text or number; null or empty = unknown), when ``change_value``."""
    unit: str | None = None
    form_version: int | None = None
    """The form's version read (null when the form was never saved)."""
    reason: Annotated[str, Field(max_length=2000)] = ""
    """The reason for the change of a saved value."""


@router.get("/api/studies/{study}/queries/raised", tags=["queries"])
def raised_api(
    study: str,
    session: SessionDep,
    actor: Viewer,
    state: str | None = None,
    site: str | None = None,
) -> dict[str, Any]:
    """The raised queries of her sites' women, with ages in days, filtered by state, site."""
    found = scope.study_seen(session, study, actor.access)
    every = queries_raised(session, found, actor.reader, site=site or None)
    chosen = _state(state)
    return {
        "study": found.name,
        "counts": {s.value: n for s, n in state_counts(every).items()},
        "queries": [r.as_json() for r in every if chosen is None or r.state is chosen],
    }


@router.get("/api/studies/{study}/queries/raised/{query_id}", tags=["queries"])
def thread_api(study: str, query_id: RowId, session: SessionDep, actor: Viewer) -> dict[str, Any]:
    """One query and its thread of messages."""
    found = scope.study_seen(session, study, actor.access)
    query = cycle.query_seen(session, found, query_id, actor.reader)
    return _thread_json(session, found, query, actor)


@router.post(
    "/api/studies/{study}/participants/{code}/queries",
    tags=["queries"],
    status_code=201,
    responses={
        200: {
            "description": "A query raised from the same computed check on this value is "
            "still open: that query, with `already` true (none was added)."
        }
    },
)
def raise_api(
    study: str, code: str, body: RaiseIn, session: SessionDep, actor: QueryRaiser
) -> Response:
    """Raise a query on one value of one form (201); 200 with ``already`` when a query raised
    from the same computed check is still open."""
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    try:
        raised = cycle.raise_query(
            session,
            participant,
            visit=body.visit,
            variable=body.variable,
            message=body.message,
            reader=actor.reader,
            from_check=body.check,
        )
    except QueryInputError as error:
        raise _refused(error) from None
    answer = _thread_json(session, found, raised.query, actor) | {"already": raised.already}
    return JSONResponse(answer, status_code=200 if raised.already else 201)


@router.post("/api/studies/{study}/queries/raised/{query_id}/answer", tags=["queries"])
def answer_api(
    study: str, query_id: RowId, body: AnswerIn, session: SessionDep, actor: QueryAnswerer
) -> dict[str, Any]:
    """The site's answer; with ``change_value`` the value is saved through the form (a
    reason when it was saved before; 409 on a stale query or form version)."""
    found = scope.study_seen(session, study, actor.access)
    query = cycle.query_seen(session, found, query_id, actor.reader)
    new_value = (
        NewValue(typed_text(body.value), body.unit, body.form_version, body.reason)
        if body.change_value
        else None
    )
    try:
        cycle.answer_query(
            session,
            query,
            message=body.message,
            reader=actor.reader,
            expected_version=body.version,
            new_value=new_value,
        )
    except QueryInputError as error:
        raise _refused(error) from None
    return _thread_json(session, found, query, actor)


@router.post("/api/studies/{study}/queries/raised/{query_id}/close", tags=["queries"])
def close_api(
    study: str, query_id: RowId, body: StepIn, session: SessionDep, actor: QueryRaiser
) -> dict[str, Any]:
    """Close an answered query (resolved); 409 in any other state."""
    found = scope.study_seen(session, study, actor.access)
    query = cycle.query_seen(session, found, query_id, actor.reader)
    try:
        cycle.close_query(
            session, query, message=body.message, reader=actor.reader, expected_version=body.version
        )
    except QueryInputError as error:
        raise _refused(error) from None
    return _thread_json(session, found, query, actor)


@router.post("/api/studies/{study}/queries/raised/{query_id}/reopen", tags=["queries"])
def reopen_api(
    study: str, query_id: RowId, body: StepIn, session: SessionDep, actor: QueryRaiser
) -> dict[str, Any]:
    """Re-open an answered or closed query with a message; 409 for an open one."""
    found = scope.study_seen(session, study, actor.access)
    query = cycle.query_seen(session, found, query_id, actor.reader)
    try:
        cycle.reopen_query(
            session, query, message=body.message, reader=actor.reader, expected_version=body.version
        )
    except QueryInputError as error:
        raise _refused(error) from None
    return _thread_json(session, found, query, actor)
