"""What a request may carry: a body no larger than the limit (413 before it is read), and no
control characters in its fields (422 naming the field; a NUL answered 500 on PostgreSQL).
Issue 11: an anonymous 400 MB POST took 13 s and 800 MB before its 401."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.responses import PlainTextResponse

from ovaregen.clinic.roles import Role
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, Participant, User
from ovaregen.web.app import create_app
from ovaregen.web.body_limit import BodyLimit
from ovaregen.web.settings import Settings
from tests.web.test_screening import new_participant

STUDY = "ucmsc-rct"
LIMIT = 4096
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _limited_app(database: Database, tmp_path: Path) -> Any:
    settings = Settings(data_dir=tmp_path, database_url=database.url, max_body_bytes=LIMIT)
    return create_app(settings, database)


def test_a_declared_length_over_the_limit_is_refused_before_login(
    sqlite_database: Database, tmp_path: Path
) -> None:
    with TestClient(_limited_app(sqlite_database, tmp_path)) as client:
        page = client.post("/login", data={"username": "x", "password": "y" * 2 * LIMIT})
        assert page.status_code == 413
        assert page.headers["content-type"].startswith("text/html")
        assert "the request is too large: at most" in page.text
        assert "Content-Security-Policy" in page.headers
        api = client.post(f"/api/studies/{STUDY}/participants", json={"site": "x" * 2 * LIMIT})
        assert api.status_code == 413, "refused before the login check (401)"
        assert api.json()["detail"].startswith("the request is too large")
        small = client.post(f"/api/studies/{STUDY}/participants", json={"site": "MAD1"})
        assert small.status_code == 401


def test_a_body_without_a_length_is_counted_while_it_streams(
    sqlite_database: Database, tmp_path: Path
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"username=x&password="
        yield b"y" * 2 * LIMIT

    with TestClient(_limited_app(sqlite_database, tmp_path)) as client:
        response = client.post(
            "/login",
            content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert "the request is too large" in response.text
        api = client.post(
            f"/api/studies/{STUDY}/participants",
            content=iter([b'{"site": "', b"x" * 2 * LIMIT, b'"}']),
            headers={"Content-Type": "application/json"},
        )
        assert api.status_code == 413
        assert api.json()["detail"].startswith("the request is too large")


def test_the_limit_stops_reading_at_the_chunk_that_crosses_it() -> None:
    """Pure ASGI: the application reads until the limit, never the rest, nothing is buffered."""
    pulled = 0
    read_by_app = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"z" * 1000, "more_body": pulled < 1000}

    async def reading_app(scope: Any, receive_: Any, send: Any) -> None:
        nonlocal read_by_app
        while True:
            message = await receive_()
            read_by_app += len(message["body"])
            if not message["more_body"]:
                break
        await PlainTextResponse("read it all")(scope, receive_, send)

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    def refuse(_scope: Any, status: int, message: str) -> PlainTextResponse:
        return PlainTextResponse(message, status_code=status)

    middleware = BodyLimit(reading_app, limit=LIMIT, refuse=refuse)
    scope = {"type": "http", "method": "POST", "path": "/upload", "headers": []}
    asyncio.run(middleware(scope, receive, send))
    assert sent[0]["status"] == 413
    assert pulled == LIMIT // 1000 + 1, "not a chunk more than the one that crossed the limit"
    assert read_by_app <= LIMIT


def _count(database: Database, model: Any) -> int:
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_nul_in_a_form_reason_is_refused_naming_the_field(
    login: Any, clinic_database: Database
) -> None:
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/visits/screening"
    assert coordinator.post_form(url, {"age_years": "33", "version": ""}).status_code == 200
    before = _count(clinic_database, AuditEntry)
    refused = coordinator.post_form(
        url, {"age_years": "34", "version": "1", "reason": "lab\x00 report"}
    )
    assert refused.status_code == 422, refused.text
    assert "the field &#39;reason&#39; contains the control character U+0000" in refused.text
    assert _count(clinic_database, AuditEntry) == before
    bell = coordinator.post_form(url, {"age_years": "34", "version": "1", "reason": "a\x07b"})
    assert bell.status_code == 422 and "U+0007" in bell.text
    delete = coordinator.post_form(url, {"age_years": "34", "version": "1", "reason": "a\x7fb"})
    assert delete.status_code == 422 and "U+007F" in delete.text, "the dataset reader's rule"
    fine = coordinator.post_form(
        url, {"age_years": "34", "version": "1", "reason": "lab\treport\r\nline two"}
    )
    assert fine.status_code == 200, "tab, CR and LF are text"


def test_a_nul_in_a_login_is_refused_without_echoing_it(
    clinic_app: Any, clinic_database: Database
) -> None:
    with TestClient(clinic_app) as client:
        token = _CSRF.search(client.get("/login").text)
        assert token
        for field, value in (("username", "admin\x00"), ("password", "secret\x00word")):
            form = {"username": "admin", "password": "x", "csrf_token": token.group(1)}
            response = client.post("/login", data={**form, field: value})
            assert response.status_code == 422, response.text
            assert f"the field &#39;{field}&#39; contains the control character" in response.text
            assert "secret" not in response.text
    assert _count(clinic_database, User) == len(Role)


def test_a_nul_in_a_json_body_is_refused_naming_the_field(
    login: Any, clinic_database: Database
) -> None:
    coordinator = login("coordinator")
    before = _count(clinic_database, Participant)
    refused = coordinator.api(
        "POST", f"/api/studies/{STUDY}/participants", json={"site": "MAD1\u0000"}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(
        "the field 'site' contains the control character U+0000"
    )
    code = new_participant(coordinator)
    nested = coordinator.api(
        "PUT",
        f"/api/studies/{STUDY}/participants/{code}/visits/screening",
        json={"values": {"age_years": 33, "menses\u0001": "x"}, "version": None},
    )
    assert nested.status_code == 422
    assert "values.menses?" in nested.json()["detail"]
    query = coordinator.client.get(f"/api/studies/{STUDY}/participants/{code}?x=%00")
    assert query.status_code == 422 and "query parameter 'x'" in query.json()["detail"]
    assert _count(clinic_database, Participant) == before + 1
