"""The monitor's query cycle (issue 13 item 2, ``clinic.data_queries``), on SQLite and
PostgreSQL, through the pages and the API: raise → answer with a value change and its reason
→ close; re-open → answer → close; steps out of order refused (409) with a clear message;
the change visible in the form and in the audit trail; a monitor cannot change a value;
another site's query is "no query" (404) and never listed; a computed check is raised in one
click, and raising it again shows the open query."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from ovaregen.clinic import ecrf
from ovaregen.clinic.scope import Grant
from ovaregen.clinic.site_access import give
from ovaregen.clinic.studies import add_participant, add_site, site_coded, study_named
from ovaregen.clinic.users import add_user
from ovaregen.store.database import Database
from ovaregen.store.models import DataQuery, utc_now
from tests.clinic_fixtures import PASSWORD, SITE, Browser

STUDY = "ucmsc-rct"
SCREENING = {"consent": True, "age_years": 30.0, "married": True, "amh_ng_ml": 0.4}


def _woman(database: Database, site_code: str = SITE) -> str:
    """An enrolled woman of study C whose screening holds an AMH of 0.4 ng/mL."""
    with database.transaction() as session:
        woman = add_participant(
            session, study_named(session, STUDY), site_coded(session, site_code), username="t"
        )
        ecrf.save_form(session, woman, "screening", SCREENING, username="t", expected_version=None)
        woman.status, woman.eligible, woman.enrolled_at = "ongoing", "true", utc_now()
        return woman.code


def _said(response) -> str:  # type: ignore[no-untyped-def]
    """A response's text as a person reads it (HTML entities unescaped)."""
    return html.unescape(response.text)


def _thread(browser: Browser, query_id: int) -> dict:  # type: ignore[type-arg]
    answer = browser.client.get(f"/api/studies/{STUDY}/queries/raised/{query_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _raise(browser: Browser, code: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"visit": "screening", "variable": "amh_ng_ml", "message": "AMH 0.4: check it"}
    return browser.post_form(f"/studies/{STUDY}/participants/{code}/queries", data | fields)


def _raised_id(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    found = re.search(r"/queries/raised/(\d+)\?done=(\w+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def _step(browser: Browser, query_id: int, step: str, **fields: str):  # type: ignore[no-untyped-def]
    version = str(_thread(browser, query_id)["version"])
    url = f"/studies/{STUDY}/queries/raised/{query_id}/{step}"
    return browser.post_form(url, {"version": version} | fields)


def _amh(browser: Browser, code: str) -> float:
    form = browser.client.get(f"/api/studies/{STUDY}/participants/{code}/visits/screening")
    return float(form.json()["values"]["amh_ng_ml"])


def test_the_full_cycle(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code = _woman(clinic_database)
    monitor, coordinator = login("monitor"), login("coordinator")
    query_id = _raised_id(_raise(monitor, code))
    raised = _thread(monitor, query_id)
    assert (raised["state"], raised["value_when_raised"], raised["days_open"]) == ("open", "0.4", 0)
    form_version = coordinator.client.get(
        f"/api/studies/{STUDY}/participants/{code}/visits/screening"
    ).json()["version"]

    answered = _step(
        coordinator,
        query_id,
        "answer",
        message="transcription error: the source says 0.9",
        change="yes",
        value="0.9",
        form_version=str(form_version),
        reason="corrected against the lab report (query)",
    )
    assert answered.status_code == 303, answered.text
    assert _amh(monitor, code) == 0.9, "the value changed through the form"
    thread = _thread(monitor, query_id)
    assert thread["state"] == "answered"
    answer = thread["messages"][-1]
    assert (answer["step"], answer["username"], answer["role"]) == (
        "answer",
        "coordinator",
        "coordinator",
    )
    assert (answer["old_value"], answer["new_value"]) == ("0.4", "0.9")

    assert _step(monitor, query_id, "close", message="").status_code == 303
    assert _thread(monitor, query_id)["state"] == "closed"
    again = _step(monitor, query_id, "close", message="")
    assert again.status_code == 409
    assert f"query {query_id} is closed: it cannot be closed" in _said(again)

    assert _step(monitor, query_id, "reopen", message="units? ng/mL").status_code == 303
    assert _thread(monitor, query_id)["state"] == "open"
    investigator = login("investigator")
    assert _step(investigator, query_id, "answer", message="ng/mL, as typed").status_code == 303
    assert _step(monitor, query_id, "close", message="thanks").status_code == 303
    final = _thread(monitor, query_id)
    assert final["state"] == "closed"
    assert [m["step"] for m in final["messages"]] == [
        "raise",
        "answer",
        "close",
        "reopen",
        "answer",
        "close",
    ]
    assert final["messages"][4]["value_changed"] is False
    page = monitor.client.get(f"/studies/{STUDY}/queries/raised/{query_id}")
    assert "value changed: <strong>0.4</strong> → <strong>0.9</strong>" in page.text

    trail = monitor.client.get(f"/api/audit?participant={code}&limit=100").json()["entries"]
    form_change = next(
        e for e in trail if e["entity"] == "form:screening" and e["action"] == "update"
    )
    assert form_change["changes"]["amh_ng_ml"] == [0.4, 0.9]
    assert form_change["reason"] == "corrected against the lab report (query)"
    steps = [e for e in trail if e["entity"] == "data_query"]
    assert len(steps) == 6, "each step of the thread is audited"
    states = [e["changes"]["state"] for e in reversed(steps)]
    assert states == [
        [None, "open"],
        ["open", "answered"],
        ["answered", "closed"],
        ["closed", "open"],
        ["open", "answered"],
        ["answered", "closed"],
    ]


def test_steps_out_of_order_and_bad_input_are_refused(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code = _woman(clinic_database)
    monitor, coordinator = login("monitor"), login("coordinator")
    query_id = _raised_id(_raise(monitor, code))
    closing = _step(monitor, query_id, "close")
    assert closing.status_code == 409
    assert "is open: it cannot be closed (only a query that is answered can)" in _said(closing)
    assert _step(monitor, query_id, "reopen", message="why").status_code == 409
    stale = coordinator.post_form(
        f"/studies/{STUDY}/queries/raised/{query_id}/answer",
        {"version": "7", "message": "answer"},
    )
    assert stale.status_code == 409
    assert "was changed after you opened it" in _said(stale)
    empty = _step(coordinator, query_id, "answer", message="  ")
    assert empty.status_code == 422
    assert "message: empty" in _said(empty)
    unknown = _raise(monitor, code, variable="no_such_field")
    assert unknown.status_code == 422
    assert "variable: 'no_such_field' is not a field of the" in _said(unknown)
    assert "amh_ng_ml" in _said(unknown), "the expected fields are named"
    bad_value = _step(
        coordinator, query_id, "answer", message="fixed", change="yes", value="abc", reason="r"
    )
    assert bad_value.status_code == 422
    assert "value:" in _said(bad_value)
    no_reason = _step(
        coordinator,
        query_id,
        "answer",
        message="fixed",
        change="yes",
        value="0.9",
        form_version="1",
    )
    assert no_reason.status_code == 422
    assert "give a reason for the change" in _said(no_reason)
    assert _amh(monitor, code) == 0.4, "nothing was half-saved"
    assert _thread(monitor, query_id)["state"] == "open"
    assert len(_thread(monitor, query_id)["messages"]) == 1


def test_a_monitor_cannot_change_the_value(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code = _woman(clinic_database)
    monitor, manager = login("monitor"), login("data_manager")
    query_id = _raised_id(_raise(monitor, code))
    for raiser in (monitor, manager):
        answered = _step(
            raiser, query_id, "answer", message="x", change="yes", value="5", reason="r"
        )
        assert answered.status_code == 403
        by_api = raiser.api(
            "POST",
            f"/api/studies/{STUDY}/queries/raised/{query_id}/answer",
            json={"message": "x", "version": 1, "change_value": True, "value": 5},
        )
        assert by_api.status_code == 403
    assert _amh(monitor, code) == 0.4
    page = monitor.client.get(f"/studies/{STUDY}/queries/raised/{query_id}")
    assert 'id="answer-form"' not in page.text
    assert (
        'id="answer-form"'
        in login("coordinator").client.get(f"/studies/{STUDY}/queries/raised/{query_id}").text
    )
    assert (
        login("coordinator")
        .api(
            "POST",
            f"/api/studies/{STUDY}/participants/{code}/queries",
            json={"visit": "screening", "variable": "amh_ng_ml", "message": "x"},
        )
        .status_code
        == 403
    ), "the site answers queries, it does not raise them"


def test_the_api_cycle(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code = _woman(clinic_database)
    manager, investigator = login("data_manager"), login("investigator")
    raised = manager.api(
        "POST",
        f"/api/studies/{STUDY}/participants/{code}/queries",
        json={"visit": "screening", "variable": "age_years", "message": "age 30?"},
    )
    assert raised.status_code == 201, raised.text
    query_id = raised.json()["id"]
    answered = investigator.api(
        "POST",
        f"/api/studies/{STUDY}/queries/raised/{query_id}/answer",
        json={
            "message": "31 on the consent date",
            "version": raised.json()["version"],
            "change_value": True,
            "value": 31,
            "form_version": 1,
            "reason": "age at consent",
        },
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"
    assert answered.json()["messages"][-1]["new_value"] == "31"
    closed = manager.api(
        "POST",
        f"/api/studies/{STUDY}/queries/raised/{query_id}/close",
        json={"version": answered.json()["version"]},
    )
    assert closed.json()["state"] == "closed"
    again = manager.api(
        "POST",
        f"/api/studies/{STUDY}/queries/raised/{query_id}/close",
        json={"version": closed.json()["version"]},
    )
    assert again.status_code == 409
    assert "is closed" in again.json()["detail"]
    listed = manager.client.get(f"/api/studies/{STUDY}/queries/raised?state=closed").json()
    assert [q["id"] for q in listed["queries"]] == [query_id]
    assert listed["counts"] == {"open": 0, "answered": 0, "closed": 1}
    refused = manager.client.get(f"/api/studies/{STUDY}/queries/raised?state=pending")
    assert refused.status_code == 422
    assert "'pending' is not a state" in refused.json()["detail"]


def test_the_participant_page_counts_and_the_form_marks(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code = _woman(clinic_database)
    monitor = login("monitor")
    query_id = _raised_id(_raise(monitor, code))
    coordinator = login("coordinator")
    page = coordinator.client.get(f"/studies/{STUDY}/participants/{code}").text
    assert '<span id="queries-open">1 open</span>' in page
    form = coordinator.client.get(f"/studies/{STUDY}/participants/{code}/visits/screening").text
    assert f'href="/studies/{STUDY}/queries/raised/{query_id}">query #{query_id} open</a>' in form
    _step(coordinator, query_id, "answer", message="checked: 0.4 is right")
    _step(monitor, query_id, "close")
    page = coordinator.client.get(f"/studies/{STUDY}/participants/{code}").text
    assert '<span id="queries-open">0 open</span>' in page
    assert '<span id="queries-closed">1 closed</span>' in page
    form = coordinator.client.get(f"/studies/{STUDY}/participants/{code}/visits/screening").text
    assert "query-marker" not in form, "a closed query marks no field"


def test_an_arm_revealing_visit_takes_no_query_from_the_blinded(  # type: ignore[no-untyped-def]
    clinic_database: Database, login
) -> None:
    code = _woman(clinic_database)
    monitor = login("monitor")
    hidden = _raise(monitor, code, visit="cell_injection", variable="injections")
    unknown = _raise(monitor, code, visit="nowhere", variable="injections")
    assert hidden.status_code == unknown.status_code == 422
    assert hidden.text.replace("cell_injection", "X") == unknown.text.replace("nowhere", "X")
    with clinic_database.read() as session:
        assert session.execute(select(DataQuery)).first() is None


def _site_user(database: Database, username: str, role: str, site: str) -> None:
    with database.transaction() as session:
        user = add_user(session, username=username, password=PASSWORD, by="test")
        give(session, user, [Grant(None, site, role)], by="test")


def test_another_sites_query_is_no_query(clinic_database: Database, clinic_app, login) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient  # noqa: PLC0415

    with clinic_database.transaction() as session:
        add_site(session, code="BCN2", name="Barcelona", username="test")
    mine, theirs = _woman(clinic_database, SITE), _woman(clinic_database, "BCN2")
    monitor = login("monitor")
    my_query = _raised_id(_raise(monitor, mine))
    their_query = _raised_id(_raise(monitor, theirs))
    _site_user(clinic_database, "madrid-coordinator", "coordinator", SITE)
    _site_user(clinic_database, "madrid-monitor", "monitor", SITE)
    for username in ("madrid-coordinator", "madrid-monitor"):
        with TestClient(clinic_app) as client:
            browser = Browser(client, username).login()
            listed = client.get(f"/api/studies/{STUDY}/queries/raised").json()
            assert [q["id"] for q in listed["queries"]] == [my_query]
            assert listed["counts"]["open"] == 1
            page = client.get(f"/studies/{STUDY}/queries/raised").text
            assert theirs not in page
            ghost = client.get(f"/api/studies/{STUDY}/queries/raised/99999")
            other = client.get(f"/api/studies/{STUDY}/queries/raised/{their_query}")
            assert other.status_code == ghost.status_code == 404
            assert other.json()["detail"] == f"no query {their_query} in study {STUDY}"
            step = "answer" if username == "madrid-coordinator" else "reopen"
            refused = browser.post_form(
                f"/studies/{STUDY}/queries/raised/{their_query}/{step}",
                {"version": "1", "message": "mine?"},
            )
            assert refused.status_code == 404
            raised = _raise(browser, theirs) if username == "madrid-monitor" else None
            assert raised is None or raised.status_code == 404
    assert _thread(monitor, their_query)["state"] == "open"


def test_a_computed_check_is_raised_in_one_click(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code = _woman(clinic_database)
    monitor = login("monitor")
    checks = monitor.client.get(f"/studies/{STUDY}/queries?kind=missing").text
    forms = re.findall(
        r'<form method="post" action="([^"]+)" class="inline">(.*?)</form>', checks, re.S
    )
    assert forms, "each computed check has a 'Raise as query' button"
    action, body = forms[0]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', body))
    assert fields["check"] == "missing"
    assert fields["message"].startswith("missing value: no value")
    first = _raised_id(monitor.post_form(action, fields))
    again = monitor.post_form(action, fields)
    assert _raised_id(again) == first
    assert again.headers["location"].endswith("?done=already")
    shown = monitor.client.get(again.headers["location"]).text
    assert "still open: here it is" in shown
    checks = monitor.client.get(f"/studies/{STUDY}/queries?kind=missing").text
    assert f'/queries/raised/{first}">query #{first}</a>' in checks
    thread = _thread(monitor, first)
    assert (thread["participant"], thread["from_check"]) == (code, "missing")
    assert thread["value_when_raised"] is None
    coordinator = login("coordinator")
    assert "Raise as query" not in coordinator.client.get(f"/studies/{STUDY}/queries").text
