"""``ovaregen export`` and ``ovaregen import``: a study's data in the interchange format (and,
for export, any format of ``formats.registry``).

When the database refuses a statement, the command says what was refused and where (table,
constraint) and that nothing was stored; it never prints the SQL or its values, which hold
participant data (``ovaregen.store.db_refusal``).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ovaregen.clinic_commands.common import (
    EXIT_USAGE,
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
    from ovaregen.clinic.scope import Access
    from ovaregen.store.database import Database


def _unblinded_reader(
    database: Database, username: str, password_stdin: bool, study: str
) -> Access:
    """The grants with which ``username`` exports ``study`` with arms: refused unless she is an
    active user who types her password (checked with Argon2; failures count towards the login
    throttle) and may export and see arms in the study."""
    from ovaregen.clinic.roles import Permission  # noqa: PLC0415
    from ovaregen.clinic.scope import access_of  # noqa: PLC0415
    from ovaregen.clinic.users import log_in  # noqa: PLC0415

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password of {username}: ")
    result = log_in(database, username=username, password=password, client="cli")
    if result.throttled:
        refuse(f"too many failed attempts for {username}: wait and try again; nothing was written")
    if result.user is None:
        refuse(f"wrong password for {username}, or no such active user; nothing was written")
    with database.read() as session:
        held = access_of(session, result.user.id)
    access = held.holding(Permission.EXPORT).holding(Permission.SEE_ARM)
    if not access.studies([study]):
        refuse(
            f"{username} holds {held.describe()}: an export of {study} with arms needs the "
            "unblinded statistician of that study; nothing was written"
        )
    return access


def _named_exporter(database: Database, username: str, study: str) -> Access:
    """The grants with which ``username`` exports ``study`` (``common.named_holder``): a
    recorded export names the person who made it, and holds the women of the sites where she
    may export, as on the web (``clinic.scope``)."""
    from ovaregen.clinic.roles import Permission  # noqa: PLC0415

    return named_holder(
        database,
        username,
        study,
        Permission.EXPORT,
        may=f"export {study}",
        expected="a user allowed to export (investigator, statistician, data manager) there",
        outcome="nothing was written",
    )


def export_dataset(
    data: DataOpt,
    study: StudyOpt,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="The dataset folder to write.")],
    unblinded_as: Annotated[
        str | None,
        typer.Option(
            "--unblinded-as",
            help="Include the arm column: the unblinded statistician's username (password asked).",
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            help="Export from an archive copy: nothing is migrated or written; the export is "
            "not recorded in its audit trail (blinded exports only).",
        ),
    ] = False,
    to_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="interchange (a folder of CSVs, the default), or another format of ovaregen "
            "convert (redcap, odm, dataset-json, stata, spss, xpt, parquet).",
        ),
    ] = "interchange",
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Who exports: an active user allowed to export, named in the audit trail "
            "(required unless --unblinded-as names her, or --read-only).",
        ),
    ] = None,
    database_url: UrlOpt = None,
) -> None:
    """Write a study's data in the interchange format or another (``--format``; blinded: no arm
    column); audited as the named person (``--by``, or the statistician of ``--unblinded-as``),
    except from a read-only archive copy (``--read-only``), where nothing can be recorded."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from ovaregen.clinic.exchange import record_export, study_dataset  # noqa: PLC0415
    from ovaregen.clinic.exchange_records import clinic_records  # noqa: PLC0415
    from ovaregen.clinic.scope import EVERYWHERE  # noqa: PLC0415
    from ovaregen.clinic.studies import (  # noqa: PLC0415
        NotFoundError,
        protocol_of,
        study_named,
    )
    from ovaregen.domain.variables import DatasetFile  # noqa: PLC0415
    from ovaregen.formats.errors import FormatError  # noqa: PLC0415
    from ovaregen.formats.registry import writer_of  # noqa: PLC0415
    from ovaregen.store.db_refusal import refusal_text  # noqa: PLC0415

    try:
        write = writer_of(to_format)
    except FormatError as error:
        refuse(f"--format: {error}; nothing was written", EXIT_USAGE)
    if read_only and unblinded_as is not None:
        refuse(
            "an export with arms must be recorded in the audit trail: make it from the clinic, "
            "not from a read-only copy; nothing was written",
            EXIT_USAGE,
        )
    if unblinded_as is not None and by is not None and by != unblinded_as:
        refuse(
            f"--by {by} and --unblinded-as {unblinded_as} name two people: an export with arms "
            "is made by the statistician who signs in; nothing was written",
            EXIT_USAGE,
        )
    exporter = unblinded_as or by
    if exporter is None and not read_only:
        refuse(
            "--by USERNAME is required: an export is recorded in the audit trail under the "
            "person who makes it (an active user allowed to export); nothing was written",
            EXIT_USAGE,
        )
    database = open_database(data, database_url, read_only=read_only)
    try:
        access = EVERYWHERE  # a read-only archive copy: whoever holds the folder
        if unblinded_as is not None:
            access = _unblinded_reader(database, unblinded_as, password_stdin, study)
        elif by is not None:
            access = _named_exporter(database, by, study)
        blinded = unblinded_as is None
        with database.read() if read_only else database.transaction() as session:
            found = study_named(session, study)
            dataset = study_dataset(session, found, blinded=blinded, access=access)
            records = clinic_records(session, found, dataset, access, blinded)
            write(dataset, protocol_of(found.name), out_dir, records)
            if not read_only:
                assert exporter is not None  # required above unless read-only
                record_export(
                    session,
                    found,
                    dataset,
                    username=exporter,
                    blinded=blinded,
                )
    except NotFoundError as error:
        refuse(str(error.args[0] if error.args else error))
    except FormatError as error:
        refuse(f"--format {to_format}: {error}; nothing was written")
    except OSError as error:
        refuse(f"cannot write {out_dir}: {error.strerror or error}")
    except SQLAlchemyError as error:
        refuse(f"the database refused the export: {refusal_text(error)}")
    finally:
        database.dispose()
    for warning in dataset.warnings:
        err.print(f"warning: {warning.message}", markup=False)
    kind = "blinded (no arm column)" if blinded else f"with arms, for {unblinded_as}"
    counts = ", ".join(
        f"{dataset.table(file).height} {file.value.replace('_', ' ')}"
        for file in DatasetFile
        if dataset.has(file)
    )
    out.print(f"{study}: {counts} exported {kind} to {out_dir}", markup=False)
    if read_only:
        err.print(
            "note: exported from a read-only copy: this export is not recorded in its audit trail",
            markup=False,
        )


def import_dataset(
    data: DataOpt,
    study: StudyOpt,
    dataset: Annotated[Path, typer.Argument(help="A dataset folder of CSV files, or an .xlsx.")],
    site: Annotated[
        str | None, typer.Option("--site", help="Site code for rows whose site column is empty.")
    ] = None,
    database_url: UrlOpt = None,
) -> None:
    """Store a validated dataset in a study, all or nothing (one transaction); audited."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from ovaregen.clinic import importing  # noqa: PLC0415
    from ovaregen.clinic.studies import (  # noqa: PLC0415
        NotFoundError,
        StudyError,
        protocol_of,
        study_named,
    )
    from ovaregen.domain.protocols import ProtocolError  # noqa: PLC0415
    from ovaregen.io.findings import render_report  # noqa: PLC0415
    from ovaregen.io.reader import validate_dataset  # noqa: PLC0415
    from ovaregen.store.database import DatabaseError  # noqa: PLC0415
    from ovaregen.store.db_refusal import refusal_text  # noqa: PLC0415

    try:
        protocol = protocol_of(study)
    except ProtocolError as error:
        refuse(str(error))
    report = validate_dataset(dataset, protocol)
    if report.dataset is None:
        err.print(render_report(report), markup=False)
        refuse("the dataset is invalid; nothing was stored")
    database = open_database(data, database_url)
    try:
        with database.transaction() as session:
            summary = importing.import_dataset(
                session,
                study_named(session, study),
                report.dataset,
                username=getpass.getuser(),
                default_site=site.upper() if site else None,
            )
    except NotFoundError as error:
        refuse(str(error.args[0] if error.args else error))
    except (StudyError, DatabaseError) as error:
        refuse(str(error))
    except SQLAlchemyError as error:
        refuse(
            f"the database refused the import: {refusal_text(error)}; nothing was stored "
            f"(the dataset {dataset} passed validation: please report this)"
        )
    finally:
        database.dispose()
    out.print(
        f"{study}: imported {summary.participants} participants, {summary.visits} follow-up "
        f"visits, {summary.pregnancies} pregnancies, {summary.adverse_events} adverse events, "
        f"{summary.mobilisation_days} G-CSF days, {summary.allocations} allocations from "
        f"{dataset}",
        markup=False,
    )
