"""Every route as every role (and anonymously): access is decided in one place, nothing
fails with a server error, a read-only monitor changes nothing, and the unblinded treatment
team writes nothing but the arm-revealing treatment visits.

A user's own credentials are hers whatever her role: the monitor and the treatment team, who
change no study data, still create and revoke their own API tokens (``SELF_SERVICE``; the
tokens act with their role, so a monitor's token changes nothing either).

That no view differs for a blinded role between two women who differ only in their arm is
``tests/web/test_blinding_twins.py`` (it replaces searching responses for arm names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from ovaregen.clinic import ecrf
from ovaregen.clinic.data_queries import raise_query
from ovaregen.clinic.roles import Role, is_blinded
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.clinic.studies import add_participant, site_coded, study_named
from ovaregen.clinic.views import Reader
from ovaregen.store.database import Database
from ovaregen.store.models import AdverseEvent, AllocationSlot, Pregnancy, utc_now
from tests.clinic_fixtures import SITE
from tests.web.route_walk import application_routes

PUBLIC = {"/health", "/login", "/api/openapi.json", "/reset/1", "/questionnaire/1"}
"""Answered without login (``/reset/{token}``: a one-time password link;
``/questionnaire/{token}``: a participant's questionnaire link; any token)."""
SELF_SERVICE = ("/account/",)
"""Pages about the user's own account (her API tokens), not about study data."""
MONITOR_WRITES = ("/queries", "/verification")
"""The monitor's only writes: queries and source-data verification, never a study value."""
DATA_MANAGER_WRITES = ("/queries", "/lock")
"""The data manager's only writes: queries and locks, never a study value."""


def _changes_nothing(role: Role, method: str, url: str) -> bool:
    """Whether ``role`` must be refused (403) this write: the treatment team writes only the
    treatment visits (none in the matrix), the monitor and the data manager only their own."""
    if method == "GET" or url in PUBLIC:
        return False  # a public form (login, questionnaire link) has no role to refuse
    if role is Role.TREATMENT:
        return True
    if role is Role.MONITOR:
        return not any(part in url for part in MONITOR_WRITES)
    if role is Role.DATA_MANAGER:
        return not any(part in url for part in DATA_MANAGER_WRITES)
    return False


@dataclass
class Cast:
    """The participants and rows the matrix requests by id."""

    randomised: str
    regenera: str
    pregnancy_id: int
    event_id: int
    query_id: int


def _cast(database: Database) -> Cast:
    with database.transaction() as session:
        site = site_coded(session, SITE)
        rct = study_named(session, "ucmsc-rct")
        allocated = add_participant(session, rct, site, username="test")
        ecrf.save_form(
            session,
            allocated,
            "screening",
            {"consent": True, "age_years": 30.0, "married": True},
            username="test",
            expected_version=None,
        )
        allocated.status, allocated.eligible, allocated.enrolled_at = "ongoing", "true", utc_now()
        session.add(
            AllocationSlot(
                study_id=rct.id,
                stratum="imported",  # as an imported allocation: the list is generated later
                sequence=1,
                block=0,
                arm="ucmsc_hrt",
                code="R-MATRIX",
                participant_id=allocated.id,
                allocated_at=utc_now(),
                allocated_by="test",
            )
        )
        pregnancy = Pregnancy(
            participant_id=allocated.id, conception="spontaneous", outcome="ongoing"
        )
        event = AdverseEvent(
            participant_id=allocated.id, term="pelvic pain", grade=1, ctcae_version="5.0"
        )
        session.add_all([pregnancy, event])
        regenera = add_participant(session, study_named(session, "regenera"), site, username="t")
        regenera.status, regenera.eligible, regenera.enrolled_at = "ongoing", "true", utc_now()
        session.flush()
        query = raise_query(
            session,
            allocated,
            visit="screening",
            variable="age_years",
            message="age?",
            reader=Reader("monitor", Role.MONITOR.value, EVERYWHERE),
        ).query
        return Cast(allocated.code, regenera.code, pregnancy.id, event.id, query.id)


def _url(path: str, cast: Cast) -> str:
    regenera = "gcsf" in path
    values = {
        "study": "regenera" if regenera else "ucmsc-rct",
        "code": cast.regenera if regenera else cast.randomised,
        "visit": "screening",
        "pregnancy_id": str(cast.pregnancy_id),
        "event_id": str(cast.event_id),
        "query_id": str(cast.query_id),
        "day": "1",
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name in values:
            return values[name]
        if name == "id" or name.endswith("_id"):
            return str(cast.event_id if "adverse" in path else cast.pregnancy_id)
        return "1"

    return re.sub(r"\{([^}]+)\}", fill, path)


def _requests(app: object, cast: Cast) -> list[tuple[str, str, bool]]:
    """(method, url, is_api) for every route of the application's routers."""
    found = []
    for route in application_routes():
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, _url(route.path, cast), route.path.startswith("/api")))
    return found


def _send(client: TestClient, method: str, url: str, is_api: bool, csrf: str):  # type: ignore[no-untyped-def]
    if method == "GET":
        return client.get(url, follow_redirects=False)
    if is_api:
        return client.request(method, url, json={}, headers={"X-CSRF-Token": csrf})
    return client.request(method, url, data={"csrf_token": csrf}, follow_redirects=False)


def test_every_route_as_every_role(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    cast = _cast(clinic_database)
    requests = _requests(clinic_app, cast)
    assert len(requests) > 30, "the application's routes were found"
    with TestClient(clinic_app) as anonymous:
        for method, url, is_api in requests:
            if url in PUBLIC:
                continue
            response = _send(anonymous, method, url, is_api, "")
            if is_api:
                assert response.status_code in (401, 403), (method, url, response.status_code)
            else:
                assert response.status_code in (303, 401, 403), (method, url)
                if response.status_code == 303:
                    assert response.headers["location"].startswith("/login")
    # GETs first for every role, then the writes (which change the data the GETs show).
    ordered = sorted(requests, key=lambda r: r[0] != "GET")
    for role in Role:
        browser = login(role.value)
        for method, url, is_api in ordered:
            if url == "/logout":
                continue
            response = _send(browser.client, method, url, is_api, browser.csrf)
            assert response.status_code < 500, (role, method, url, response.text[:500])
            if url.startswith(SELF_SERVICE):
                assert response.status_code in (200, 303, 404, 422), (role, method, url)
                continue
            if _changes_nothing(role, method, url):
                assert response.status_code == 403, (role, method, url, response.status_code)


@pytest.mark.parametrize("role", [r for r in Role if is_blinded(r)])
def test_blinded_roles_see_the_neutral_code(role: Role, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    cast = _cast(clinic_database)
    browser = login(role.value)
    listing = browser.client.get("/api/studies/ucmsc-rct/participants").json()
    mine = next(p for p in listing if p["code"] == cast.randomised)
    assert mine["allocation"]["code"] == "R-MATRIX"
    assert "arm" not in mine["allocation"]


def test_the_statistician_sees_the_arm(clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    cast = _cast(clinic_database)
    listing = login("statistician").client.get("/api/studies/ucmsc-rct/participants").json()
    mine = next(p for p in listing if p["code"] == cast.randomised)
    assert mine["allocation"]["arm"] == "ucmsc_hrt"


def test_every_api_route_through_a_token_as_every_role(clinic_app, clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    """A token holds exactly its user's rights: every API GET answers as the session does; a
    read token changes nothing (403); a write token no more than the role (the monitor and the
    treatment team still change nothing); pages never take a token."""
    from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
    from ovaregen.clinic.tokens import Scope, create_token  # noqa: PLC0415

    cast = _cast(clinic_database)
    requests = _requests(clinic_app, cast)
    ordered = sorted(requests, key=lambda r: r[0] != "GET")
    for role in Role:
        with clinic_database.transaction() as session:
            user = user_named(session, role.value)
            read, write = (
                create_token(session, user, name=scope, by="test", scope=scope).secret
                for scope in (Scope.READ, Scope.WRITE)
            )
        browser = login(role.value)
        with TestClient(clinic_app) as script:
            for method, url, is_api in ordered:
                if url in PUBLIC or url == "/logout":
                    continue
                headers = {"Authorization": f"Bearer {read}"}
                if not is_api:
                    answer = script.request(method, url, headers=headers, follow_redirects=False)
                    assert answer.status_code in (303, 401), (role, method, url)
                    continue
                if method == "GET":
                    by_token = script.get(url, headers=headers)
                    by_session = browser.client.get(url)
                    assert by_token.status_code == by_session.status_code, (role, url)
                    continue
                refused = script.request(method, url, json={}, headers=headers)
                assert refused.status_code == 403, (role, method, url, refused.text[:200])
                written = script.request(
                    method, url, json={}, headers={"Authorization": f"Bearer {write}"}
                )
                assert written.status_code < 500, (role, method, url, written.text[:500])
                if _changes_nothing(role, method, url):
                    assert written.status_code == 403, (role, method, url, written.status_code)
