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


def read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        refuse("the two passwords differ; nothing was saved")
    return first
