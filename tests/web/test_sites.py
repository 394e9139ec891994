"""Access by study and site (issue 13 item 1, ``clinic.scope``), on SQLite and PostgreSQL.

- The permission matrix by site: every route of the FastAPI app (enumerated from the app, so a
  new route cannot be forgotten) × every role × her own site's woman / another site's woman.
  A route that takes a participant answers another site's woman exactly as it answers a code
  that does not exist (404, the same body); no answer of any route names her code.
- The crawler: two sites and a user of each; every page reachable by links from the home page
  (HTML, JSON, CSV, the export ZIP) is read as each user, and the other site's codes never
  appear. A user with every site sees both.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ovaregen.clinic import ecrf, scope
from ovaregen.clinic.data_queries import raise_query
from ovaregen.clinic.roles import Permission, Role, may
from ovaregen.clinic.scope import EVERYWHERE, Grant
from ovaregen.clinic.site_access import give, users_without_access
from ovaregen.clinic.studies import add_participant, add_site, site_coded, study_named
from ovaregen.clinic.tokens import create_token
from ovaregen.clinic.users import add_user
from ovaregen.clinic.views import Reader
from ovaregen.store.database import Database
from ovaregen.store.models import AdverseEvent, AllocationSlot, Pregnancy, User, utc_now
from tests.clinic_fixtures import PASSWORD, SITE, Browser
from tests.web.route_walk import api_routes

OTHER = "BCN2"
GHOST = "MAD1-9999"
"""A code nobody has: another site's woman must be answered exactly as this one."""
PUBLIC = {"/health", "/login", "/api/openapi.json", "/questionnaire/1"}


@dataclass
class Women:
    """One enrolled woman per (study, site), with a pregnancy and an adverse event."""

    rct: dict[str, str]
    regenera: dict[str, str]
    pregnancy: dict[str, int]
    event: dict[str, int]
    query: dict[str, int] = field(default_factory=dict)
    """A raised query on each site's woman of study C (``clinic.data_queries``)."""


def _woman(database: Database, site_code: str) -> tuple[str, str, int, int]:
    with database.transaction() as session:
        site = site_coded(session, site_code)
        rct = study_named(session, "ucmsc-rct")
        woman = add_participant(session, rct, site, username="test")
        ecrf.save_form(
            session,
            woman,
            "screening",
            {"consent": True, "age_years": 30.0, "married": True},
            username="test",
            expected_version=None,
        )
        woman.status, woman.eligible, woman.enrolled_at = "ongoing", "true", utc_now()
        session.add(
            AllocationSlot(
                study_id=rct.id,
                stratum="imported",
                sequence=1 if site_code == SITE else 2,
                block=0,
                arm="ucmsc_hrt",
                code=f"R-{site_code}",
                participant_id=woman.id,
                allocated_at=utc_now(),
                allocated_by="test",
            )
        )
        pregnancy = Pregnancy(participant_id=woman.id, conception="spontaneous", outcome="ongoing")
        event = AdverseEvent(participant_id=woman.id, term="pain", grade=1, ctcae_version="5.0")
        session.add_all([pregnancy, event])
        regenera = add_participant(session, study_named(session, "regenera"), site, username="t")
        regenera.status, regenera.eligible, regenera.enrolled_at = "ongoing", "true", utc_now()
        session.flush()
        return woman.code, regenera.code, pregnancy.id, event.id


def _site_users(database: Database) -> None:
    """Site BCN2; for every role a user of MAD1 only (``<role>.mad``) and of BCN2 only."""
    with database.transaction() as session:
        add_site(session, code=OTHER, name="Barcelona", username="test")
        for role in Role:
            for site, suffix in ((SITE, "mad"), (OTHER, "bcn")):
                user = add_user(
                    session,
                    username=f"{role.value}.{suffix}",
                    password=PASSWORD,
                    by="test",
                )
                give(session, user, [Grant(None, site, role.value)], by="test")


@pytest.fixture
def women(clinic_database: Database) -> Women:
    _site_users(clinic_database)
    found: dict[str, tuple[str, str, int, int]] = {
        site: _woman(clinic_database, site) for site in (SITE, OTHER)
    }
    return Women(
        rct={s: w[0] for s, w in found.items()},
        regenera={s: w[1] for s, w in found.items()},
        pregnancy={s: w[2] for s, w in found.items()},
        event={s: w[3] for s, w in found.items()},
        query={s: _query(clinic_database, w[0]) for s, w in found.items()},
    )


def _query(database: Database, code: str) -> int:
    """A query raised by the monitor on the woman's screening age."""
    with database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        woman = scope.participant_seen(session, study, code, EVERYWHERE)
        return raise_query(
            session,
            woman,
            visit="screening",
            variable="age_years",
            message="age?",
            reader=Reader("monitor", Role.MONITOR.value, EVERYWHERE),
        ).query.id


@pytest.fixture
def browsers(clinic_app) -> Iterator:  # type: ignore[no-untyped-def]
    opened: list[TestClient] = []

    def open_as(username: str) -> Browser:
        client = TestClient(clinic_app)
        client.__enter__()
        opened.append(client)
        return Browser(client, username).login()

    yield open_as
    for client in opened:
        client.__exit__(None, None, None)


def _url(path: str, women: Women, site: str, code: str | None = None) -> str:
    regenera = "gcsf" in path
    values = {
        "study": "regenera" if regenera else "ucmsc-rct",
        "code": code or (women.regenera[site] if regenera else women.rct[site]),
        "visit": "screening",
        "pregnancy_id": str(women.pregnancy[site]),
        "event_id": str(women.event[site]),
        "query_id": str(women.query[site]),
        "day": "1",
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name in values:
            return values[name]
        if name == "id" or name.endswith("_id"):
            return str(women.event[site] if "adverse" in path else women.pregnancy[site])
        return "1"

    return re.sub(r"\{([^}]+)\}", fill, path)


def _routes(app) -> list[tuple[str, str, bool]]:  # type: ignore[no-untyped-def]
    """(method, path, is_api) of every route of the FastAPI app."""
    found = []
    for route in api_routes(app.routes):
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, route.path, route.path.startswith("/api")))
    return sorted(set(found))


def _send(browser: Browser, method: str, url: str, is_api: bool):  # type: ignore[no-untyped-def]
    if method == "GET":
        return browser.client.get(url, follow_redirects=False)
    if is_api:
        return browser.client.request(method, url, json={}, headers={"X-CSRF-Token": browser.csrf})
    return browser.client.request(
        method, url, data={"csrf_token": browser.csrf}, follow_redirects=False
    )


def _other_codes(women: Women) -> set[str]:
    return {women.rct[OTHER], women.regenera[OTHER], f"R-{OTHER}"}


@pytest.mark.parametrize("role", list(Role))
def test_every_route_by_role_and_site(role: Role, clinic_app, women: Women, browsers) -> None:  # type: ignore[no-untyped-def]
    routes = _routes(clinic_app)
    assert len(routes) > 30
    browser = browsers(f"{role.value}.mad")
    hidden = _other_codes(women)
    with_participant = [r for r in routes if "{code}" in r[1]]
    assert with_participant, "routes that take a participant were found"
    # Reads and writes on another site's woman: the answer of a code that does not exist.
    for method, path, is_api in sorted(with_participant, key=lambda r: r[0] != "GET"):
        other_code = women.regenera[OTHER] if "gcsf" in path else women.rct[OTHER]
        other = _send(browser, method, _url(path, women, OTHER), is_api)
        ghost = _send(browser, method, _url(path, women, OTHER, GHOST), is_api)
        assert other.status_code in (403, 404), (role, method, path, other.status_code)
        assert other.status_code == ghost.status_code, (role, method, path)
        assert other.text.replace(other_code, GHOST) == ghost.text, (role, method, path)
    # Another site's query: "no query", as an id nobody has (an empty API body is refused
    # before any query is looked up: 422 for both).
    for method, path, is_api in (r for r in routes if "{query_id}" in r[1]):
        their_id = str(women.query[OTHER])
        other = _send(browser, method, _url(path, women, OTHER), is_api)
        ghost_url = _url(path, women, OTHER).replace(f"/raised/{their_id}", "/raised/99999")
        ghost = _send(browser, method, ghost_url, is_api)
        refused = (403, 404, 422) if is_api and method != "GET" else (403, 404)
        assert other.status_code in refused, (role, method, path, other.status_code)
        assert other.status_code == ghost.status_code, (role, method, path)
        assert other.text.replace(their_id, "99999") == ghost.text, (role, method, path)
    # Every GET at her own site: nothing of the other site in any answer.
    for method, path, is_api in routes:
        if method != "GET" or path in PUBLIC:
            continue
        response = _send(browser, method, _url(path, women, SITE), is_api)
        assert response.status_code < 500, (role, path, response.text[:300])
        for code in hidden:
            assert code not in response.text, (role, path, code)


def test_another_site_cannot_be_given_a_woman(women: Women, browsers) -> None:  # type: ignore[no-untyped-def]
    coordinator = browsers("coordinator.mad")
    refused = coordinator.api("POST", "/api/studies/ucmsc-rct/participants", json={"site": OTHER})
    unknown = coordinator.api("POST", "/api/studies/ucmsc-rct/participants", json={"site": "ZZ9"})
    assert refused.status_code == unknown.status_code == 404
    assert (
        coordinator.api(
            "POST", "/api/studies/ucmsc-rct/participants", json={"site": SITE}
        ).status_code
        == 201
    )
    sites = coordinator.client.get("/api/sites").json()
    assert [s["code"] for s in sites] == [SITE]


def test_lists_and_counts_are_of_her_sites(women: Women, browsers) -> None:  # type: ignore[no-untyped-def]
    mine = browsers("monitor.mad")
    listed = {p["code"] for p in mine.client.get("/api/studies/ucmsc-rct/participants").json()}
    assert listed == {women.rct[SITE]}
    board = mine.client.get("/api/studies/ucmsc-rct/dashboard").json()
    assert board["sites"] == [SITE]
    assert board["funnel"]["registered"] == 1
    assert (
        "Counts of your sites only: MAD1." in mine.client.get("/studies/ucmsc-rct/dashboard").text
    )
    everyone = browsers("statistician")  # every study, every site
    listed = {p["code"] for p in everyone.client.get("/api/studies/ucmsc-rct/participants").json()}
    assert listed == {women.rct[SITE], women.rct[OTHER]}
    board = everyone.client.get("/api/studies/ucmsc-rct/dashboard").json()
    assert board["sites"] == "all"
    assert board["funnel"]["registered"] == 2
    trail = {e["participant"] for e in mine.client.get("/api/audit?limit=1000").json()["entries"]}
    assert trail == {women.rct[SITE], women.regenera[SITE]}, "no study-wide entry either"


def test_a_user_without_sites_sees_no_woman(
    clinic_database: Database, women: Women, browsers
) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        add_user(session, username="nobody", password=PASSWORD, by="test")
        assert users_without_access(session) == ["nobody"], "named at server start"
    browser = browsers("nobody")
    assert browser.client.get("/api/studies").json() == []
    assert browser.client.get("/api/studies/ucmsc-rct/participants").status_code == 404
    assert browser.client.get("/api/audit").status_code == 403, "no role: no audit trail"
    assert browser.client.get("/api/me").json()["access"] == []
    assert "You hold no study or site yet" in browser.client.get("/").text


def test_a_grant_of_one_study_hides_the_others(
    clinic_database: Database, women: Women, browsers
) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        user = add_user(session, username="rct.only", password=PASSWORD, by="t")
        give(session, user, [Grant("ucmsc-rct", None, "monitor")], by="test")
    browser = browsers("rct.only")
    assert [s["name"] for s in browser.client.get("/api/studies").json()] == ["ucmsc-rct"]
    assert browser.client.get("/studies/regenera").status_code == 404
    code = women.regenera[SITE]
    assert browser.client.get(f"/api/studies/regenera/participants/{code}").status_code == 404
    listed = {p["code"] for p in browser.client.get("/api/studies/ucmsc-rct/participants").json()}
    assert listed == {women.rct[SITE], women.rct[OTHER]}


# ---- the crawler ---------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _texts(response) -> list[str]:  # type: ignore[no-untyped-def]
    """What a person could read of an answer: HTML, JSON and CSV as text, a ZIP's files."""
    if response.headers.get("content-type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return [archive.read(name).decode() for name in archive.namelist()]
    return [response.text]


def crawl(browser: Browser) -> dict[str, list[str]]:
    """Every page reachable by links from the home page (same server, GET), read whole."""
    seen: dict[str, list[str]] = {}
    queue = ["/"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = browser.client.get(url, follow_redirects=False)
        seen[url] = _texts(response)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = _Links()
        parser.feed(response.text)
        for href in parser.links:
            target = urlsplit(urljoin("http://testserver" + url, href))
            if target.netloc != "testserver" or target.path == "/logout":
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MONITOR, Role.INVESTIGATOR])
def test_a_crawl_never_meets_the_other_sites_women(role: Role, women: Women, browsers) -> None:  # type: ignore[no-untyped-def]
    for mine, other in ((SITE, OTHER), (OTHER, SITE)):
        suffix = "mad" if mine == SITE else "bcn"
        pages = crawl(browsers(f"{role.value}.{suffix}"))
        assert len(pages) > 10, sorted(pages)
        assert any(
            p.startswith(f"/studies/ucmsc-rct/participants/{women.rct[mine]}") for p in pages
        )
        hidden = {women.rct[other], women.regenera[other], f"R-{other}"}
        for url, texts in pages.items():
            for text in texts:
                for code in hidden:
                    assert code not in text, (role, mine, url, code)
        if may(role.value, Permission.EXPORT):
            assert "/studies/ucmsc-rct/export.zip" in pages


def test_a_crawl_with_every_site_meets_both(women: Women, browsers) -> None:  # type: ignore[no-untyped-def]
    pages = crawl(browsers("statistician"))
    everything = "\n".join(text for texts in pages.values() for text in texts)
    assert women.rct[SITE] in everything
    assert women.rct[OTHER] in everything


def test_the_allocation_list_shows_her_sites_strata(women: Women, browsers) -> None:  # type: ignore[no-untyped-def]
    site_admin = browsers("admin.mad")
    refused = site_admin.api("POST", "/api/studies/ucmsc-rct/randomisation", json={})
    assert refused.status_code == 403, "the list spans every site"
    made = browsers("admin").api("POST", "/api/studies/ucmsc-rct/randomisation", json={})
    assert made.status_code == 201, made.text
    every = {s["stratum"].split("|")[0] for s in made.json()["strata"]}
    assert {SITE, OTHER} <= every
    mine = browsers("monitor.mad").client.get("/api/studies/ucmsc-rct/randomisation").json()
    assert {s["stratum"].split("|")[0] for s in mine["strata"]} == {SITE}
    assert [a["participant"] for a in mine["allocations"]] == [women.rct[SITE]]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MONITOR, Role.INVESTIGATOR])
def test_a_site_users_api_token_meets_only_her_sites_women(  # type: ignore[no-untyped-def]
    role: Role, clinic_app, clinic_database: Database, women: Women
) -> None:
    """A personal API token acts with its user's sites (``clinic.tokens`` through the one
    access dependency): every API read at her site names no other site's woman, and another
    site's woman is answered as a code that does not exist."""
    with clinic_database.transaction() as session:
        user = session.scalar(select(User).where(User.username == f"{role.value}.mad"))
        assert user is not None
        secret = create_token(session, user, name="script", by="test").secret
    headers = {"Authorization": f"Bearer {secret}"}
    hidden = _other_codes(women)
    api_reads = [path for method, path, is_api in _routes(clinic_app) if is_api and method == "GET"]
    assert api_reads
    with TestClient(clinic_app) as client:
        assert client.get("/api/me", headers=headers).json()["via"] == "api_token"
        for path in api_reads:
            if path in PUBLIC:
                continue
            own = client.get(_url(path, women, SITE), headers=headers)
            assert own.status_code < 500, (role, path, own.text[:300])
            for code in hidden:
                assert code not in own.text, (role, path, code)
            if "{code}" not in path:
                continue
            other_code = women.regenera[OTHER] if "gcsf" in path else women.rct[OTHER]
            other = client.get(_url(path, women, OTHER), headers=headers)
            ghost = client.get(_url(path, women, OTHER, GHOST), headers=headers)
            assert other.status_code == ghost.status_code, (role, path)
            assert other.text.replace(other_code, GHOST) == ghost.text, (role, path)
