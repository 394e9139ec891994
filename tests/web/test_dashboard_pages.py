"""Dashboard and data-query pages and API: who may see them, what they show, the blind."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from ovaregen.clinic import studies
from ovaregen.store.database import Database
from ovaregen.store.models import Pregnancy
from tests.clinic.test_dashboard import allocate, enrol

BLINDED_ROLES = ("admin", "investigator", "coordinator", "monitor")
ARM_MARKERS = re.compile(r"ucmsc_hrt|UC-MSC \+ HRT|HRT alone|\bhrt\b")


def _trial(database: Database) -> None:
    with database.transaction() as session:
        study = studies.study_named(session, "ucmsc-rct")
        for i in range(6):
            person = enrol(
                session,
                study,
                f"C{i}",
                {
                    "screening": {"age_years": 30 + i, "afc": 3, "amh_ng_ml": 0.3},
                    "month_12": {"afc_post": 4 + i, "amh_post_ng_ml": 0.5},
                },
                status="completed",
            )
            allocate(session, person, "ucmsc_hrt" if i % 2 == 0 else "hrt")


def test_blinded_roles_never_see_an_arm_on_the_dashboard(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    _trial(clinic_database)
    for role in BLINDED_ROLES:
        browser = login(role)
        page = browser.client.get("/studies/ucmsc-rct/dashboard")
        assert page.status_code == 200, page.text
        assert not ARM_MARKERS.search(page.text), role
        assert 'id="blinded-note"' in page.text
        assert 'id="funnel-randomised"' in page.text
        api = browser.api("GET", "/api/studies/ucmsc-rct/dashboard")
        assert api.status_code == 200
        assert not ARM_MARKERS.search(api.text), role
        assert api.json()["funnel"]["randomised"] == 6
        assert api.json()["outcomes"]["results"] == []
    statistician = login("statistician")
    page = statistician.client.get("/studies/ucmsc-rct/dashboard")
    assert 'id="result-arm_difference_afc_post"' in page.text
    assert 'id="blinded-note"' not in page.text
    results = statistician.api("GET", "/api/studies/ucmsc-rct/dashboard").json()["outcomes"]
    assert "arm_difference_afc_post" in {r["id"] for r in results["results"]}


def test_dashboard_shows_funnel_enrolment_target_and_plan_results(  # type: ignore[no-untyped-def]
    clinic_database: Database, login
) -> None:
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "mensc")
        for i in range(3):
            woman = enrol(
                session,
                study,
                f"B{i}",
                {"baseline": {"age_years": 34, "treatment_date": "2024-02-01", "injections": 1}},
            )
            if i == 0:
                session.add(Pregnancy(participant_id=woman.id, conception="ivf", outcome="ongoing"))
        enrol(session, study, "F1", status="screen_failed", eligible="false")
    browser = login("monitor")
    page = browser.client.get("/studies/mensc/dashboard")
    assert page.status_code == 200
    assert re.search(
        r'id="funnel-registered">\s*<td>registered</td>\s*<td class="count">4<', page.text
    )
    assert re.search(
        r'id="funnel-screen_failed">\s*<td>screen failed</td>\s*<td class="count">1<', page.text
    )
    assert 'id="result-pregnancy_rate"' in page.text
    row = page.text.split('id="result-pregnancy_rate"')[1].split("</tr>")[0]
    assert "1 / 3" in row
    assert "style=" not in page.text, "CSP forbids inline styles"
    document = browser.api("GET", "/api/studies/mensc/dashboard").json()
    rate = next(r for r in document["outcomes"]["results"] if r["id"] == "pregnancy_rate")
    assert (rate["numerator"], rate["denominator"]) == (1, 3)
    assert document["enrolment"]["target"] is None or document["enrolment"]["enrolled"] == 3


def test_enrolment_against_the_target_of_66(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "ucmsc-rct")
        for i in range(33):
            enrol(session, study, f"E{i:02d}", enrolled_at=datetime(2025, 1 + i % 2, 3, tzinfo=UTC))
    browser = login("coordinator")
    page = browser.client.get("/studies/ucmsc-rct/dashboard").text
    assert 'id="enrolled-count">33<' in page and 'id="enrolment-target">66<' in page
    assert 'id="enrolment-percent">50.0%<' in page
    assert 'width="50.00"' in page
    document = browser.api("GET", "/api/studies/ucmsc-rct/dashboard").json()["enrolment"]
    assert document["percent"] == 50.0
    assert document["by_month"] == [
        {"month": "2025-01", "enrolled": 17},
        {"month": "2025-02", "enrolled": 16},
    ]


def test_an_empty_study_renders(login) -> None:  # type: ignore[no-untyped-def]
    browser = login("investigator")
    for name in ("regenera", "mensc", "ucmsc-rct"):
        page = browser.client.get(f"/studies/{name}/dashboard")
        assert page.status_code == 200
        assert "Not enough data yet" in page.text
        assert browser.client.get(f"/studies/{name}/queries").status_code == 200
    assert browser.client.get("/studies/nosuch/dashboard").status_code == 404
    assert browser.api("GET", "/api/studies/nosuch/queries").status_code == 404


def test_anonymous_readers_are_refused(clinic_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(clinic_app) as client:
        assert client.get("/api/studies/regenera/dashboard").status_code == 401
        assert client.get("/api/studies/regenera/queries").status_code == 401
        assert client.get("/studies/regenera/queries", follow_redirects=False).status_code == 303


def test_queries_page_links_to_the_forms_and_filters(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "regenera")
        enrol(session, study, "MAD1-0001", {"screening": {"age_years": 36, "afc": 55}})
    browser = login("coordinator")
    page = browser.client.get("/studies/regenera/queries")
    assert page.status_code == 200
    assert 'href="/studies/regenera/participants/MAD1-0001/visits/screening"' in page.text
    assert 'href="/studies/regenera/participants/MAD1-0001"' in page.text
    assert "baseline antral follicle count, both ovaries" in page.text
    assert 'id="count-soft_range"' in page.text
    filtered = browser.client.get("/studies/regenera/queries?kind=soft_range&site=&visit=")
    assert filtered.status_code == 200
    assert filtered.text.count('class="query-soft_range"') == 1
    assert 'class="query-missing"' not in filtered.text
    api = browser.api("GET", "/api/studies/regenera/queries?kind=soft_range").json()
    assert api["counts"]["soft_range"] == 1
    assert api["queries"] == [
        {
            "kind": "soft_range",
            "participant": "MAD1-0001",
            "site": "MAD1",
            "visit": "screening",
            "visit_label": "Screening",
            "variable": "afc",
            "description": "baseline antral follicle count, both ovaries",
            "problem": (
                "outside the usual range 0–50 follicles: check it against the source document"
            ),
            "value": "55 follicles",
        }
    ]
    refused = browser.api("GET", "/api/studies/regenera/queries?kind=typo")
    assert refused.status_code == 422
    assert "typo" in refused.json()["detail"] and "soft_range" in refused.json()["detail"]
    page_refused = browser.client.get("/studies/regenera/queries?kind=typo")
    assert page_refused.status_code == 422 and "Traceback" not in page_refused.text


def test_dashboard_of_hundreds_of_participants_renders(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "regenera")
        for i in range(300):
            enrol(
                session,
                study,
                f"P{i:03d}",
                {
                    "screening": {"age_years": 30 + i % 15, "afc": 2 + i % 4, "amh_ng_ml": 0.5},
                    "injection": {"wbc_d5_10e9_l": 20 + i % 7, "cd34_d5_per_ul": 30 + i % 11},
                    "followup": {"afc_post": 3 + i % 9, "amh_post_ng_ml": 0.4 + (i % 5) / 10},
                },
                status="completed",
            )
    browser = login("monitor")
    browser.client.get("/studies/regenera/dashboard")
    page = browser.client.get("/studies/regenera/dashboard")
    assert page.status_code == 200
    assert 'id="result-activation_rate"' in page.text
