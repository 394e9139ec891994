"""``ovaregen serve``, ``ovaregen db`` and ``ovaregen site``: running the clinic."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from ovaregen.clinic_commands.common import DataOpt, UrlOpt, open_database, out, refuse

db_app = typer.Typer(help="The clinic database: migrations.", no_args_is_help=True)
site_app = typer.Typer(help="Clinic sites.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(data: DataOpt, database_url: UrlOpt = None) -> None:
    """Apply every migration (the server does this at start too)."""
    from ovaregen.store.migrate import current_revision  # noqa: PLC0415

    database = open_database(data, database_url)
    out.print(f"database at revision {current_revision(database)}", markup=False)
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
            help="Address of a reverse proxy whose X-Forwarded-For is believed (repeatable); "
            "none by default.",
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
        trusted_proxies=frozenset(trusted_proxy or ()),
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        anchor_dir=anchor_dir,
        anchor_key=anchor_key,
        anchor_every=timedelta(minutes=anchor_every_minutes),
    )
    out.print(f"ovaregen clinic on http://{host}:{port}/ (data: {data})", markup=False)
    try:
        uvicorn.run(create_app(settings, database), host=host, port=port, log_level="warning")
    finally:
        database.dispose()
