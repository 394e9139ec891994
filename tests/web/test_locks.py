"""Locked data refuse every change, on every write route (issue 13, item 5; ``clinic.locks``).

The walk takes every write route of the application (``web.routes.ROUTERS``, as the permission
matrix does) against a locked study and a locked casebook: each one that changes study data
answers 423 with the lock named (who, when, why), and no row of study data changes. A route
the table below does not know yet (another engineer's, after a merge) is still sent, with an
empty body, and must change nothing. Monitoring (queries, verification, signatures), the
locks themselves, emergency unblinding (a safety action), the live eligibility check and the
list's seed check (they save nothing) and the user's own account are not data changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, Base
from tests.web.route_walk import application_routes
from tests.web.test_permission_matrix import Cast, _cast, _url

NOT_DATA_CHANGES = (
    "/queries",
    "/verification",
    "/signature",
    "/lock",
    "/unblind",
    "/eligibility",
    "/randomisation/verify",
    "/account/",
    "/admin/users",
    "/reset/",
    "/questionnaire-links",
    "/deviations",
    "/questionnaire/",
    "/fhir-server",
)
"""URL parts of writes that change no study data (module docstring): also user administration
and password links; giving or revoking a questionnaire link; the protocol-deviation log, kept
open on locked data as monitoring is. A questionnaire answer (``/questionnaire/{token}``, no
login) saves through ``ecrf.save_form``, whose lock guard refuses it; it has no role for this
walk to send it as; the study's FHIR server setting (set-up, not study data)."""
OUTSIDE_A_STUDY = frozenset({"/login", "/logout", "/sites", "/api/sites"})
"""Writes that concern no study (sessions, the site list)."""
NOT_STUDY_DATA = frozenset(
    {
        "audit_entry",
        "audit_head",
        "web_session",
        "login_failure",
        "api_token",
        "app_user",
        "site_access",
        "data_lock",
    }
)
"""Tables a refused request may leave as they are or not: sessions, users, the trail, locks."""

INVESTIGATOR = "investigator"
ADMIN = "admin"
NULL_PREGNANCY = dict.fromkeys(
    (
        "conception",
        "months_after_treatment",
        "outcome",
        "infants_live_born",
        "infant_death_first_year",
        "congenital_anomaly",
    )
)
EVENT = {
    "term": "headache",
    "onset_date": None,
    "grade": 1,
    "ctcae_version": "5.0",
    "serious": False,
    "related": "unrelated",
    "outcome": "recovered",
}

Body = dict[str, Any]
REQUESTS: dict[tuple[str, str], tuple[str, Body]] = {
    # (method, route path): (role sending it, form fields or JSON body)
    ("POST", "/studies/{study}/participants"): (INVESTIGATOR, {"site": "MAD1"}),
    ("POST", "/api/studies/{study}/participants"): (INVESTIGATOR, {"site": "MAD1"}),
    ("POST", "/studies/{study}/participants/{code}/screening"): (INVESTIGATOR, {"age_years": "31"}),
    ("POST", "/studies/{study}/participants/{code}/visits/{visit}"): (
        INVESTIGATOR,
        {"age_years": "31", "version": "1", "reason": "corrected"},
    ),
    ("PUT", "/api/studies/{study}/participants/{code}/visits/{visit}"): (
        INVESTIGATOR,
        {"values": {"age_years": 31}, "version": 1, "reason": "corrected"},
    ),
    ("POST", "/studies/{study}/participants/{code}/enrol"): (INVESTIGATOR, {}),
    ("POST", "/api/studies/{study}/participants/{code}/enrol"): (INVESTIGATOR, {}),
    ("POST", "/studies/{study}/participants/{code}/status"): (
        INVESTIGATOR,
        {"status": "withdrawn", "reason": "moved away"},
    ),
    ("POST", "/api/studies/{study}/participants/{code}/status"): (
        INVESTIGATOR,
        {"status": "withdrawn", "reason": "moved away"},
    ),
    ("POST", "/studies/{study}/participants/{code}/followup"): (INVESTIGATOR, {}),
    ("PUT", "/api/studies/{study}/participants/{code}/followup"): (INVESTIGATOR, {"values": {}}),
    ("POST", "/studies/{study}/participants/{code}/pregnancies"): (
        INVESTIGATOR,
        {"conception": "spontaneous"},
    ),
    ("POST", "/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}"): (
        INVESTIGATOR,
        {"outcome": "live_birth", "version": "1", "reason": "born"},
    ),
    ("POST", "/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}/delete"): (
        INVESTIGATOR,
        {"version": "1", "reason": "entered twice"},
    ),
    ("POST", "/api/studies/{study}/participants/{code}/pregnancies"): (
        INVESTIGATOR,
        {"conception": "spontaneous"},
    ),
    ("PUT", "/api/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}"): (
        INVESTIGATOR,
        {**NULL_PREGNANCY, "version": 1, "reason": "corrected"},
    ),
    ("DELETE", "/api/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}"): (
        INVESTIGATOR,
        {"version": "1", "reason": "entered twice"},
    ),
    ("POST", "/studies/{study}/participants/{code}/adverse-events"): (INVESTIGATOR, EVENT),
    ("POST", "/studies/{study}/participants/{code}/adverse-events/{event_id}"): (
        INVESTIGATOR,
        {**EVENT, "version": "1", "reason": "corrected"},
    ),
    ("POST", "/studies/{study}/participants/{code}/adverse-events/{event_id}/delete"): (
        INVESTIGATOR,
        {"version": "1", "reason": "entered twice"},
    ),
    ("POST", "/api/studies/{study}/participants/{code}/adverse-events"): (INVESTIGATOR, EVENT),
    ("PUT", "/api/studies/{study}/participants/{code}/adverse-events/{event_id}"): (
        INVESTIGATOR,
        {**EVENT, "version": 1, "reason": "corrected"},
    ),
    ("DELETE", "/api/studies/{study}/participants/{code}/adverse-events/{event_id}"): (
        INVESTIGATOR,
        {"version": "1", "reason": "entered twice"},
    ),
    ("POST", "/studies/{study}/participants/{code}/gcsf"): (
        INVESTIGATOR,
        {"day": "1", "gcsf_d1_ug_kg": "5"},
    ),
    ("PUT", "/api/studies/{study}/participants/{code}/gcsf/days/{day}"): (
        INVESTIGATOR,
        {"values": {"gcsf_d1_ug_kg": 5}},
    ),
    ("POST", "/studies/{study}/participants/{code}/gcsf/decision"): (
        INVESTIGATOR,
        {"day": "1", "decision": "accept"},
    ),
    ("POST", "/api/studies/{study}/participants/{code}/gcsf/decision"): (
        INVESTIGATOR,
        {"day": 1, "decision": "accept"},
    ),
    ("POST", "/studies/{study}/participants/{code}/laboratory/fetch"): (INVESTIGATOR, {}),
    ("POST", "/studies/{study}/participants/{code}/laboratory/accept"): (
        INVESTIGATOR,
        {"key": "x"},
    ),
    ("POST", "/studies/{study}/participants/{code}/randomise"): (INVESTIGATOR, {}),
    ("POST", "/api/studies/{study}/participants/{code}/allocation"): (INVESTIGATOR, {}),
    ("POST", "/studies/{study}/randomisation"): (ADMIN, {}),
    ("POST", "/api/studies/{study}/randomisation"): (ADMIN, {}),
}
"""Every data-changing write route of this branch, with a request it would otherwise carry
out (or refuse for another reason after the lock check)."""


def _write_routes() -> list[tuple[str, str]]:
    found = []
    for route in application_routes():
        found += [(m, route.path) for m in sorted((route.methods or set()) - {"GET", "HEAD"})]
    return found


def _changes_data(path: str) -> bool:
    return path not in OUTSIDE_A_STUDY and not any(part in path for part in NOT_DATA_CHANGES)


def _snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every study-data table."""
    with database.read() as session:
        return {
            name: sorted((tuple(r) for r in session.execute(select(table)).all()), key=repr)
            for name, table in Base.metadata.tables.items()
            if name not in NOT_STUDY_DATA
        }


def _send(client: TestClient, csrf: str, method: str, url: str, body: Body) -> Any:
    if url.startswith("/api"):
        if method == "DELETE":
            return client.request(method, url, params=body, headers={"X-CSRF-Token": csrf})
        return client.request(method, url, json=body, headers={"X-CSRF-Token": csrf})
    return client.request(method, url, data={**body, "csrf_token": csrf}, follow_redirects=False)


def _lock(browser: Any, url: str, **fields: str) -> None:
    response = browser.client.post(
        url, data={"csrf_token": browser.csrf, **fields}, follow_redirects=False
    )
    assert response.status_code == 303, response.text[:300]


Lock = Callable[[Any, Cast], None]


def _lock_studies(manager: Any, cast: Cast) -> None:
    for study in ("ucmsc-rct", "regenera"):
        _lock(manager, f"/studies/{study}/lock", reason="final analysis")


def _lock_casebooks(manager: Any, cast: Cast) -> None:
    for study, code in (("ucmsc-rct", cast.randomised), ("regenera", cast.regenera)):
        _lock(manager, f"/studies/{study}/participants/{code}/lock", reason="casebook clean")


def test_the_table_names_only_routes_that_exist() -> None:
    routes = set(_write_routes())
    assert set(REQUESTS) <= routes, set(REQUESTS) - routes
    unknown = [r for r in routes if _changes_data(r[1]) and r not in REQUESTS]
    assert not unknown, f"write routes without a request in REQUESTS: {unknown}"


@pytest.mark.parametrize(
    ("lock", "reason"),
    [(_lock_studies, "final analysis"), (_lock_casebooks, "casebook clean")],
    ids=["study", "casebook"],
)
def test_every_write_route_refuses_locked_data(  # type: ignore[no-untyped-def]
    lock: Lock, reason: str, clinic_database, login
) -> None:
    cast = _cast(clinic_database)
    manager = login("data_manager")
    lock(manager, cast)
    browsers = {INVESTIGATOR: login(INVESTIGATOR), ADMIN: login(ADMIN)}
    before = _snapshot(clinic_database)
    studies_only = lock is _lock_studies
    for method, path in _write_routes():
        if not _changes_data(path) or (not studies_only and "{code}" not in path):
            continue
        role, body = REQUESTS.get((method, path), (INVESTIGATOR, {}))
        browser = browsers[role]
        url = _url(path, cast)
        response = _send(browser.client, browser.csrf, method, url, body)
        assert response.status_code < 500, (method, url, response.text[:300])
        if (method, path) in REQUESTS:
            assert response.status_code == 423, (method, url, response.status_code, response.text)
            assert "locked by data_manager" in response.text, (method, url)
            assert reason in response.text, (method, url)
        assert _snapshot(clinic_database) == before, f"{method} {url} changed locked data"


def test_the_refusal_names_the_lock(clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    cast = _cast(clinic_database)
    manager = login("data_manager")
    base = f"/api/studies/ucmsc-rct/participants/{cast.randomised}"
    made = manager.client.post(
        f"{base}/lock",
        json={"form": "screening", "reason": "source verified, clean"},
        headers={"X-CSRF-Token": manager.csrf},
    )
    assert made.status_code == 201, made.text
    assert made.json()["what"] == f"form screening of participant {cast.randomised}"
    investigator = login(INVESTIGATOR)
    refused = investigator.client.put(
        f"{base}/visits/screening",
        json={"values": {"age_years": 31}, "version": 1, "reason": "typo"},
        headers={"X-CSRF-Token": investigator.csrf},
    )
    assert refused.status_code == 423
    detail = refused.json()
    assert detail["detail"].startswith(
        f"form screening of participant {cast.randomised} is locked: locked by data_manager on "
    )
    assert "(reason: source verified, clean)" in detail["detail"]
    assert "unlock it, with a reason" in detail["detail"]
    assert detail["lock"]["locked_by"] == "data_manager"
    assert detail["lock"]["form"] == "screening"
    page = investigator.client.post(
        f"/studies/ucmsc-rct/participants/{cast.randomised}/screening",
        data={"csrf_token": investigator.csrf, "age_years": "31", "reason": "typo"},
    )
    assert page.status_code == 423
    assert "source verified, clean" in page.text
    shown = investigator.client.get(f"/studies/ucmsc-rct/participants/{cast.randomised}/screening")
    assert shown.status_code == 200
    assert 'id="lock-notice"' in shown.text
    assert "<fieldset disabled" in shown.text
    assert 'id="save"' not in shown.text


def test_a_locked_form_leaves_her_other_forms_writable(clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    cast = _cast(clinic_database)
    manager = login("data_manager")
    base = f"/studies/ucmsc-rct/participants/{cast.randomised}"
    _lock(manager, f"{base}/lock", form="pregnancies", reason="pregnancies reviewed")
    investigator = login(INVESTIGATOR)
    before = _snapshot(clinic_database)
    for method, path in _write_routes():
        if "pregnanc" not in path or not path.startswith(("/studies", "/api/studies")):
            continue
        _, body = REQUESTS[(method, path)]
        url = _url(path, cast)
        response = _send(investigator.client, investigator.csrf, method, url, body)
        assert response.status_code == 423, (method, url, response.text[:300])
        assert "pregnancies reviewed" in response.text
    assert _snapshot(clinic_database) == before
    event = investigator.client.post(
        f"/api{base}/adverse-events", json=EVENT, headers={"X-CSRF-Token": investigator.csrf}
    )
    assert event.status_code == 201, event.text
    visit = investigator.client.put(
        f"/api{base}/visits/screening",
        json={"values": {"age_years": 31}, "version": 1, "reason": "corrected"},
        headers={"X-CSRF-Token": investigator.csrf},
    )
    assert visit.status_code == 200, visit.text


def test_unlocking_with_a_reason_lets_changes_through(clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    cast = _cast(clinic_database)
    manager = login("data_manager")
    base = f"/studies/ucmsc-rct/participants/{cast.randomised}"
    _lock(manager, f"{base}/lock", reason="casebook clean")
    investigator = login(INVESTIGATOR)
    status = {"status": "withdrawn", "reason": "moved away"}
    refused = _send(investigator.client, investigator.csrf, "POST", f"{base}/status", status)
    assert refused.status_code == 423
    no_reason = manager.client.post(
        f"{base}/lock/release", data={"csrf_token": manager.csrf}, follow_redirects=False
    )
    assert no_reason.status_code == 409
    assert "reason" in no_reason.text
    _lock(manager, f"{base}/lock/release", reason="query on the status")
    done = _send(investigator.client, investigator.csrf, "POST", f"{base}/status", status)
    assert done.status_code == 303, done.text[:300]
    history = investigator.client.get("/api/studies/ucmsc-rct/locks").json()["history"]
    assert [(h["scope"], h["released_by"], h["release_reason"]) for h in history] == [
        ("participant", "data_manager", "query on the status")
    ]
    with clinic_database.read() as session:
        entries = session.execute(
            select(AuditEntry).where(AuditEntry.entity == "data_lock").order_by(AuditEntry.id)
        ).scalars()
        audited = [(e.action, e.username, e.participant, e.reason) for e in entries]
    assert audited == [
        ("lock", "data_manager", cast.randomised, "casebook clean"),
        ("unlock", "data_manager", cast.randomised, "query on the status"),
    ]


def test_locking_twice_and_unlocking_what_is_open_are_refused(clinic_database, login) -> None:  # type: ignore[no-untyped-def]
    _cast(clinic_database)
    manager = login("data_manager")
    headers = {"X-CSRF-Token": manager.csrf}
    first = manager.client.post("/api/studies/regenera/lock", json={"reason": "x"}, headers=headers)
    assert first.status_code == 201
    again = manager.client.post("/api/studies/regenera/lock", json={"reason": "y"}, headers=headers)
    assert again.status_code == 409
    assert "already locked by data_manager" in again.json()["detail"]
    released = manager.client.post(
        "/api/studies/regenera/lock/release", json={"reason": "reopened"}, headers=headers
    )
    assert released.status_code == 200
    assert released.json()["release_reason"] == "reopened"
    twice = manager.client.post(
        "/api/studies/regenera/lock/release", json={"reason": "z"}, headers=headers
    )
    assert twice.status_code == 409
    assert "not locked" in twice.json()["detail"]
    unknown = manager.client.post(
        "/api/studies/regenera/participants/MAD1-0001/lock",
        json={"form": "no_such_visit", "reason": "x"},
        headers=headers,
    )
    assert unknown.status_code in (404, 409)
    assert re.search(r"no_such_visit|not found|no participant", unknown.text)
