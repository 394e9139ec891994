"""Smaller defects of the issue-13 walk, each as the web shows it (docs/gcp-defects.md)."""

from __future__ import annotations

import re

from sqlalchemy import select

from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, FormEntry
from tests.web.test_dashboard_pages import _trial
from tests.web.test_gcsf import LOG, day, enrolled
from tests.web.test_screening import eligible_woman, new_participant

STUDY = "ucmsc-rct"


def test_leukocytes_typed_per_mm3_in_the_10e9_l_unit_get_the_readers_unit_hint(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    refused = coordinator.post_form(LOG.format(code=code), day(1, "60", "10", "25000", "none"))
    assert refused.status_code == 422
    assert "25000 10⁹/L is outside the accepted range" in refused.text
    assert "looks like /mm³ (25000 /mm³ = 25 10⁹/L): choose /mm³ as its unit" in refused.text
    with clinic_database.transaction() as session:
        assert session.execute(select(FormEntry)).first() is None, "nothing is saved"


def test_a_first_entry_into_a_saved_form_needs_no_reason_a_change_does(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/visits/screening"
    assert coordinator.post_form(url, {"age_years": "33", "version": ""}).status_code == 200
    # The form row exists now; afc is entered for the first time (empty → 4): no reason.
    first = coordinator.post_form(url, {"age_years": "33", "afc": "4", "version": "1"})
    assert first.status_code == 200, first.text
    assert "saved (version 2)" in first.text
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
        assert entry is not None and entry.changes == {"afc": [None, 4]}
    changed = coordinator.post_form(url, {"age_years": "34", "afc": "4", "version": "2"})
    assert changed.status_code == 422
    assert "give a reason for the change (age_years)" in changed.text


def _bologna_woman(coordinator) -> str:  # type: ignore[no-untyped-def]
    """A Study B woman with poor ovarian response by the Bologna criteria, screened."""
    code = new_participant(coordinator, "mensc")
    saved = coordinator.post_form(
        f"/studies/mensc/participants/{code}/screening",
        {
            "age_years": "38",
            "amh_ng_ml": "0.5",
            "afc": "3",
            "prior_por_cycles": "2",
            "por_risk_factor": "false",
            "version": "",
        },
    )
    assert saved.status_code == 200, saved.text
    return code


def test_study_b_enrolment_asks_no_consent_and_takes_a_retrospective_date(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = _bologna_woman(coordinator)
    hub = coordinator.client.get(f"/studies/mensc/participants/{code}")
    enrolment = hub.text.split('id="enrolment"')[1].split("</section>")[0]
    assert "Eligible." in enrolment and "consent" not in enrolment
    assert 'type="date" id="enrolled-on" name="enrolled_on"' in enrolment
    url = f"/studies/mensc/participants/{code}/enrol"
    future = coordinator.post_form(url, {"enrolled_on": "2999-01-01"})
    assert future.status_code == 422
    assert "enrolment date: 2999-01-01 is in the future" in future.text
    garbled = coordinator.post_form(url, {"enrolled_on": "3 May 2019"})
    assert garbled.status_code == 422 and "expected YYYY-MM-DD" in garbled.text
    enrolled = coordinator.post_form(url, {"enrolled_on": "2019-05-03"})
    assert enrolled.status_code == 303, enrolled.text
    body = coordinator.api("GET", f"/api/studies/mensc/participants/{code}").json()
    assert body["status"] == "ongoing" and body["enrolled_at"].startswith("2019-05-03")
    with clinic_database.transaction() as session:
        entry = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "participant", AuditEntry.participant == code)
                .order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
        assert entry is not None and entry.username == "coordinator"
        assert entry.reason == "enrolled on 2019-05-03 (date given)"
        assert entry.changes["status"] == ["screening", "ongoing"]


def test_an_enrolment_date_before_the_screening_date_is_refused(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    screening = eligible_woman(screening_date="2024-04-01")
    saved = coordinator.post_form(
        f"/studies/{STUDY}/participants/{code}/screening", screening | {"version": ""}
    )
    assert saved.status_code == 200, saved.text
    url = f"/studies/{STUDY}/participants/{code}/enrol"
    early = coordinator.api("POST", f"/api{url}", json={"enrolled_on": "2024-03-31"})
    assert early.status_code == 422, early.text
    assert "2024-03-31 is before the screening date 2024-04-01" in early.text
    hub = coordinator.client.get(f"/studies/{STUDY}/participants/{code}")
    assert "recorded on the screening form" in hub.text, "Study C's form records consent"
    on_time = coordinator.api("POST", f"/api{url}", json={"enrolled_on": "2024-04-01"})
    assert on_time.status_code == 200 and on_time.json()["enrolled_at"].startswith("2024-04-01")


def test_the_statisticians_dashboard_names_the_arms_in_order_with_n_per_arm(
    clinic_database: Database, login
) -> None:  # type: ignore[no-untyped-def]
    _trial(clinic_database)
    statistician = login("statistician")
    page = statistician.client.get("/studies/ucmsc-rct/dashboard")
    arms = page.text.split('id="arms"')[1].split("</table>")[0]
    assert re.search(r"<td>UC-MSC \+ HRT</td><td class=\"count\">3</td>", arms)
    assert arms.index("UC-MSC + HRT") < arms.index("HRT alone"), "the protocol's order"
    assert "ucmsc_hrt" not in arms
    api = statistician.api("GET", "/api/studies/ucmsc-rct/dashboard").json()
    assert api["arms"] == [
        {"id": "ucmsc_hrt", "label": "UC-MSC + HRT", "n": 3},
        {"id": "hrt", "label": "HRT alone", "n": 3},
    ]
    results = page.text.split('id="outcome-results"')[1]
    assert "UC-MSC + HRT (n = " in results and " vs HRT alone (n = " in results
    for role in ("investigator", "monitor"):
        blinded = login(role)
        assert 'id="arms"' not in blinded.client.get("/studies/ucmsc-rct/dashboard").text
        assert "arms" not in blinded.api("GET", "/api/studies/ucmsc-rct/dashboard").json()


def test_the_audit_filter_by_participant_takes_the_study_too(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    first = new_participant(coordinator, "regenera")
    second = new_participant(coordinator, "mensc")
    assert first == second, "codes are numbered per study: both women are the site's first"
    monitor = login("monitor")
    mixed = monitor.client.get("/audit", params={"participant": first})
    assert mixed.status_code == 422
    assert "is a code in several studies (mensc, regenera)" in mixed.text and first in mixed.text
    api = monitor.api("GET", f"/api/audit?participant={first}")
    assert api.status_code == 422 and "expected the study too" in api.text
    assert monitor.client.get(f"/audit/export.csv?participant={first}").status_code == 422
    one = monitor.api("GET", f"/api/audit?participant={first}&study=mensc").json()
    assert one["total"] >= 1 and {e["study"] for e in one["entries"]} == {"mensc"}
    page = monitor.client.get("/audit", params={"participant": first, "study": "mensc"})
    assert page.status_code == 200 and "regenera" not in page.text.split("<table")[-1]


def test_numbers_show_the_measurements_precision_and_keep_the_stored_one(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/screening"
    typed = eligible_woman(amh_ng_ml="6.4") | {"unit:amh_ng_ml": "pmol/L", "version": ""}
    saved = coordinator.post_form(url, typed)
    assert saved.status_code == 200, saved.text
    with clinic_database.transaction() as session:
        entry = session.execute(select(FormEntry)).scalar_one()
        stored = entry.data["amh_ng_ml"]
    assert stored == 6.4 / 7.14 and stored != round(stored, 3), "full precision is stored"
    page = coordinator.client.get(url).text
    assert 'id="in-amh_ng_ml" name="amh_ng_ml" value="0.896"' in page
    assert "0.89635" not in page and "0.8963585" not in page
    assert "age_years = 32<" in page and "32.0" not in page, "whole years as integers"
    # Saving the page back unchanged is no change: no reason asked, the precision kept.
    again = {**eligible_woman(amh_ng_ml="0.896"), "version": "1"}
    assert coordinator.post_form(url, again).status_code == 200
    with clinic_database.transaction() as session:
        entry = session.execute(select(FormEntry)).scalar_one()
        assert (entry.version, entry.data["amh_ng_ml"]) == (1, stored)


def test_criteria_are_coloured_by_meaning_and_unknown_never_breaks_inside(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/screening"
    coordinator.post_form(url, eligible_woman(age_years="") | {"version": ""})
    page = coordinator.client.get(url).text
    row = page.split('data-criterion="excl.endometriosis"')[1].split("</tr>")[0]
    assert '<td class="truth meaning-good">false</td>' in row, "an exclusion false is good"
    assert '<td class="truth meaning-unknown">UNKNOWN</td>' in page
    live = coordinator.api("POST", f"/api/studies/{STUDY}/eligibility", json={
        "values": eligible_woman(endometriosis="true"), "units": {}})  # fmt: skip
    meanings = {c["id"]: c["meaning"] for c in live.json()["criteria"]}
    assert meanings["excl.endometriosis"] == "bad" and meanings["incl.poi"] == "good"
    css = coordinator.client.get("/static/screening.css").text
    assert "anywhere" not in css and "break-all" not in css
    assert "#eligibility td.truth { white-space:nowrap; }" in css


def test_adding_a_pregnancy_or_an_adverse_event_or_deciding_a_dose_says_saved(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    base = f"/studies/regenera/participants/{code}"
    added = coordinator.post_form(
        f"{base}/pregnancies", {"conception": "ivf", "outcome": "ongoing"}
    )
    assert added.status_code == 303 and added.headers["location"].endswith("?saved=added")
    shown = coordinator.client.get(added.headers["location"]).text
    assert 'id="flash">Pregnancy added: saved' in shown
    event = coordinator.post_form(
        f"{base}/adverse-events",
        {"term": "Bone pain", "onset_date": "2024-03-02", "grade": "2", "ctcae_version": "4.03",
         "serious": "no", "related": "probable", "outcome": "recovered"},
    )  # fmt: skip
    assert event.status_code == 303, event.text
    assert (
        'id="flash">Adverse event added: saved'
        in coordinator.client.get(event.headers["location"]).text
    )
    echoed = coordinator.client.get(f"{base}/pregnancies?saved=<b>hacked</b>").text
    assert "hacked" not in echoed and 'id="flash"' not in echoed
    coordinator.post_form(LOG.format(code=code), day(1, "60", "10", "25", "none"))
    investigator = login("investigator")
    decided = investigator.post_form(
        LOG.format(code=code) + "/decision", {"day": "1", "decision": "accept"}
    )
    assert decided.status_code == 303, decided.text
    page = investigator.client.get(decided.headers["location"]).text
    assert "Decision on day 1's proposal saved" in page


def _lock_notice(browser, url: str) -> str:  # type: ignore[no-untyped-def]
    """The lock notice of a form's page as a person reads it (tags removed, spaces joined)."""
    found = re.search(r'<p [^>]*id="lock-notice".*?</p>', browser.client.get(url).text, re.S)
    assert found, f"no lock notice on {url}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def test_a_locked_forms_notice_reads_is_locked_by_for_a_form_a_casebook_and_the_study(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    """The monitoring-visit walk read "This casebook islocked by …" (docs/gcp-locks.md)."""
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    base = f"/studies/{STUDY}/participants/{code}"
    coordinator.post_form(f"{base}/screening", {"age_years": "33", "version": ""})
    manager = login("data_manager")
    for scope, lock, fields in (
        (
            f"Form Screening and consent of participant {code} is",
            f"{base}/lock",
            {"form": "screening"},
        ),
        (f"The casebook of participant {code} is", f"{base}/lock", {}),
        (f"The study database of {STUDY} is", f"/studies/{STUDY}/lock", {}),
    ):
        assert manager.post_form(lock, {"reason": "clean", **fields}).status_code == 303
        notice = _lock_notice(coordinator, f"{base}/screening")
        assert f"Locked. {scope} locked by data_manager since " in notice, notice
        assert "(reason: clean)" in notice
        released = manager.post_form(f"{lock}/release", {"reason": "query", **fields})
        assert released.status_code == 303


def test_a_participant_code_in_the_list_and_the_raised_queries_never_breaks_at_its_hyphen(
    login,
) -> None:  # type: ignore[no-untyped-def]
    """At 375 px the list's narrow code column broke MAD1-0001 into "MAD1-" / "0001"; the
    rule holds for every table cell linking to a participant (worklist, locks, SDV…)."""
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    coordinator.post_form(
        f"/studies/{STUDY}/participants/{code}/screening", {"age_years": "33", "version": ""}
    )
    monitor = login("monitor")
    raised = monitor.post_form(
        f"/studies/{STUDY}/participants/{code}/queries",
        {"visit": "screening", "variable": "age_years", "message": "check the age"},
    )
    assert raised.status_code == 303, raised.text
    link = f'class="participant-code" href="/studies/{STUDY}/participants/{code}">{code}</a>'
    assert link in coordinator.client.get(f"/studies/{STUDY}").text
    assert link in coordinator.client.get(f"/studies/{STUDY}/queries/raised").text
    css = coordinator.client.get("/static/app.css").text
    assert '.participant-code, td a[href*="/participants/"] { white-space:nowrap; }' in css


def test_a_tick_box_sits_before_its_words_on_every_width(login) -> None:  # type: ignore[no-untyped-def]
    """At 375 px the query answer's "Change the value" box was stretched over a row of its own
    (``label input`` is a full-width block there)."""
    css = login("coordinator").client.get("/static/app.css").text
    rule = "label input[type=checkbox], label input[type=radio] { display:inline; width:auto;"
    assert rule in css
