"""Follow-up pages and API: complications checklist, pregnancies, adverse events."""

from __future__ import annotations

from sqlalchemy import select

from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry
from tests.web.test_gcsf import enrolled

BASE = "/studies/{study}/participants/{code}"


def audit_of(database: Database, entity: str) -> list[AuditEntry]:
    with database.transaction() as session:
        return list(
            session.execute(
                select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
            ).scalars()
        )


def test_the_checklist_round_trips_and_a_change_needs_a_reason(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    """Study A's schedule records no checklist: it has its own form (the unscheduled one)."""
    coordinator, code = enrolled(login, clinic_database, study="regenera")
    url = BASE.format(study="regenera", code=code) + "/followup"
    page = coordinator.client.get(url)
    assert page.status_code == 200
    assert "ovarian torsion" in page.text
    assert 'href="/studies/regenera/participants/' + code + "/visits/" in page.text
    saved = coordinator.post_form(
        url, {"comp_ovarian_cyst": "true", "comp_pid": "false", "menses_followup": "regular"}
    )
    assert saved.status_code == 303, saved.text
    values = coordinator.client.get(f"/api{url}").json()
    assert values["version"] == 1
    assert values["values"]["comp_ovarian_cyst"] is True
    assert values["values"]["comp_pid"] is False
    assert values["values"]["comp_ovarian_torsion"] is None  # empty = unknown, not "no"
    assert values["values"]["menses_followup"] == "regular"
    refused = coordinator.post_form(url, {"comp_ovarian_cyst": "false", "version": "1"})
    assert refused.status_code == 422
    assert "reason" in refused.text
    bad = coordinator.api("PUT", f"/api{url}", json={"values": {"menses_followup": "sometimes"}})
    assert bad.status_code == 422
    assert "menses_followup" in bad.json()["errors"]
    changed = coordinator.api(
        "PUT",
        f"/api{url}",
        json={"values": {"comp_ovarian_cyst": False}, "version": 1, "reason": "scan reread"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["values"]["comp_ovarian_cyst"] is False
    entries = audit_of(clinic_database, "form:long_term_followup")
    assert entries[-1].changes["comp_ovarian_cyst"] == [True, False]


def test_a_checklist_the_schedule_records_is_entered_once_on_its_visit(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    """Issue 10: menses at follow-up was stored three times; now each value has one place."""
    coordinator, code = enrolled(login, clinic_database, study="mensc")
    url = BASE.format(study="mensc", code=code) + "/followup"
    page = coordinator.client.get(url)
    assert page.status_code == 200 and 'id="followup-form"' not in page.text
    assert f'href="/studies/mensc/participants/{code}/visits/questionnaire"' in page.text
    refused = coordinator.api("PUT", f"/api{url}", json={"values": {"menses_followup": "regular"}})
    assert refused.status_code == 422
    assert "recorded on the visit form" in refused.json()["errors"]["menses_followup"]
    assert coordinator.client.get(f"/api{url}").json()["values"] == {}


def test_pregnancies_are_added_edited_and_deleted_with_an_audit(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    url = BASE.format(study="regenera", code=code) + "/pregnancies"
    added = coordinator.post_form(
        url,
        {
            "conception": "ivf",
            "months_after_treatment": "4.5",
            "outcome": "live_birth",
            "infants_live_born": "2",
            "infant_death_first_year": "0",
            "congenital_anomaly": "",
        },
    )
    assert added.status_code == 303, added.text
    rows = coordinator.client.get(f"/api{url}").json()
    assert rows == [
        {
            "id": rows[0]["id"],
            "version": 1,
            "conception": "ivf",
            "months_after_treatment": 4.5,
            "outcome": "live_birth",
            "infants_live_born": 2,
            "infant_death_first_year": 0,
            "congenital_anomaly": None,
        }
    ]
    pregnancy = rows[0]["id"]
    edit = {
        "conception": "ivf",
        "months_after_treatment": "4.5",
        "outcome": "live_birth",
        "infants_live_born": "1",
        "version": "1",
    }
    assert coordinator.post_form(f"{url}/{pregnancy}", edit).status_code == 422  # no reason
    edited = coordinator.post_form(f"{url}/{pregnancy}", {**edit, "reason": "singleton"})
    assert edited.status_code == 303, edited.text
    stale = coordinator.post_form(f"{url}/{pregnancy}", {**edit, "reason": "again"})
    assert stale.status_code == 409  # version 1 was changed
    assert coordinator.post_form(f"{url}/{pregnancy}/delete", {}).status_code == 422
    unversioned = coordinator.post_form(f"{url}/{pregnancy}/delete", {"reason": "wrong"})
    assert unversioned.status_code == 422  # a deletion names the version it deletes
    deleted = coordinator.post_form(
        f"{url}/{pregnancy}/delete", {"reason": "wrong participant", "version": "2"}
    )
    assert deleted.status_code == 303
    assert coordinator.client.get(f"/api{url}").json() == []
    entries = audit_of(clinic_database, "pregnancy")
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[0].changes["outcome"] == [None, "live_birth"]
    assert entries[1].changes == {"infant_death_first_year": [0, None], "infants_live_born": [2, 1]}
    assert entries[1].reason == "singleton"
    assert entries[2].changes["infants_live_born"] == [1, None]
    assert entries[2].reason == "wrong participant"


def test_an_incoherent_pregnancy_is_refused_naming_the_field(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    api = "/api" + BASE.format(study="regenera", code=code) + "/pregnancies"
    miscarriage = coordinator.api(
        "POST", api, json={"outcome": "miscarriage", "infants_live_born": 1}
    )
    assert miscarriage.status_code == 422
    assert "miscarriage" in miscarriage.json()["errors"]["infants_live_born"]
    deaths = coordinator.api(
        "POST",
        api,
        json={"outcome": "live_birth", "infants_live_born": 1, "infant_death_first_year": 2},
    )
    assert deaths.status_code == 422
    assert "expected at most 1" in deaths.json()["errors"]["infant_death_first_year"]
    unknown = coordinator.api("POST", api, json={"conception": "natural"})
    assert unknown.status_code == 422
    assert "natural" in unknown.json()["errors"]["conception"]
    page = coordinator.post_form(
        BASE.format(study="regenera", code=code) + "/pregnancies",
        {"outcome": "live_birth", "infants_live_born": "0"},
    )
    assert page.status_code == 422
    assert "expected at least 1" in page.text
    assert coordinator.client.get(api).json() == []
    created = coordinator.api("POST", api, json={"outcome": "ongoing", "months_after_treatment": 3})
    assert created.status_code == 201
    row = created.json()
    changed = coordinator.api(
        "PUT",
        f"{api}/{row['id']}",
        json={
            "conception": None,
            "months_after_treatment": None,
            "outcome": "live_birth",
            "infants_live_born": 1,
            "infant_death_first_year": None,
            "congenital_anomaly": None,
            "version": 1,
            "reason": "born",
        },
    )
    assert changed.status_code == 200
    assert changed.json()["months_after_treatment"] is None  # a PUT replaces every column
    assert coordinator.api("DELETE", f"{api}/{row['id']}?version=2").status_code == 422
    deleted = coordinator.api("DELETE", f"{api}/{row['id']}?reason=duplicate&version=2")
    assert deleted.status_code == 204


def test_adverse_events_keep_grade_and_ctcae_version(login, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database, study="ucmsc-rct")
    url = BASE.format(study="ucmsc-rct", code=code) + "/adverse-events"
    added = coordinator.post_form(
        url,
        {
            "term": "Bone pain",
            "onset_date": "2024-03-02",
            "grade": "2",
            "ctcae_version": "4.03",
            "serious": "no",
            "related": "probable",
            "outcome": "recovered",
        },
    )
    assert added.status_code == 303, added.text
    events = coordinator.client.get(f"/api{url}").json()
    assert len(events) == 1
    event = events[0]
    assert (event["grade"], event["ctcae_version"], event["serious"]) == (2, "4.03", False)
    assert (event["related"], event["outcome"], event["onset_date"]) == (
        "probable",
        "recovered",
        "2024-03-02",
    )
    default = coordinator.api(
        "POST",
        f"/api{url}",
        json={
            "term": "Headache",
            "grade": 1,
            "serious": False,
            "related": "possible",
            "outcome": "ongoing",
        },
    )
    assert default.status_code == 201
    assert default.json()["ctcae_version"] == "5.0"
    fatal = {"term": "Sepsis", "grade": 5, "serious": True, "related": "unlikely"}
    refused = coordinator.api("POST", f"/api{url}", json={**fatal, "outcome": "ongoing"})
    assert refused.status_code == 422
    assert "expected fatal" in refused.json()["errors"]["outcome"]
    page = coordinator.post_form(
        url, {**fatal, "grade": "5", "serious": "yes", "outcome": "recovered"}
    )
    assert page.status_code == 422
    assert "expected fatal" in page.text
    assert (
        coordinator.api("POST", f"/api{url}", json={**fatal, "outcome": "fatal"}).status_code == 201
    )
    change = {**{k: str(v) for k, v in event.items() if k not in ("id", "version")}, "grade": "3"}
    assert (
        coordinator.post_form(f"{url}/{event['id']}", {**change, "version": "1"}).status_code == 422
    )
    edited = coordinator.post_form(
        f"{url}/{event['id']}", {**change, "version": "1", "reason": "needed opioids"}
    )
    assert edited.status_code == 303, edited.text
    entries = audit_of(clinic_database, "adverse_event")
    assert [e.action for e in entries] == ["create", "create", "create", "update"]
    assert entries[0].changes["ctcae_version"] == [None, "4.03"]
    assert entries[-1].changes == {"grade": [2, 3]}
    assert entries[-1].reason == "needed opioids"


def test_the_monitor_may_read_but_not_post(login, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    base = BASE.format(study="regenera", code=code)
    pregnancy = coordinator.api("POST", f"/api{base}/pregnancies", json={"outcome": "ongoing"})
    event = coordinator.api(
        "POST",
        f"/api{base}/adverse-events",
        json={
            "term": "Rash",
            "grade": 1,
            "serious": False,
            "related": "possible",
            "outcome": "ongoing",
        },
    )
    p, e = pregnancy.json()["id"], event.json()["id"]
    monitor = login("monitor")
    for path in ("followup", "pregnancies", "adverse-events"):
        assert monitor.client.get(f"{base}/{path}").status_code == 200
    for path in (
        "followup",
        "pregnancies",
        f"pregnancies/{p}",
        f"pregnancies/{p}/delete",
        "adverse-events",
        f"adverse-events/{e}",
        f"adverse-events/{e}/delete",
    ):
        assert monitor.post_form(f"{base}/{path}", {"reason": "x"}).status_code == 403, path
    assert monitor.api("PUT", f"/api{base}/followup", json={"values": {}}).status_code == 403
    assert monitor.api("POST", f"/api{base}/pregnancies", json={}).status_code == 403
    assert monitor.api("DELETE", f"/api{base}/pregnancies/{p}?reason=x").status_code == 403
    assert monitor.api("POST", f"/api{base}/adverse-events", json={}).status_code == 403
    assert monitor.api("DELETE", f"/api{base}/adverse-events/{e}?reason=x").status_code == 403
    assert len(coordinator.client.get(f"/api{base}/pregnancies").json()) == 1


def test_follow_up_data_need_an_enrolled_participant(login, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = coordinator.api("POST", "/api/studies/mensc/participants", json={"site": "MAD1"}).json()[
        "code"
    ]
    base = BASE.format(study="mensc", code=code)
    assert coordinator.client.get(f"{base}/followup").status_code == 409
    refused = coordinator.api("POST", f"/api{base}/pregnancies", json={"outcome": "ongoing"})
    assert refused.status_code == 409
    assert "enrolment" in refused.json()["detail"]
    assert (
        coordinator.client.get(f"{base.replace(code, 'MAD1-9999')}/pregnancies").status_code == 404
    )
