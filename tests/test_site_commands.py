"""``ovaregen user add --study --site``, ``user grant`` and ``user revoke``: a user's sites are
said, never assumed; each change is audited and ends her web sessions; her next login sees
exactly her sites — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.clinic.studies import add_participant, add_site, site_coded, study_named
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry
from tests.clinic_fixtures import PASSWORD, SITE, Browser, app_for, clinic_database

__all__ = ["clinic_database"]

runner = CliRunner()


def user(database: Database, tmp_path: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    options = ["--data", str(tmp_path / "clinic"), "--database-url", database.url]
    result = runner.invoke(app, ["user", *args, *options], input=input)
    assert "Traceback" not in result.output
    return result


def _two_sites(database: Database) -> tuple[str, str]:
    with database.transaction() as session:
        add_site(session, code="BCN2", name="Barcelona", username="test")
        rct = study_named(session, "ucmsc-rct")
        mine = add_participant(session, rct, site_coded(session, SITE), username="test").code
        other = add_participant(session, rct, site_coded(session, "BCN2"), username="test").code
    return mine, other


def _listed(database: Database, tmp_path: Path, username: str) -> set[str]:
    from fastapi.testclient import TestClient  # noqa: PLC0415

    with TestClient(app_for(database, tmp_path)) as client:
        browser = Browser(client, username).login()
        rows = browser.client.get("/api/studies/ucmsc-rct/participants")
        return {p["code"] for p in rows.json()} if rows.status_code == 200 else set()


def _last(database: Database) -> AuditEntry:
    with database.transaction() as session:
        found = session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars()
        entry = found.first()
        assert entry is not None
        return entry


def test_a_user_is_added_with_her_sites(clinic_database: Database, tmp_path: Path) -> None:
    mine, _ = _two_sites(clinic_database)
    refused = user(
        clinic_database, tmp_path, "add", "--username", "ana", "--role", "coordinator",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "say which sites she works at" in refused.stderr
    added = user(
        clinic_database, tmp_path, "add", "--username", "ana", "--role", "coordinator",
        "--study", "ucmsc-rct", "--site", SITE, "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "added: ucmsc-rct/MAD1 as coordinator" in added.stdout
    entry = _last(clinic_database)
    assert entry.changes["access"] == [[], ["ucmsc-rct/MAD1 as coordinator"]]
    assert _listed(clinic_database, tmp_path, "ana") == {mine}
    unknown = user(clinic_database, tmp_path, "grant", "--username", "ana", "--site", "ZZ9")
    assert unknown.exit_code == 1
    assert "no site with code 'ZZ9'" in unknown.stderr


def test_grant_and_revoke_are_audited_and_end_her_sessions(
    clinic_database: Database, tmp_path: Path
) -> None:
    mine, other = _two_sites(clinic_database)
    user(
        clinic_database, tmp_path, "add", "--username", "bea", "--role", "monitor",
        "--site", SITE, "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert _listed(clinic_database, tmp_path, "bea") == {mine}
    granted = user(
        clinic_database, tmp_path, "grant", "--username", "bea", "--site", "BCN2",
        "--reason", "covers Barcelona",
    )  # fmt: skip
    assert granted.exit_code == 0, granted.output
    assert "now holds all/BCN2 as monitor, all/MAD1 as monitor" in granted.stdout, "her role"
    entry = _last(clinic_database)
    assert entry.reason == "covers Barcelona"
    assert entry.changes["access"] == [
        ["all/MAD1 as monitor"],
        ["all/BCN2 as monitor", "all/MAD1 as monitor"],
    ]
    assert entry.changes["sessions_ended"] == 1, "she logs in again under her new sites"
    assert _listed(clinic_database, tmp_path, "bea") == {mine, other}
    again = user(clinic_database, tmp_path, "grant", "--username", "bea", "--site", "BCN2")
    assert again.exit_code == 1
    assert "holds all/BCN2 as monitor already" in again.stderr
    revoked = user(clinic_database, tmp_path, "revoke", "--username", "bea", "--site", SITE)
    assert revoked.exit_code == 0, revoked.output
    assert _listed(clinic_database, tmp_path, "bea") == {other}
    listed = runner.invoke(
        app, ["user", "list", "--data", str(tmp_path / "x"), "--database-url", clinic_database.url]
    )
    assert ["bea", "all/BCN2", "as", "monitor"] in [
        line.split()[:4] for line in listed.stdout.splitlines()
    ]
    missing = user(clinic_database, tmp_path, "revoke", "--username", "bea", "--site", SITE)
    assert missing.exit_code == 1
    assert "does not hold all/MAD1" in missing.stderr
    every = user(clinic_database, tmp_path, "grant", "--username", "bea", "--site", "all")
    assert every.exit_code == 0
    assert _listed(clinic_database, tmp_path, "bea") == {mine, other}
