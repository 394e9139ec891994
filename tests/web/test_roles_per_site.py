"""Roles per study and per site (issue 13 item 1, ``clinic.scope``, ``clinic.site_access``), on
SQLite and PostgreSQL: one person who coordinates at MAD1 and monitors at BCN2 in study C does
at each site what that site's role allows, and nothing of the other role; the grants that
would mix roles at one place, or blinded and unblinded roles in one study, are refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ovaregen.clinic.accounts import user_named
from ovaregen.clinic.roles import Role
from ovaregen.clinic.scope import Grant, access_of
from ovaregen.clinic.site_access import change_role, give, withdraw
from ovaregen.clinic.users import UserError, add_user
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry
from tests.clinic_fixtures import PASSWORD, SITE
from tests.web.test_sites import OTHER, Women, _routes, _send, _url, browsers, women

__all__ = ["browsers", "women"]  # the fixtures, shared with test_sites
STUDY = "ucmsc-rct"
TWO_ROLES = "bea"
"""Coordinator at MAD1 and monitor at BCN2, in study C."""


@pytest.fixture
def bea(clinic_database: Database, women: Women) -> Women:
    with clinic_database.transaction() as session:
        user = add_user(session, username=TWO_ROLES, password=PASSWORD, by="test")
        give(
            session,
            user,
            [Grant(STUDY, SITE, "coordinator"), Grant(STUDY, OTHER, "monitor")],
            by="test",
        )
    return women


def _visit(code: str) -> str:
    return f"/api/studies/{STUDY}/participants/{code}/visits/screening"


def test_each_site_allows_what_her_role_there_allows(bea: Women, browsers) -> None:  # type: ignore[no-untyped-def]
    her = browsers(TWO_ROLES)
    madrid, barcelona = bea.rct[SITE], bea.rct[OTHER]
    listed = {p["code"] for p in her.client.get(f"/api/studies/{STUDY}/participants").json()}
    assert {madrid, barcelona} <= listed, "she sees the women of both her sites"
    me = her.client.get("/api/me").json()
    assert me["access"] == [
        {"study": STUDY, "site": OTHER, "role": "monitor"},
        {"study": STUDY, "site": SITE, "role": "coordinator"},
    ]
    for code, may_enter in ((madrid, True), (barcelona, False)):
        version = her.client.get(_visit(code)).json()["version"]
        saved = her.api(
            "PUT",
            _visit(code),
            json={"values": {"age_years": 31}, "version": version, "reason": "age at consent"},
        )
        assert (saved.status_code == 200) is may_enter, (code, saved.text)
        if not may_enter:
            assert saved.status_code == 403
        raised = her.api(
            "POST",
            f"/api/studies/{STUDY}/participants/{code}/queries",
            json={"visit": "screening", "variable": "age_years", "message": "age?"},
        )
        assert (raised.status_code == 201) is not may_enter, (code, raised.text)
    answer = {"message": "checked", "version": 1}
    for site, may_answer in ((SITE, True), (OTHER, False)):
        answered = her.api(
            "POST", f"/api/studies/{STUDY}/queries/raised/{bea.query[site]}/answer", json=answer
        )
        assert (answered.status_code != 404) is may_answer, (site, answered.text)
    assert her.client.get(f"/studies/{STUDY}/export.zip").status_code == 403, (
        "neither of her roles may export"
    )


def test_the_audit_trail_holds_the_sites_where_her_role_reads_it(bea: Women, browsers) -> None:  # type: ignore[no-untyped-def]
    entries = browsers(TWO_ROLES).client.get("/api/audit?limit=1000").json()["entries"]
    women = {(e["study"], e["participant"]) for e in entries if e["participant"]}
    assert (STUDY, bea.rct[OTHER]) in women, "the monitor's site"
    assert (STUDY, bea.rct[SITE]) not in women, "a coordinator does not read the audit trail"
    assert {study for study, _ in women} == {STUDY}, "her roles are in study C only"


def test_one_role_at_one_place_and_one_blind_in_one_study(
    clinic_database: Database, women: Women
) -> None:
    with clinic_database.transaction() as session:
        user = add_user(session, username="cai", password=PASSWORD, by="test")
        give(session, user, [Grant(STUDY, SITE, "coordinator")], by="test")
    refusals = {
        "overlap": ([Grant(None, SITE, "monitor")], "one role at each study and site"),
        "same place": ([Grant(STUDY, SITE, "investigator")], "one role at each study and site"),
        "blinded and unblinded": ([Grant(STUDY, OTHER, "statistician")], "ICH E9"),
        "every study": ([Grant(None, OTHER, "treatment")], "ICH E9"),
    }
    for what, (grants, said) in refusals.items():
        with clinic_database.transaction() as session, pytest.raises(UserError) as refused:
            give(session, user_named(session, "cai"), grants, by="test")
        assert said in str(refused.value), what
    with clinic_database.transaction() as session:
        cai = user_named(session, "cai")
        assert access_of(session, cai.id).describe() == f"{STUDY}/{SITE} as coordinator"
        give(session, cai, [Grant("regenera", OTHER, "statistician")], by="test")
        after = change_role(session, cai, "monitor", [(STUDY, SITE)], by="test", reason="moves")
        assert after.describe() == f"regenera/{OTHER} as statistician, {STUDY}/{SITE} as monitor"
        withdraw(session, cai, [("regenera", OTHER)], by="test", reason="ends")
        trail = (
            session.execute(
                select(AuditEntry).where(
                    AuditEntry.entity == "user", AuditEntry.entity_id == str(cai.id)
                )
            )
            .scalars()
            .all()
        )
    accesses = [e.changes["access"] for e in trail if "access" in e.changes]
    assert accesses[-2] == [
        [f"regenera/{OTHER} as statistician", f"{STUDY}/{SITE} as coordinator"],
        [f"regenera/{OTHER} as statistician", f"{STUDY}/{SITE} as monitor"],
    ]
    assert accesses[-1][1] == [f"{STUDY}/{SITE} as monitor"]


def test_blinded_in_one_study_unblinded_in_another(
    bea: Women, clinic_database: Database, browsers
) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        user = add_user(session, username="dora", password=PASSWORD, by="test")
        give(
            session,
            user,
            [Grant(STUDY, None, "statistician"), Grant("regenera", SITE, "coordinator")],
            by="test",
        )
    dora = browsers("dora")
    allocation = dora.client.get(f"/api/studies/{STUDY}/participants/{bea.rct[SITE]}").json()
    assert "ucmsc_hrt" in str(allocation), "the statistician of study C sees the arm"
    regenera = dora.client.get(f"/studies/regenera/participants/{bea.regenera[SITE]}")
    top_bar = regenera.text.split("</header>")[0]
    assert regenera.status_code == 200 and "study coordinator (blinded)" in top_bar
    assert "statistician (unblinded)" not in top_bar, "her role there, not in study C"


PAIRS = [
    (Role.COORDINATOR, Role.MONITOR),
    (Role.DATA_MANAGER, Role.INVESTIGATOR),
    (Role.ADMIN, Role.PRINCIPAL_INVESTIGATOR),
    (Role.STATISTICIAN, Role.TREATMENT),
]
_ACTIONS = re.compile(r'<form[^>]*action="([^"]*)"')


def _shown(response) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    """What a page lets her do: its status and the actions of its forms."""
    return response.status_code, sorted(_ACTIONS.findall(response.text))


@pytest.mark.parametrize(("at_madrid", "at_barcelona"), PAIRS, ids=lambda r: r.value)
def test_every_page_of_a_woman_as_her_sites_role_shows_it(  # type: ignore[no-untyped-def]
    at_madrid: Role, at_barcelona: Role, clinic_database: Database, clinic_app, women, browsers
) -> None:
    """The permission matrix per grant: a user holding one role at MAD1 and another at BCN2 is
    answered on each site's woman, on every GET route that takes a woman, exactly as the user
    holding only that site's role (status and the forms the page offers)."""
    with clinic_database.transaction() as session:
        user = add_user(session, username="two", password=PASSWORD, by="test")
        grants = [Grant(None, SITE, at_madrid.value), Grant(None, OTHER, at_barcelona.value)]
        give(session, user, grants, by="test")
    two = browsers("two")
    alone = {SITE: browsers(f"{at_madrid.value}.mad"), OTHER: browsers(f"{at_barcelona.value}.bcn")}
    routes = [r for r in _routes(clinic_app) if r[0] == "GET" and "{code}" in r[1]]
    assert len(routes) > 10
    for _, path, is_api in routes:
        for site, single in alone.items():
            url = _url(path, women, site)
            mine = _shown(_send(two, "GET", url, is_api))
            theirs = _shown(_send(single, "GET", url, is_api))
            assert mine == theirs, (at_madrid, at_barcelona, site, path)
