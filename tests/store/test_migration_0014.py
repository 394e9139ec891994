"""Alembic migration 0014 on a database at 0013, on SQLite and PostgreSQL: one open lock of each
study, casebook and form (partial unique indexes; duplicates found are closed, the oldest
stays), ``app_user.full_name`` added empty, signatures keep their printed names (an empty one
gets the username), and the downgrade keeps every user's sessions and grants."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from ovaregen.store.database import Database
from ovaregen.store.migrate import current_revision, downgrade, upgrade
from tests.store.migration_fixtures import database_at

NOW = "2024-05-01 10:00:00+00:00"
LATER = "2024-05-01 10:00:01+00:00"
SEED = (
    "INSERT INTO site (id, code, name, created_at) VALUES (1, 'MAD1', 'M', :now)",
    "INSERT INTO study (id, name, title, protocol_version, randomised, created_at) "
    "VALUES (1, 'regenera', 'A', '2023.1', false, :now)",
    "INSERT INTO participant (id, study_id, site_id, code, status, failed_criteria,"
    " unknown_criteria, created_at, version) "
    "VALUES (1, 1, 1, 'MAD1-0001', 'ongoing', '', '', :now, 1)",
    "INSERT INTO app_user (id, username, password_hash, role, active, created_at) "
    "VALUES (1, 'ana', 'x', 'investigator', true, :now)",
    "INSERT INTO web_session (token_hash, user_id, csrf_token, created_at, last_seen,"
    " expires_at) VALUES ('t', 1, 'c', :now, :now, :now)",
    "INSERT INTO site_access (id, user_id, study_id, site_id, granted_at, granted_by) "
    "VALUES (1, 1, NULL, NULL, :now, 'test')",
    "INSERT INTO signature (id, participant_id, scope, meaning, signer, printed_name,"
    " signed_at, values_sha256, forms) VALUES "
    "(1, 1, 'casebook', 'reviewed', 'ana', 'ana', :now, 'h', '{}'),"
    "(2, 1, 'screening', 'reviewed', 'ana', '', :now, 'h', '{}')",
)
LOCK = (
    "INSERT INTO data_lock (id, scope, study_id, participant_id, visit, locked_at, locked_by,"
    " lock_reason, released_at, released_by, release_reason, version) VALUES "
    "(:id, :scope, 1, :participant, :visit, :at, 'dana', 'clean', :released, :by, :why, 1)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0013", request.param, tmp_path) as database:
        yield database


def _lock(
    database: Database,
    lock_id: int,
    scope: str,
    participant: int | None = None,
    visit: str | None = None,
    *,
    released: bool = False,
) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text(LOCK),
            {
                "id": lock_id,
                "scope": scope,
                "participant": participant,
                "visit": visit,
                "at": NOW,
                "released": LATER if released else None,
                "by": "dana" if released else None,
                "why": "reopened" if released else None,
            },
        )


def _columns(database: Database, table: str) -> set[str]:
    with database.engine.connect() as connection:
        return {c["name"] for c in inspect(connection).get_columns(table)}


def _one(database: Database, sql: str) -> object:
    with database.engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def test_up_and_down(database_before: Database) -> None:
    database = database_before
    with database.engine.begin() as connection:
        for statement in SEED:
            connection.execute(text(statement), {"now": NOW})
    _lock(database, 1, "form", 1, "screening", released=True)  # closed: history, untouched
    _lock(database, 2, "form", 1, "screening")
    _lock(database, 3, "form", 1, "screening")  # a second open lock of the same form (a race)
    _lock(database, 4, "study")
    _lock(database, 5, "participant", 1)

    upgrade(database, "0014")
    assert current_revision(database) == "0014"
    with database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, released_by, release_reason FROM data_lock ORDER BY id")
        ).all()
    closed = {row.id: (row.released_by, row.release_reason) for row in rows}
    assert closed[1] == ("dana", "reopened")
    assert closed[2] == (None, None), "the oldest open lock of the form stays"
    assert closed[3][0] == "ovaregen db upgrade"
    assert "lock 2 stays" in closed[3][1]
    assert closed[4] == (None, None) and closed[5] == (None, None)

    assert "full_name" in _columns(database, "app_user")
    assert _one(database, "SELECT full_name FROM app_user WHERE id = 1") == ""
    with database.engine.connect() as connection:
        printed = dict(connection.execute(text("SELECT id, printed_name FROM signature")).all())
    assert printed == {1: "ana", 2: "ana"}, "an empty printed name is the username it showed"

    for lock_id, scope, participant, visit in (
        (10, "study", None, None),
        (11, "participant", 1, None),
        (12, "form", 1, "screening"),
    ):
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(
                text(LOCK),
                {"id": lock_id, "scope": scope, "participant": participant, "visit": visit,
                 "at": LATER, "released": None, "by": None, "why": None},
            )  # fmt: skip
    _lock(database, 13, "form", 1, "followup")  # another form of hers: allowed
    _lock(database, 14, "form", 1, "screening", released=True)  # a closed one: allowed
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE data_lock SET released_at = :at WHERE id = 4"), {"at": LATER}
        )
    _lock(database, 15, "study")  # the study lock closed, the study can be locked again

    downgrade(database, "0013")
    assert current_revision(database) == "0013"
    assert "full_name" not in _columns(database, "app_user")
    assert _one(database, "SELECT count(*) FROM site_access") == 1, "her grants stay"
    assert _one(database, "SELECT count(*) FROM web_session") == 1, "her session stays"
    _lock(database, 16, "form", 1, "followup")  # no index at 0013
    upgrade(database)
    assert "full_name" in _columns(database, "app_user")
    assert _one(database, "SELECT released_by FROM data_lock WHERE id = 16") == (
        "ovaregen db upgrade"
    )
