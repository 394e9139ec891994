"""Randomisation over HTTP: list set-up by the administrator, allocation by coordinator and
investigator after a confirmation, emergency unblinding by an investigator of the woman's
site, and the blind on every response (the safeguards of issue 13 item 7 in detail:
``tests/web/test_blind_safeguards.py``)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

from sqlalchemy import select

from ovaregen.clinic.accounts import user_named
from ovaregen.clinic.scope import Grant
from ovaregen.clinic.site_access import give
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, Unblinding
from tests.clinic.test_randomisation import ready_participant, set_up_list
from tests.clinic_fixtures import SITE, Browser

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


def allocate(browser: Browser, code: str):  # type: ignore[no-untyped-def]
    """Allocate through the API as a script does: read the confirmation, then confirm it."""
    url = f"/api/studies/ucmsc-rct/participants/{code}/allocation"
    seen = browser.client.get(f"{url}/confirmation").json()["seen"]
    return browser.api("POST", url, json={"confirm": True, "seen": seen})


def site_investigator(database: Database, role: str = "investigator") -> None:
    """Give ``role``'s user a grant naming site MAD1 (emergency unblinding needs one)."""
    with database.transaction() as session:
        give(session, user_named(session, role), [Grant(None, SITE, role)], by="test")


def participants(database: Database, count: int, **options: object) -> list[str]:
    with database.transaction() as session:
        return [ready_participant(session, **options).code for _ in range(count)]  # type: ignore[arg-type]


def test_the_administrator_generates_the_list_once_from_the_page(
    login: Callable[[str], Browser], clinic_database: Database
) -> None:
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
    assert "Block sizes" not in shown and "Slots per stratum" not in shown  # blinded (ICH E9)
    assert seed not in shown
    assert_blind(shown)
    status = admin.client.get(LIST_API).json()
    assert "block_sizes" not in status and "slots_per_stratum" not in status
    assert [set(s) for s in status["strata"]] == [{"stratum", "used"}] * 2
    statistician = login("statistician")
    assert "2, 4" in statistician.client.get(LIST_PAGE).text
    design = statistician.client.get(LIST_API).json()
    assert design["block_sizes"] == [2, 4] and design["slots_per_stratum"] == 40
    assert {s["stratum"]: s["slots"] for s in design["strata"]} == {
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
    made = allocate(coordinator, first)
    assert made.status_code == 201
    body = made.json()
    assert set(body) == {"code", "allocated_at", "allocated_by"}
    assert body["code"].startswith("R-") and body["allocated_by"] == "coordinator"
    repeat = allocate(login("investigator"), first)
    assert repeat.status_code == 200 and repeat.json()["code"] == body["code"]
    confirm_url = f"/studies/ucmsc-rct/participants/{second}/randomise"
    seen = re.search(r'name="seen" value="([^"]+)"', coordinator.client.get(confirm_url).text)
    assert seen
    page = coordinator.post_form(confirm_url, {"confirm": "yes", "seen": seen.group(1)})
    assert page.status_code == 303
    assert page.headers["location"] == f"/studies/ucmsc-rct/participants/{second}"
    refused = allocate(coordinator, unconsented)
    assert refused.status_code == 409
    assert "signed informed consent is not recorded" in refused.json()["detail"]
    missing = coordinator.api(
        "POST", "/api/studies/ucmsc-rct/participants/NOPE/allocation", json={"confirm": True}
    )
    assert missing.status_code == 404
    for role in ("admin", "monitor", "statistician"):
        assert login(role).api("POST", url, json={"confirm": True}).status_code == 403
    status = coordinator.client.get(LIST_API).json()
    assert [s["used"] for s in status["strata"]] == [2]


def test_blinded_roles_never_receive_an_arm_and_the_statistician_does(
    login: Callable[[str], Browser], clinic_database: Database
) -> None:
    set_up_list(clinic_database, slots_per_stratum=10)
    codes = participants(clinic_database, 4)
    coordinator = login("coordinator")
    for code in codes:
        answer = allocate(coordinator, code)
        assert answer.status_code == 201
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
    login: Callable[[str], Browser], clinic_database: Database
) -> None:
    set_up_list(clinic_database, slots_per_stratum=10)
    waiting, allocated = participants(clinic_database, 2)
    investigator = login("investigator")
    assert allocate(investigator, allocated).status_code == 201
    page = investigator.client.get(LIST_PAGE).text
    assert f"/studies/ucmsc-rct/participants/{waiting}/randomise" in page
    assert f"/studies/ucmsc-rct/participants/{allocated}/unblind" in page
    monitor_page = login("monitor").client.get(LIST_PAGE).text
    assert "/randomise" not in monitor_page and "/unblind" not in monitor_page
    assert allocated in monitor_page


def test_emergency_unblinding_needs_a_reason_is_logged_and_shows_the_arm_once(
    login: Callable[[str], Browser], clinic_database: Database
) -> None:
    set_up_list(clinic_database, slots_per_stratum=10)
    first, second = participants(clinic_database, 2)
    site_investigator(clinic_database)
    investigator = login("investigator")
    for code in (first, second):
        assert allocate(investigator, code).status_code == 201
    url = f"/studies/ucmsc-rct/participants/{first}/unblind"
    form = investigator.client.get(url)
    assert form.status_code == 200 and 'name="reason"' in form.text
    assert 'name="category"' in form.text
    assert_blind(form.text)
    sae = "serious_adverse_event"
    short = investigator.post_form(url, {"category": sae, "reason": "urgent"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    assert_blind(short.text)
    refused = login("coordinator").post_form(
        url, {"category": sae, "reason": "a long enough reason"}
    )
    assert refused.status_code == 403
    shown = investigator.post_form(url, {"category": sae, "reason": "severe allergic reaction"})
    assert shown.status_code == 200
    assert "HRT alone" in shown.text or "UC-MSC + HRT" in shown.text
    assert shown.headers["cache-control"].startswith("no-store")
    api = investigator.api(
        "POST",
        f"/api/studies/ucmsc-rct/participants/{second}/unblinding",
        json={"category": sae, "reason": "suspected ovarian hyperstimulation"},
    )
    assert api.status_code == 200
    assert api.json()["arm"] in {"ucmsc_hrt", "hrt"}
    assert api.json()["reason"] == "suspected ovarian hyperstimulation"
    refused = investigator.api(
        "POST",
        f"/api/studies/ucmsc-rct/participants/{second}/unblinding",
        json={"category": sae, "reason": ""},
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
