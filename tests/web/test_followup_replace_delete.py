"""A PUT of a pregnancy or an adverse event replaces the record and must carry every field (a
field left out is refused, never cleared); a DELETE must name the version it deletes. On
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from ovaregen.store.database import Database
from ovaregen.web.followup_bodies import EventReplacement, PregnancyReplacement
from tests.web.test_followup import BASE, audit_of
from tests.web.test_gcsf import enrolled

EVENT = {
    "term": "Bone pain",
    "onset_date": "2024-03-02",
    "grade": 2,
    "ctcae_version": "4.03",
    "serious": False,
    "related": "probable",
    "outcome": "recovered",
}
PREGNANCY = {
    "conception": "ivf",
    "months_after_treatment": 4.5,
    "outcome": "live_birth",
    "infants_live_born": 1,
    "infant_death_first_year": 0,
    "congenital_anomaly": 0,
}


def created(browser: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = browser.api("POST", url, json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_an_event_put_without_every_field_is_refused_naming_them(
    login: Any, clinic_database: Database
) -> None:
    coordinator, code = enrolled(login, clinic_database, study="ucmsc-rct")
    url = "/api" + BASE.format(study="ucmsc-rct", code=code) + "/adverse-events"
    event = created(coordinator, url, EVENT)
    partial = coordinator.api(
        "PUT", f"{url}/{event['id']}", json={"grade": 3, "version": 1, "reason": "worse"}
    )
    assert partial.status_code == 422, partial.text
    message = partial.json()["detail"]
    assert (
        "a PUT replaces the whole adverse event, and the body lacks term, onset_date, " in message
    )
    assert "ctcae_version, serious, related, outcome" in message
    assert "grade," not in message.split("lacks", 1)[1].split(":", 1)[0]
    assert coordinator.client.get(url).json()[0] == event  # nothing was cleared
    whole = {**EVENT, "grade": 3, "version": 1, "reason": "hospitalised"}
    replaced = coordinator.api("PUT", f"{url}/{event['id']}", json=whole)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {**event, "grade": 3, "version": 2}
    cleared = {**EVENT, "onset_date": None, "version": 2, "reason": "date unknown"}
    assert coordinator.api("PUT", f"{url}/{event['id']}", json=cleared).json()["onset_date"] is None


def test_a_pregnancy_put_without_every_field_is_refused(
    login: Any, clinic_database: Database
) -> None:
    coordinator, code = enrolled(login, clinic_database)
    url = "/api" + BASE.format(study="regenera", code=code) + "/pregnancies"
    pregnancy = created(coordinator, url, PREGNANCY)
    partial = coordinator.api(
        "PUT",
        f"{url}/{pregnancy['id']}",
        json={"outcome": "live_birth", "infants_live_born": 2, "version": 1, "reason": "twins"},
    )
    assert partial.status_code == 422
    assert (
        "the body lacks conception, months_after_treatment, infant_death_first_year, "
        "congenital_anomaly"
    ) in partial.json()["detail"]
    assert coordinator.client.get(url).json() == [pregnancy]
    without_version = {**PREGNANCY, "infants_live_born": 2, "reason": "twins"}
    refused = coordinator.api("PUT", f"{url}/{pregnancy['id']}", json=without_version)
    assert refused.status_code == 422 and "lacks version" in refused.json()["detail"]


def test_a_delete_without_its_version_is_refused_and_a_stale_one_conflicts(
    login: Any, clinic_database: Database
) -> None:
    coordinator, code = enrolled(login, clinic_database)
    base = BASE.format(study="regenera", code=code)
    url = f"/api{base}/pregnancies"
    pregnancy = created(coordinator, url, PREGNANCY)
    unversioned = coordinator.api("DELETE", f"{url}/{pregnancy['id']}?reason=duplicate")
    assert unversioned.status_code == 422
    assert "version" in unversioned.json()["detail"]
    stale = coordinator.api("DELETE", f"{url}/{pregnancy['id']}?reason=duplicate&version=7")
    assert stale.status_code == 409
    assert "now version 1, yours 7" in stale.json()["detail"]
    page = coordinator.post_form(f"{base}/pregnancies/{pregnancy['id']}/delete", {"reason": "x"})
    assert page.status_code == 422  # the page's form sends the version it shows
    assert coordinator.client.get(url).json() == [pregnancy]
    deleted = coordinator.api("DELETE", f"{url}/{pregnancy['id']}?reason=duplicate&version=1")
    assert deleted.status_code == 204
    assert coordinator.client.get(url).json() == []
    assert [e.action for e in audit_of(clinic_database, "pregnancy")] == ["create", "delete"]


def test_an_event_delete_needs_its_version_too(login: Any, clinic_database: Database) -> None:
    coordinator, code = enrolled(login, clinic_database, study="ucmsc-rct")
    url = "/api" + BASE.format(study="ucmsc-rct", code=code) + "/adverse-events"
    event = created(coordinator, url, EVENT)
    assert coordinator.api("DELETE", f"{url}/{event['id']}?reason=twice").status_code == 422
    ok = coordinator.api("DELETE", f"{url}/{event['id']}?reason=twice&version=1")
    assert ok.status_code == 204


def test_the_openapi_document_states_the_rules(login: Any, clinic_database: Database) -> None:
    coordinator, _ = enrolled(login, clinic_database)
    paths = coordinator.client.get("/api/openapi.json").json()["paths"]
    event = paths["/api/studies/{study}/participants/{code}/adverse-events/{event_id}"]
    assert "every field of the record must be in the body" in event["put"]["description"]
    assert "`version` (the version you read) and `reason` are" in event["delete"]["description"]
    version = next(p for p in event["delete"]["parameters"] if p["name"] == "version")
    assert version["required"] is True and version["in"] == "query"
    schemas = coordinator.client.get("/api/openapi.json").json()["components"]["schemas"]
    assert set(schemas["EventReplacement"]["required"]) >= {*EventReplacement.fields, "version"}
    assert set(schemas["PregnancyReplacement"]["required"]) >= {
        *PregnancyReplacement.fields,
        "version",
    }
