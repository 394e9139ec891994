"""The OpenAPI document is true to the routes: schemathesis (a fixed seed, a bounded budget)
calls every operation of ``/api/openapi.json`` and checks each answer's status code, content
type, body and headers against the document, and that none is a server error.

Run anonymously (everything but /health answers 401), as the coordinator and the unblinded
statistician (session cookies), and as a script holding the coordinator's read-only API token
(``Authorization: Bearer``: its writes answer 403), with the path's study and participant
drawn from the clinic's real ones half of the time so the calls reach the routes' own checks
rather than stopping at "no such study".
On SQLite and on PostgreSQL (the NUL byte, for one, only fails there).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ovaregen.store.database import Database, sqlite_url
from ovaregen.web.app import create_app
from ovaregen.web.settings import Settings
from tests.clinic_fixtures import (
    PG_SERVER,
    SITE,
    Browser,
    Postgres,
    app_for,
    migrated,
    postgres_available,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 6
"""Examples per operation and reader: ~40 operations × 4 readers × 2 databases."""
STUDIES = ("ucmsc-rct", "regenera", "mensc")


class Clinic:
    """One clinic for the whole module: its app, real participant codes, logged-in readers."""

    def __init__(self, database: Database, folder: Path) -> None:
        self.app = app_for(database, folder)
        self.anonymous = TestClient(self.app)
        self.readers: dict[str, Browser] = {}
        self.codes: dict[str, str] = {}
        self.token = self._token("coordinator")
        coordinator = self.reader("coordinator")
        for study in STUDIES:
            made = coordinator.api(
                "POST", f"/api/studies/{study}/participants", json={"site": SITE}
            )
            assert made.status_code == 201, made.text
            self.codes[study] = made.json()["code"]

    def _token(self, username: str) -> str:
        from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
        from ovaregen.clinic.tokens import create_token  # noqa: PLC0415

        with self.app.state.database.transaction() as session:
            user = user_named(session, username)
            return create_token(session, user, name="conformance", by="test").secret

    def reader(self, role: str) -> Browser:
        if role not in self.readers:
            self.readers[role] = Browser(TestClient(self.app), role).login()
        return self.readers[role]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clinic(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Clinic]:
    folder = tmp_path_factory.mktemp(f"openapi-{request.param}")
    if request.param == "sqlite":
        database = migrated(sqlite_url(folder))
        yield Clinic(database, folder)
        database.dispose()
        return
    if not postgres_available():
        pytest.skip(f"PostgreSQL is not running at {PG_SERVER}")
    server = Postgres(f"ovaregen_openapi_{abs(hash(folder)) % 10**8}")
    server.create()
    database = migrated(server.url)
    try:
        yield Clinic(database, folder)
    finally:
        database.dispose()
        server.drop()


def _schema() -> Any:
    """The served document (it does not depend on the clinic's data). Its security schemes
    are not filled with generated credentials: each reader brings its own (a generated cookie
    or bearer value would replace the reader's and turn every call into a 401)."""
    app = create_app(Settings(data_dir=Path("/nonexistent"), database_url="sqlite://"))
    config = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})
    return schemathesis.openapi.from_dict(app.openapi(), config=config)


schema = _schema()


def _real_path(case: Any, clinic: Clinic) -> None:
    """Half of the cases use a real study and one of its participants."""
    parameters = case.path_parameters or {}
    if "study" not in parameters or hash(repr(case.body)) % 2:
        return
    study = STUDIES[hash(repr(parameters)) % len(STUDIES)]
    parameters["study"] = study
    if "code" in parameters:
        parameters["code"] = clinic.codes[study]


@pytest.mark.parametrize("reader", ["anonymous", "coordinator", "statistician", "token"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_documented(case: Any, reader: str, clinic: Clinic) -> None:
    _real_path(case, clinic)
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    if reader == "token":
        headers = {"Authorization": f"Bearer {clinic.token}"}
    elif reader != "anonymous":
        browser = clinic.reader(reader)
        headers = {"X-CSRF-Token": browser.csrf}
        cookies = dict(browser.client.cookies)
    response = case.call(app=clinic.app, headers=headers, cookies=cookies)
    case.validate_response(response, checks=CHECKS)
