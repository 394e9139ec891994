"""The blind's safeguards over HTTP (issue 13 item 7, and item 10's one-click randomisation),
on SQLite and PostgreSQL:

* emergency unblinding takes a listed category and an explanation; another site's woman is
  404; an investigator whose only grant is "every site" is refused (403);
* a second request shows the first, and the arm only once it is confirmed read;
* her page marks her unblinded, identically for two women who differ only in their arm;
* the statistician and the principal investigator read the list of unblindings (no arm), scoped
  to their sites; every other role is refused;
* block sizes and slots are seen by the unblinded only: changing them changes no blinded view;
* an allocation is made only on a confirmation, and a stale one is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import delete, select, update

from ovaregen.clinic import ecrf, studies
from ovaregen.clinic.accounts import user_named
from ovaregen.clinic.roles import Role, is_blinded
from ovaregen.clinic.scope import Grant
from ovaregen.clinic.site_access import give
from ovaregen.clinic.users import add_user
from ovaregen.store.database import Database
from ovaregen.store.models import AllocationSlot, RandomisationList, Unblinding, utc_now
from tests.clinic.test_randomisation import STUDY, ready_participant, set_up_list
from tests.clinic_fixtures import PASSWORD, SITE, Browser
from tests.web.test_blinding_twins import CODES, masked
from tests.web.test_randomisation import LIST_API, LIST_PAGE, allocate, assert_blind

Login = Callable[[str], Browser]
BLINDED = [role for role in Role if is_blinded(role)]
SAE = "serious_adverse_event"
OTHER = "BCN2"
EXPLAINED = "anaphylaxis twenty minutes after the injection"


def _unblind_url(code: str) -> str:
    return f"/studies/{STUDY}/participants/{code}/unblind"


def _api_url(code: str) -> str:
    return f"/api/studies/{STUDY}/participants/{code}/unblinding"


def _grant_site(database: Database, username: str, site: str = SITE) -> None:
    with database.transaction() as session:
        give(session, user_named(session, username), [Grant(None, site, username)], by="test")


def _site_user(database: Database, username: str, role: Role, site: str) -> None:
    with database.transaction() as session:
        user = add_user(session, username=username, password=PASSWORD, by="t")
        give(session, user, [Grant(None, site, role.value)], by="test")


def _twins(database: Database) -> tuple[str, str]:
    """Two women with the same data, allocated to different arms (imported allocations)."""
    codes = []
    with database.transaction() as session:
        study = studies.study_named(session, STUDY)
        for i, arm in enumerate(("ucmsc_hrt", "hrt")):
            woman = ready_participant(session)
            session.add(
                AllocationSlot(
                    study_id=study.id,
                    stratum="imported",
                    sequence=i + 1,
                    block=0,
                    arm=arm,
                    code=CODES[i],
                    participant_id=woman.id,
                    allocated_at=utc_now(),
                    allocated_by="coordinator",
                )
            )
            codes.append(woman.code)
    return codes[0], codes[1]


# ---- emergency unblinding ------------------------------------------------------------------


def test_a_category_from_the_list_and_an_explanation_are_required(
    login: Login, clinic_database: Database
) -> None:
    woman, _ = _twins(clinic_database)
    _grant_site(clinic_database, "investigator")
    investigator = login("investigator")
    form = investigator.client.get(_unblind_url(woman))
    assert form.status_code == 200
    assert all(f'value="{c}"' in form.text for c in ("serious_adverse_event", "pregnancy"))
    alone = investigator.post_form(_unblind_url(woman), {"reason": EXPLAINED})
    assert alone.status_code == 422 and "needs a category" in alone.text
    assert_blind(alone.text)
    invented = investigator.post_form(
        _unblind_url(woman), {"category": "curiosity", "reason": EXPLAINED}
    )
    assert invented.status_code == 422 and "is not a category" in invented.text
    assert_blind(invented.text)
    api = investigator.api("POST", _api_url(woman), json={"reason": EXPLAINED})
    assert api.status_code == 422 and "needs a category" in api.json()["detail"]
    wrong = investigator.api("POST", _api_url(woman), json={"category": "x", "reason": EXPLAINED})
    assert wrong.status_code == 422 and "category" in wrong.json()["errors"]
    with clinic_database.transaction() as session:
        assert session.execute(select(Unblinding)).first() is None


def test_only_an_investigator_of_her_site_unblinds_her(
    login: Login, clinic_database: Database
) -> None:
    woman, _ = _twins(clinic_database)
    with clinic_database.transaction() as session:
        studies.add_site(session, code=OTHER, name="Barcelona", username="test")
    _site_user(clinic_database, "investigator.bcn", Role.INVESTIGATOR, OTHER)
    _site_user(clinic_database, "investigator.mad", Role.INVESTIGATOR, SITE)
    body = {"category": SAE, "reason": EXPLAINED}
    everywhere = login("investigator")  # the fixture's user holds every site
    refused = everywhere.post_form(_unblind_url(woman), body)
    assert refused.status_code == 403 and "investigator of her site MAD1" in refused.text
    assert everywhere.client.get(_unblind_url(woman)).status_code == 403
    assert everywhere.api("POST", _api_url(woman), json=body).status_code == 403
    other = login("investigator.bcn")
    assert other.post_form(_unblind_url(woman), body).status_code == 404
    assert other.api("POST", _api_url(woman), json=body).status_code == 404
    mine = login("investigator.mad")
    shown = mine.post_form(_unblind_url(woman), body)
    assert shown.status_code == 200 and 'id="revealed-arm"' in shown.text
    with clinic_database.transaction() as session:
        rows = session.execute(select(Unblinding)).scalars().all()
        assert [(r.username, r.category) for r in rows] == [("investigator.mad", SAE)]


def test_a_second_request_shows_the_first_and_is_recorded(
    login: Login, clinic_database: Database
) -> None:
    woman, _ = _twins(clinic_database)
    _site_user(clinic_database, "ana.mad", Role.INVESTIGATOR, SITE)
    _site_user(clinic_database, "eva.mad", Role.PRINCIPAL_INVESTIGATOR, SITE)
    first = login("ana.mad").post_form(_unblind_url(woman), {"category": SAE, "reason": EXPLAINED})
    assert first.status_code == 200
    second = login("eva.mad")
    form = second.client.get(_unblind_url(woman))
    assert 'id="earlier-unblindings"' in form.text and "by ana.mad" in form.text
    assert EXPLAINED in form.text and 'name="seen_earlier"' in form.text
    assert_blind(form.text)
    again = {"category": "pregnancy", "reason": "pregnant at week six, needs the treatment"}
    unread = second.post_form(_unblind_url(woman), again)
    assert unread.status_code == 409 and "unblinded before" in unread.text
    assert "by ana.mad" in unread.text and 'id="revealed-arm"' not in unread.text
    assert_blind(unread.text)
    api = second.api("POST", _api_url(woman), json=again)
    assert api.status_code == 409 and "ana.mad" in api.json()["detail"]
    assert "arm" not in api.json()
    read = second.post_form(_unblind_url(woman), {**again, "seen_earlier": "yes"})
    assert read.status_code == 200 and 'id="revealed-arm"' in read.text
    with clinic_database.transaction() as session:
        rows = session.execute(select(Unblinding).order_by(Unblinding.id)).scalars().all()
        assert [(r.username, r.category) for r in rows] == [
            ("ana.mad", SAE),
            ("eva.mad", "pregnancy"),
        ]


def test_her_page_marks_her_unblinded_alike_for_both_arms(
    login: Login, clinic_database: Database
) -> None:
    twins = _twins(clinic_database)
    _site_user(clinic_database, "ana.mad", Role.INVESTIGATOR, SITE)
    ana = login("ana.mad")
    for code in twins:
        answer = ana.api("POST", _api_url(code), json={"category": SAE, "reason": EXPLAINED})
        assert answer.status_code == 200
    for role in BLINDED:
        browser = login(role.value)
        pages = [browser.client.get(f"/studies/{STUDY}/participants/{c}") for c in twins]
        assert all(p.status_code == 200 for p in pages), role
        assert 'id="unblinded-mark"' in pages[0].text and "by ana.mad" in pages[0].text
        assert masked(pages[0].text, twins[0]) == masked(pages[1].text, twins[1]), role


# ---- the notification list -----------------------------------------------------------------


def test_the_statistician_and_the_principal_investigator_are_told(
    login: Login, clinic_database: Database
) -> None:
    woman, _ = _twins(clinic_database)
    with clinic_database.transaction() as session:
        studies.add_site(session, code=OTHER, name="Barcelona", username="test")
    _site_user(clinic_database, "ana.mad", Role.INVESTIGATOR, SITE)
    _site_user(clinic_database, "pi.bcn", Role.PRINCIPAL_INVESTIGATOR, OTHER)
    ana = login("ana.mad")
    ana.api("POST", _api_url(woman), json={"category": SAE, "reason": EXPLAINED})
    ana.api(
        "POST",
        _api_url(woman),
        json={"category": "pregnancy", "reason": "pregnant at week six", "seen_earlier": True},
    )
    for role in ("statistician", "principal_investigator"):
        reader = login(role)
        listed = reader.client.get(f"/api/studies/{STUDY}/unblindings").json()["unblindings"]
        assert [(u["participant"], u["site"], u["unblinded_by"]) for u in listed] == [
            (woman, SITE, "ana.mad")
        ] * 2
        assert [(u["category"], u["repeat"]) for u in listed] == [
            ("pregnancy", True),
            (SAE, False),
        ]
        assert all("arm" not in u for u in listed)
        page = reader.client.get(f"/studies/{STUDY}/unblindings")
        assert page.status_code == 200 and EXPLAINED in page.text and woman in page.text
        assert "yes (unblinded before)" in page.text
        assert_blind(page.text)
    elsewhere = login("pi.bcn").client.get(f"/api/studies/{STUDY}/unblindings").json()
    assert elsewhere["unblindings"] == [], "another site's unblindings are not hers"
    for role in Role:
        if role in (Role.STATISTICIAN, Role.PRINCIPAL_INVESTIGATOR):
            continue
        browser = login(role.value)
        assert browser.client.get(f"/api/studies/{STUDY}/unblindings").status_code == 403, role
        assert browser.client.get(f"/studies/{STUDY}/unblindings").status_code == 403, role


# ---- the list's design ---------------------------------------------------------------------


def _views(browser: Browser, codes: tuple[str, ...]) -> list[str]:
    urls = [LIST_PAGE, LIST_API, f"/api/studies/{STUDY}/participants"]
    for code in codes:
        urls += [
            f"/studies/{STUDY}/participants/{code}",
            f"/api/studies/{STUDY}/participants/{code}",
            f"/studies/{STUDY}/participants/{code}/randomise",
            f"/api/studies/{STUDY}/participants/{code}/allocation/confirmation",
        ]
    return [browser.client.get(url).text for url in urls]


_DESIGN = re.compile(
    r"block_sizes|slots_per_stratum|Block sizes|Slots per stratum|<th>Slots</th>"
    r'|"(slots|block|sequence)"'
)
"""The list's design as a field of an answer or a heading of a page."""


def test_block_sizes_and_slots_are_seen_by_the_unblinded_only(
    login: Login, clinic_database: Database
) -> None:
    """The twins method on the list itself: a blinded view is the same whatever the block
    sizes and the slots left; the statistician's is not (so the comparison has teeth)."""
    set_up_list(clinic_database, block_sizes="2,4", slots_per_stratum=12)
    with clinic_database.transaction() as session:
        women = tuple(ready_participant(session).code for _ in range(2))
    coordinator = login("coordinator")
    for code in women:
        assert allocate(coordinator, code).status_code == 201
    browsers = {role: login(role.value) for role in [*BLINDED, Role.STATISTICIAN]}
    before = {role: _views(b, women) for role, b in browsers.items()}
    with clinic_database.transaction() as session:
        session.execute(update(RandomisationList).values(block_sizes="6", slots_per_stratum=30))
        session.execute(
            delete(AllocationSlot).where(
                AllocationSlot.participant_id.is_(None), AllocationSlot.sequence > 8
            )
        )
    for role, browser in browsers.items():
        after = _views(browser, women)
        if role is Role.STATISTICIAN:
            assert after != before[role], "the unblinded see the design"
            continue
        assert after == before[role], f"{role.value}: a blinded view shows the list's design"
        for text in after:
            assert not _DESIGN.search(text), role.value


# ---- confirming an allocation --------------------------------------------------------------


def test_an_allocation_is_made_only_on_a_fresh_confirmation(
    login: Login, clinic_database: Database
) -> None:
    set_up_list(clinic_database, factors="married", slots_per_stratum=10)
    with clinic_database.transaction() as session:
        woman = ready_participant(session, screening={"consent": True, "married": True}).code
    coordinator = login("coordinator")
    page_url = f"/studies/{STUDY}/participants/{woman}/randomise"
    api_url = f"/api/studies/{STUDY}/participants/{woman}/allocation"
    shown = coordinator.client.get(page_url)
    assert shown.status_code == 200
    for fact in (woman, "Stratification factor married", "MAD1|married=true", "recorded"):
        assert fact in shown.text, fact
    seen = re.search(r'name="seen" value="([^"]+)"', shown.text)
    assert seen and 'name="confirm"' in shown.text
    unconfirmed = coordinator.post_form(page_url, {"seen": seen.group(1)})
    assert unconfirmed.status_code == 422 and "not confirmed" in unconfirmed.text
    bare = coordinator.api("POST", api_url)
    assert bare.status_code == 422 and "confirm" in bare.json()["errors"]
    unseen = coordinator.api("POST", api_url, json={"confirm": True})
    assert unseen.status_code == 422 and "seen" in unseen.json()["errors"]
    with clinic_database.transaction() as session:  # her screening changes in between
        found = studies.participant_coded(session, studies.study_named(session, STUDY), woman)
        entry = ecrf.form_entry(session, found, "screening")
        assert entry is not None
        ecrf.save_form(
            session,
            found,
            "screening",
            {"consent": True, "married": False},
            username="coordinator",
            expected_version=entry.version,
            reason="married was entered wrongly",
        )
    stale = coordinator.post_form(page_url, {"confirm": "yes", "seen": seen.group(1)})
    assert stale.status_code == 409 and "changed since the confirmation" in stale.text
    assert "MAD1|married=false" in stale.text, "the page shows her as she is now"
    stale_api = coordinator.api("POST", api_url, json={"confirm": True, "seen": seen.group(1)})
    assert stale_api.status_code == 409
    with clinic_database.transaction() as session:
        taken = session.execute(select(AllocationSlot.participant_id)).scalars().all()
        assert not any(taken), "nothing was allocated"
    fresh = coordinator.client.get(f"{api_url}/confirmation").json()
    assert fresh["factors"] == {"married": "false"} and fresh["consent"] is True
    made = coordinator.api("POST", api_url, json={"confirm": True, "seen": fresh["seen"]})
    assert made.status_code == 201
    with clinic_database.transaction() as session:
        slot = session.execute(
            select(AllocationSlot).where(AllocationSlot.participant_id.is_not(None))
        ).scalar_one()
        assert slot.stratum == "MAD1|married=false"
