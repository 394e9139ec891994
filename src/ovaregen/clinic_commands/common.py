"""What every clinic command shares: the data-folder and database options, the refusal that
prints a message (never a traceback), opening the migrated database, reading a password."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from ovaregen.clinic.roles import Permission
    from ovaregen.clinic.scope import Access
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

StudyOpt = Annotated[str, typer.Option("--study", help="The study: regenera, mensc, ucmsc-rct.")]


def refuse(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    err.print(f"ovaregen: {message}", markup=False)
    raise typer.Exit(code)


def open_database(data: Path, url: str | None, *, read_only: bool = False) -> Database:
    """Connect (creating the data folder for SQLite), migrate, set shipped studies up.

    An empty, damaged or foreign database file is refused, never re-created. With
    ``read_only`` (an archive copy: ``audit verify``/``export``) the database must exist at the
    newest schema; nothing is migrated and any save is refused (``store.opening``)."""
    from sqlalchemy.exc import OperationalError  # noqa: PLC0415

    from ovaregen.clinic.studies import prepare_database  # noqa: PLC0415
    from ovaregen.store.database import DatabaseError, database_url  # noqa: PLC0415
    from ovaregen.store.integrity import DatabaseDamagedError  # noqa: PLC0415
    from ovaregen.store.opening import (  # noqa: PLC0415
        discard_unfinished,
        open_checked,
        sqlite_file_exists,
    )

    if url is None and not read_only:
        data.mkdir(parents=True, exist_ok=True)
    target = database_url(data, url)
    existed = sqlite_file_exists(target)
    try:
        database = open_checked(target, read_only=read_only)
        try:
            if not read_only:
                prepare_database(database)
        except BaseException:
            database.dispose()
            discard_unfinished(target, existed)
            raise
    except DatabaseDamagedError as error:
        refuse(str(error))
    except DatabaseError as error:
        refuse(str(error), EXIT_USAGE)
    except OperationalError as error:
        refuse(f"cannot open the database: {str(error.orig).strip().splitlines()[0]}")
    return database


def read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        refuse("the two passwords differ; nothing was saved")
    return first


def named_holder(
    database: Database,
    username: str,
    study: str,
    permission: Permission,
    *,
    may: str,
    expected: str,
    outcome: str,
    every_site: bool = False,
) -> Access:
    """The grants with which the person named by ``--by`` acts in ``study``: refused unless
    she is an active user whose role there holds ``permission`` (at every site of the study
    with ``every_site``). ``may`` and ``expected`` word the refusal ("no role that may
    {may}; expected {expected}"). A recorded action names the person who did it, not the
    operating-system account (21 CFR 11.10(e), attributable audit trail; ICH E6(R3) §3.16)."""
    from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
    from ovaregen.clinic.scope import access_of  # noqa: PLC0415
    from ovaregen.clinic.users import UserError  # noqa: PLC0415

    with database.read() as session:
        try:
            user = user_named(session, username)
        except UserError as error:
            refuse(f"--by: {error}; {outcome}", EXIT_USAGE)
        active, held = user.active, access_of(session, user.id)
    if not active:
        refuse(f"--by: {username} is deactivated; expected an active user; {outcome}")
    access = held.holding(permission)
    covered = access.every_site(study) if every_site else bool(access.studies([study]))
    if not covered:
        refuse(
            f"--by: {username} holds {held.describe()}, no role that may {may}; "
            f"expected {expected}; {outcome}"
        )
    return access
