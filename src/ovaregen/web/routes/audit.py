"""The audit trail (page, CSV, API, chain verification) and the study dataset export (zip).

Reading the trail needs ``VIEW_AUDIT`` (administrator, monitor, statistician). Exporting a
study needs ``EXPORT``: the investigator's zip has no arm column, the unblinded statistician's
has one (``clinic.blinding``); every export is itself audited. Every CSV served (the trail's,
and the files in the zip) is safe to open in a spreadsheet: a text cell that would start a
formula (``=``, ``+``, ``-``, ``@``, tab, CR) has a leading quote (``io.spreadsheet_safe``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from ovaregen.clinic import audit_view, scope
from ovaregen.clinic.exchange import dataset_zip, formatted_zip, record_export, study_dataset
from ovaregen.clinic.exchange_records import clinic_records
from ovaregen.clinic.studies import protocol_of, study_named
from ovaregen.formats.errors import FormatError
from ovaregen.formats.registry import Format, writer_of
from ovaregen.store import audit
from ovaregen.web.dependencies import Actor, AuditReader, DatabaseDep, Exporter, SessionDep
from ovaregen.web.pages import page

router = APIRouter()

Text = Annotated[str, Query(max_length=64)]
Moment = Annotated[str, Query(max_length=40, description="UTC date or ISO 8601 date-time")]


def _filter(
    session: SessionDep,
    actor: Actor,
    participant: str,
    user: str,
    study: str,
    since: str,
    until: str,
) -> audit.AuditFilter:
    """The filter, or 422 naming the field and value that cannot be read (a participant code
    of several studies without the study, too: ``audit_view.one_woman``)."""
    try:
        return audit_view.one_woman(
            session,
            audit_view.audit_filter(
                participant=participant,
                username=user,
                study=study,
                since=since,
                until=until,
                reader=actor.reader,
            ),
        )
    except audit_view.FilterError as error:
        raise HTTPException(422, str(error)) from None


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    session: SessionDep,
    actor: AuditReader,
    participant: Text = "",
    user: Text = "",
    study: Text = "",
    since: Annotated[str, Query(alias="from", max_length=40)] = "",
    until: Annotated[str, Query(alias="to", max_length=40)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    """Entries newest first, 100 a page, each changed field old → new."""
    form = {"participant": participant, "user": user, "study": study, "from": since, "to": until}
    try:
        where = audit_view.one_woman(
            session,
            audit_view.audit_filter(
                participant=participant,
                username=user,
                study=study,
                since=since,
                until=until,
                reader=actor.reader,
            ),
        )
    except audit_view.FilterError as error:
        return page(
            request, "audit.j2", actor, status_code=422, form=form, error=str(error), found=None
        )
    found = audit_view.newest_first(
        session,
        where,
        limit=audit_view.PAGE_SIZE,
        offset=(page_number - 1) * audit_view.PAGE_SIZE,
    )
    query = urlencode({k: v for k, v in form.items() if v})
    return page(
        request,
        "audit.j2",
        actor,
        form=form,
        error=None,
        found=found,
        page_number=page_number,
        query=query,
        changed_fields=audit_view.changed_fields,
        timestamp=audit.timestamp,
    )


@router.get("/audit/export.csv", include_in_schema=False)
def audit_export(
    session: SessionDep,
    actor: AuditReader,
    participant: Text = "",
    user: Text = "",
    study: Text = "",
    since: Annotated[str, Query(alias="from", max_length=40)] = "",
    until: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> Response:
    """The filtered trail as CSV: one row per changed field, oldest first."""
    entries = audit.query(session, _filter(session, actor, participant, user, study, since, until))
    return Response(
        audit_view.audit_csv(entries, actor.reader),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'},
    )


@router.get("/api/audit", tags=["audit"])
def audit_api(
    session: SessionDep,
    actor: AuditReader,
    participant: Text = "",
    user: Text = "",
    study: Text = "",
    since: Annotated[str, Query(alias="from", max_length=40)] = "",
    until: Annotated[str, Query(alias="to", max_length=40)] = "",
    limit: Annotated[int, Query(ge=1, le=audit_view.MAX_LIMIT)] = audit_view.PAGE_SIZE,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, object]:
    """Audit entries newest first, with the total matching the filter."""
    found = audit_view.newest_first(
        session,
        _filter(session, actor, participant, user, study, since, until),
        limit=limit,
        offset=offset,
    )
    return {
        "total": found.total,
        "limit": limit,
        "offset": offset,
        "entries": [audit_view.entry_json(e, actor.reader) for e in found.entries],
    }


@router.get("/api/audit/verify", tags=["audit"])
def audit_verify(session: SessionDep, actor: AuditReader) -> dict[str, object]:
    """Recompute the hash chain: intact, or each changed or missing entry. The chain is checked
    whole for everyone; the problems (which name entries of any site) are listed only to a
    reader holding every site (``clinic.scope``), others are told how many."""
    result = audit.verify(session)
    every = actor.access.every_site_everywhere()
    return {
        "intact": result.intact,
        "entries": result.entries,
        "problems": [str(p) for p in result.problems]
        if every
        else [f"{len(result.problems)} problem(s): an administrator of every site sees them"]
        if result.problems
        else [],
    }


@router.get(
    "/studies/{study}/export.zip",
    tags=["export"],
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The zipped dataset."}},
)
def study_export(
    study: str,
    session: SessionDep,
    database: DatabaseDep,
    actor: Exporter,
    to_format: Annotated[
        str, Query(alias="format", max_length=32, description="A format of ovaregen convert")
    ] = Format.INTERCHANGE.value,
) -> Response:
    """The study in the interchange format (or the ``format`` asked for: its files, with the
    exported women's audit records and signatures), zipped; arms only for an unblinded reader.

    Read in the request's read-only session; the export's audit entry is written in a short
    transaction of its own once the files are made (422, nothing audited, when the format
    cannot hold the dataset), before the zip is sent."""
    try:
        write = writer_of(to_format)
    except FormatError as error:
        raise HTTPException(422, f"format: {error}") from None
    found = scope.study_seen(session, study, actor.access)
    dataset = study_dataset(session, found, blinded=actor.blinded, access=actor.access)
    suffix = "" if actor.blinded else "-unblinded"
    chosen = Format(to_format.strip().lower())
    if chosen is Format.INTERCHANGE:
        content, name = dataset_zip(dataset), f"{found.name}-dataset{suffix}"
    else:
        name = f"{found.name}-{chosen.value}{suffix}"
        records = clinic_records(session, found, dataset, actor.access, actor.blinded)
        try:
            content = formatted_zip(dataset, protocol_of(found.name), write, records, name)
        except FormatError as error:
            raise HTTPException(422, f"format {chosen.value}: {error}") from None
    with database.transaction() as writing:
        record_export(
            writing,
            study_named(writing, study),
            dataset,
            username=actor.username,
            blinded=actor.blinded,
        )
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
    )
