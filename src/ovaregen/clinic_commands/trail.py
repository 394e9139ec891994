"""``ovaregen audit``: verify the audit trail's chain, export it."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from ovaregen.clinic_commands.common import (
    EXIT_USAGE,
    DataOpt,
    UrlOpt,
    err,
    open_database,
    out,
    refuse,
)

audit_app = typer.Typer(help="The audit trail: verify the chain, export it.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(data: DataOpt, database_url: UrlOpt = None) -> None:
    """Recompute the hash chain: every entry unchanged, none removed."""
    from ovaregen.store import audit  # noqa: PLC0415

    database = open_database(data, database_url)
    try:
        with database.transaction() as session:
            result = audit.verify(session)
    finally:
        database.dispose()
    if result.intact:
        out.print(f"audit trail intact: {result.entries} entries", markup=False)
        return
    for problem in result.problems:
        err.print(f"audit trail broken: {problem}", markup=False)
    refuse(f"{len(result.problems)} problem(s) in {result.entries} entries")


@audit_app.command("export")
def audit_export(
    data: DataOpt,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The CSV file to write.")],
    participant: Annotated[str, typer.Option(help="Only this participant code.")] = "",
    user: Annotated[str, typer.Option(help="Only changes by this username.")] = "",
    study: Annotated[str, typer.Option(help="Only this study.")] = "",
    since: Annotated[str, typer.Option(help="From this UTC date or ISO date-time.")] = "",
    until: Annotated[str, typer.Option(help="Up to this UTC date (inclusive) or date-time.")] = "",
    database_url: UrlOpt = None,
) -> None:
    """Write the audit trail as CSV, one row per changed field (UTC times)."""
    from ovaregen.clinic.audit_view import FilterError, audit_csv, audit_filter  # noqa: PLC0415
    from ovaregen.clinic.views import archive_reader  # noqa: PLC0415
    from ovaregen.io.tables import write_text_atomically  # noqa: PLC0415
    from ovaregen.store import audit  # noqa: PLC0415

    reader = archive_reader(getpass.getuser())
    try:
        where = audit_filter(
            participant=participant,
            username=user,
            study=study,
            since=since,
            until=until,
            reader=reader,
        )
    except FilterError as error:
        refuse(str(error), EXIT_USAGE)
    database = open_database(data, database_url)
    try:
        with database.transaction() as session:
            entries = audit.query(session, where)
            write_text_atomically(audit_csv(entries, reader), out_file)
    except OSError as error:
        refuse(f"cannot write {out_file}: {error.strerror or error}")
    finally:
        database.dispose()
    out.print(f"{len(entries)} audit entries written to {out_file}", markup=False)
