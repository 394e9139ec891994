"""A least-privilege PostgreSQL role for the server: it owns nothing, so it cannot drop or
disable the audit trail's triggers, alter a table or TRUNCATE; it may read and write study data,
only append to ``audit_entry`` and only move ``audit_head`` (whose triggers refuse going back).

Run by the database's owner after every ``ovaregen db upgrade`` (new tables need their grants;
default privileges cover tables the owner creates later, but re-running is cheap and exact).
Source: issue 11 (attack run); PostgreSQL 15 manual, "Privileges" and "ALTER DEFAULT
PRIVILEGES".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, text

from ovaregen.store.database import Database, DatabaseError

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
APPEND_ONLY = {"audit_entry": "SELECT, INSERT", "audit_head": "SELECT, UPDATE"}
"""Tables the role may not change freely, and what it may do to them."""
READ_ONLY = {"alembic_version": "SELECT"}
"""Tables the role only reads (the server checks the schema revision at start)."""
STUDY_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


class AppRoleError(DatabaseError):
    """The role cannot be set up as asked (shown to the user, no traceback)."""


@dataclass(frozen=True)
class Granted:
    role: str
    created: bool
    tables: dict[str, str]
    """Table → the privileges granted on it."""


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _literal(connection: Connection, value: str) -> str:
    from psycopg import sql  # noqa: PLC0415 - only with PostgreSQL

    raw = connection.connection.dbapi_connection
    return sql.Literal(value).as_string(raw)  # type: ignore[arg-type]


def _check_role(connection: Connection, role: str) -> bool:
    """Whether ``role`` exists; refuse one with powers beyond the application's."""
    row = connection.execute(
        text(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
            "WHERE rolname = :role"
        ),
        {"role": role},
    ).one_or_none()
    if row is None:
        return False
    if any(row):
        raise AppRoleError(
            f"the role {role!r} is a superuser or may create roles or databases or bypass "
            "row security: choose a role that has none of these powers"
        )
    owned = connection.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE pg_get_userbyid(c.relowner) = :role AND n.nspname = current_schema() "
            "ORDER BY c.relname"
        ),
        {"role": role},
    ).scalars()
    names = list(owned)
    if names:
        raise AppRoleError(
            f"the role {role!r} owns {', '.join(names[:5])}{'…' if len(names) > 5 else ''}: "
            "an owner can drop the audit triggers; choose a role that owns nothing"
        )
    return True


def grant_app_role(database: Database, role: str, password: str | None = None) -> Granted:
    """Create ``role`` (LOGIN, owning nothing) if needed and grant it exactly what the server
    needs on the clinic's tables and sequences; run as the owner of the tables."""
    if database.is_sqlite:
        raise AppRoleError(
            "database roles exist on PostgreSQL only: with SQLite, protect the data folder "
            "instead (only the server's account may read or write it)"
        )
    if not ROLE_NAME.fullmatch(role):
        raise AppRoleError(
            f"{role!r} is not a role name this command accepts: lower-case letters, digits "
            "and _, starting with a letter or _, at most 63"
        )
    with database.engine.begin() as connection:
        me = connection.execute(text("SELECT current_user")).scalar_one()
        if role == me:
            raise AppRoleError(
                f"{role!r} is the role running this command (the owner): give the server a "
                "role of its own"
            )
        created = not _check_role(connection, role)
        name = _quote(connection, role)
        if created:
            connection.exec_driver_sql(f"CREATE ROLE {name} LOGIN NOINHERIT")
        if password is not None:
            connection.exec_driver_sql(
                f"ALTER ROLE {name} PASSWORD {_literal(connection, password)}"
            )
        tables = _grant(connection, name)
    return Granted(role, created, tables)


def _grant(connection: Connection, name: str) -> dict[str, str]:
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    quoted_schema = _quote(connection, schema)
    run = connection.exec_driver_sql
    run(f"GRANT CONNECT ON DATABASE {_quote(connection, database)} TO {name}")
    run(f"REVOKE ALL ON SCHEMA {quoted_schema} FROM {name}")
    run(f"GRANT USAGE ON SCHEMA {quoted_schema} TO {name}")
    run(f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted_schema} FROM {name}")
    tables: dict[str, str] = {}
    for table in sorted(inspect(connection).get_table_names(schema=schema)):
        privileges = APPEND_ONLY.get(table) or READ_ONLY.get(table) or STUDY_PRIVILEGES
        run(f"GRANT {privileges} ON {quoted_schema}.{_quote(connection, table)} TO {name}")
        tables[table] = privileges
    run(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {quoted_schema} TO {name}")
    run(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted_schema} "
        f"GRANT {STUDY_PRIVILEGES} ON TABLES TO {name}"
    )
    run(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted_schema} GRANT USAGE ON SEQUENCES TO {name}")
    return tables
