"""``ovaregen user``: clinic users and their roles."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from ovaregen.clinic_commands.common import (
    DataOpt,
    UrlOpt,
    open_database,
    out,
    read_password,
    refuse,
)

user_app = typer.Typer(help="Clinic users and roles.", no_args_is_help=True)


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
        password = read_password(password_stdin)
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
