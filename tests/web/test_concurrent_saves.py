"""Concurrent saves through the HTTP application: N clients save the same version of the same
record at the same moment; exactly one is saved (200) and every other is told who saved what
(409 with the saved values), never a 500 (issue 11: on PostgreSQL 32 of 60 answers were 500).

Each client is its own ``TestClient`` in its own thread, sharing one logged-in session, so the
requests run concurrently in the application's thread pool as under ``ovaregen serve``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from tests.clinic_fixtures import Browser
from tests.web.test_gcsf import enrolled, record_four_days
from tests.web.test_screening import new_participant

STUDY = "ucmsc-rct"
CLIENTS = 10


def clones(browser: Browser, app: Any, count: int) -> list[Browser]:
    """``count`` clients of ``app`` sharing ``browser``'s session (cookies and CSRF token)."""
    made = []
    for _ in range(count):
        client = TestClient(app)
        client.__enter__()
        client.cookies.update(browser.client.cookies)
        clone = Browser(client, browser.username)
        clone.csrf = browser.csrf
        made.append(clone)
    return made


def at_once(browsers: list[Browser], send: Callable[[int, Browser], Any]) -> list[Any]:
    """``send(i, browser)`` in one thread per browser, released together."""
    barrier = threading.Barrier(len(browsers))

    def run(i: int) -> Any:
        barrier.wait()
        return send(i, browsers[i])

    try:
        with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
            return list(pool.map(run, range(len(browsers))))
    finally:
        for browser in browsers:
            browser.client.__exit__(None, None, None)


def test_the_same_form_version_saved_by_10_clients_at_once_one_200_the_rest_409(
    login, clinic_app
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/api/studies/{STUDY}/participants/{code}/visits/screening"
    first = coordinator.api("PUT", url, json={"values": {"age_years": "30"}})
    assert first.status_code == 200, first.text
    answers = at_once(
        clones(coordinator, clinic_app, CLIENTS),
        lambda i, b: b.api(
            "PUT",
            url,
            json={"values": {"age_years": str(31 + i)}, "version": 1, "reason": f"client {i}"},
        ),
    )
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 409: CLIENTS - 1}, [(a.status_code, a.text) for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert winner["version"] == 2
    for answer in answers:
        if answer.status_code == 409:
            body = answer.json()
            assert body["current"] == winner["values"], "the other person's saved values"
            assert body["current_version"] == 2
            assert "changed by coordinator" in body["detail"]
            assert body["yours"]["age_years"] != str(winner["values"]["age_years"])
    saved = coordinator.api("GET", url).json()
    assert saved["version"] == 2 and saved["values"] == winner["values"]


def test_the_same_form_page_posted_by_10_clients_at_once_one_200_the_rest_409(
    login, clinic_app
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/visits/screening"
    assert coordinator.post_form(url, {"age_years": "30", "version": ""}).status_code == 200
    answers = at_once(
        clones(coordinator, clinic_app, CLIENTS),
        lambda i, b: b.post_form(
            url, {"age_years": str(31 + i), "version": "1", "reason": f"client {i}"}
        ),
    )
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 409: CLIENTS - 1}, [(a.status_code, a.text[-300:]) for a in answers]
    saved = coordinator.api("GET", f"/api/studies/{STUDY}/participants/{code}/visits/screening")
    age = saved.json()["values"]["age_years"]
    for answer in answers:
        if answer.status_code == 409:
            assert "changed by coordinator" in answer.text
            assert f"saved by the other person: <strong>{age:g}</strong>" in answer.text
            assert 'name="version" value="2"' in answer.text


def test_a_new_form_created_by_10_clients_at_once_one_200_the_rest_409(login, clinic_app) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/api/studies/{STUDY}/participants/{code}/visits/screening"
    answers = at_once(
        clones(coordinator, clinic_app, CLIENTS),
        lambda i, b: b.api("PUT", url, json={"values": {"age_years": str(31 + i)}}),
    )
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 409: CLIENTS - 1}, [(a.status_code, a.text) for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 200)
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["current"] == winner["values"]
            assert answer.json()["current_version"] == 1


def _conflicts_only(answers: list[Any]) -> Counter[int]:
    statuses = Counter(a.status_code for a in answers)
    assert 500 not in statuses, [a.text for a in answers if a.status_code == 500]
    return statuses


def test_a_pregnancy_changed_by_10_clients_at_once_one_200_the_rest_409(
    login, clinic_app, clinic_database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    url = f"/api/studies/regenera/participants/{code}/pregnancies"
    added = coordinator.api("POST", url, json={"conception": "ivf", "outcome": "ongoing"})
    assert added.status_code == 201, added.text
    row = added.json()["id"]
    answers = at_once(
        clones(coordinator, clinic_app, CLIENTS),
        lambda i, b: b.api(
            "PUT",
            f"{url}/{row}",
            json={
                "conception": "ivf",
                "outcome": "ongoing",
                "months_after_treatment": 2 + i,
                "infants_live_born": None,
                "infant_death_first_year": None,
                "congenital_anomaly": None,
                "version": 1,
                "reason": f"client {i}",
            },
        ),
    )
    assert _conflicts_only(answers) == {200: 1, 409: CLIENTS - 1}
    for answer in answers:
        if answer.status_code == 409:
            assert "changed by someone else" in answer.json()["detail"]


def test_an_adverse_event_changed_by_10_clients_at_once_one_200_the_rest_409(
    login, clinic_app, clinic_database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database, study="ucmsc-rct")
    url = f"/api/studies/ucmsc-rct/participants/{code}/adverse-events"
    event = {
        "term": "Bone pain",
        "grade": 1,
        "ctcae_version": "5.0",
        "serious": False,
        "related": "possible",
        "outcome": "ongoing",
        "onset_date": "2024-03-02",
    }
    added = coordinator.api("POST", url, json=event)
    assert added.status_code == 201, added.text
    row = added.json()["id"]
    answers = at_once(
        clones(coordinator, clinic_app, CLIENTS),
        lambda i, b: b.api(
            "PUT",
            f"{url}/{row}",
            json={**event, "grade": 2 + i % 2, "version": 1, "reason": f"client {i}"},
        ),
    )
    assert _conflicts_only(answers) == {200: 1, 409: CLIENTS - 1}


def test_a_gcsf_decision_taken_by_10_clients_at_once_one_200_the_rest_409(
    login, clinic_app, clinic_database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    record_four_days(coordinator, code)
    investigator = login("investigator")
    url = f"/api/studies/regenera/participants/{code}/gcsf/decision"
    first = at_once(
        clones(investigator, clinic_app, CLIENTS),
        lambda i, b: b.api("POST", url, json={"day": 1, "decision": "accept"}),
    )
    statuses = _conflicts_only(first)
    assert statuses[200] >= 1 and set(statuses) <= {200, 409}, statuses
    changed = at_once(
        clones(investigator, clinic_app, CLIENTS),
        lambda i, b: b.api(
            "POST",
            url,
            json={
                "day": 1,
                "decision": "change",
                "dose_ug_kg": 5 + i / 10,
                "version": 1,
                "reason": f"client {i}",
            },
        ),
    )
    assert _conflicts_only(changed) == {200: 1, 409: CLIENTS - 1}


def test_10_clients_registering_participants_at_once_get_10_distinct_codes(
    login, clinic_app
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    url = f"/api/studies/{STUDY}/participants"
    answers = at_once(
        clones(coordinator, clinic_app, CLIENTS),
        lambda i, b: b.api("POST", url, json={"site": "MAD1"}),
    )
    assert [a.status_code for a in answers] == [201] * CLIENTS, [a.text for a in answers]
    assert len({a.json()["code"] for a in answers}) == CLIENTS
    listed = coordinator.api("GET", url).json()
    assert len(listed) == CLIENTS


def test_10_clients_registering_the_same_code_at_once_one_201_the_rest_409(
    login, clinic_app
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    url = f"/api/studies/{STUDY}/participants"
    answers = at_once(
        clones(coordinator, clinic_app, CLIENTS),
        lambda i, b: b.api("POST", url, json={"site": "MAD1", "code": "MAD1-0500"}),
    )
    assert _conflicts_only(answers) == {201: 1, 409: CLIENTS - 1}
    for answer in answers:
        if answer.status_code == 409:
            assert "participant 'MAD1-0500' exists already" in answer.json()["detail"]


def test_10_administrators_adding_the_same_site_at_once_one_201_the_rest_409(
    login, clinic_app
) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    answers = at_once(
        clones(admin, clinic_app, CLIENTS),
        lambda i, b: b.api("POST", "/api/sites", json={"code": "BCN2", "name": f"Clinic {i}"}),
    )
    assert _conflicts_only(answers) == {201: 1, 409: CLIENTS - 1}
    for answer in answers:
        if answer.status_code == 409:
            assert "a site with code 'BCN2' exists already" in answer.json()["detail"]
