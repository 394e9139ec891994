"""A form submitted after the session ended keeps what was typed through a new login, and is
saved only when the person confirms (issue 10, ``web.kept``)."""

from __future__ import annotations

import html
import re

from sqlalchemy import delete, select

from ovaregen.store.database import Database
from ovaregen.store.models import FormEntry, WebSession
from tests.clinic_fixtures import PASSWORD
from tests.web.test_screening import STUDY, eligible_woman, new_participant

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _hidden(page: str) -> dict[str, str]:
    return {html.unescape(k): html.unescape(v) for k, v in _HIDDEN.findall(page)}


def _saved(database: Database, visit: str) -> list[FormEntry]:
    with database.transaction() as session:
        return list(session.execute(select(FormEntry).where(FormEntry.visit == visit)).scalars())


def test_entries_typed_in_an_ended_session_survive_the_login_and_save_on_confirmation(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/screening"
    typed = {**eligible_woman(), "version": "", "reason": ""}
    typed["amenorrhea_months"] = "11 <b>"  # a typed text is carried escaped, as typed
    with clinic_database.transaction() as session:
        session.execute(delete(WebSession))  # the session ends while she types
    answer = coordinator.client.post(url, data={**typed, "csrf_token": coordinator.csrf})
    assert answer.status_code == 401
    assert 'id="kept-login"' in answer.text and "<b>" not in answer.text
    carried = _hidden(answer.text)
    assert carried["next"] == url
    assert {
        k.removeprefix("kept:"): v for k, v in carried.items() if k.startswith("kept:")
    } == typed
    assert _saved(clinic_database, "screening") == []
    logged_in = coordinator.client.post(
        "/login", data={**carried, "username": "coordinator", "password": PASSWORD}
    )
    assert logged_in.status_code == 200 and 'id="kept-entries"' in logged_in.text
    assert _saved(clinic_database, "screening") == [], "saved only on confirmation"
    confirm = _hidden(logged_in.text)
    assert confirm["amenorrhea_months"] == "11 <b>" and confirm["age_years"] == "32"
    saved = coordinator.client.post(url, data=confirm)
    assert saved.status_code == 422  # the carried text goes through the form's own checks
    assert "amenorrhea_months" in saved.text
    confirm["amenorrhea_months"] = "11"
    saved = coordinator.client.post(url, data=confirm)
    assert saved.status_code == 200, saved.text
    (entry,) = _saved(clinic_database, "screening")
    assert entry.data["amenorrhea_months"] == 11 and entry.updated_by == "coordinator"


def test_a_wrong_password_keeps_the_entries_too(login, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/screening"
    with clinic_database.transaction() as session:
        session.execute(delete(WebSession))
    answer = coordinator.client.post(url, data={"age_years": "33", "csrf_token": "x"})
    carried = _hidden(answer.text)
    wrong = coordinator.client.post(
        "/login", data={**carried, "username": "coordinator", "password": "not it at all"}
    )
    assert wrong.status_code == 401
    assert _hidden(wrong.text)["kept:age_years"] == "33"
