"""Screening with live eligibility, the participant hub, enrolment and flow status (web)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ovaregen.store.models import AllocationSlot, AuditEntry, Participant
from tests.clinic_fixtures import Browser

STUDY = "ucmsc-rct"
EXCLUSIONS = (
    "karyotype_abnormal",
    "partner_karyotype_abnormal",
    "endometriosis",
    "adenomyosis",
    "ovarian_tumor_history",
    "uterine_dysplasia",
    "autoimmune_disease",
    "serious_illness",
    "hrt_contraindication",
    "recent_poi_trial",
    "partner_severe_male_factor",
)


def eligible_woman(**changes: str) -> dict[str, str]:
    """Screening values of a woman with POI (ESHRE 2016) meeting every Study C criterion."""
    values = {
        "age_years": "32",
        "married": "true",
        "consent": "true",
        "amh_ng_ml": "0.2",
        "afc": "2",
        "fsh_1_iu_l": "62",
        "fsh_1_date": "2024-01-10",
        "fsh_2_iu_l": "71",
        "fsh_2_date": "2024-03-01",
        "amenorrhea_months": "9",
        "menses": "amenorrhea",
        "spontaneous_follicular_activity": "false",
        "ovary_left_mm": "14",
        "ovary_right_mm": "13",
    }
    values |= {name: "false" for name in EXCLUSIONS}
    return values | changes


def new_participant(browser: Browser, study: str = STUDY) -> str:
    created = browser.api("POST", f"/api/studies/{study}/participants", json={"site": "MAD1"})
    assert created.status_code == 201, created.text
    code: str = created.json()["code"]
    return code


def live(browser: Browser, values: dict[str, str], units: dict[str, str] | None = None) -> Any:
    return browser.api(
        "POST", f"/api/studies/{STUDY}/eligibility", json={"values": values, "units": units or {}}
    )


def test_live_eligibility_true_for_a_woman_with_poi_meeting_every_criterion(login) -> None:  # type: ignore[no-untyped-def]
    answer = live(login("coordinator"), eligible_woman())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["eligible"] == "true"
    top = {c["id"]: c["value"] for c in body["criteria"] if c["depth"] == 0}
    assert top["incl.poi"] == "true"
    assert top["excl.endometriosis"] == "false"
    parts = [c for c in body["criteria"] if c["depth"] > 0]
    assert any(c["id"] == "poi.fsh" and c["inputs"]["fsh_1_date"] == "2024-01-10" for c in parts)
    assert all(c["source"] for c in body["criteria"])


def test_live_eligibility_false_names_the_exclusion(login) -> None:  # type: ignore[no-untyped-def]
    body = live(login("coordinator"), eligible_woman(endometriosis="yes")).json()
    assert body["eligible"] == "false"
    failing = [c["id"] for c in body["criteria"] if c["depth"] == 0 and c["value"] == "true"]
    assert "excl.endometriosis" in failing


def test_live_eligibility_unknown_with_missing_values_and_nothing_saved(
    login, clinic_database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    before = _audit_count(clinic_database)
    body = live(coordinator, eligible_woman(married="", ovary_left_mm="")).json()
    assert body["eligible"] == "unknown"
    unknown = {c["id"] for c in body["criteria"] if c["depth"] == 0 and c["value"] == "unknown"}
    assert unknown == {"incl.married", "incl.ovary_diameter"}
    assert _audit_count(clinic_database) == before


def test_live_eligibility_refuses_bad_values_per_field(login) -> None:  # type: ignore[no-untyped-def]
    answer = live(login("coordinator"), eligible_woman(amh_ng_ml="45"))
    assert answer.status_code == 422
    assert "0–30 ng/mL" in answer.json()["errors"]["amh_ng_ml"]
    monitor = login("monitor")
    assert live(monitor, eligible_woman()).status_code == 403


def _audit_count(database) -> int:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def _participant(database, code: str) -> Participant:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        found = session.execute(select(Participant).where(Participant.code == code)).scalar_one()
        session.expunge(found)
        return found


def save_screening(browser: Browser, code: str, values: dict[str, str], **extra: str) -> Any:
    return browser.post_form(f"/studies/{STUDY}/participants/{code}/screening", {**values, **extra})


def test_saving_screening_stores_eligibility_and_audits_it(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    page = coordinator.client.get(f"/studies/{STUDY}/participants/{code}/screening")
    assert page.status_code == 200
    assert 'id="eligibility"' in page.text and "/static/eligibility.js" in page.text
    form = page.text.split('id="visit-form"')[1].split("</form>")[0]
    assert f'name="csrf_token" value="{coordinator.csrf}"' in form
    saved = save_screening(coordinator, code, eligible_woman(married=""), version="")
    assert saved.status_code == 200, saved.text
    assert "UNKNOWN" in saved.text
    stored = _participant(clinic_database, code)
    assert stored.eligible == "unknown"
    assert stored.unknown_criteria == "incl.married"
    corrected = save_screening(
        coordinator, code, eligible_woman(), version="1", reason="marriage certificate seen"
    )
    assert corrected.status_code == 200, corrected.text
    stored = _participant(clinic_database, code)
    assert (stored.eligible, stored.failed_criteria, stored.unknown_criteria) == ("true", "", "")
    with clinic_database.transaction() as session:
        entries = session.execute(
            select(AuditEntry).where(
                AuditEntry.participant == code, AuditEntry.entity == "participant"
            )
        ).scalars()
        eligibility_changes = [e.changes["eligible"] for e in entries if "eligible" in e.changes]
    assert eligibility_changes == [[None, "unknown"], ["unknown", "true"]]
    hub = coordinator.api("GET", f"/api/studies/{STUDY}/participants/{code}").json()
    assert hub["eligible"] == "true"
    assert hub["visits"]["screening"]["version"] == 2
    assert hub["visits"]["screening"]["values"]["married"] is True


def test_enrolment_needs_eligibility_and_consent(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    ineligible = new_participant(coordinator)
    save_screening(coordinator, ineligible, eligible_woman(endometriosis="true"), version="")
    refused = coordinator.post_form(f"/studies/{STUDY}/participants/{ineligible}/enrol", {})
    assert refused.status_code == 409
    assert "excl.endometriosis" in refused.text
    assert _participant(clinic_database, ineligible).status == "screen_failed"

    no_consent = new_participant(coordinator)
    save_screening(coordinator, no_consent, eligible_woman(consent="false"), version="")
    refused = coordinator.post_form(f"/studies/{STUDY}/participants/{no_consent}/enrol", {})
    assert refused.status_code == 409
    assert "incl.consent" in refused.text

    code = new_participant(coordinator)
    save_screening(coordinator, code, eligible_woman(), version="")
    enrolled = coordinator.post_form(f"/studies/{STUDY}/participants/{code}/enrol", {})
    assert enrolled.status_code == 303
    stored = _participant(clinic_database, code)
    assert stored.status == "ongoing" and stored.enrolled_at is not None
    again = coordinator.post_form(f"/studies/{STUDY}/participants/{code}/enrol", {})
    assert again.status_code == 409
    monitor = login("monitor")
    assert monitor.post_form(f"/studies/{STUDY}/participants/{code}/enrol", {}).status_code == 403


def test_enrolment_before_screening_is_refused_through_the_api(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator, "regenera")
    response = coordinator.api("POST", f"/api/studies/regenera/participants/{code}/enrol")
    assert response.status_code == 409
    assert "eligibility is not assessed" in response.json()["detail"]


def test_status_changes_follow_the_flow_with_a_reason(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    base = f"/studies/{STUDY}/participants/{code}"
    save_screening(coordinator, code, eligible_woman(), version="")
    no_reason = coordinator.post_form(f"{base}/status", {"status": "screen_failed", "reason": ""})
    assert no_reason.status_code == 409
    too_early = coordinator.post_form(f"{base}/status", {"status": "withdrawn", "reason": "x"})
    assert too_early.status_code == 409
    assert "expected ongoing" in too_early.text
    failed = coordinator.post_form(
        f"{base}/status", {"status": "screen_failed", "reason": "declined to take part"}
    )
    assert failed.status_code == 303
    assert _participant(clinic_database, code).status == "screen_failed"
    with clinic_database.transaction() as session:
        last = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.participant == code)
                .order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
        assert last is not None
        assert last.changes == {"status": ["screening", "screen_failed"]}
        assert last.reason == "declined to take part"
    monitor = login("monitor")
    assert (
        monitor.post_form(f"{base}/status", {"status": "completed", "reason": "x"}).status_code
        == 403
    )


def test_the_hub_lists_visits_links_and_hides_the_arm_from_blinded_roles(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    save_screening(coordinator, code, eligible_woman(), version="")
    page = coordinator.client.get(f"/studies/{STUDY}/participants/{code}")
    assert page.status_code == 200
    base = f"/studies/{STUDY}/participants/{code}"
    for link in (
        "/screening",
        "/visits/screening",
        "/visits/treatment",
        "/visits/month_12",
        "/followup",
        "/pregnancies",
        "/adverse-events",
    ):
        assert f'href="{base}{link}"' in page.text
    assert "/gcsf" not in page.text
    assert 'id="randomise"' in page.text and 'action="' + base + '/randomise"' in page.text
    assert 'id="enrol"' in page.text
    assert "saved</span>, version 1" in page.text
    monitor_page = login("monitor").client.get(page.url)
    assert 'id="randomise"' not in monitor_page.text and 'id="enrol"' not in monitor_page.text
    regenera = new_participant(coordinator, "regenera")
    assert (
        f"/studies/regenera/participants/{regenera}/gcsf"
        in coordinator.client.get(f"/studies/regenera/participants/{regenera}").text
    )
    assert coordinator.client.get(f"/studies/{STUDY}/participants/NOPE").status_code == 404


def test_the_allocation_shows_its_code_to_blinded_roles_and_the_arm_only_unblinded(
    login, clinic_database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    with clinic_database.transaction() as session:
        woman = session.execute(select(Participant).where(Participant.code == code)).scalar_one()
        session.add(
            AllocationSlot(
                study_id=woman.study_id,
                stratum="all",
                sequence=1,
                block=1,
                arm="ucmsc_hrt",
                code="R-7Q2K",
                participant_id=woman.id,
                allocated_by="coordinator",
            )
        )
    url = f"/studies/{STUDY}/participants/{code}"
    for role in ("coordinator", "investigator", "monitor", "admin"):
        browser = coordinator if role == "coordinator" else login(role)
        page = browser.client.get(url)
        assert "R-7Q2K" in page.text
        assert "ucmsc_hrt" not in page.text and "UC-MSC + HRT" not in page.text
        api = browser.api("GET", f"/api{url}").json()
        assert api["allocation"]["code"] == "R-7Q2K" and "arm" not in api["allocation"]
    assert 'id="randomise"' not in coordinator.client.get(url).text
    assert 'id="unblind"' in login("investigator").client.get(url).text
    statistician = login("statistician")
    assert "arm ucmsc_hrt" in statistician.client.get(url).text
    assert statistician.api("GET", f"/api{url}").json()["allocation"]["arm"] == "ucmsc_hrt"
