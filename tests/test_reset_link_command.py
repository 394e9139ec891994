"""``ovaregen user reset-link USERNAME``: the same one-time link as the administrator's web
page (path only, or on ``--base-url``), a newer one voiding the older, refused for a
disabled user — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from ovaregen.clinic.password_links import PATH
from ovaregen.store.database import Database
from tests.clinic_fixtures import Browser, app_for, clinic_database
from tests.test_user_commands import NEW_PASSWORD, last_entry, user

__all__ = ["clinic_database"]


def _set(client: TestClient, path: str) -> int:
    answer = client.post(
        path,
        data={"new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
        follow_redirects=False,
    )
    return int(answer.status_code)


def test_reset_link_prints_a_one_time_link(clinic_database: Database, tmp_path: Path) -> None:
    bare = user(clinic_database, tmp_path, "reset-link", "monitor", "--reason", "forgot it")
    assert bare.exit_code == 0, bare.output
    first = bare.stdout.splitlines()[0]
    assert first.startswith(PATH) and "prefix the server's address" in bare.stdout
    entry = last_entry(clinic_database)
    assert entry.reason == "forgot it" and entry.changes["password_link"] == [None, "reset"]
    based = user(
        clinic_database, tmp_path, "reset-link", "monitor", "--base-url", "https://clinic.test/"
    )
    assert based.exit_code == 0, based.output
    link = based.stdout.splitlines()[0]
    assert link.startswith("https://clinic.test" + PATH)
    assert last_entry(clinic_database).changes["links_voided"] == 1
    with TestClient(app_for(clinic_database, tmp_path)) as client:
        assert _set(client, first) == 404, "the newer link voided the first"
        assert _set(client, link[len("https://clinic.test") :]) == 303
    Browser(TestClient(app_for(clinic_database, tmp_path)), "monitor").login(NEW_PASSWORD)


def test_reset_link_refuses_a_disabled_or_unknown_user(
    clinic_database: Database, tmp_path: Path
) -> None:
    assert user(clinic_database, tmp_path, "disable", "--username", "monitor").exit_code == 0
    refused = user(clinic_database, tmp_path, "reset-link", "monitor")
    assert refused.exit_code == 1 and "monitor is disabled" in refused.stderr
    assert "nothing was changed" in refused.stderr
    unknown = user(clinic_database, tmp_path, "reset-link", "nobody")
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.stderr
