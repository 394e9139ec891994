"""Participant search and paging (issue 13 item 8, ``clinic.participant_search``), on SQLite
and PostgreSQL: counts and page edges, the filters, the site scope, the API's headers, and bad
parameters answered 422 with the parameter named."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from ovaregen.clinic.scope import Grant
from ovaregen.clinic.site_access import give
from ovaregen.clinic.studies import add_participant, add_site, site_coded, study_named
from ovaregen.clinic.users import add_user
from ovaregen.store.database import Database
from ovaregen.store.models import AllocationSlot, utc_now
from tests.clinic_fixtures import PASSWORD, SITE, Browser

OTHER = "BCN2"
STUDY = "ucmsc-rct"
API = f"/api/studies/{STUDY}/participants"
PAGE = f"/studies/{STUDY}"


@dataclass(frozen=True)
class Register:
    """The women made for these tests: codes by site, the allocated one and her code."""

    mine: list[str]
    other: list[str]
    allocated: str
    allocation_code: str


@pytest.fixture
def register(clinic_database: Database) -> Register:
    """Seven women at MAD1 (varied status and eligibility, one allocated) and two at BCN2."""
    with clinic_database.transaction() as session:
        add_site(session, code=OTHER, name="Other clinic", username="test")
        study = study_named(session, STUDY)
        mad, bcn = site_coded(session, SITE), site_coded(session, OTHER)
        plan = [
            ("screening", None),
            ("screening", "unknown"),
            ("screen_failed", "false"),
            ("ongoing", "true"),
            ("ongoing", "true"),
            ("completed", "true"),
            ("withdrawn", "true"),
        ]
        women = []
        for status, eligible in plan:
            woman = add_participant(session, study, mad, username="test")
            woman.status, woman.eligible = status, eligible
            women.append(woman)
        other = []
        for _ in range(2):
            woman = add_participant(session, study, bcn, username="test")
            woman.status, woman.eligible = "ongoing", "true"
            other.append(woman.code)
        allocated = women[3]
        session.add(
            AllocationSlot(
                study_id=study.id,
                stratum="imported",
                sequence=1,
                block=0,
                arm="ucmsc_hrt",
                code="R-7QW4ZK",
                participant_id=allocated.id,
                allocated_at=utc_now(),
                allocated_by="test",
            )
        )
        user = add_user(session, username="monitor.bcn", password=PASSWORD, by="t")
        give(session, user, [Grant(None, OTHER, "monitor")], by="test")
    return Register(sorted(w.code for w in women), sorted(other), allocated.code, "R-7QW4ZK")


@pytest.fixture
def monitor_bcn(clinic_app) -> Iterator[Browser]:  # type: ignore[no-untyped-def]
    with TestClient(clinic_app) as client:
        yield Browser(client, "monitor.bcn").login()


def _codes(browser: Browser, query: str = "") -> list[str]:
    response = browser.client.get(f"{API}?{query}")
    assert response.status_code == 200, response.text
    return [p["code"] for p in response.json()]


def test_without_paging_the_api_answers_every_woman_as_before(register: Register, login) -> None:  # type: ignore[no-untyped-def]
    monitor = login("monitor")
    response = monitor.client.get(API)
    assert [p["code"] for p in response.json()] == sorted(register.mine + register.other)
    assert response.headers["X-Total-Count"] == "9"
    assert "Link" not in response.headers, "an unpaged answer has no neighbours"


def test_pages_count_in_the_database_and_link_their_neighbours(register: Register, login) -> None:  # type: ignore[no-untyped-def]
    monitor = login("monitor")
    every = sorted(register.mine + register.other)
    first = monitor.client.get(f"{API}?page_size=4")
    assert [p["code"] for p in first.json()] == every[:4]
    assert first.headers["X-Total-Count"] == "9"
    links = dict(
        (relation, url)
        for url, relation in re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["Link"])
    )
    assert set(links) == {"first", "next", "last"}
    assert "page=3" in links["last"] and "page_size=4" in links["last"]
    following = monitor.client.get(links["next"])
    assert [p["code"] for p in following.json()] == every[4:8]
    last = monitor.client.get(links["last"])
    assert [p["code"] for p in last.json()] == every[8:]
    assert 'rel="next"' not in last.headers["Link"] and 'rel="prev"' in last.headers["Link"]
    past = monitor.client.get(f"{API}?page=4&page_size=4")
    assert past.status_code == 200 and past.json() == [], "past the last page: no rows"
    assert past.headers["X-Total-Count"] == "9"


def test_filters_narrow_the_list_and_its_total(register: Register, login) -> None:  # type: ignore[no-untyped-def]
    monitor = login("monitor")
    ongoing = monitor.client.get(f"{API}?status=ongoing&site={SITE.lower()}")
    assert ongoing.headers["X-Total-Count"] == "2"
    assert len(ongoing.json()) == 2
    assert all(p["status"] == "ongoing" and p["site"] == SITE for p in ongoing.json())
    assert len(_codes(monitor, "status=ongoing")) == 4, "both sites' ongoing women"
    never = _codes(monitor, "eligible=not_screened")
    assert len(never) == 1
    assert monitor.client.get(f"{API}/{never[0]}").json()["eligible"] is None
    assert len(_codes(monitor, "eligible=false&status=screen_failed")) == 1
    assert _codes(monitor, f"q={register.allocation_code.lower()}") == [register.allocated]
    assert _codes(monitor, "q=7qw4") == [register.allocated], "part of an allocation code"
    assert _codes(monitor, f"q={OTHER.lower()}") == register.other
    assert _codes(monitor, "q=%25") == [], "a % is a letter, not a wildcard"
    assert _codes(monitor, "q=_") == [], "an _ is a letter, not a wildcard"


def test_search_and_count_stay_within_her_sites(register: Register, monitor_bcn: Browser) -> None:
    assert _codes(monitor_bcn) == register.other
    assert _codes(monitor_bcn, f"q={SITE}") == []
    assert _codes(monitor_bcn, f"q={register.allocation_code}") == []
    response = monitor_bcn.client.get(f"{API}?status=ongoing&page_size=1")
    assert response.headers["X-Total-Count"] == "2"
    refused = monitor_bcn.client.get(f"{API}?site={SITE}")
    assert refused.status_code == 422
    assert f"site {SITE!r} is not known: expected one of {OTHER}" in refused.json()["detail"]
    page = monitor_bcn.client.get(PAGE)
    assert "Participants (2)" in page.text
    assert register.mine[0] not in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=0", "page 0 is out of range: expected 1 or more"),
        ("page_size=10000", "page_size 10000 is out of range: expected from 1 to 500"),
        ("page_size=0", "page_size 0 is out of range"),
        ("page=two", "page 'two' is not a whole number"),
        ("status=pregnant", "status 'pregnant' is not known: expected one of screening"),
        ("eligible=maybe", "eligible 'maybe' is not known"),
        ("site=ZZ9", "site 'ZZ9' is not known"),
        (f"q={'x' * 65}", "q is 65 characters long: expected at most 64"),
    ],
)
def test_bad_parameters_are_refused_by_name(  # type: ignore[no-untyped-def]
    register: Register, login, query: str, message: str
) -> None:
    monitor = login("monitor")
    answer = monitor.client.get(f"{API}?{query}")
    assert answer.status_code == 422
    assert message in answer.json()["detail"]
    shown = monitor.client.get(f"{PAGE}?{query}")
    assert shown.status_code == 422
    assert message.replace("'", "&#39;") in shown.text
    assert "Traceback" not in shown.text


def test_the_page_shows_rows_and_keeps_the_search_in_its_links(register: Register, login) -> None:  # type: ignore[no-untyped-def]
    monitor = login("monitor")
    page = monitor.client.get(f"{PAGE}?status=ongoing&page_size=3&page=2")
    assert page.status_code == 200
    assert "rows 4–4 of 4" in page.text
    assert "Participants (4 found)" in page.text
    assert 'href="/studies/ucmsc-rct?status=ongoing&amp;page_size=3" rel="first"' in page.text
    assert 'href="/studies/ucmsc-rct?status=ongoing&amp;page_size=3" rel="prev"' in page.text
    assert 'rel="next"' not in page.text
    assert '<option value="ongoing" selected>' in page.text
    assert 'name="page_size" value="3"' in page.text, "the search form keeps the page size"
    whole = monitor.client.get(PAGE)
    assert "Participants (9)" in whole.text
    assert 'rel="next"' not in whole.text, "one page: no paging links"
    assert whole.text.count("/participants/") >= 9
    nobody = monitor.client.get(f"{PAGE}?q=nobody-has-this")
    assert "Nobody matches this search." in nobody.text
