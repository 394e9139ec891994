"""The server's least-privilege PostgreSQL role (``ovaregen db grant-app-role``): logged in as
it, dropping or disabling the audit triggers, replacing their function, altering or truncating
a table, deleting or changing an audit entry all fail; moving the head back is refused; the
server opens the database without migrating and a form is saved and audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.clinic_commands.server import open_without_migrating
from ovaregen.store import audit
from ovaregen.store.app_role import AppRoleError, grant_app_role
from ovaregen.store.database import Database
from ovaregen.store.migrate import downgrade, upgrade
from tests.clinic_fixtures import Browser, Postgres, app_for, migrated
from tests.postgres_gate import PG_SERVER, require_postgres
from tests.web.test_screening import new_participant

runner = CliRunner()


@dataclass
class AppRole:
    owner: Database
    role: str
    url: str


@pytest.fixture(scope="module")
def app_role() -> Iterator[AppRole]:
    """A migrated PostgreSQL clinic and a role granted by the command, both removed after
    the module (every test leaves the schema at the newest revision)."""
    require_postgres()
    server = Postgres(f"ovaregen_role_{uuid.uuid4().hex[:12]}")
    server.create()
    owner = migrated(server.url)
    role = f"ovaregen_app_{uuid.uuid4().hex[:10]}"
    try:
        result = runner.invoke(
            app, ["db", "grant-app-role", "--role", role, "--database-url", server.url]
        )
        assert result.exit_code == 0, result.output
        assert f"role {role} created" in result.stdout
        assert "SELECT, INSERT on audit_entry" in result.stdout
        yield AppRole(owner, role, make_url(server.url).set(username=role).render_as_string())
    finally:
        owner.dispose()
        admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP OWNED BY {role}")
        admin.dispose()
        server.drop()
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("DROP TRIGGER audit_entry_append_only ON audit_entry", "must be owner"),
        ("ALTER TABLE audit_entry DISABLE TRIGGER ALL", "must be owner"),
        ("ALTER TABLE audit_head DISABLE TRIGGER audit_head_guard", "must be owner"),
        ("ALTER TABLE form_entry ADD COLUMN x integer", "must be owner"),
        ("DROP TABLE audit_entry", "must be owner"),
        (
            "CREATE OR REPLACE FUNCTION audit_no_truncate() RETURNS trigger AS "
            "$$ BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql",
            "must be owner|permission denied for schema",
        ),
        ("TRUNCATE audit_entry", "permission denied"),
        ("TRUNCATE form_entry", "permission denied"),
        ("DELETE FROM audit_entry", "permission denied"),
        ("UPDATE audit_entry SET reason = 'x'", "permission denied"),
        ("UPDATE audit_head SET last_id = 0", "may only move forward"),
        ("CREATE TABLE mine (id integer)", "permission denied"),
    ],
)
def test_the_app_role_cannot_touch_the_trail_or_the_schema(
    app_role: AppRole, statement: str, message: str
) -> None:
    engine = create_engine(app_role.url)
    try:
        with pytest.raises(DBAPIError, match=message), engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
    with app_role.owner.transaction() as session:
        assert audit.verify(session).intact


def test_the_server_runs_as_the_app_role_and_saves_a_form(
    app_role: AppRole, tmp_path: Path
) -> None:
    database = open_without_migrating(tmp_path, app_role.url)
    try:
        with TestClient(app_for(database, tmp_path)) as client:
            coordinator = Browser(client, "coordinator").login()
            code = new_participant(coordinator)
            url = f"/api/studies/ucmsc-rct/participants/{code}/visits/screening"
            saved = coordinator.api("PUT", url, json={"values": {"age_years": "30"}})
            assert saved.status_code == 200, saved.text
    finally:
        database.dispose()
    with app_role.owner.transaction() as session:
        result = audit.verify(session)
        entries = audit.query(session, audit.AuditFilter(participant=code))
    assert result.intact
    assert any(e.entity == "form:screening" and "age_years" in e.changes for e in entries)


def test_a_database_behind_the_newest_revision_is_refused_with_what_to_do(
    app_role: AppRole, tmp_path: Path
) -> None:
    downgrade(app_role.owner, "0002")
    try:
        with pytest.raises(typer.Exit):  # after printing the message below
            open_without_migrating(tmp_path, app_role.url)
        result = runner.invoke(
            app,
            ["serve", "--data", str(tmp_path), "--database-url", app_role.url, "--no-migrate"],
        )
    finally:
        upgrade(app_role.owner)
        grant_app_role(app_role.owner, app_role.role)
    assert result.exit_code == 1
    assert "is at revision 0002" in result.stderr
    assert "run `ovaregen db upgrade` as the database's owner first" in result.stderr


def test_a_role_with_powers_or_the_owner_itself_is_refused(app_role: AppRole) -> None:
    with pytest.raises(AppRoleError, match="the role running this command"):
        grant_app_role(app_role.owner, "postgres")
    powerful = f"{app_role.role}_db"
    with app_role.owner.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {powerful} LOGIN CREATEDB")
    try:
        with pytest.raises(AppRoleError, match="may create roles or databases"):
            grant_app_role(app_role.owner, powerful)
    finally:
        with app_role.owner.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP ROLE {powerful}")
    with pytest.raises(AppRoleError, match="not a role name"):
        grant_app_role(app_role.owner, 'x"; DROP TABLE audit_entry; --')
    again = grant_app_role(app_role.owner, app_role.role)
    assert not again.created and again.tables["audit_head"] == "SELECT, UPDATE"


def test_sqlite_has_no_roles(sqlite_database: Database) -> None:
    with pytest.raises(AppRoleError, match="PostgreSQL only"):
        grant_app_role(sqlite_database, "ovaregen_app")
