"""Personal API tokens (issue 13, item 8; ``clinic.tokens``, ``web.bearer``), on SQLite and
PostgreSQL: a token reads the API as its user, blinded as she is; revoked, expired,
disabled-user, malformed and wrong tokens are refused 401 with the API's error body (never a
500); a read token cannot write; a request carrying the session cookie keeps the CSRF rule;
the table keeps no token in clear; the web page creates (shown once) and revokes her own."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from ovaregen.clinic import tokens
from ovaregen.clinic.accounts import set_active, user_named
from ovaregen.store.database import Database
from ovaregen.store.models import ApiToken, AuditEntry, utc_now
from tests.clinic_fixtures import SITE
from tests.web.test_permission_matrix import _cast

STUDY = "ucmsc-rct"
_SHOWN = re.compile(r'id="token-value" readonly value="(ovr_[^"]+)"')


def make_token(
    database: Database, username: str, *, scope: str = "read", days: int = 90
) -> tokens.Created:
    with database.transaction() as session:
        user = user_named(session, username)
        return tokens.create_token(
            session, user, name=f"{username} script", by="test", scope=scope, expires_days=days
        )


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def entries(database: Database, action: str) -> list[AuditEntry]:
    with database.read() as session:
        query = select(AuditEntry).where(
            AuditEntry.entity == tokens.ENTITY, AuditEntry.action == action
        )
        return list(session.execute(query.order_by(AuditEntry.id)).scalars())


def test_a_token_reads_the_api_as_its_user(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    cast = _cast(clinic_database)
    secret = make_token(clinic_database, "statistician").secret
    browser = login("statistician")
    with TestClient(clinic_app) as script:
        me = script.get("/api/me", headers=bearer(secret))
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "statistician"
        assert me.json()["via"] == "api_token"
        assert me.json()["token"]["scope"] == "read"
        assert me.json()["permissions"] == browser.client.get("/api/me").json()["permissions"]
        listing = f"/api/studies/{STUDY}/participants"
        seen = script.get(listing, headers=bearer(secret))
        assert seen.status_code == 200
        assert seen.json() == browser.client.get(listing).json()
        mine = next(p for p in seen.json() if p["code"] == cast.randomised)
        assert mine["allocation"]["arm"] == "ucmsc_hrt"  # the statistician is unblinded
        form = f"/api/studies/{STUDY}/participants/{cast.randomised}/visits/screening"
        assert script.get(form, headers=bearer(secret)).json()["values"]["consent"] is True
        assert "set-cookie" not in seen.headers
    with clinic_database.read() as session:
        used = session.execute(select(ApiToken.last_used_at)).scalar_one()
    assert used is not None


@pytest.mark.parametrize("role", ["coordinator", "monitor", "investigator", "admin"])
def test_a_blinded_users_token_sees_no_arm(role: str, clinic_app, clinic_database) -> None:  # type: ignore[no-untyped-def]
    cast = _cast(clinic_database)
    secret = make_token(clinic_database, role).secret
    with TestClient(clinic_app) as script:
        listing = script.get(f"/api/studies/{STUDY}/participants", headers=bearer(secret))
        mine = next(p for p in listing.json() if p["code"] == cast.randomised)
        assert mine["allocation"]["code"] == "R-MATRIX"
        assert "arm" not in mine["allocation"]
        assert "ucmsc_hrt" not in listing.text
        hidden = f"/api/studies/{STUDY}/participants/{cast.randomised}/visits/cell_injection"
        assert script.get(hidden, headers=bearer(secret)).status_code == 404


def _refused(client: TestClient, headers: dict[str, str], status: int = 401) -> str:
    answer = client.get("/api/me", headers=headers)
    assert answer.status_code == status, (headers, answer.text)
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["www-authenticate"].startswith("Bearer")
    detail: str = answer.json()["detail"]
    return detail


def test_revoked_expired_and_disabled_users_tokens_are_refused(
    clinic_app, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    revoked = make_token(clinic_database, "coordinator")
    expired = make_token(clinic_database, "monitor")
    disabled = make_token(clinic_database, "investigator")
    with TestClient(clinic_app) as script:
        for created in (revoked, expired, disabled):
            assert script.get("/api/me", headers=bearer(created.secret)).status_code == 200
        with clinic_database.transaction() as session:
            tokens.revoke(session, session.get(ApiToken, revoked.row.id), by="test")
            session.execute(
                update(ApiToken)
                .where(ApiToken.id == expired.row.id)
                .values(expires_at=utc_now() - timedelta(seconds=1))
            )
            investigator = user_named(session, "investigator")
            investigator.active = False  # disabled behind the application's back: still refused
        assert "revoked" in _refused(script, bearer(revoked.secret))
        assert "expired" in _refused(script, bearer(expired.secret))
        assert "disabled" in _refused(script, bearer(disabled.secret))
        assert "disabled" in _refused(script, bearer(disabled.secret))  # not audited twice
    refusals = entries(clinic_database, tokens.Action.REFUSE)
    assert [(e.username, e.changes["refused"]) for e in refusals] == [
        ("coordinator", "revoked"),
        ("monitor", "expired"),
        ("investigator", "user_disabled"),
    ]
    assert refusals[0].changes["request"] == "GET /api/me"
    assert [e.entity_id for e in entries(clinic_database, tokens.Action.REVOKE)] == [
        str(revoked.row.id)
    ]


def test_disabling_a_user_revokes_her_tokens(clinic_app, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    created = make_token(clinic_database, "coordinator")
    with clinic_database.transaction() as session:
        set_active(session, "coordinator", active=False, by="admin", reason="left")
    with clinic_database.transaction() as session:
        set_active(session, "coordinator", active=True, by="admin")
    with TestClient(clinic_app) as script:
        assert "revoked" in _refused(script, bearer(created.secret))  # re-enabling revives none


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic c3RhdGlzdGljaWFuOnB3",
        "Token ovr_" + "a" * 43,
        "Bearer ovr_short",
        "Bearer " + "a" * 47,
        "Bearer ovr_" + "a" * 42 + "!",
        "Bearer ovr_" + "a" * 44,
        "Bearer ovr_" + "a" * 43 + " extra",
        "Bearer ovr_" + "\u00e9" * 43,
    ],
)
def test_malformed_tokens_are_refused(header: str, clinic_app, clinic_database) -> None:  # type: ignore[no-untyped-def]
    make_token(clinic_database, "statistician")
    with TestClient(clinic_app) as script:
        answer = script.get("/api/me", headers={"Authorization": header.encode("utf-8")})
        assert answer.status_code == 401, answer.text
        assert answer.json()["detail"]
    assert entries(clinic_database, tokens.Action.REFUSE) == []


def test_a_wrong_token_is_refused_and_not_audited(clinic_app, clinic_database) -> None:  # type: ignore[no-untyped-def]
    real = make_token(clinic_database, "statistician").secret
    wrong = real[:-1] + ("A" if real[-1] != "A" else "B")
    with TestClient(clinic_app) as script:
        assert _refused(script, bearer(wrong)) == "the API token is not valid"
        assert _refused(script, bearer(tokens.new_secret())) == "the API token is not valid"
        for url in (f"/api/studies/{STUDY}/participants", "/api/audit"):
            assert script.get(url, headers=bearer(wrong)).status_code == 401
        answer = script.post(
            f"/api/studies/{STUDY}/participants", json={"site": SITE}, headers=bearer(wrong)
        )
        assert answer.status_code == 401
    assert entries(clinic_database, tokens.Action.REFUSE) == []


def test_the_token_is_never_stored_in_clear(clinic_app, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    created = make_token(clinic_database, "statistician")
    with TestClient(clinic_app) as script:
        assert script.get("/api/me", headers=bearer(created.secret)).status_code == 200
    with clinic_database.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_token")).mappings().all()
        trail = connection.execute(text("SELECT * FROM audit_entry")).mappings().all()
    assert len(rows) == 1
    body = created.secret.removeprefix(tokens.TOKEN_PREFIX)
    for row in [*rows, *trail]:
        for value in row.values():
            assert body not in str(value), "the token is stored in clear"
    assert rows[0]["token_hash"] == hashlib.sha256(created.secret.encode()).hexdigest()
    assert all(rows[0]["token_hash"] not in str(entry["changes"]) for entry in trail)
    assert len(body) == 43  # 32 random bytes, URL-safe base64


def test_a_read_token_cannot_write_and_a_write_token_needs_no_csrf(
    clinic_app, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    read = make_token(clinic_database, "coordinator").secret
    write = make_token(clinic_database, "coordinator", scope="write").secret
    monitor = make_token(clinic_database, "monitor", scope="write").secret
    url = f"/api/studies/{STUDY}/participants"
    with TestClient(clinic_app) as script:
        refused = script.post(url, json={"site": SITE}, headers=bearer(read))
        assert refused.status_code == 403
        assert "only read" in refused.json()["detail"]
        assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
        made = script.post(url, json={"site": SITE}, headers=bearer(write))
        assert made.status_code == 201, made.text
        # a write token holds no more than its user's role: the monitor changes nothing
        assert script.post(url, json={"site": SITE}, headers=bearer(monitor)).status_code == 403
    audited = [e for e in entries(clinic_database, tokens.Action.REFUSE)]
    assert [e.changes["refused"] for e in audited] == ["read_only"]
    with clinic_database.read() as session:
        creation = session.execute(
            select(AuditEntry).where(AuditEntry.entity == "participant")
        ).scalar_one()
    assert creation.username == "coordinator"


def test_a_cookie_request_keeps_the_csrf_rule(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    write = make_token(clinic_database, "coordinator", scope="write").secret
    browser = login("coordinator")
    url = f"/api/studies/{STUDY}/participants"
    forged = browser.client.post(url, json={"site": SITE}, headers=bearer(write))
    assert forged.status_code == 403, forged.text
    assert "security token" in forged.json()["detail"]
    assert browser.client.post(url, json={"site": SITE}).status_code == 403
    assert browser.api("POST", url, json={"site": SITE}).status_code == 201


def test_pages_do_not_accept_tokens(clinic_app, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    secret = make_token(clinic_database, "statistician", scope="write").secret
    with TestClient(clinic_app) as script:
        for url in ("/", "/account/tokens", f"/studies/{STUDY}"):
            answer = script.get(url, headers=bearer(secret), follow_redirects=False)
            assert answer.status_code == 303, url
            assert answer.headers["location"].startswith("/login")
        made = script.post(
            "/account/tokens", data={"name": "more"}, headers=bearer(secret), follow_redirects=False
        )
        assert made.status_code in (303, 401)  # 401: the login page, keeping what was typed
        assert made.headers["content-type"].startswith("text/html")
    with clinic_database.read() as session:
        assert len(session.execute(select(ApiToken)).scalars().all()) == 1


def test_the_page_creates_shows_once_and_revokes(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    browser = login("statistician")
    empty = browser.client.get("/account/tokens")
    assert empty.status_code == 200
    assert "no API token" in empty.text
    assert browser.client.post("/account/tokens", data={"name": "x"}).status_code == 403  # CSRF
    made = browser.post_form("/account/tokens", {"name": "interim analysis", "expires_days": "30"})
    assert made.status_code == 200, made.text
    shown = _SHOWN.search(made.text)
    assert shown, "the new token is shown"
    secret = shown.group(1)
    again = browser.client.get("/account/tokens")
    assert secret not in again.text, "a token is shown once"
    assert "interim analysis" in again.text
    assert "read only" in again.text
    with TestClient(clinic_app) as script:
        assert script.get("/api/me", headers=bearer(secret)).json()["username"] == "statistician"
        with clinic_database.read() as session:
            row = session.execute(select(ApiToken)).scalar_one()
            assert row.expires_at - row.created_at == timedelta(days=30)
        other = login("coordinator")
        assert other.post_form(f"/account/tokens/{row.id}/revoke", {}).status_code == 404
        assert script.get("/api/me", headers=bearer(secret)).status_code == 200
        assert browser.client.post(f"/account/tokens/{row.id}/revoke").status_code == 403
        revoked = browser.post_form(f"/account/tokens/{row.id}/revoke", {})
        assert revoked.status_code == 303
        assert script.get("/api/me", headers=bearer(secret)).status_code == 401
    refused = browser.post_form("/account/tokens", {"name": "  "})
    assert refused.status_code == 422
    assert "needs a name" in refused.text
    created = entries(clinic_database, tokens.Action.CREATE)
    assert [(e.username, e.changes["name"][1]) for e in created] == [
        ("statistician", "interim analysis")
    ]
    assert [e.username for e in entries(clinic_database, tokens.Action.REVOKE)] == ["statistician"]


def test_token_rules(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        user = user_named(session, "monitor")
        for days in (0, 366):
            with pytest.raises(tokens.TokenError, match="1 to 365 days"):
                tokens.create_token(session, user, name="n", by="t", expires_days=days)
        with pytest.raises(tokens.TokenError, match="scope"):
            tokens.create_token(session, user, name="n", by="t", scope="admin")
        with pytest.raises(tokens.TokenError, match="control"):
            tokens.create_token(session, user, name="a\tb", by="t")
        made = [
            tokens.create_token(session, user, name=f"t{i}", by="t")
            for i in range(tokens.MAX_ACTIVE_TOKENS)
        ]
        with pytest.raises(tokens.TokenError, match="live tokens already"):
            tokens.create_token(session, user, name="one more", by="t")
        tokens.revoke(session, made[0].row, by="t")
        with pytest.raises(tokens.TokenError, match="revoked already"):
            tokens.revoke(session, made[0].row, by="t")
        tokens.create_token(session, user, name="one more", by="t")
        assert len({m.secret for m in made}) == len(made)
        assert made[0].row.expires_at - made[0].row.created_at == timedelta(days=90)


def test_the_openapi_document_declares_the_bearer_scheme(clinic_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(clinic_app) as client:
        document = client.get("/api/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiToken"] == schemes["apiToken"] | {"type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie"
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path.startswith("/api/"):
                assert {"apiToken": []} in operation["security"], path
            else:
                assert "security" not in operation, path
