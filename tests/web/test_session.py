"""Logging in and out, the login throttle, CSRF, anonymous refusal, health and OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.clinic_fixtures import Browser


def test_health_and_openapi_need_no_login(clinic_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(clinic_app) as client:
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        document = client.get("/api/openapi.json").json()
        assert document["openapi"].startswith("3.")
        assert "/api/studies" in document["paths"]


def test_anonymous_requests_for_study_data_are_refused(clinic_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(clinic_app) as client:
        assert client.get("/api/studies").status_code == 401
        assert client.get("/api/studies/regenera/participants").status_code == 401
        page = client.get("/studies/regenera", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login?next=")


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(clinic_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(clinic_app) as client:
        browser = Browser(client, "coordinator")
        form = client.get("/login")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(
            "/login",
            data={
                "username": "coordinator",
                "password": "a long test password",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        browser.csrf = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.get("/api/me").json()["blinded"] is True
        assert browser.post_form("/logout", {}).status_code == 303
        assert client.get("/api/studies").status_code == 401


def test_wrong_password_is_refused_and_the_throttle_engages(clinic_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(clinic_app) as client:
        statuses = []
        for _ in range(6):
            token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
            statuses.append(
                client.post(
                    "/login",
                    data={
                        "username": "monitor",
                        "password": "wrong password!",
                        "csrf_token": token,
                    },
                ).status_code
            )
        assert statuses[:5] == [401] * 5
        assert statuses[5] == 429
        # Even the right password is refused while throttled.
        token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        right = client.post(
            "/login",
            data={"username": "monitor", "password": "a long test password", "csrf_token": token},
        )
        assert right.status_code == 429


def test_a_change_without_the_csrf_token_is_refused(login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    refused = admin.client.post("/sites", data={"code": "BCN1", "name": "Barcelona"})
    assert refused.status_code == 403
    assert admin.client.post("/api/sites", json={"code": "BCN1", "name": "B"}).status_code == 403
    accepted = admin.api("POST", "/api/sites", json={"code": "BCN1", "name": "Barcelona"})
    assert accepted.status_code == 201


def test_a_role_without_the_permission_gets_403(login) -> None:  # type: ignore[no-untyped-def]
    monitor = login("monitor")
    response = monitor.api("POST", "/api/sites", json={"code": "BCN1", "name": "Barcelona"})
    assert response.status_code == 403
    coordinator = login("coordinator")
    created = coordinator.api("POST", "/api/studies/regenera/participants", json={"site": "MAD1"})
    assert created.status_code == 201
    assert created.json()["code"] == "MAD1-0001"
