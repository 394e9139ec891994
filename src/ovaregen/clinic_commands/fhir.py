"""``ovaregen fhir``: laboratory results from FHIR R4 into a study's forms (issue 15).

``fhir import BUNDLE.json`` reads a Bundle, places each result on its woman's visit
(``domain.laboratory_placement``) and stores what it placed, audited with each result's source;
``--review`` shows the same and stores nothing. The FHIR server that the participant page asks
is configured with ``fhir server`` (``clinic_commands.fhir_server``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ovaregen.clinic_commands.common import (
    EXIT_REFUSED,
    DataOpt,
    StudyOpt,
    UrlOpt,
    err,
    named_holder,
    open_database,
    out,
    refuse,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ovaregen.domain.laboratory import Placement, Review
    from ovaregen.store.models import Study

fhir_app = typer.Typer(
    help="Laboratory results from FHIR R4: import a Bundle, configure the hospital's server.",
    no_args_is_help=True,
)


def _configured_system(session: Session, study: Study) -> str | None:
    """The identifier system of the study's configured FHIR server, if any."""
    from ovaregen.clinic.fhir_settings import fhir_server_of  # noqa: PLC0415

    server = fhir_server_of(session, study)
    return server.identifier_system if server is not None else None


def _value_text(placement: Placement) -> str:
    from ovaregen.io.units import measured_text  # noqa: PLC0415

    return f"{measured_text(float(placement.value))} {placement.unit}".rstrip()


def _print_review(review: Review, *, stored: bool) -> None:
    """The placements (what is or would be stored, and what the forms hold already), then
    every refusal on standard error."""
    verb = "stored" if stored else "to store"
    for placement in review.placements:
        state = "already on the form" if placement.saved else verb
        sent = " = ".join(placement.sent)
        observations = ", ".join(s.observation for s in placement.sources)
        out.print(
            f"{placement.participant}  {placement.visit}  {placement.slot.variable} = "
            f"{_value_text(placement)}  (sent {sent}; specimen {placement.specimen_date}; "
            f"Observation {observations})  {state}",
            markup=False,
        )
        for warning in placement.warnings:
            err.print(
                f"warning: {placement.participant} {placement.visit}: {warning}", markup=False
            )
    for refusal in review.refusals:
        err.print(f"not stored: {refusal.message()}", markup=False)


def import_results(
    bundle: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle (JSON) of laboratory results.")],
    data: DataOpt,
    study: StudyOpt,
    review_only: Annotated[
        bool,
        typer.Option("--review", help="Show where each result would go; store nothing."),
    ] = False,
    identifier_system: Annotated[
        str | None,
        typer.Option(
            "--identifier-system",
            help="The identifier system under which the Bundle names the women by participant "
            "id (default: the study's own, and the one of its configured FHIR server).",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Who accepts the results: an active user who may enter data in the study, "
            "named in the audit trail; only the women of her sites are matched (default: the "
            "operating-system account, for every site, as ovaregen import).",
        ),
    ] = None,
    database_url: UrlOpt = None,
) -> None:
    """Place a Bundle's laboratory results on the women's visits and store them, audited with
    each result's source (Observation id, issued time, file); results that cannot be placed are
    listed with the reason and not stored (exit 1); ``--review`` stores nothing."""
    import getpass  # noqa: PLC0415
    from datetime import date  # noqa: PLC0415

    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from ovaregen.clinic.laboratory import accept, review_results  # noqa: PLC0415
    from ovaregen.clinic.roles import Permission  # noqa: PLC0415
    from ovaregen.clinic.scope import EVERYWHERE, participants_seen  # noqa: PLC0415
    from ovaregen.clinic.studies import NotFoundError, StudyError, study_named  # noqa: PLC0415
    from ovaregen.formats.errors import FormatError  # noqa: PLC0415
    from ovaregen.formats.fhir.observations import read_bundle_file  # noqa: PLC0415
    from ovaregen.store.db_refusal import refusal_text  # noqa: PLC0415

    try:
        read = read_bundle_file(bundle)
    except FormatError as error:
        refuse(f"{error}; nothing was stored")
    database = open_database(data, database_url)
    try:
        access = EVERYWHERE  # the data folder's holder, as ovaregen import
        if by is not None:
            access = named_holder(
                database,
                by,
                study,
                Permission.ENTER_DATA,
                may=f"enter data in {study}",
                expected="a user allowed to enter data in (investigator, coordinator) there",
                outcome="nothing was stored",
            )
        with database.transaction() as session:
            found = study_named(session, study)
            women = participants_seen(session, found, access)
            review = review_results(
                session,
                found,
                read,
                women,
                configured_system=identifier_system or _configured_system(session, found),
                today=date.today(),
            )
            if not review_only:
                accept(session, found, review, keys=None, username=by or getpass.getuser())
    except NotFoundError as error:
        refuse(str(error.args[0] if error.args else error))
    except StudyError as error:
        refuse(f"{error}; nothing was stored")
    except SQLAlchemyError as error:
        refuse(f"the database refused the results: {refusal_text(error)}; nothing was stored")
    finally:
        database.dispose()
    _print_review(review, stored=not review_only)
    to_store, saved = len(review.to_store), len(review.placements) - len(review.to_store)
    summary = (
        f"{study}: {read.observations} observations in {bundle.name}; "
        + (
            f"{to_store} values would be stored (--review: nothing stored)"
            if review_only
            else f"{to_store} values stored"
        )
        + f", {saved} already on the forms, {len(review.refusals)} not stored"
    )
    out.print(summary, markup=False)
    if review.refusals:
        raise typer.Exit(EXIT_REFUSED)


fhir_app.command("import")(import_results)
