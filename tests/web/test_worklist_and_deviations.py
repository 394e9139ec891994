"""The worklist and protocol deviation pages and API (``web.routes.worklist``,
``web.routes.deviations``) on SQLite and PostgreSQL: who may record and review, the messages
for bad input (nothing saved, never a 500), a stale review answering 409, and the hub's panel."""

from __future__ import annotations

from datetime import timedelta

from ovaregen.clinic import deviations
from ovaregen.store.database import Database
from ovaregen.store.models import utc_now
from tests.clinic.test_deviations import _enrolled

STUDY = "ucmsc-rct"


def _woman(database: Database) -> str:
    with database.transaction() as session:
        return _enrolled(session).code


def test_the_worklist_page_and_api(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code = _woman(clinic_database)
    coordinator = login("coordinator")
    page = coordinator.client.get(f"/studies/{STUDY}/worklist")
    assert page.status_code == 200
    assert "Overdue: window closed, not done" in page.text
    assert code in page.text, "her visits of 2024 are overdue today"
    listed = coordinator.client.get(f"/api/studies/{STUDY}/worklist?days=30").json()
    assert listed["look_ahead_days"] == 30
    assert {i["visit"] for i in listed["overdue"] if i["participant"] == code} == {
        "month_3",
        "month_6",
        "month_12",
    }
    refused = coordinator.client.get(f"/api/studies/{STUDY}/worklist?days=-1")
    assert refused.status_code == 422 and "days" in refused.text
    assert coordinator.client.get(f"/studies/{STUDY}/worklist?days=x").status_code == 422
    assert coordinator.client.get("/api/studies/nowhere/worklist").status_code == 404


def test_record_and_review_a_deviation(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code = _woman(clinic_database)
    base = f"/studies/{STUDY}/participants/{code}"
    coordinator = login("coordinator")
    refused = coordinator.post_form(f"{base}/deviations", {"kind": "late", "description": ""})
    assert refused.status_code == 422
    assert "kind &#39;late&#39; is not one of" in refused.text
    assert "required: say what departed from the protocol" in refused.text
    assert (
        coordinator.client.get(f"/api/studies/{STUDY}/participants/{code}/deviations").json() == []
    )
    made = coordinator.post_form(
        f"{base}/deviations", {"kind": "procedure", "description": "AMH drawn on day 9"}
    )
    assert made.status_code == 303
    [recorded] = coordinator.client.get(
        f"/api/studies/{STUDY}/participants/{code}/deviations"
    ).json()
    assert (recorded["detected_by"], recorded["status"]) == ("coordinator", "open")
    hub = coordinator.client.get(base)
    assert 'id="deviations-panel"' in hub.text and "AMH drawn on day 9" in hub.text
    review = f"/api/studies/{STUDY}/participants/{code}/deviations/{recorded['id']}/review"
    assert coordinator.api("POST", review, json={"comment": "fine"}).status_code == 403
    investigator = login("investigator")
    stale = investigator.api("POST", review, json={"comment": "fine", "version": 9})
    assert stale.status_code == 409 and "changed since you opened it" in stale.json()["detail"]
    empty = investigator.api("POST", review, json={"comment": " ", "version": 1})
    assert empty.status_code == 422 and "comment" in empty.json()["errors"]
    done = investigator.api("POST", review, json={"comment": "no impact", "version": 1})
    assert done.status_code == 200 and done.json()["status"] == "reviewed"
    again = investigator.post_form(
        f"{base}/deviations/{recorded['id']}/review", {"comment": "again", "version": "2"}
    )
    assert again.status_code == 409
    study_list = investigator.client.get(f"/api/studies/{STUDY}/deviations?status=reviewed")
    assert [d["id"] for d in study_list.json()] == [recorded["id"]]
    assert investigator.client.get(f"/api/studies/{STUDY}/deviations?status=x").status_code == 422
    assert code in investigator.client.get(f"/studies/{STUDY}/deviations").text
    missing = investigator.api(
        "POST", f"/api/studies/{STUDY}/participants/{code}/deviations/99999999999/review", json={}
    )
    assert missing.status_code in (404, 422)


def test_an_out_of_window_visit_through_the_api(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code = _woman(clinic_database)
    coordinator = login("coordinator")
    url = f"/api/studies/{STUDY}/participants/{code}/visits/month_3"
    late = (utc_now().date() - timedelta(days=1)).isoformat()
    saved = coordinator.api("PUT", url, json={"values": {"visit_date": late}})
    assert saved.status_code == 200, saved.text
    [opened] = coordinator.client.get(f"/api/studies/{STUDY}/participants/{code}/deviations").json()
    assert (opened["kind"], opened["detected_by"]) == (deviations.VISIT_OUT_OF_WINDOW, "system")
    listed = coordinator.client.get(f"/api/studies/{STUDY}/worklist").json()
    assert [i["visit"] for i in listed["out_of_window"]] == ["month_3"]
