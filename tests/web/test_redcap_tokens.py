"""REDCap API tokens (issue 14 item 2; ``clinic.tokens.Kind.REDCAP``), on SQLite and
PostgreSQL: 32 upper-case hexadecimal characters (128 random bits), kept as their SHA-256 only,
accepted wherever a personal token is (the bearer header; ``/redcap/api/``: see
``tests/formats/redcap_api``) with the same scope, expiry, revocation and audit; the two kinds
never taken for each other; created on the tokens page and by ``ovaregen token create
--redcap``."""

from __future__ import annotations

import getpass
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from ovaregen.clinic import tokens
from ovaregen.clinic.accounts import user_named
from ovaregen.store.database import Database
from ovaregen.store.models import ApiToken, utc_now
from tests.clinic_fixtures import SITE
from tests.test_token_commands import token
from tests.web.test_api_tokens import bearer, entries

STUDY = "ucmsc-rct"
_SHOWN = re.compile(r'id="token-value" readonly value="([^"]+)"')
HEX32 = re.compile(r"[0-9A-F]{32}")


def make(database: Database, username: str, *, scope: str = "read") -> tokens.Created:
    with database.transaction() as session:
        return tokens.create_token(
            session,
            user_named(session, username),
            name=f"{username} PyCap",
            by="test",
            scope=scope,
            kind=tokens.Kind.REDCAP,
        )


def test_a_redcap_token_is_32_hex_characters_kept_as_its_hash(
    clinic_app, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    created = make(clinic_database, "statistician")
    assert HEX32.fullmatch(created.secret)
    assert len({make(clinic_database, "monitor").secret for _ in range(3)}) == 3
    with TestClient(clinic_app) as script:
        me = script.get("/api/me", headers=bearer(created.secret))
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "statistician" and me.json()["via"] == "api_token"
    with clinic_database.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_token")).mappings().all()
        trail = connection.execute(text("SELECT * FROM audit_entry")).mappings().all()
    mine = next(r for r in rows if r["id"] == created.row.id)
    assert mine["kind"] == "redcap"
    assert mine["token_hash"] == tokens.secret_hash(created.secret)
    for row in [*rows, *trail]:
        for value in row.values():
            assert created.secret not in str(value), "the token is stored in clear"
    made = entries(clinic_database, tokens.Action.CREATE)[0]
    assert made.changes["kind"] == [None, "redcap"] and made.changes["scope"] == [None, "read"]


def test_scope_expiry_and_revocation_hold_for_a_redcap_token(
    clinic_app, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    read = make(clinic_database, "coordinator")
    write = make(clinic_database, "coordinator", scope="write")
    expired = make(clinic_database, "monitor")
    url = f"/api/studies/{STUDY}/participants"
    with TestClient(clinic_app) as script:
        refused = script.post(url, json={"site": SITE}, headers=bearer(read.secret))
        assert refused.status_code == 403 and "only read" in refused.json()["detail"]
        made = script.post(url, json={"site": SITE}, headers=bearer(write.secret))
        assert made.status_code == 201, made.text
        with clinic_database.transaction() as session:
            tokens.revoke(session, session.get(ApiToken, write.row.id), by="test")
            session.execute(
                update(ApiToken)
                .where(ApiToken.id == expired.row.id)
                .values(expires_at=utc_now() - timedelta(seconds=1))
            )
        revoked = script.get("/api/me", headers=bearer(write.secret))
        assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
        late = script.get("/api/me", headers=bearer(expired.secret))
        assert late.status_code == 401 and "expired" in late.json()["detail"]
    refusals = [e.changes["refused"] for e in entries(clinic_database, tokens.Action.REFUSE)]
    assert refusals == ["read_only", "revoked", "expired"]


@pytest.mark.parametrize(
    "shape",
    [
        lambda secret: secret.lower(),
        lambda secret: secret[:-1],
        lambda secret: secret + "0",
        lambda secret: tokens.TOKEN_PREFIX + secret,
        lambda secret: secret[:-1] + "G",
    ],
    ids=["lower case", "31", "33", "ovr_ and hex", "not hex"],
)
def test_near_misses_are_malformed_and_not_audited(
    shape, clinic_app, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    created = make(clinic_database, "statistician")
    with TestClient(clinic_app) as script:
        answer = script.get("/api/me", headers=bearer(shape(created.secret)))
        assert answer.status_code == 401
        assert "32 upper-case hexadecimal" in answer.json()["detail"]
    assert entries(clinic_database, tokens.Action.REFUSE) == []


def test_the_kinds_are_never_taken_for_each_other(clinic_database: Database) -> None:
    """A presented string is looked up among the tokens of its own shape's kind only."""
    secret = tokens.new_secret(tokens.Kind.REDCAP)
    with clinic_database.transaction() as session:
        row = tokens.create_token(session, user_named(session, "monitor"), name="p", by="t").row
        row.token_hash = tokens.secret_hash(secret)  # a personal row holding a hex token's hash
    with clinic_database.read() as session, pytest.raises(tokens.TokenRefusedError) as refused:
        tokens.authenticate(session, secret)
    assert refused.value.refusal.why is tokens.Refused.UNKNOWN
    assert tokens.kind_of(secret) is tokens.Kind.REDCAP
    assert tokens.kind_of(tokens.new_secret()) is tokens.Kind.PERSONAL
    with clinic_database.transaction() as session, pytest.raises(tokens.TokenError, match="kind"):
        tokens.create_token(session, user_named(session, "monitor"), name="n", by="t", kind="x")


def test_the_page_creates_a_redcap_token(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    browser = login("statistician")
    form = browser.client.get("/account/tokens")
    assert '<option value="redcap">REDCap API' in form.text
    made = browser.post_form(
        "/account/tokens", {"name": "PyCap", "expires_days": "30", "kind": "redcap"}
    )
    assert made.status_code == 200, made.text
    shown = _SHOWN.search(made.text)
    assert shown and HEX32.fullmatch(shown.group(1))
    listed = browser.client.get("/account/tokens")
    assert shown.group(1) not in listed.text and "<td>REDCap API</td>" in listed.text
    refused = browser.post_form("/account/tokens", {"name": "x", "kind": "md5"})
    assert refused.status_code == 422 and "kind" in refused.text
    with clinic_database.read() as session:
        row = session.execute(select(ApiToken)).scalar_one()
    with TestClient(clinic_app) as script:
        assert script.get("/api/me", headers=bearer(shown.group(1))).status_code == 200
        assert browser.post_form(f"/account/tokens/{row.id}/revoke", {}).status_code == 303
        assert script.get("/api/me", headers=bearer(shown.group(1))).status_code == 401


def test_the_command_creates_lists_and_revokes_a_redcap_token(
    clinic_database: Database, tmp_path: Path
) -> None:
    made = token(
        clinic_database, tmp_path, "create", "--user", "statistician", "--name", "R", "--redcap"
    )
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert HEX32.fullmatch(secret) and "REDCap API token" in made.stderr
    with clinic_database.read() as session:
        row = session.execute(select(ApiToken)).scalar_one()
        assert (row.kind, row.token_hash) == ("redcap", tokens.secret_hash(secret))
        assert row.created_by == getpass.getuser()
    listed = token(clinic_database, tmp_path, "list", "--user", "statistician")
    fields = listed.stdout.strip().split("\t")
    assert (fields[2], fields[3], fields[-1]) == ("read", "redcap", "active")
    revoked = token(clinic_database, tmp_path, "revoke", str(row.id), "--reason", "leaked")
    assert revoked.exit_code == 0, revoked.output
    with clinic_database.read() as session, pytest.raises(tokens.TokenRefusedError):
        tokens.authenticate(session, secret)
