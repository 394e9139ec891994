"""``ovaregen user``: clinic users, their roles and sites, and an administrator's changes to
accounts.

Every change is audited under the operating-system user who ran the command
(``clinic.accounts`` states which changes end the user's web sessions). A user's access is
grants of a study (or ``all``) × a site (or ``all``) × her role there (``clinic.scope``);
``user add`` needs ``--role`` and ``--site`` (least privilege: no site is ever assumed),
``user grant`` / ``user revoke`` / ``user set-role`` change them.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ovaregen.clinic_commands.common import (
    DataOpt,
    UrlOpt,
    open_database,
    out,
    read_password,
    refuse,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

user_app = typer.Typer(help="Clinic users and roles.", no_args_is_help=True)

UsernameOpt = Annotated[str, typer.Option("--username", help="The user's login name.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")]
StudiesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--study",
        help="A study she works on (repeatable); 'all' or none given: every study.",
    ),
]
SitesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--site",
        help="A site code she works at (repeatable); 'all' for every site. Required.",
    ),
]
NameOpt = Annotated[
    str,
    typer.Option(
        "--name",
        help='Her full name, the printed name of her signatures ("Dr Ana López"); needed '
        "before a role that signs (investigator, principal investigator) can sign.",
    ),
]
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


@user_app.command("add")
def user_add(
    data: DataOpt,
    username: Annotated[str, typer.Option(help="Login name (letters, digits, . _ -).")],
    role: Annotated[
        str,
        typer.Option(
            help="Her role at the studies and sites given: admin, investigator, "
            "principal_investigator, coordinator, monitor, data_manager, statistician "
            "(unblinded) or treatment (unblinded). Other roles elsewhere: user grant --role."
        ),
    ],
    study: StudiesOpt = None,
    site: SitesOpt = None,
    name: NameOpt = "",
    password_stdin: PasswordStdinOpt = False,
    database_url: UrlOpt = None,
) -> None:
    """Add a user with her role at her studies and sites, and her full name; the password is
    asked for (or read from stdin), never a default."""
    from ovaregen.clinic.roles import Permission  # noqa: PLC0415
    from ovaregen.clinic.site_access import give, grants_of  # noqa: PLC0415
    from ovaregen.clinic.users import UserError, add_user, check_full_name  # noqa: PLC0415

    try:
        grants = grants_of(study or [], site or [], role)
        if name:
            check_full_name(name)
    except UserError as error:
        refuse(f"{error}; nothing was saved", 2)
    database = open_database(data, database_url)
    try:
        password = read_password(password_stdin)
        with database.transaction() as session:
            user = add_user(
                session,
                username=username,
                password=password,
                by=getpass.getuser(),
                full_name=name,
            )
            access = give(session, user, grants, by=getpass.getuser())
    except UserError as error:
        refuse(f"{error}; nothing was saved")
    finally:
        database.dispose()
    named = f" ({user.full_name})" if user.full_name else ""
    out.print(f"user {username}{named} added: {access.describe()}", markup=False)
    if access.holding(Permission.SIGN).grants and not user.full_name:
        out.print(
            f"{username} cannot sign until her full name is set: ovaregen user set-name "
            f'--username {username} --name "…"',
            markup=False,
        )


@user_app.command("list")
def user_list(data: DataOpt, database_url: UrlOpt = None) -> None:
    """List users: username, state, roles by study and site (study/site as role, 'all' for
    every one) and full name."""
    from sqlalchemy import select  # noqa: PLC0415

    from ovaregen.clinic.scope import access_of  # noqa: PLC0415
    from ovaregen.store.models import User  # noqa: PLC0415

    database = open_database(data, database_url)
    with database.transaction() as session:
        for user in session.execute(select(User).order_by(User.username)).scalars():
            state = "" if user.active else " (disabled)"
            access = access_of(session, user.id)
            sites = access.describe() if access.grants else "no site: sees no participant"
            name = user.full_name or "(no full name)"
            out.print(f"{user.username}{state}\t{sites}\t{name}", markup=False)
    database.dispose()


def _change(data: Path, url: str | None, change: Callable[[Session], str]) -> None:
    """Run one account change in its own transaction and print what it did, or refuse with
    the reason (nothing changed)."""
    from ovaregen.clinic.users import UserError  # noqa: PLC0415

    database = open_database(data, url)
    try:
        with database.transaction() as session:
            done = change(session)
    except UserError as error:
        message = str(error)
        refuse(message if "nothing was changed" in message else f"{message}; nothing was changed")
    finally:
        database.dispose()
    out.print(done, markup=False)


def _ended(count: int) -> str:
    return f"; {count} web session{'s' if count != 1 else ''} ended" if count else ""


@user_app.command("disable")
def user_disable(
    data: DataOpt, username: UsernameOpt, reason: ReasonOpt = "", database_url: UrlOpt = None
) -> None:
    """Disable a user: she cannot log in, and her web sessions end now."""
    from ovaregen.clinic.accounts import set_active  # noqa: PLC0415

    def change(session: Session) -> str:
        ended = set_active(session, username, active=False, by=getpass.getuser(), reason=reason)
        return f"user {username} disabled{_ended(ended)}"

    _change(data, database_url, change)


@user_app.command("enable")
def user_enable(
    data: DataOpt, username: UsernameOpt, reason: ReasonOpt = "", database_url: UrlOpt = None
) -> None:
    """Enable a disabled user again (with her password as it was)."""
    from ovaregen.clinic.accounts import set_active  # noqa: PLC0415

    def change(session: Session) -> str:
        set_active(session, username, active=True, by=getpass.getuser(), reason=reason)
        return f"user {username} enabled"

    _change(data, database_url, change)


@user_app.command("reset-password")
def user_reset_password(
    data: DataOpt,
    username: UsernameOpt,
    password_stdin: PasswordStdinOpt = False,
    reason: ReasonOpt = "",
    database_url: UrlOpt = None,
) -> None:
    """Give a user a new password (asked for, or from stdin); ends her sessions, unlocks her."""
    from ovaregen.clinic.accounts import set_password  # noqa: PLC0415
    from ovaregen.clinic.users import UserError, check_password, password_hash  # noqa: PLC0415

    password = read_password(password_stdin)
    try:
        check_password(password, username)
    except UserError as error:
        refuse(f"{error}; nothing was changed")
    new_hash = password_hash(password)  # Argon2 before the transaction, not inside it

    def change(session: Session) -> str:
        ended = set_password(
            session, username, new_hash=new_hash, by=getpass.getuser(), reason=reason
        )
        return f"user {username} has a new password{_ended(ended)}"

    _change(data, database_url, change)


@user_app.command("reset-link")
def user_reset_link(
    data: DataOpt,
    username: Annotated[str, typer.Argument(help="The user who sets a new password.")],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="The server's address (https://clinic.example.org) to prefix."
        ),
    ] = None,
    reason: ReasonOpt = "",
    database_url: UrlOpt = None,
) -> None:
    """Print a one-time link with which the user sets a new password herself (24 h, one use;
    an earlier link is voided): the same link as the administrator's web page gives."""
    from ovaregen.clinic import password_links  # noqa: PLC0415
    from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
    from ovaregen.clinic.users import UserError  # noqa: PLC0415

    def change(session: Session) -> str:
        user = user_named(session, username, for_update=True)
        if not user.active:
            raise UserError(f"{username} is disabled: enable her first (ovaregen user enable)")
        issued = password_links.issue(session, user, by=getpass.getuser(), reason=reason)
        expires = issued.row.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        if base_url:
            return f"{base_url.rstrip('/')}{issued.path}\n(one use, until {expires})"
        return (
            f"{issued.path}\n(prefix the server's address, e.g. https://clinic.example.org; "
            f"one use, until {expires})"
        )

    _change(data, database_url, change)


@user_app.command("set-role")
def user_set_role(
    data: DataOpt,
    username: UsernameOpt,
    role: Annotated[str, typer.Option("--role", help="The new role (see ovaregen user add).")],
    study: StudiesOpt = None,
    site: SitesOpt = None,
    reason: ReasonOpt = "",
    database_url: UrlOpt = None,
) -> None:
    """Give a user another role at the studies and sites named (every one she holds when
    --site is not given); audited, her web sessions end (she logs in again under it)."""
    from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
    from ovaregen.clinic.site_access import change_role, places_of  # noqa: PLC0415
    from ovaregen.clinic.users import UserError  # noqa: PLC0415

    try:
        places = places_of(study or [], site) if site else None
    except UserError as error:
        refuse(f"{error}; nothing was changed", 2)

    def change(session: Session) -> str:
        user = user_named(session, username, for_update=True)
        after = change_role(session, user, role, places, by=getpass.getuser(), reason=reason)
        return f"user {username} now holds {after.describe()}; her web sessions ended"

    _change(data, database_url, change)


@user_app.command("set-name")
def user_set_name(
    data: DataOpt,
    username: UsernameOpt,
    name: Annotated[
        str, typer.Option("--name", help="Her full name, as printed on her signatures.")
    ],
    reason: ReasonOpt = "",
    database_url: UrlOpt = None,
) -> None:
    """Set a user's full name, the printed name of the signatures she makes from now on (her
    past signatures keep theirs); audited."""
    from ovaregen.clinic.accounts import set_full_name  # noqa: PLC0415

    def change(session: Session) -> str:
        kept = set_full_name(session, username, full_name=name, by=getpass.getuser(), reason=reason)
        return f"user {username}'s full name is now {kept}"

    _change(data, database_url, change)


@user_app.command("unlock")
def user_unlock(
    data: DataOpt,
    username: Annotated[
        str | None, typer.Option("--username", help="Forget this user's failed logins.")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option("--address", help="Forget the failed logins from this client address."),
    ] = None,
    reason: ReasonOpt = "",
    database_url: UrlOpt = None,
) -> None:
    """Lift the login throttle at once: forget the failed logins of a user and/or an address."""
    from ovaregen.clinic.accounts import unlock_address, unlock_username  # noqa: PLC0415

    if username is None and address is None:
        refuse("say what to unlock: --username USER and/or --address ADDRESS", 2)

    def change(session: Session) -> str:
        done = []
        if username is not None:
            count = unlock_username(session, username, by=getpass.getuser(), reason=reason)
            done.append(f"user {username} unlocked ({count} failed logins forgotten)")
        if address is not None:
            count = unlock_address(session, address, by=getpass.getuser(), reason=reason)
            done.append(f"address {address} unlocked ({count} failed logins forgotten)")
        return "; ".join(done)

    _change(data, database_url, change)


@user_app.command("revoke-sessions")
def user_revoke_sessions(
    data: DataOpt, username: UsernameOpt, reason: ReasonOpt = "", database_url: UrlOpt = None
) -> None:
    """End every web session of a user now (she must log in again)."""
    from ovaregen.clinic.accounts import revoke_sessions  # noqa: PLC0415

    def change(session: Session) -> str:
        ended = revoke_sessions(session, username, by=getpass.getuser(), reason=reason)
        return f"user {username}: {ended} web session{'s' if ended != 1 else ''} ended"

    _change(data, database_url, change)


def _access_change(
    data: Path,
    url: str | None,
    username: str,
    studies: list[str] | None,
    sites: list[str] | None,
    reason: str,
    *,
    role: str | None = None,
    grant: bool,
) -> None:
    from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
    from ovaregen.clinic.site_access import give_at, places_of, withdraw  # noqa: PLC0415
    from ovaregen.clinic.users import UserError  # noqa: PLC0415

    try:
        places = places_of(studies or [], sites or [])
    except UserError as error:
        refuse(f"{error}; nothing was changed", 2)

    def change(session: Session) -> str:
        user = user_named(session, username, for_update=True)
        if grant:
            after = give_at(session, user, places, role, by=getpass.getuser(), reason=reason)
        else:
            after = withdraw(session, user, places, by=getpass.getuser(), reason=reason)
        return f"user {username} now holds {after.describe()}; her web sessions ended"

    _change(data, url, change)


@user_app.command("grant")
def user_grant(
    data: DataOpt,
    username: UsernameOpt,
    study: StudiesOpt = None,
    site: SitesOpt = None,
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            help="Her role there (see ovaregen user add); may be left out when she holds one role.",
        ),
    ] = None,
    reason: ReasonOpt = "",
    database_url: UrlOpt = None,
) -> None:
    """Give a user a role at sites: every --study × every --site named ('all' for every one);
    audited, her web sessions end."""
    _access_change(data, database_url, username, study, site, reason, role=role, grant=True)


@user_app.command("revoke")
def user_revoke(
    data: DataOpt,
    username: UsernameOpt,
    study: StudiesOpt = None,
    site: SitesOpt = None,
    reason: ReasonOpt = "",
    database_url: UrlOpt = None,
) -> None:
    """Withdraw grants a user holds (named as they were given, whatever her role there);
    audited, her web sessions end."""
    _access_change(data, database_url, username, study, site, reason, grant=False)
