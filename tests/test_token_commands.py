"""``ovaregen token create|list|revoke`` on SQLite and PostgreSQL: the token printed once and
alone on standard output, audited under the operating-system user, refusals said plainly."""

from __future__ import annotations

import getpass
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.clinic import tokens
from ovaregen.store.database import Database
from ovaregen.store.models import ApiToken, AuditEntry
from tests.clinic_fixtures import clinic_database

__all__ = ["clinic_database"]

runner = CliRunner()


def token(database: Database, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    """Run ``ovaregen token ARGS`` against ``database``."""
    options = ["--data", str(tmp_path / "clinic"), "--database-url", database.url]
    result = runner.invoke(app, ["token", *args[:1], *options, *args[1:]])
    assert "Traceback" not in result.output
    return result


def test_create_list_revoke(clinic_database: Database, tmp_path: Path) -> None:
    made = token(clinic_database, tmp_path, "create", "--user", "statistician", "--name", "R")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert tokens.TOKEN_PATTERN.fullmatch(secret)
    assert "shown this once" in made.stderr
    with clinic_database.read() as session:
        row = session.execute(select(ApiToken)).scalar_one()
        assert row.token_hash == tokens.secret_hash(secret)
        assert (row.scope, row.created_by) == ("read", getpass.getuser())
        assert (row.expires_at - row.created_at).days == tokens.DEFAULT_EXPIRY_DAYS
    listed = token(clinic_database, tmp_path, "list", "--user", "statistician")
    assert listed.exit_code == 0
    assert listed.stdout.split("\t")[:3] == [str(row.id), "R", "read"]
    assert secret not in listed.stdout
    revoked = token(clinic_database, tmp_path, "revoke", str(row.id), "--reason", "leaked")
    assert revoked.exit_code == 0, revoked.output
    assert f"token {row.id} of statistician (R) revoked" in revoked.stdout
    again = token(clinic_database, tmp_path, "revoke", str(row.id))
    assert again.exit_code == 1
    assert "revoked already; nothing was changed" in again.stderr
    with clinic_database.read() as session:
        trail = session.execute(
            select(AuditEntry).where(AuditEntry.entity == tokens.ENTITY).order_by(AuditEntry.id)
        ).scalars()
        seen = [(e.action, e.username, e.reason) for e in trail]
    assert seen == [("create", getpass.getuser(), ""), ("revoke", getpass.getuser(), "leaked")]


def test_write_and_expiry_options(clinic_database: Database, tmp_path: Path) -> None:
    made = token(clinic_database, tmp_path, "create", "--user", "coordinator", "--name", "entry",
                 "--write", "--expires-days", "7")  # fmt: skip
    assert made.exit_code == 0, made.output
    with clinic_database.read() as session:
        row = session.execute(select(ApiToken)).scalar_one()
    assert row.scope == "write"
    assert (row.expires_at - row.created_at).days == 7


def test_refusals_are_plain(clinic_database: Database, tmp_path: Path) -> None:
    for args, said in (
        (("--user", "nobody", "--name", "x"), "no user named 'nobody'"),
        (("--user", "monitor", "--name", "x", "--expires-days", "400"), "1 to 365 days"),
        (("--user", "monitor", "--name", "x", "--expires-days", "0"), "1 to 365 days"),
        (("--user", "monitor", "--name", " "), "needs a name"),
    ):
        refused = token(clinic_database, tmp_path, "create", *args)
        assert refused.exit_code == 1, refused.output
        assert said in refused.stderr
        assert refused.stdout == ""
    unknown = token(clinic_database, tmp_path, "revoke", "42")
    assert unknown.exit_code == 1
    assert "no token number 42" in unknown.stderr
    empty = token(clinic_database, tmp_path, "list", "--user", "monitor")
    assert empty.exit_code == 0
    assert "no API token" in empty.stderr
    assert token(clinic_database, tmp_path, "list", "--user", "nobody").exit_code == 1
    with clinic_database.read() as session:
        assert session.execute(select(ApiToken)).first() is None
