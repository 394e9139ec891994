"""``POST /redcap/api/``: the read side of REDCap's API over a clinic study
(``clinic.redcap_api``), so that REDCap clients (PyCap, REDCapR) read the clinic as they read a
REDCap project.

- Who: the form field ``token`` is an ovaregen API token (``clinic.tokens``): a REDCap API
  token (32 hexadecimal characters, which PyCap's ``redcap.Project`` accepts unmodified) or a
  personal one (``ovr_…``), found as the bearer header's is (``web.bearer.live_token``: hashed
  lookup, last use recorded) and refused the same way, audited (``web.bearer.audit_refused``),
  answered as REDCap answers a bad token: 403 "You do not have permissions to use the API". No
  cookie is read, so CSRF does not apply (as for bearer tokens); the route is not a page.
- Which study: REDCap's tokens are per project, ours per user: the address names it
  (``/redcap/ucmsc-rct/api/``: PyCap sends only REDCap's fields and wants an address ending
  in ``/api/``), or the form field ``study`` (or ``project``); without either, the one study
  the user may export, if she has exactly one (400 otherwise, naming hers).
- Access: ``web.dependencies.admitted`` with ``Permission.EXPORT`` in that study (reading
  records through an API is an export of the study's data, as the export zip is): her sites
  only (``clinic.scope``), blinded by her role there (``Actor.blinded``:
  ``clinic.exchange.study_dataset``). A ``read`` token suffices: every content here reads.
  Without the permission: 403 "You do not have API Export privileges" (REDCap's words).
- Audit: every ``content=record`` answer is audited as an export of the study
  (``clinic.exchange.record_export``), in a short transaction of its own; the rest is read in
  a read-only transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ovaregen.clinic import scope
from ovaregen.clinic.exchange import record_export, study_dataset
from ovaregen.clinic.redcap_api import (
    Answer,
    ApiError,
    Parameters,
    answer,
    error_body,
    error_format,
    parameters,
    records_answer,
    records_frame,
)
from ovaregen.clinic.roles import Permission
from ovaregen.clinic.studies import NotFoundError, protocol_of, study_named
from ovaregen.clinic.tokens import Refusal, Refused, TokenRefusedError
from ovaregen.formats.redcap.project import dataset_columns, project
from ovaregen.store.database import Database
from ovaregen.web.bearer import audit_refused, live_token
from ovaregen.web.database_turns import database_turn
from ovaregen.web.dependencies import Actor, DatabaseDep, ForbiddenError, admitted

router = APIRouter()
PATH = "/redcap/api/"
STUDY_PATH = "/redcap/{study}/api/"
"""The study in the address: a client that sends only REDCap's own fields (PyCap) needs it."""
NO_PERMISSION = "You do not have permissions to use the API"
NO_EXPORT = "You do not have API Export privileges"
Form = Mapping[str, Sequence[str]]


def read_session(
    db: DatabaseDep, _turn: Annotated[None, Depends(database_turn, scope="function")]
) -> Iterator[Session]:
    """A read-only transaction, begun once the request has its turn (every content reads)."""
    with db.read() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session, scope="function")]


@router.post(PATH, include_in_schema=False)
@router.post(STUDY_PATH, include_in_schema=False)
async def redcap_api(request: Request, session: ReadSession, database: DatabaseDep) -> Response:
    """Answer one REDCap API request (module docstring)."""
    submitted = await request.form()
    form: dict[str, list[str]] = {}
    for key, value in submitted.multi_items():
        if isinstance(value, str):
            form.setdefault(key, []).append(value)
    fmt = error_format(form)
    try:
        actor = await _admitted(request, session, database, form)
        asked = parameters(form)
        result = await run_in_threadpool(_answer, session, database, actor, asked)
    except ApiError as error:
        return _refused(error.status, error.message, fmt)
    except TokenRefusedError as error:
        await audit_refused(request, error.refusal)
        return _refused(403, f"{NO_PERMISSION} ({_why(error.refusal)})", fmt)
    except ForbiddenError as error:
        return _refused(403, f"{NO_EXPORT} ({error})", fmt)
    except NotFoundError as error:
        return _refused(400, f"{error} among the studies you may export", fmt)
    return Response(result.text, media_type=result.media_type)


def _why(refusal: Refusal) -> str:
    if refusal.why is Refused.MALFORMED:
        return (
            "the form field token is not a token of this server (expected a REDCap API token "
            "of 32 upper-case hexadecimal characters, or ovr_…)"
        )
    return refusal.text


def _refused(status: int, message: str, fmt: str) -> Response:
    body = error_body(message, fmt)
    return Response(body.text, status_code=status, media_type=body.media_type)


async def _admitted(request: Request, session: Session, database: Database, form: Form) -> Actor:
    """The token's user, admitted to export the study asked (module docstring)."""
    presented = (form.get("token") or [""])[-1].strip()
    if not presented:
        raise ApiError(403, f"{NO_PERMISSION} (no token was sent: the form field token)")
    token = live_token(session, presented, database=database)
    actor = Actor(token.user, scope.access_of(session, token.user.id), api_token=token)
    study = _study_asked(request, session, actor, form)
    return await admitted(request, actor, Permission.EXPORT, session, study=study, reads=True)


def _study_asked(request: Request, session: Session, actor: Actor, form: Form) -> str:
    """The address's study, the form's ``study`` (or ``project``), else her one study where
    she may export."""
    in_path = request.path_params.get("study")
    if in_path is not None:
        return str(in_path)
    for name in ("study", "project"):
        given = [v.strip() for v in form.get(name, ()) if v.strip()]
        if given:
            return given[-1]
    exporting = scope.studies_seen(session, actor.grants.holding(Permission.EXPORT))
    seen = exporting or scope.studies_seen(session, actor.grants)
    if len(seen) == 1:
        return seen[0].name
    if not seen:
        raise ForbiddenError("your grants name no study")
    names = ", ".join(s.name for s in seen)
    raise ApiError(400, f"name the study with the form field study: you may export {names}")


def _answer(session: Session, database: Database, actor: Actor, asked: Parameters) -> Answer:
    """Read the study's dataset as she may see it, answer, and audit a records export."""
    found = scope.study_seen(session, actor.study or "", actor.access)
    dataset = study_dataset(session, found, blinded=actor.blinded, access=actor.access)
    chosen = project(protocol_of(found.name), dataset_columns(dataset))
    if asked.content != "record":
        return answer(chosen, found, asked)
    frame = records_frame(dataset, chosen, asked)
    with database.transaction() as writing:
        record_export(
            writing,
            study_named(writing, found.name),
            dataset,
            username=actor.username,
            blinded=actor.blinded,
        )
    return records_answer(frame, chosen, asked)
