"""``ovaregen token``: personal API tokens of a user, for scripts (``clinic.tokens``).

``create`` prints the token once, alone on standard output (``TOKEN=$(ovaregen token create
…)`` keeps it out of the terminal's scrollback), and what it made on standard error; the
database keeps only its SHA-256. Creating and revoking are audited under the operating-system
user who ran the command, as ``ovaregen user`` changes are.
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from ovaregen.clinic_commands.common import DataOpt, UrlOpt, err, open_database, out, refuse

token_app = typer.Typer(
    help="Personal API tokens (scripts read the API as their user).", no_args_is_help=True
)

UserOpt = Annotated[str, typer.Option("--user", help="The token's user (her login name).")]


def _when(at: object) -> str:
    from datetime import datetime  # noqa: PLC0415

    return at.strftime("%Y-%m-%d %H:%M UTC") if isinstance(at, datetime) else "never"


@token_app.command("create")
def token_create(
    data: DataOpt,
    user: UserOpt,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    expires_days: Annotated[
        int, typer.Option("--expires-days", help="Days until it expires (1–365).")
    ] = 90,
    write: Annotated[
        bool,
        typer.Option("--write", help="Also allow the changes her role may make (default: read)."),
    ] = False,
    redcap: Annotated[
        bool,
        typer.Option(
            "--redcap",
            help="A REDCap API token (32 hexadecimal characters) that PyCap and REDCapR "
            "accept at /redcap/api/ (default: a personal ovr_ token).",
        ),
    ] = False,
    database_url: UrlOpt = None,
) -> None:
    """Create a token for a user and print it, this once."""
    from ovaregen.clinic import tokens  # noqa: PLC0415
    from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
    from ovaregen.clinic.users import UserError  # noqa: PLC0415

    database = open_database(data, database_url)
    try:
        with database.transaction() as session:
            created = tokens.create_token(
                session,
                user_named(session, user),
                name=name,
                by=getpass.getuser(),
                scope=tokens.Scope.WRITE if write else tokens.Scope.READ,
                expires_days=expires_days,
                kind=tokens.Kind.REDCAP if redcap else tokens.Kind.PERSONAL,
            )
            number, scope, expires = created.row.id, created.row.scope, created.row.expires_at
            kind = tokens.KIND_LABELS[tokens.Kind(created.row.kind)]
    except (UserError, tokens.TokenError) as error:
        refuse(f"{error}; nothing was saved")
    finally:
        database.dispose()
    err.print(
        f"{kind} token {number} of {user} ({scope}, expires {_when(expires)}): shown this once, "
        "keep it like a password",
        markup=False,
    )
    typer.echo(created.secret)  # plain: no console markup, wrapping or colour


@token_app.command("list")
def token_list(data: DataOpt, user: UserOpt, database_url: UrlOpt = None) -> None:
    """List a user's tokens, tab-separated: number, name, scope, kind (personal or redcap),
    created, expires, last used, state."""
    from ovaregen.clinic import tokens  # noqa: PLC0415
    from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
    from ovaregen.clinic.users import UserError  # noqa: PLC0415

    database = open_database(data, database_url)
    try:
        with database.read() as session:
            rows = [
                "\t".join(
                    (
                        str(t.id),
                        t.name,
                        t.scope,
                        t.kind,
                        _when(t.created_at),
                        _when(t.expires_at),
                        _when(t.last_used_at),
                        tokens.state_of(t),
                    )
                )
                for t in tokens.tokens_of(session, user_named(session, user))
            ]
    except UserError as error:
        refuse(str(error))
    finally:
        database.dispose()
    if not rows:
        err.print(f"{user} has no API token", markup=False)
    for row in rows:
        typer.echo(row)  # tab-separated, as written (the console would expand the tabs)


@token_app.command("revoke")
def token_revoke(
    data: DataOpt,
    token_id: Annotated[int, typer.Argument(help="The token's number (ovaregen token list).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")] = "",
    database_url: UrlOpt = None,
) -> None:
    """Revoke a token: every server refuses it from now on."""
    from ovaregen.clinic import tokens  # noqa: PLC0415

    database = open_database(data, database_url)
    try:
        with database.transaction() as session:
            token = tokens.token_numbered(session, token_id)
            owner, name = token.user.username, token.name
            tokens.revoke(session, token, by=getpass.getuser(), reason=reason)
    except tokens.TokenError as error:
        message = str(error)
        refuse(message if "nothing was changed" in message else f"{message}; nothing was changed")
    finally:
        database.dispose()
    out.print(f"token {token_id} of {owner} ({name}) revoked", markup=False)
