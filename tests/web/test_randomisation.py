"""Randomisation over HTTP: list set-up by the administrator, allocation by coordinator and
investigator, emergency unblinding by the investigator, and the blind on every response."""

from __future__ import annotations

import html
import json
import re

from sqlalchemy import select

from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, Unblinding
from tests.clinic.test_randomisation import ready_participant, set_up_list

LIST_PAGE = "/studies/ucmsc-rct/randomisation"
LIST_API = "/api/studies/ucmsc-rct/randomisation"
BLINDED = ("admin", "investigator", "coordinator", "monitor")


_ARM_WORD = re.compile(r"(?<![a-z0-9_-])hrt(?![a-z0-9_-])")


def assert_blind(text: str) -> None:
    """No arm id or label anywhere in a response body (as a word: random CSRF tokens and
    allocation codes may hold the letters h, r, t in a row)."""
    lowered = text.lower()
    assert not _ARM_WORD.search(lowered), "an arm id or label leaked"
    assert "uc-msc +" not in lowered


def participants(database: Database, count: int, **options: object) -> list[str]:
    with database.transaction() as session:
        return [ready_participant(session, **options).code for _ in range(count)]  # type: ignore[arg-type]


def test_the_administrator_generates_the_list_once_from_the_page(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    form = admin.client.get(LIST_PAGE)
    assert form.status_code == 200
    assert 'action="/studies/ucmsc-rct/randomisation"' in form.text
    bad = admin.post_form(LIST_PAGE, {"factors": "married, age_years", "block_sizes": "2,4"})
    assert bad.status_code == 409
    assert "&#39;age_years&#39; is a number variable" in bad.text
    odd = admin.post_form(LIST_PAGE, {"factors": "", "block_sizes": "3"})
    assert odd.status_code == 409 and "block size &#39;3&#39; is not valid" in odd.text
    made = admin.post_form(
        LIST_PAGE, {"factors": "married", "block_sizes": "4, 2", "slots_per_stratum": "40"}
    )
    assert made.status_code == 200  # the page that shows the seed once (test_randomisation_seed)
    seed = json.loads(html.unescape(made.text.split('<pre id="receipt">')[1].split("</pre>")[0]))[
        "seed_hex"
    ]
    shown = admin.client.get(LIST_PAGE).text
    assert "MAD1|married=true" in shown and "MAD1|married=false" in shown
    assert "2, 4" in shown
    assert seed not in shown
    assert_blind(shown)
    status = admin.client.get(LIST_API).json()
    assert status["block_sizes"] == [2, 4] and status["slots_per_stratum"] == 40
    assert {s["stratum"]: s["slots"] for s in status["strata"]} == {
        "MAD1|married=true": 40,
        "MAD1|married=false": 40,
    }
    assert "seed" not in str(status) and seed not in str(status)
    again = admin.post_form(LIST_PAGE, {"factors": ""})
    assert again.status_code == 409 and "made once" in again.text
    assert admin.api("POST", LIST_API, json={}).status_code == 409


def test_only_the_administrator_sets_the_list_up(login) -> None:  # type: ignore[no-untyped-def]
    for role in ("investigator", "coordinator", "monitor", "statistician"):
        assert login(role).api("POST", LIST_API, json={}).status_code == 403


def test_allocation_over_the_api_and_the_page(login, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    set_up_list(clinic_database, slots_per_stratum=10)
    first, second = participants(clinic_database, 2)
    (unconsented,) = participants(clinic_database, 1, screening={"consent": False})
    coordinator = login("coordinator")
    url = f"/api/studies/ucmsc-rct/participants/{first}/allocation"
    made = coordinator.api("POST", url)
    assert made.status_code == 201
    body = made.json()
    assert set(body) == {"code", "allocated_at", "allocated_by"}
    assert body["code"].startswith("R-") and body["allocated_by"] == "coordinator"
    repeat = login("investigator").api("POST", url)
    assert repeat.status_code == 200 and repeat.json()["code"] == body["code"]
    page = coordinator.post_form(f"/studies/ucmsc-rct/participants/{second}/randomise", {})
    assert page.status_code == 303
    assert page.headers["location"] == f"/studies/ucmsc-rct/participants/{second}"
    refused = coordinator.api(
        "POST", f"/api/studies/ucmsc-rct/participants/{unconsented}/allocation"
    )
    assert refused.status_code == 409
    assert "signed informed consent is not recorded" in refused.json()["detail"]
    missing = coordinator.api("POST", "/api/studies/ucmsc-rct/participants/NOPE/allocation")
    assert missing.status_code == 404
    for role in ("admin", "monitor", "statistician"):
        assert login(role).api("POST", url).status_code == 403
    status = coordinator.client.get(LIST_API).json()
    assert [s["used"] for s in status["strata"]] == [2]


def test_blinded_roles_never_receive_an_arm_and_the_statistician_does(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    set_up_list(clinic_database, slots_per_stratum=10)
    codes = participants(clinic_database, 4)
    coordinator = login("coordinator")
    for code in codes:
        answer = coordinator.api("POST", f"/api/studies/ucmsc-rct/participants/{code}/allocation")
        assert_blind(answer.text)
    urls = [
        LIST_PAGE,
        LIST_API,
        "/studies/ucmsc-rct",
        "/api/studies/ucmsc-rct/participants",
    ]
    for role in BLINDED:
        browser = login(role)
        for url in urls:
            response = browser.client.get(url)
            assert response.status_code == 200, (role, url)
            assert_blind(response.text)
    statistician = login("statistician")
    page = statistician.client.get(LIST_PAGE).text
    assert "HRT alone" in page or "UC-MSC + HRT" in page
    allocations = statistician.client.get(LIST_API).json()["allocations"]
    assert len(allocations) == 4
    assert {a["arm"] for a in allocations} <= {"ucmsc_hrt", "hrt"}
    assert "Randomise" not in page and "Emergency unblinding" not in page


def test_the_randomisation_page_offers_what_each_role_may_do(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    set_up_list(clinic_database, slots_per_stratum=10)
    waiting, allocated = participants(clinic_database, 2)
    investigator = login("investigator")
    investigator.api("POST", f"/api/studies/ucmsc-rct/participants/{allocated}/allocation")
    page = investigator.client.get(LIST_PAGE).text
    assert f"/studies/ucmsc-rct/participants/{waiting}/randomise" in page
    assert f"/studies/ucmsc-rct/participants/{allocated}/unblind" in page
    monitor_page = login("monitor").client.get(LIST_PAGE).text
    assert "/randomise" not in monitor_page and "/unblind" not in monitor_page
    assert allocated in monitor_page


def test_emergency_unblinding_needs_a_reason_is_logged_and_shows_the_arm_once(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    set_up_list(clinic_database, slots_per_stratum=10)
    first, second = participants(clinic_database, 2)
    investigator = login("investigator")
    for code in (first, second):
        investigator.api("POST", f"/api/studies/ucmsc-rct/participants/{code}/allocation")
    url = f"/studies/ucmsc-rct/participants/{first}/unblind"
    form = investigator.client.get(url)
    assert form.status_code == 200 and 'name="reason"' in form.text
    assert_blind(form.text)
    short = investigator.post_form(url, {"reason": "urgent"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    assert_blind(short.text)
    assert login("coordinator").post_form(url, {"reason": "a long enough reason"}).status_code == (
        403
    )
    shown = investigator.post_form(url, {"reason": "severe allergic reaction"})
    assert shown.status_code == 200
    assert "HRT alone" in shown.text or "UC-MSC + HRT" in shown.text
    assert shown.headers["cache-control"].startswith("no-store")
    api = investigator.api(
        "POST",
        f"/api/studies/ucmsc-rct/participants/{second}/unblinding",
        json={"reason": "suspected ovarian hyperstimulation"},
    )
    assert api.status_code == 200
    assert api.json()["arm"] in {"ucmsc_hrt", "hrt"}
    assert api.json()["reason"] == "suspected ovarian hyperstimulation"
    refused = investigator.api(
        "POST", f"/api/studies/ucmsc-rct/participants/{second}/unblinding", json={"reason": ""}
    )
    assert refused.status_code == 422
    with clinic_database.transaction() as session:
        rows = session.execute(select(Unblinding).order_by(Unblinding.id)).scalars().all()
        assert [(r.username, r.reason) for r in rows] == [
            ("investigator", "severe allergic reaction"),
            ("investigator", "suspected ovarian hyperstimulation"),
        ]
        entries = (
            session.execute(select(AuditEntry).where(AuditEntry.action == "unblind"))
            .scalars()
            .all()
        )
        assert [e.participant for e in entries] == [first, second]
        assert not any(_ARM_WORD.search(str(e.changes).lower()) for e in entries)
    # Afterwards the blind holds again on every other page.
    assert_blind(investigator.client.get(LIST_PAGE).text)
    assert_blind(investigator.client.get(url).text)
