"""``ovaregen fhir server``: the FHIR server a study's laboratory results are fetched from, as
the participant page's "Fetch laboratory results" asks it (``clinic.fhir_settings``).

Setting or clearing it is a set-up change in the name of an administrator (``--by``: an active
user whose role holds ``Permission.SET_UP`` at every site of the study, as on the study page),
audited; ``--show`` prints it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ovaregen.clinic_commands.common import (
    EXIT_USAGE,
    DataOpt,
    StudyOpt,
    UrlOpt,
    named_holder,
    open_database,
    out,
    refuse,
)


def fhir_server(
    data: DataOpt,
    study: StudyOpt,
    url: Annotated[
        str | None,
        typer.Option("--url", help="The server's base URL, e.g. https://lab.example.org/fhir."),
    ] = None,
    identifier_system: Annotated[
        str | None,
        typer.Option(
            "--identifier-system",
            help="The identifier system under which the laboratory knows the women by their "
            "participant id (a URI).",
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="The administrator who sets or clears it.")
    ] = None,
    show: Annotated[bool, typer.Option("--show", help="Print the server configured.")] = False,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the server.")] = False,
    database_url: UrlOpt = None,
) -> None:
    """Set (--url, --identifier-system, --by), show (--show) or clear (--clear, --by) the
    study's FHIR server of laboratory results."""
    if show and (clear or url or identifier_system):
        refuse("--show prints the setting: give it alone (with --data and --study)", EXIT_USAGE)
    if clear and (url or identifier_system):
        refuse("--clear removes the setting: give it without --url and --identifier-system")
    if not show and not clear and (url is None or identifier_system is None):
        refuse(
            "to set the FHIR server give --url and --identifier-system (and --by); or --show, "
            "or --clear",
            EXIT_USAGE,
        )
    if not show and not by:
        refuse("--by: the administrator who makes the change is required; nothing was changed")
    _run(data, database_url, study, url, identifier_system, by, show=show, clear=clear)


def _run(
    data: DataOpt,
    database_url: str | None,
    study: str,
    url: str | None,
    identifier_system: str | None,
    by: str | None,
    *,
    show: bool,
    clear: bool,
) -> None:
    from ovaregen.clinic import fhir_settings  # noqa: PLC0415
    from ovaregen.clinic.roles import Permission  # noqa: PLC0415
    from ovaregen.clinic.studies import NotFoundError, StudyError, study_named  # noqa: PLC0415

    database = open_database(data, database_url)
    try:
        if show:
            with database.read() as session:
                found = fhir_settings.fhir_server_of(session, study_named(session, study))
                said = (
                    f"{study}: FHIR server {found.base_url}, identifier system "
                    f"{found.identifier_system} (set by {found.set_by} on "
                    f"{found.set_at:%Y-%m-%d %H:%M} UTC)"
                    if found is not None
                    else f"{study}: no FHIR server configured"
                )
        else:
            assert by is not None  # checked by the command
            named_holder(
                database,
                by,
                study,
                Permission.SET_UP,
                may=f"set {study} up at every site",
                expected="an administrator of every site of that study (the server serves "
                "every site's women)",
                outcome="nothing was changed",
                every_site=True,
            )
            with database.transaction() as session:
                found_study = study_named(session, study)
                if clear:
                    gone = fhir_settings.clear_fhir_server(session, found_study, username=by)
                    said = f"{study}: FHIR server {gone.base_url} removed by {by}"
                else:
                    assert url is not None and identifier_system is not None
                    kept = fhir_settings.set_fhir_server(
                        session,
                        found_study,
                        base_url=url,
                        identifier_system=identifier_system,
                        username=by,
                    )
                    said = (
                        f"{study}: FHIR server {kept.base_url}, identifier system "
                        f"{kept.identifier_system}, set by {by}"
                    )
    except NotFoundError as error:
        refuse(f"{error.args[0] if error.args else error}; nothing was changed")
    except StudyError as error:
        refuse(f"{error}; nothing was changed")
    finally:
        database.dispose()
    out.print(said, markup=False)
