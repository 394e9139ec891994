"""Command-line wiring of the clinic application: serve, db, user, token, site, export, import,
audit, randomisation, lock, unlock, redcap (pull), fhir (laboratory results).

Registered on the main ``ovaregen`` app by ``cli.py``. The data folder holds the embedded
SQLite database; ``--database-url`` points at PostgreSQL instead. Heavy modules (FastAPI,
SQLAlchemy, Argon2) load only when a clinic command runs.
"""

from __future__ import annotations

import typer

from ovaregen.clinic_commands.accounts import user_app
from ovaregen.clinic_commands.exchange import export_dataset, import_dataset
from ovaregen.clinic_commands.fhir import fhir_app
from ovaregen.clinic_commands.fhir_server import fhir_server
from ovaregen.clinic_commands.locking import lock_app, unlock_app
from ovaregen.clinic_commands.randomisation_list import randomisation_app
from ovaregen.clinic_commands.redcap import redcap_app
from ovaregen.clinic_commands.server import db_app, serve, site_app
from ovaregen.clinic_commands.tokens import token_app
from ovaregen.clinic_commands.trail import audit_app


def register(app: typer.Typer) -> None:
    """Add the clinic commands to the ``ovaregen`` command line."""
    app.command()(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(site_app, name="site")
    app.command("export")(export_dataset)
    app.command("import")(import_dataset)
    app.add_typer(audit_app, name="audit")
    app.add_typer(randomisation_app, name="randomisation")
    app.add_typer(lock_app, name="lock")
    app.add_typer(unlock_app, name="unlock")
    app.add_typer(redcap_app, name="redcap")
    app.add_typer(fhir_app, name="fhir")
    fhir_app.command("server")(fhir_server)
