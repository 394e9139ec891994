"""Visit eCRF pages and API: limits, units, reasons for change, versions, access."""

from __future__ import annotations

from sqlalchemy import func, select

from ovaregen.store.models import AuditEntry, FormEntry
from tests.web.test_screening import eligible_woman, new_participant

STUDY = "ucmsc-rct"


def _audit_count(database) -> int:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def _saved(database, visit: str) -> dict[str, object] | None:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        entry = session.execute(
            select(FormEntry).where(FormEntry.visit == visit)
        ).scalar_one_or_none()
        return dict(entry.data) if entry else None


def test_the_form_shows_fields_units_and_limits(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    page = coordinator.client.get(f"/studies/{STUDY}/participants/{code}/visits/screening")
    assert page.status_code == 200
    form = page.text.split('id="visit-form"')[1].split("</form>")[0]
    assert f'name="csrf_token" value="{coordinator.csrf}"' in form
    assert "baseline anti-Müllerian hormone" in page.text
    assert '<select name="unit:amh_ng_ml"' in page.text and ">pmol/L</option>" in page.text
    assert "accepted 0–30 ng/mL; usual 0–15 ng/mL" in page.text
    assert '<option value="" selected>unknown</option>' in page.text
    assert 'type="date"' in page.text
    api = coordinator.api("GET", f"/api/studies/{STUDY}/participants/{code}/visits/screening")
    body = api.json()
    assert body["version"] is None and body["values"] == {}
    amh = next(f for f in body["fields"] if f["name"] == "amh_ng_ml")
    assert amh["units"] == ["ng/mL", "pmol/L"] and amh["hard"] == [0, 30]
    missing = coordinator.client.get(f"/studies/{STUDY}/participants/{code}/visits/nope")
    assert missing.status_code == 404


def test_a_value_outside_the_hard_limits_is_refused_and_nothing_saved(
    login, clinic_database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    before = _audit_count(clinic_database)
    refused = coordinator.post_form(
        f"/studies/{STUDY}/participants/{code}/visits/screening",
        {"amh_ng_ml": "45", "age_years": "33", "version": ""},
    )
    assert refused.status_code == 422
    assert "45 ng/mL is outside the accepted range 0–30 ng/mL" in refused.text
    assert 'value="33"' in refused.text, "the typed values are kept"
    assert _audit_count(clinic_database) == before
    assert _saved(clinic_database, "screening") is None
    api = coordinator.api(
        "PUT",
        f"/api/studies/{STUDY}/participants/{code}/visits/screening",
        json={"values": {"afc": "2.5", "age_years": 33}},
    )
    assert api.status_code == 422
    assert "not a whole number" in api.json()["errors"]["afc"]
    assert _audit_count(clinic_database) == before


def test_an_alternative_unit_is_converted_to_the_canonical_one(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    saved = coordinator.post_form(
        f"/studies/{STUDY}/participants/{code}/visits/screening",
        {"amh_ng_ml": "7.14", "unit:amh_ng_ml": "pmol/L", "version": ""},
    )
    assert saved.status_code == 200, saved.text
    data = _saved(clinic_database, "screening")
    assert data is not None and abs(float(data["amh_ng_ml"]) - 1.0) < 1e-9  # type: ignore[arg-type]
    assert 'value="1"' in saved.text, "shown back in the canonical unit"
    put = coordinator.api(
        "PUT",
        f"/api/studies/{STUDY}/participants/{code}/visits/screening",
        json={
            "values": {"amh_ng_ml": 14.28},
            "units": {"amh_ng_ml": "pmol/L"},
            "version": 1,
            "reason": "laboratory report in pmol/L",
        },
    )
    assert put.status_code == 200, put.text
    assert abs(put.json()["values"]["amh_ng_ml"] - 2.0) < 1e-9
    assert put.json()["version"] == 2


def test_a_soft_limit_value_is_saved_with_a_warning(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    saved = coordinator.post_form(
        f"/studies/{STUDY}/participants/{code}/visits/screening",
        {"amh_ng_ml": "20", "version": ""},
    )
    assert saved.status_code == 200
    assert 'id="soft-warnings"' in saved.text
    assert "20 ng/mL is outside the usual range 0–15 ng/mL" in saved.text
    assert _saved(clinic_database, "screening") == {"amh_ng_ml": 20.0}


def test_a_change_needs_a_reason_and_is_audited_old_to_new(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/visits/screening"
    coordinator.post_form(url, {"age_years": "33", "version": ""})
    page = coordinator.client.get(url)
    assert 'name="reason"' in page.text and 'name="version" value="1"' in page.text
    before = _audit_count(clinic_database)
    refused = coordinator.post_form(url, {"age_years": "34", "version": "1", "reason": ""})
    assert refused.status_code == 422
    assert "give a reason for the change (age_years)" in refused.text
    assert 'value="34"' in refused.text
    assert _audit_count(clinic_database) == before
    saved = coordinator.post_form(
        url, {"age_years": "34", "version": "1", "reason": "birth date re-checked"}
    )
    assert saved.status_code == 200
    with clinic_database.transaction() as session:
        entry = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "form:screening", AuditEntry.participant == code)
                .order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
        assert entry is not None
        assert entry.changes == {"age_years": [33.0, 34.0]}
        assert entry.reason == "birth date re-checked"
        assert entry.username == "coordinator"


def test_two_people_saving_the_same_version_the_second_gets_409_and_keeps_her_values(
    login, clinic_database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, investigator = login("coordinator"), login("investigator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/visits/screening"
    coordinator.post_form(url, {"age_years": "33", "version": ""})
    first = coordinator.post_form(url, {"age_years": "35", "version": "1", "reason": "typo"})
    assert first.status_code == 200
    second = investigator.post_form(
        url, {"age_years": "36", "afc": "4", "version": "1", "reason": "from the notes"}
    )
    assert second.status_code == 409
    assert "changed by coordinator" in second.text
    assert 'value="36"' in second.text and 'value="4"' in second.text
    assert "saved by the other person: <strong>35</strong>" in second.text
    assert 'name="version" value="2"' in second.text, "she can save again over version 2"
    assert _saved(clinic_database, "screening") == {"age_years": 35.0}
    api = investigator.api(
        "PUT",
        f"/api/studies/{STUDY}/participants/{code}/visits/screening",
        json={"values": {"age_years": "36"}, "version": 1, "reason": "from the notes"},
    )
    assert api.status_code == 409
    assert api.json()["current"] == {"age_years": 35.0}
    assert api.json()["yours"] == {"age_years": "36"}
    retried = investigator.post_form(
        url, {"age_years": "36", "version": "2", "reason": "from the notes"}
    )
    assert retried.status_code == 200


def test_visits_after_screening_wait_for_enrolment(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/visits/treatment"
    regimen = "estradiol valerate 2 mg days 1–21"
    refused = coordinator.post_form(url, {"hrt_regimen": regimen, "version": ""})
    assert refused.status_code == 409
    assert "not enrolled" in refused.text
    api_url = f"/api/studies/{STUDY}/participants/{code}/visits/treatment"
    api = coordinator.api("PUT", api_url, json={"values": {"hrt_regimen": regimen}})
    assert api.status_code == 409
    coordinator.post_form(
        f"/studies/{STUDY}/participants/{code}/screening", {**eligible_woman(), "version": ""}
    )
    enrolled = coordinator.post_form(f"/studies/{STUDY}/participants/{code}/enrol", {})
    assert enrolled.status_code == 303
    saved = coordinator.post_form(
        url, {"hrt_regimen": regimen, "treatment_date": "2024-05-02", "version": ""}
    )
    assert saved.status_code == 200, saved.text
    assert _saved(clinic_database, "treatment") == {
        "hrt_regimen": regimen,
        "treatment_date": "2024-05-02",
    }


def test_the_monitor_reads_but_cannot_save(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    monitor = login("monitor")
    url = f"/studies/{STUDY}/participants/{code}/visits/screening"
    page = monitor.client.get(url)
    assert page.status_code == 200 and 'id="save"' not in page.text
    assert monitor.post_form(url, {"age_years": "33", "version": ""}).status_code == 403
    put = monitor.api(
        "PUT",
        f"/api/studies/{STUDY}/participants/{code}/visits/screening",
        json={"values": {"age_years": 33}},
    )
    assert put.status_code == 403
