"""``ovaregen serve``, ``ovaregen db`` and ``ovaregen site``: running the clinic."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ovaregen.clinic_commands.common import (
    EXIT_USAGE,
    DataOpt,
    UrlOpt,
    open_database,
    out,
    read_password,
    refuse,
)

if TYPE_CHECKING:
    from ovaregen.store.database import Database
    from ovaregen.web.settings import Settings

db_app = typer.Typer(
    help="The clinic database: migrations, the server's least-privilege role.",
    no_args_is_help=True,
)
site_app = typer.Typer(help="Clinic sites.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(data: DataOpt, database_url: UrlOpt = None) -> None:
    """Apply every migration (the server does this at start too)."""
    from ovaregen.store.migrate import current_revision  # noqa: PLC0415

    database = open_database(data, database_url)
    out.print(f"database at revision {current_revision(database)}", markup=False)
    database.dispose()


@db_app.command("grant-app-role")
def db_grant_app_role(
    role: Annotated[str, typer.Option("--role", help="The role the server will log in as.")],
    database_url: Annotated[
        str,
        typer.Option(
            "--database-url",
            envvar="OVAREGEN_DATABASE_URL",
            help="The PostgreSQL database, connecting as its owner: "
            "postgresql+psycopg://OWNER@HOST:PORT/DB.",
        ),
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Set the role's password, read from stdin.")
    ] = False,
) -> None:
    """Create (or update) a PostgreSQL role that owns nothing, for `serve --no-migrate`: it
    may read and write study data, only append to the audit trail, and cannot drop or disable
    triggers, alter tables or TRUNCATE. Run as the owner, again after every `db upgrade`."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    from ovaregen.store.app_role import AppRoleError, grant_app_role  # noqa: PLC0415

    try:
        backend = make_url(database_url).get_backend_name()
    except ArgumentError:
        backend = ""
    if backend != "postgresql":
        refuse(
            "database roles exist on PostgreSQL only (--database-url "
            "postgresql+psycopg://OWNER@HOST:PORT/DB): with SQLite, protect the data folder "
            "instead (only the server's account may read or write it)",
            EXIT_USAGE,
        )
    password = read_password(True) if password_stdin else None
    database = open_database(Path("."), database_url)
    try:
        granted = grant_app_role(database, role, password)
    except AppRoleError as error:
        refuse(str(error), EXIT_USAGE)
    finally:
        database.dispose()
    verb = "created" if granted.created else "updated"
    out.print(f"role {role} {verb}: owns nothing; it may", markup=False)
    for table, privileges in granted.tables.items():
        out.print(f"  {privileges} on {table}", markup=False)
    out.print(
        "serve as it with --database-url postgresql+psycopg://ROLE@HOST/DB --no-migrate",
        markup=False,
    )


def _check_proxies(proxies: list[str]) -> None:
    """Refuse a ``--trusted-proxy`` that is not an address or a network (it would trust none)."""
    import ipaddress  # noqa: PLC0415

    for entry in proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            refuse(
                f"--trusted-proxy {entry!r} is not an address or network: expected e.g. "
                "10.0.0.5 or 10.0.0.0/8",
                EXIT_USAGE,
            )


def open_without_migrating(data: Path, url: str | None) -> Database:
    """Connect without migrating (the least-privilege role cannot): the schema must be at
    the newest revision already; the shipped studies are set up if any is new."""
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    from ovaregen.clinic.studies import set_up_shipped_studies  # noqa: PLC0415
    from ovaregen.store.database import DatabaseError, database_url  # noqa: PLC0415
    from ovaregen.store.integrity import DatabaseDamagedError  # noqa: PLC0415
    from ovaregen.store.migrate import require_head  # noqa: PLC0415
    from ovaregen.store.opening import open_checked  # noqa: PLC0415

    try:
        database = open_checked(database_url(data, url))
    except DatabaseDamagedError as error:
        refuse(str(error))
    except DatabaseError as error:
        refuse(str(error), EXIT_USAGE)
    try:
        require_head(database)
        with database.transaction() as session:
            set_up_shipped_studies(session)
    except DatabaseError as error:
        database.dispose()
        refuse(str(error))
    except DBAPIError as error:
        database.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        refuse(
            f"cannot open the database: {reason} (a role set up by `ovaregen db "
            "grant-app-role` needs the schema at the newest revision and its grants)"
        )
    return database


def _check_anchoring(anchor_dir: Path | None, anchor_key: Path | None) -> None:
    """Refuse checkpoint options that cannot work, before the server starts."""
    from ovaregen.store.anchor import AnchorError, load_private_key  # noqa: PLC0415

    if anchor_dir is None:
        if anchor_key is not None:
            refuse(
                "--anchor-key needs --anchor-dir: the folder to write checkpoints into", EXIT_USAGE
            )
        return
    if anchor_key is None:
        refuse(
            "--anchor-dir needs --anchor-key: the Ed25519 private key that signs the "
            "checkpoints (make one with `ovaregen audit keygen --out KEYFILE`)",
            EXIT_USAGE,
        )
    if not anchor_dir.is_dir():
        refuse(f"--anchor-dir {anchor_dir} is not a folder", EXIT_USAGE)
    try:
        load_private_key(anchor_key)
    except AnchorError as error:
        refuse(str(error), EXIT_USAGE)


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


def _name_users_without_sites(database: Database) -> None:
    """Say at start which active users hold no site: they see no participant until given
    sites (``clinic.scope``; an upgrade to revision 0006 gives nobody a site)."""
    from ovaregen.clinic.site_access import users_without_access  # noqa: PLC0415

    with database.read() as session:
        names = users_without_access(session)
    if names:
        out.print(
            f"{len(names)} user(s) hold no site and see no participant: {', '.join(names)} "
            "(ovaregen user grant --username U --site CODE|all)",
            markup=False,
        )


def _check_workers(workers: int, url: str, anchor_dir: Path | None) -> None:
    """Refuse several server processes where they cannot work: SQLite has one writer and the
    queue of waiting writers lives in one process; checkpoints need one writer."""
    if workers == 1:
        return
    if not url.startswith("postgresql"):
        refuse(
            "--workers needs PostgreSQL (--database-url): SQLite takes one writer at a time, "
            "so more server processes would only wait for each other",
            EXIT_USAGE,
        )
    if anchor_dir is not None:
        refuse(
            "--anchor-dir needs one server process: with --workers, write the checkpoints "
            "with `ovaregen audit anchor` (e.g. hourly from cron)",
            EXIT_USAGE,
        )


def _serve_processes(settings: Settings, host: str, port: int, workers: int) -> None:
    """Run ``workers`` server processes, each building its application from ``settings``
    (``web.workers``)."""
    import os  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    from ovaregen.web.settings import encoded  # noqa: PLC0415
    from ovaregen.web.workers import IMPORT_STRING, WORKER_SETTINGS  # noqa: PLC0415

    os.environ[WORKER_SETTINGS] = encoded(settings)
    uvicorn.run(
        IMPORT_STRING,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
    )


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
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="Address or network (e.g. 10.0.0.0/8) of a reverse proxy whose "
            "X-Forwarded-For is believed (repeatable); none by default.",
        ),
    ] = None,
    max_body_mb: Annotated[
        float, typer.Option(min=1, max=4096, help="Refuse request bodies larger than this (MB).")
    ] = 64,
    anchor_dir: Annotated[
        Path | None,
        typer.Option(
            "--anchor-dir",
            help="Write signed audit checkpoints into this folder (kept apart, append-only).",
        ),
    ] = None,
    anchor_key: Annotated[
        Path | None,
        typer.Option("--anchor-key", help="The Ed25519 private key that signs the checkpoints."),
    ] = None,
    anchor_every_minutes: Annotated[
        float, typer.Option(min=1, help="Minutes between the server's checkpoints.")
    ] = 60,
    migrate: Annotated[
        bool,
        typer.Option(
            help="Migrate the database at start (as its owner); --no-migrate checks that it "
            "is at the newest revision instead (a role from `db grant-app-role`).",
        ),
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (PostgreSQL only; one per core is a good start).",
        ),
    ] = 1,
) -> None:
    """Run the clinic web application (migrates the database first, unless --no-migrate)."""
    from datetime import timedelta  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    from ovaregen.store.database import database_url as url_for  # noqa: PLC0415
    from ovaregen.web.app import create_app  # noqa: PLC0415
    from ovaregen.web.settings import Settings  # noqa: PLC0415

    _check_anchoring(anchor_dir, anchor_key)
    _check_workers(workers, url_for(data, database_url), anchor_dir)
    _check_proxies(trusted_proxy or [])
    if migrate:
        database = open_database(data, database_url)  # migrated once, here, clear errors
    else:
        database = open_without_migrating(data, database_url)
    settings = Settings(
        data_dir=data,
        database_url=url_for(data, database_url),
        secure_cookies=secure_cookies,
        session_idle=timedelta(minutes=session_idle_minutes),
        trusted_proxies=frozenset(trusted_proxy or ()),
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        anchor_dir=anchor_dir,
        anchor_key=anchor_key,
        anchor_every=timedelta(minutes=anchor_every_minutes),
    )
    out.print(f"ovaregen clinic on http://{host}:{port}/ (data: {data})", markup=False)
    _name_users_without_sites(database)
    if workers > 1:
        database.dispose()
        _serve_processes(settings, host, port, workers)
        return
    try:
        uvicorn.run(
            create_app(settings, database),
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=False,  # whom to believe is the app's decision (web/client_address.py)
        )
    finally:
        database.dispose()
