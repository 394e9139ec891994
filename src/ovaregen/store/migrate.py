"""Alembic migrations, applied programmatically (``ovaregen db upgrade`` and at server start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from ovaregen.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the newest by default)."""
    config = _config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def revision_of(connection: Connection) -> str | None:
    """The revision the database on ``connection`` is at (None when never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(database: Database) -> str | None:
    """The revision the database is at (None when never migrated)."""
    with database.engine.connect() as connection:
        return revision_of(connection)


def head_revision(database: Database) -> str | None:
    """The newest revision shipped with this version of ovaregen."""
    return ScriptDirectory.from_config(_config(database)).get_current_head()
