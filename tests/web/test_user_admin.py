"""Web user administration and one's own password (issue 13, item 1), on SQLite and
PostgreSQL: the whole cycle (create → one-time link → password → login), links refused when
used, replaced, expired or unknown (one neutral answer, throttled), deactivation ending
sessions and tokens, unlock, role and sites, one's own password needing the current one — and
every change audited with who, whom, what and the reason."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from ovaregen.clinic import throttle
from ovaregen.clinic.accounts import user_named
from ovaregen.clinic.password_links import PATH, REFUSED, THROTTLE_NAME
from ovaregen.clinic.tokens import create_token
from ovaregen.store.database import Database
from ovaregen.store.models import (
    AuditEntry,
    LoginFailure,
    PasswordLink,
    User,
    WebSession,
    utc_now,
)
from tests.clinic_fixtures import PASSWORD, SITE, Browser

NEW_PASSWORD = "quiet harbour lantern morning"
OTHER_PASSWORD = "violet river under copper hills"
_LINK = re.compile(r'id="link-value" readonly value="([^"]+)"')


def _link(response) -> str:  # type: ignore[no-untyped-def]
    found = _LINK.search(response.text)
    assert found, response.text[:2000]
    return found.group(1)


def _path(link: str) -> str:
    return link[link.index(PATH) :]


def _entries(database: Database, username: str) -> list[AuditEntry]:
    """The audit entries about the user ``username`` (entity user), oldest first."""
    with database.transaction() as session:
        user = user_named(session, username)
        return list(
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "user", AuditEntry.entity_id == str(user.id))
                .order_by(AuditEntry.id)
            ).scalars()
        )


def _create(admin: Browser, username: str, role: str = "coordinator", site: str = SITE):  # type: ignore[no-untyped-def]
    return admin.post_form(
        "/admin/users",
        {"username": username, "role": role, "site": site, "study": "all", "reason": "joins"},
    )


def _set_password(client: TestClient, path: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        path,
        data={"new_password": password, "repeat_password": password},
        follow_redirects=False,
    )


def _sessions(database: Database, username: str) -> int:
    with database.transaction() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(WebSession)
                .join(User, User.id == WebSession.user_id)
                .where(User.username == username)
            ).scalar_one()
        )


def test_create_link_password_login(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    created = _create(admin, "ana.mad")
    assert created.status_code == 201, created.text
    link = _link(created)
    assert link.startswith("http://testserver/reset/")
    secret = link.rsplit("/", 1)[1]
    assert len(secret) == 43, "secrets.token_urlsafe(32): 256 random bits"
    with clinic_database.transaction() as session:
        stored = session.execute(select(PasswordLink)).scalar_one()
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert stored.purpose == "set" and stored.created_by == "admin"
        assert stored.expires_at - stored.created_at == timedelta(hours=24)
    listing = admin.client.get("/admin/users")
    assert "ana.mad" in listing.text and "link waiting until" in listing.text
    with TestClient(clinic_app) as her:
        form = her.get(_path(link))
        assert form.status_code == 200 and "ana.mad" in form.text
        done = _set_password(her, _path(link))
        assert done.status_code == 303 and done.headers["location"] == "/login?password=set"
    Browser(TestClient(clinic_app), "ana.mad").login(NEW_PASSWORD)
    api = admin.client.get("/api/admin/users").json()
    ana = next(u for u in api if u["username"] == "ana.mad")
    assert ana["access"] == [{"study": "all", "site": SITE, "role": "coordinator"}]
    assert ana["last_login"] is not None and ana["link_pending_until"] is None
    actions = [e.changes for e in _entries(clinic_database, "ana.mad")]
    assert actions[0]["username"] == [None, "ana.mad"]
    assert any(c.get("access") == [[], [f"all/{SITE} as coordinator"]] for c in actions)
    assert any(c.get("password_link") == [None, "set"] for c in actions)
    assert actions[-1]["password"] == ["(old)", "(new)"]
    used = _entries(clinic_database, "ana.mad")[-1]
    assert used.username == "ana.mad" and "issued by admin" in used.reason
    assert all(
        link.rsplit("/", 1)[1] not in str(e.changes) for e in _entries(clinic_database, "ana.mad")
    )


def test_a_new_user_needs_a_site_and_a_valid_name(clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    before = _entries_count(clinic_database)
    refused = _create(admin, "bea", site="")
    assert refused.status_code == 422 and "say which sites she works at" in refused.text
    assert "nothing was saved" in refused.text
    bad = _create(admin, "b e a")
    assert bad.status_code == 422 and "username" in bad.text
    unknown = _create(admin, "bea", site="NOPE")
    assert unknown.status_code == 422 and "NOPE" in unknown.text
    with clinic_database.transaction() as session:
        assert session.execute(select(User).where(User.username == "bea")).first() is None
    assert _entries_count(clinic_database) == before, "nothing half-saved, nothing audited"


def _entries_count(database: Database) -> int:
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def test_a_link_works_once_and_a_new_one_voids_the_old(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    first = _path(_link(admin.post_form("/admin/users/coordinator/reset-link", {})))
    second = _path(_link(admin.post_form("/admin/users/coordinator/reset-link", {})))
    with TestClient(clinic_app) as her:
        replaced = _set_password(her, first)
        assert replaced.status_code == 404 and REFUSED in replaced.text
        assert _set_password(her, second).status_code == 303
        again = _set_password(her, second, OTHER_PASSWORD)
        assert again.status_code == 404 and REFUSED in again.text
        unknown = her.get(PATH + "x" * 43)
        assert unknown.status_code == 404 and unknown.text.replace(
            "x" * 43, "T"
        ) == again.text.replace(second[len(PATH) :], "T"), "one neutral answer"
    Browser(TestClient(clinic_app), "coordinator").login(NEW_PASSWORD)


def test_an_expired_link_is_refused(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    path = _path(_link(admin.post_form("/admin/users/monitor/reset-link", {})))
    with clinic_database.transaction() as session:
        session.execute(update(PasswordLink).values(expires_at=utc_now() - timedelta(seconds=1)))
    with TestClient(clinic_app) as her:
        assert her.get(path).status_code == 404
        assert _set_password(her, path).status_code == 404
    Browser(TestClient(clinic_app), "monitor").login(PASSWORD)  # her password is unchanged


def test_a_weak_password_keeps_the_link(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    path = _path(_link(admin.post_form("/admin/users/monitor/reset-link", {})))
    with TestClient(clinic_app) as her:
        weak = _set_password(her, path, "password1234")
        assert weak.status_code == 422 and "new password" in weak.text
        differ = her.post(
            path, data={"new_password": NEW_PASSWORD, "repeat_password": OTHER_PASSWORD}
        )
        assert differ.status_code == 422 and "differ" in differ.text
        assert _set_password(her, path).status_code == 303


def test_guessing_links_is_throttled(clinic_app, clinic_database) -> None:  # type: ignore[no-untyped-def]
    with TestClient(clinic_app) as guesser:
        answers = [guesser.get(PATH + f"{n:043d}").status_code for n in range(8)]
    assert answers[: throttle.PAIR.free] == [404] * throttle.PAIR.free
    assert answers[throttle.PAIR.free :] == [429] * (8 - throttle.PAIR.free)
    with clinic_database.transaction() as session:
        count = session.execute(
            select(func.count()).where(LoginFailure.username == THROTTLE_NAME)
        ).scalar_one()
    assert count == throttle.PAIR.free, "refused while waiting: not counted again"


def test_using_a_link_ends_her_sessions(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    login("investigator")
    assert _sessions(clinic_database, "investigator") == 1
    admin = login("admin")
    path = _path(_link(admin.post_form("/admin/users/investigator/reset-link", {})))
    with TestClient(clinic_app) as her:
        assert _set_password(her, path).status_code == 303
    assert _sessions(clinic_database, "investigator") == 0


def test_a_deactivated_user_cannot_log_in_nor_use_a_token(clinic_app, clinic_database, login):  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        secret = create_token(session, user_named(session, "monitor"), name="s", by="t").secret
    her = login("monitor")
    admin = login("admin")
    pending = _path(_link(admin.post_form("/admin/users/monitor/reset-link", {})))
    no_reason = admin.post_form("/admin/users/monitor/deactivate", {})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    done = admin.post_form("/admin/users/monitor/deactivate", {"reason": "left the trial"})
    assert done.status_code == 200 and "deactivated" in done.text
    assert her.client.get("/", follow_redirects=False).status_code == 303
    with TestClient(clinic_app) as script:
        refused = script.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
        assert refused.status_code == 401
        assert _set_password(script, pending).status_code == 404, "her links are voided"
        form = script.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        attempt = script.post(
            "/login",
            data={"username": "monitor", "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert attempt.status_code == 401
    last = _entries(clinic_database, "monitor")[-1]
    assert last.username == "admin" and last.reason == "left the trial"
    assert last.changes["active"] == [True, False] and last.changes["tokens_revoked"] == 1
    assert admin.post_form("/admin/users/monitor/reactivate", {"reason": "back"}).status_code == 200
    Browser(TestClient(clinic_app), "monitor").login(PASSWORD)


def test_an_administrator_does_not_lock_herself_out(clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    refused = admin.post_form("/admin/users/admin/deactivate", {"reason": "oops"})
    assert refused.status_code == 422 and "your own account" in refused.text
    role = admin.post_form("/admin/users/admin/role", {"role": "monitor", "reason": "x"})
    assert role.status_code == 422
    assert admin.client.get("/admin/users").status_code == 200
    assert admin.post_form("/admin/users/nobody/unlock", {}).status_code == 404


def test_unlock_lets_a_throttled_user_in(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        for _ in range(throttle.USERNAME.free + 2):
            session.add(LoginFailure(username="coordinator", client="testclient", at=utc_now()))
    with TestClient(clinic_app) as her:
        form = her.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        held = her.post(
            "/login",
            data={"username": "coordinator", "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert held.status_code == 429
    admin = login("admin")
    assert "held back by the throttle" in admin.client.get("/admin/users").text
    unlocked = admin.post_form("/admin/users/coordinator/unlock", {"reason": "phoned"})
    assert unlocked.status_code == 200 and "unlocked" in unlocked.text
    Browser(TestClient(clinic_app), "coordinator").login(PASSWORD)
    last = _entries(clinic_database, "coordinator")[-1]
    assert last.username == "admin" and last.changes["failures_forgotten"] >= throttle.USERNAME.free


def test_role_and_sites_change_with_a_reason(clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    her = login("coordinator")
    admin = login("admin")
    assert admin.post_form("/admin/users/coordinator/role", {"role": "monitor"}).status_code == 422
    bad = admin.post_form("/admin/users/coordinator/role", {"role": "boss", "reason": "x"})
    assert bad.status_code == 422 and "boss" in bad.text
    changed = admin.post_form(
        "/admin/users/coordinator/role", {"role": "data_manager", "reason": "new post"}
    )
    assert changed.status_code == 200
    assert her.client.get("/", follow_redirects=False).status_code == 303, "her session ended"
    withdrawn = admin.post_form(
        "/admin/users/coordinator/withdraw", {"study": "all", "site": "all", "reason": "moves"}
    )
    assert withdrawn.status_code == 200 and "no site" in withdrawn.text
    roleless = admin.post_form(
        "/admin/users/coordinator/grant", {"study": "all", "site": SITE, "reason": "moves"}
    )
    assert roleless.status_code == 422 and "say her role" in roleless.text, "she holds none"
    given = admin.post_form(
        "/admin/users/coordinator/grant",
        {"study": "all", "site": SITE, "role": "coordinator", "reason": "moves"},
    )
    assert given.status_code == 200 and f"all/{SITE} as coordinator" in given.text
    entries = _entries(clinic_database, "coordinator")[-3:]
    assert entries[0].changes["access"] == [["all/all as coordinator"], ["all/all as data_manager"]]
    assert entries[1].changes["access"] == [["all/all as data_manager"], []]
    assert entries[2].changes["access"] == [[], [f"all/{SITE} as coordinator"]]
    assert {e.reason for e in entries} == {"new post", "moves"}
    assert {e.username for e in entries} == {"admin"}


def test_own_password_needs_the_current_one(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    elsewhere = login("statistician")
    her = login("statistician")
    assert her.client.get("/account/password").status_code == 200
    wrong = her.post_form(
        "/account/password",
        {
            "current_password": "not my password at all",
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422 and "current password" in wrong.text
    before = len(_entries(clinic_database, "statistician"))
    done = her.post_form(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert done.status_code == 200 and "1 other sessions" in done.text
    assert her.client.get("/account/password").status_code == 200, "this session stays"
    assert elsewhere.client.get("/", follow_redirects=False).status_code == 303
    entries = _entries(clinic_database, "statistician")
    assert len(entries) == before + 1
    assert entries[-1].username == "statistician"
    assert entries[-1].changes["password"] == ["(old)", "(new)"]
    Browser(TestClient(clinic_app), "statistician").login(NEW_PASSWORD)


def test_own_password_guesses_are_throttled(clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    her = login("investigator")
    codes = [
        her.post_form(
            "/account/password",
            {"current_password": f"guess number {n}", "new_password": "", "repeat_password": ""},
        ).status_code
        for n in range(throttle.PAIR.free + 1)
    ]
    assert codes[: throttle.PAIR.free] == [422] * throttle.PAIR.free and codes[-1] == 429
