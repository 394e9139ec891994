"""Alembic migrations, applied programmatically (``ovaregen db upgrade`` and at server start).

Migrations run as the database's owner. A server running as a least-privilege role
(``store.app_role``) cannot migrate; it checks instead that the schema is at the newest
revision (``require_head``) and refuses to start otherwise."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from ovaregen.store.database import Database, DatabaseError

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


def downgrade(database: Database, revision: str) -> None:
    """Take the schema back to ``revision`` (tests of a migration's downgrade)."""
    config = _config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


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


class NotAtHeadError(DatabaseError):
    """The schema is not at the revision this version of ovaregen needs."""


def require_head(database: Database) -> None:
    """Refuse (``NotAtHeadError``) a database whose schema is not at the newest revision,
    naming both revisions and what to do: migrate as the owner."""
    current, head = current_revision(database), head_revision(database)
    if current == head:
        return
    found = "has no ovaregen schema yet" if current is None else f"is at revision {current}"
    raise NotAtHeadError(
        f"the database {found}, but this version of ovaregen needs revision {head}: "
        "run `ovaregen db upgrade` as the database's owner first"
    )


def at_head(database: Database) -> bool:
    """Whether the schema is at the newest revision shipped."""
    return current_revision(database) == head_revision(database)
