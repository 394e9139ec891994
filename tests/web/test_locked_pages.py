"""Locked data read as locked (``clinic.locks``; docs/gcp-locks.md), on SQLite and PostgreSQL.

Under each lock level — a form lock of the page's own form, her casebook, the study database —
every data page of a woman (a follow-up visit, the follow-up checklist, her pregnancies, her
adverse events, the G-CSF log's day and its dose decision) names the lock that holds it (what,
by whom, since when, why) and offers no data form for any role: no save, add or delete button
and no enabled input of such a form. Before the lock, the roles that enter data are offered
those forms (so the check below sees them when they are there). A form lock holds that form
only: the G-CSF log's other days stay writable, and so does the checklist, which is not a form
a lock names (only her casebook or the study locks it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from ovaregen.clinic import ecrf
from ovaregen.clinic.followup import FOLLOWUP_VISIT
from ovaregen.clinic.roles import Permission, Role, may
from ovaregen.clinic.studies import add_participant, site_coded, study_named
from ovaregen.store.database import Database
from ovaregen.store.models import AdverseEvent, Pregnancy, utc_now
from tests.clinic_fixtures import SITE

STUDY = "regenera"
REASON = "source verified, clean"
DATA_ACTION = re.compile(
    r"^/studies/[^/]+/participants(/[^/]+/(visits/[^/]+|screening|followup|enrol|status"
    r"|(pregnancies|adverse-events)(/\d+(/delete)?)?|gcsf(/decision)?))?$"
)
"""Actions of the forms that change study data (the lock, query, verification and signature
forms change none: monitoring goes on on locked data)."""


@dataclass(frozen=True)
class DataPage:
    """A data page of hers: its path under her URL, the form a form lock of it names (None: not
    a lockable form), the notice's words for that form, and the data forms the form lock holds
    (None: every data form of the page)."""

    path: str
    form: str | None
    label: str
    held_by_form_lock: frozenset[str] | None = None


PAGES = {
    "follow-up visit": DataPage(
        "/visits/followup", "followup", "Form Follow-up of ovarian reserve and pregnancy"
    ),
    "follow-up checklist": DataPage("/followup", None, "The long-term follow-up form"),
    "pregnancies": DataPage("/pregnancies", "pregnancies", "The pregnancies list"),
    "adverse events": DataPage("/adverse-events", "adverse_events", "The adverse-event list"),
    "G-CSF day and decision": DataPage(
        "/gcsf",
        "mobilisation_d1",
        "Form G-CSF mobilisation, day 1",
        frozenset({"day-form-1", "decision-form-1"}),
    ),
}
EDITORS = {role for role in Role if may(role, Permission.ENTER_DATA)}


class _DataForms(HTMLParser):
    """The data forms a page offers: each post form whose action changes study data and that
    has an enabled submit button or input (inside it, or naming it by ``form=``), by its id
    (its action when it has none). An enabled input naming a form that is not on the page
    counts too, under that name."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, str] = {}
        self.open_form: str | None = None
        self.fieldsets: list[bool] = []
        self.offered: set[str] = set()
        self._pending: list[str] = []

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs = dict(attributes)
        if tag == "form":
            if (attrs.get("method") or "").lower() == "post":
                key = attrs.get("id") or attrs.get("action") or ""
                self.forms[key] = attrs.get("action") or ""
                self.open_form = key
            return
        if tag == "fieldset":
            self.fieldsets.append("disabled" in attrs)
            return
        if tag not in ("button", "input", "select", "textarea"):
            return
        if tag == "input" and attrs.get("type") == "hidden":
            return
        if tag == "button" and (attrs.get("type") or "submit") != "submit":
            return
        if "disabled" in attrs or any(self.fieldsets):
            return
        owner = attrs.get("form") or self.open_form
        if owner is not None:
            self._pending.append(owner)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.open_form = None
        elif tag == "fieldset" and self.fieldsets:
            self.fieldsets.pop()

    def result(self) -> set[str]:
        for owner in self._pending:
            action = self.forms.get(owner)
            if action is None or DATA_ACTION.match(action.split("?")[0]):
                self.offered.add(owner)
        return self.offered


def offered(html: str) -> set[str]:
    parser = _DataForms()
    parser.feed(html)
    return parser.result()


def notice(html: str) -> str:
    """The text of the page's lock notice (empty when there is none)."""
    found = re.search(r'id="lock-notice"[^>]*>(.*?)</p>', html, re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


def _woman(database: Database) -> str:
    """An enrolled woman of study A with a saved follow-up visit and checklist, G-CSF day 1
    (so its dose proposal waits for a decision), a pregnancy and an adverse event."""
    with database.transaction() as session:
        woman = add_participant(
            session, study_named(session, STUDY), site_coded(session, SITE), username="t"
        )
        woman.status, woman.eligible, woman.enrolled_at = "ongoing", "true", utc_now()
        saved = {
            "mobilisation_d1": {
                "weight_kg": 60.0,
                "gcsf_d1_ug_kg": 10.0,
                "wbc_d1_10e9_l": 20.0,
                "symptoms_d1": "none",
            },
            "followup": {"afc_post": 6},
            FOLLOWUP_VISIT: {"comp_ovarian_cyst": False},
        }
        for visit, values in saved.items():
            ecrf.save_form(session, woman, visit, values, username="t", expected_version=None)
        session.add_all(
            [
                Pregnancy(participant_id=woman.id, conception="spontaneous", outcome="ongoing"),
                AdverseEvent(
                    participant_id=woman.id, term="bone pain", grade=1, ctcae_version="5.0"
                ),
            ]
        )
        return woman.code


def _pages(browsers: dict[Role, Any], base: str) -> dict[tuple[Role, str], str]:
    """Every data page as every role sees it."""
    seen = {}
    for role, browser in browsers.items():
        for name, data_page in PAGES.items():
            response = browser.client.get(base + data_page.path)
            assert response.status_code == 200, (role, name, response.text[:300])
            seen[(role, name)] = response.text
    return seen


def _lock(manager: Any, url: str, **body: str) -> str:
    """Lock through the API; the lock's time as the pages print it."""
    made = manager.api("POST", url, json={"reason": REASON, **body})
    assert made.status_code == 201, made.text
    return datetime.fromisoformat(made.json()["locked_at"]).strftime("%Y-%m-%d %H:%M")


def _set_up(database: Database, login: Any) -> tuple[str, str, Any, dict[Role, Any]]:
    code = _woman(database)
    base = f"/studies/{STUDY}/participants/{code}"
    browsers = {role: login(role.value) for role in Role}
    before = _pages(browsers, base)
    for role in EDITORS:
        for name in PAGES:
            assert offered(before[(role, name)]), f"{role} is offered no data form on {name}"
            assert not notice(before[(role, name)]), (role, name)
        assert {"day-form-1", "day-form-2"} <= offered(before[(role, "G-CSF day and decision")])
    for role in (Role.INVESTIGATOR, Role.PRINCIPAL_INVESTIGATOR):
        assert "decision-form-1" in offered(before[(role, "G-CSF day and decision")])
    return code, base, browsers[Role.DATA_MANAGER], browsers


def _read_only_everywhere(seen: dict[tuple[Role, str], str], said: str) -> None:
    for (role, name), html in seen.items():
        assert offered(html) == set(), f"{role} is offered {offered(html)} on {name}"
        assert said in notice(html), (role, name, notice(html))


@pytest.mark.parametrize("level", ["casebook", "study"])
def test_a_locked_casebook_or_study_reads_only_on_every_page(  # type: ignore[no-untyped-def]
    level: str, clinic_database: Database, login
) -> None:
    code, base, manager, browsers = _set_up(clinic_database, login)
    if level == "study":
        since = _lock(manager, f"/api/studies/{STUDY}/lock")
        what = f"The study database of {STUDY} is"
    else:
        since = _lock(manager, f"/api{base}/lock")
        what = f"The casebook of participant {code} is"
    said = f"{what} locked by data_manager since {since} UTC (reason: {REASON})"
    _read_only_everywhere(_pages(browsers, base), said)
    for role, browser in browsers.items():
        hub = browser.client.get(base).text
        assert offered(hub) == set(), (role, offered(hub))
        listing = offered(browser.client.get(f"/studies/{STUDY}").text)
        if level == "study" or not may(role, Permission.SCREEN):
            assert listing == set(), (role, listing)  # no new woman in a locked study
        else:
            assert listing == {f"/studies/{STUDY}/participants"}, (role, listing)


def test_a_form_lock_holds_its_form_only(clinic_database: Database, login) -> None:  # type: ignore[no-untyped-def]
    code, base, manager, browsers = _set_up(clinic_database, login)
    lockable = {name: page for name, page in PAGES.items() if page.form is not None}
    since = {
        name: _lock(manager, f"/api{base}/lock", form=page.form or "")
        for name, page in lockable.items()
    }
    seen = _pages(browsers, base)
    for (role, name), html in seen.items():
        data_page = PAGES[name]
        if data_page.form is None:  # the checklist: no form lock names it
            assert not notice(html), (role, name)
            assert bool(offered(html)) is (role in EDITORS), (role, name)
            continue
        said = (
            f"{data_page.label} of participant {code} is locked by data_manager since "
            f"{since[name]} UTC (reason: {REASON})"
        )
        assert said in notice(html), (role, name, notice(html))
        held = data_page.held_by_form_lock
        if held is None:
            assert offered(html) == set(), f"{role} is offered {offered(html)} on {name}"
        else:
            assert not offered(html) & held, f"{role} is offered {offered(html)} on {name}"
            if role in EDITORS:
                assert {"day-form-2", "day-form-5"} <= offered(html), (role, offered(html))
    screening = browsers[Role.COORDINATOR].client.get(f"{base}/screening").text
    assert offered(screening), "her screening form is not locked"
