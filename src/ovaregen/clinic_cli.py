"""Command-line wiring of the clinic application: serve, db, user, site, export, import, audit.

Registered on the main ``ovaregen`` app by ``cli.py``. The data folder holds the embedded
SQLite database; ``--database-url`` points at PostgreSQL instead. Heavy modules (FastAPI,
SQLAlchemy, Argon2) load only when a clinic command runs.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from ovaregen.store.database import Database

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
EXIT_REFUSED = 1
EXIT_USAGE = 2

DataOpt = Annotated[
    Path,
    typer.Option("--data", help="The clinic's data folder (holds the embedded SQLite database)."),
]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="OVAREGEN_DATABASE_URL",
        help="A PostgreSQL database instead: postgresql+psycopg://USER@HOST:PORT/DB.",
    ),
]

db_app = typer.Typer(help="The clinic database: migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Clinic users and roles.", no_args_is_help=True)
site_app = typer.Typer(help="Clinic sites.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail: verify the chain, export it.", no_args_is_help=True)
StudyOpt = Annotated[str, typer.Option("--study", help="The study: regenera, mensc, ucmsc-rct.")]


def refuse(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    err.print(f"ovaregen: {message}", markup=False)
    raise typer.Exit(code)


def open_database(data: Path, url: str | None) -> Database:
    """Connect (creating the data folder for SQLite), migrate, set shipped studies up."""
    from sqlalchemy.exc import OperationalError  # noqa: PLC0415

    from ovaregen.clinic.studies import prepare_database  # noqa: PLC0415
    from ovaregen.store.database import DatabaseError, connect, database_url  # noqa: PLC0415

    if url is None:
        data.mkdir(parents=True, exist_ok=True)
    try:
        database = connect(database_url(data, url))
        prepare_database(database)
    except DatabaseError as error:
        refuse(str(error), EXIT_USAGE)
    except OperationalError as error:
        refuse(f"cannot open the database: {str(error.orig).strip().splitlines()[0]}")
    return database


@db_app.command("upgrade")
def db_upgrade(data: DataOpt, database_url: UrlOpt = None) -> None:
    """Apply every migration (the server does this at start too)."""
    from ovaregen.store.migrate import current_revision  # noqa: PLC0415

    database = open_database(data, database_url)
    out.print(f"database at revision {current_revision(database)}", markup=False)
    database.dispose()


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        refuse("the two passwords differ; nothing was saved")
    return first


@user_app.command("add")
def user_add(
    data: DataOpt,
    username: Annotated[str, typer.Option(help="Login name (letters, digits, . _ -).")],
    role: Annotated[
        str,
        typer.Option(help="admin, investigator, coordinator, monitor or statistician (unblinded)."),
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database_url: UrlOpt = None,
) -> None:
    """Add a user; the password is asked for (or read from stdin), never a default."""
    from ovaregen.clinic.roles import ROLE_LABELS, Role  # noqa: PLC0415
    from ovaregen.clinic.users import UserError, add_user  # noqa: PLC0415

    database = open_database(data, database_url)
    try:
        password = _password(password_stdin)
        with database.transaction() as session:
            add_user(session, username=username, role=role, password=password, by=getpass.getuser())
    except UserError as error:
        refuse(f"{error}; nothing was saved")
    finally:
        database.dispose()
    out.print(f"user {username} added: {ROLE_LABELS[Role(role)]}", markup=False)


@user_app.command("list")
def user_list(data: DataOpt, database_url: UrlOpt = None) -> None:
    """List users and roles."""
    from sqlalchemy import select  # noqa: PLC0415

    from ovaregen.store.models import User  # noqa: PLC0415

    database = open_database(data, database_url)
    with database.transaction() as session:
        for user in session.execute(select(User).order_by(User.username)).scalars():
            state = "" if user.active else " (disabled)"
            out.print(f"{user.username}\t{user.role}{state}", markup=False)
    database.dispose()


@site_app.command("add")
def site_add(
    data: DataOpt,
    code: Annotated[str, typer.Option(help="Site code: 2–16 capital letters or digits.")],
    name: Annotated[str, typer.Option(help="The clinic's name.")],
    database_url: UrlOpt = None,
) -> None:
    """Add a site (also possible on the Sites page as an administrator)."""
    from ovaregen.clinic.studies import StudyError, add_site  # noqa: PLC0415

    database = open_database(data, database_url)
    try:
        with database.transaction() as session:
            add_site(session, code=code, name=name, username=getpass.getuser())
    except StudyError as error:
        refuse(f"{error}; nothing was saved")
    finally:
        database.dispose()
    out.print(f"site {code.upper()} added", markup=False)


def _unblinded_reader(database: Database, username: str, password_stdin: bool) -> None:
    """Refuse unless ``username`` is an active user who may see arms and types her password
    (checked with Argon2; failures count towards the login throttle)."""
    from ovaregen.clinic.roles import Permission, may  # noqa: PLC0415
    from ovaregen.clinic.users import authenticate  # noqa: PLC0415

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password of {username}: ")
    with database.transaction() as session:
        result = authenticate(session, username=username, password=password, client="cli")
        role = result.user.role if result.user is not None else None
    if result.throttled:
        refuse(f"too many failed attempts for {username}: wait and try again; nothing was written")
    if role is None:
        refuse(f"wrong password for {username}, or no such active user; nothing was written")
    if not may(role, Permission.SEE_ARM):
        refuse(
            f"{username} is {role}, a blinded role: an export with arms needs the unblinded "
            "statistician; nothing was written"
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
    database_url: UrlOpt = None,
) -> None:
    """Write a study's data in the interchange format (blinded: no arm column); audited."""
    from ovaregen.clinic.exchange import record_export, study_dataset  # noqa: PLC0415
    from ovaregen.clinic.studies import NotFoundError, study_named  # noqa: PLC0415
    from ovaregen.domain.variables import DatasetFile  # noqa: PLC0415
    from ovaregen.io.writer import write_dataset  # noqa: PLC0415

    database = open_database(data, database_url)
    try:
        if unblinded_as is not None:
            _unblinded_reader(database, unblinded_as, password_stdin)
        blinded = unblinded_as is None
        with database.transaction() as session:
            found = study_named(session, study)
            dataset = study_dataset(session, found, blinded=blinded)
            write_dataset(dataset, out_dir)
            record_export(
                session,
                found,
                dataset,
                username=unblinded_as or getpass.getuser(),
                blinded=blinded,
            )
    except NotFoundError as error:
        refuse(str(error.args[0] if error.args else error))
    except OSError as error:
        refuse(f"cannot write {out_dir}: {error.strerror or error}")
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
    except StudyError as error:
        refuse(str(error))
    finally:
        database.dispose()
    out.print(
        f"{study}: imported {summary.participants} participants, {summary.visits} follow-up "
        f"visits, {summary.pregnancies} pregnancies, {summary.adverse_events} adverse events, "
        f"{summary.mobilisation_days} G-CSF days, {summary.allocations} allocations from "
        f"{dataset}",
        markup=False,
    )


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


def serve(
    data: DataOpt,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database_url: UrlOpt = None,
    secure_cookies: Annotated[
        bool, typer.Option(help="Mark cookies Secure (when served behind HTTPS).")
    ] = False,
    session_idle_minutes: Annotated[
        float,
        typer.Option(min=1, max=720, help="Log a session out after this long unused."),
    ] = 30,
) -> None:
    """Run the clinic web application (migrates the database first)."""
    from datetime import timedelta  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    from ovaregen.store.database import database_url as url_for  # noqa: PLC0415
    from ovaregen.web.app import create_app  # noqa: PLC0415
    from ovaregen.web.settings import Settings  # noqa: PLC0415

    database = open_database(data, database_url)  # migrated once, here, with clear errors
    settings = Settings(
        data_dir=data,
        database_url=url_for(data, database_url),
        secure_cookies=secure_cookies,
        session_idle=timedelta(minutes=session_idle_minutes),
    )
    out.print(f"ovaregen clinic on http://{host}:{port}/ (data: {data})", markup=False)
    try:
        uvicorn.run(create_app(settings, database), host=host, port=port, log_level="warning")
    finally:
        database.dispose()


def register(app: typer.Typer) -> None:
    """Add the clinic commands to the ``ovaregen`` command line."""
    app.command()(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(site_app, name="site")
    app.command("export")(export_dataset)
    app.command("import")(import_dataset)
    app.add_typer(audit_app, name="audit")
