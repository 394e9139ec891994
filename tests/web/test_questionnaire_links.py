"""The participant's questionnaire link (issue 13 item 8, ``clinic.questionnaire_links``), on
SQLite and PostgreSQL: made by the coordinator and shown once, answered without login into
the visit's form and audited as the participant's; spent, expired, revoked, replaced and
unknown links all answered alike with nothing saved; wrong secrets throttled per address; the
form's errors named per question with nothing saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ovaregen.clinic.questionnaire_links import secret_hash
from ovaregen.clinic.studies import add_participant, site_coded, study_named
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, FormEntry, QuestionnaireLink, utc_now
from ovaregen.web.routes.questionnaire import REFUSED
from tests.clinic_fixtures import SITE, Browser

STUDY = "mensc"
ANSWERS = {
    "menses_followup": "irregular",
    "ivf_after_treatment": "yes",
    "comp_ovarian_cyst": "no",
    "comp_ovarian_torsion": "no",
    "comp_endometrioma": "",
    "comp_endometriosis": "no",
    "comp_ovarian_malignancy": "no",
    "comp_pid": "no",
    "comp_ectopic": "no",
    "comp_autoimmune": "yes",
    "pregnant": "yes",
    "pregnancies": "1",
    "pregnancy_details": "natural, 2022, a baby girl",
    "infant_health": "",
}
_URL = re.compile(r'id="questionnaire-url" readonly value="([^"]+)"')
_KEY = re.compile(r'name="form_key" value="([^"]+)"')


@pytest.fixture
def woman(clinic_database: Database) -> str:
    with clinic_database.transaction() as session:
        found = add_participant(
            session, study_named(session, STUDY), site_coded(session, SITE), username="test"
        )
        found.status, found.eligible, found.enrolled_at = "ongoing", "true", utc_now()
        return found.code


@pytest.fixture
def public(clinic_app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A browser with no login at all: the participant's."""
    with TestClient(clinic_app) as client:
        yield client


def _base(code: str) -> str:
    return f"/studies/{STUDY}/participants/{code}"


def _make_link(coordinator: Browser, code: str, visit: str = "questionnaire") -> str:
    made = coordinator.post_form(f"{_base(code)}/questionnaire-links", {"visit": visit})
    assert made.status_code == 200, made.text
    found = _URL.search(made.text)
    assert found, "the new link is shown"
    return found.group(1).split("testserver", 1)[1]


def _answer(public: TestClient, path: str, answers: dict[str, str]):  # type: ignore[no-untyped-def]
    shown = public.get(path)
    assert shown.status_code == 200, shown.text
    key = _KEY.search(shown.text)
    assert key
    return public.post(path, data={**answers, "form_key": key.group(1)})


def _count(database: Database, what: object) -> int:
    with database.read() as session:
        return int(session.execute(select(func.count()).select_from(what)).scalar_one())  # type: ignore[arg-type]


def _refused(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 404
    assert REFUSED in response.text


def test_answered_once_into_the_form_as_hers(  # type: ignore[no-untyped-def]
    clinic_database: Database, woman: str, login, public: TestClient
) -> None:
    coordinator = login("coordinator")
    path = _make_link(coordinator, woman)
    secret = path.rsplit("/", 1)[1]
    assert len(secret) >= 43, "32 random bytes, URL-safe"
    with clinic_database.read() as session:
        link = session.execute(select(QuestionnaireLink)).scalar_one()
        assert link.token_hash == secret_hash(secret) and secret not in link.token_hash
    form = public.get(path)
    assert "How are your periods now?" in form.text
    for private in (woman, SITE, "coordinator", "Test clinic"):
        assert private not in form.text, f"the public page does not show {private}"
    done = _answer(public, path, ANSWERS)
    assert done.status_code == 200 and "Your answers have been sent" in done.text
    with clinic_database.read() as session:
        entry = session.execute(select(FormEntry)).scalar_one()
        assert entry.visit == "questionnaire"
        assert entry.data["menses_followup"] == "irregular"
        assert entry.data["ivf_after_treatment"] is True
        assert entry.data["comp_autoimmune"] is True
        assert "comp_endometrioma" not in entry.data, "I don't know leaves it unknown"
        assert entry.data["visit_date"] == utc_now().date().isoformat()
        link = session.execute(select(QuestionnaireLink)).scalar_one()
        assert link.used_at is not None
        assert link.answers["pregnant"] is True and link.answers["pregnancies"] == 1
        actor = f"participant:{woman} (questionnaire link {link.id})"
        assert entry.updated_by == actor
        trail = session.execute(
            select(AuditEntry.username, AuditEntry.action, AuditEntry.entity).where(
                AuditEntry.participant == woman
            )
        ).all()
    assert (actor, "create", "form:questionnaire") in trail
    assert (actor, "answer", "questionnaire_link") in trail
    assert ("coordinator", "create", "questionnaire_link") in trail
    entries = _count(clinic_database, AuditEntry)
    again = public.get(path)
    _refused(again)
    replay = public.post(path, data={**ANSWERS, "menses_followup": "regular", "form_key": "x"})
    _refused(replay)
    assert _count(clinic_database, AuditEntry) == entries, "a second use changes nothing"
    with clinic_database.read() as session:
        assert (
            session.execute(select(FormEntry)).scalar_one().data["menses_followup"] == "irregular"
        )
    panel = coordinator.client.get(_base(woman))
    assert "natural, 2022, a baby girl" in panel.text, "her report is shown for review"


def test_expired_revoked_replaced_and_unknown_links_answer_alike(  # type: ignore[no-untyped-def]
    clinic_database: Database, woman: str, login, public: TestClient
) -> None:
    coordinator = login("coordinator")
    expired = _make_link(coordinator, woman, "year_1")
    with clinic_database.transaction() as session:
        link = session.execute(select(QuestionnaireLink)).scalar_one()
        link.expires_at = utc_now() - timedelta(seconds=1)
    replaced = _make_link(coordinator, woman)
    current = _make_link(coordinator, woman)
    with clinic_database.read() as session:
        newest = (
            session.execute(select(QuestionnaireLink).order_by(QuestionnaireLink.id.desc()))
            .scalars()
            .first()
        )
        assert newest is not None
        newest_id = newest.id
    revoked = coordinator.post_form(f"{_base(woman)}/questionnaire-links/{newest_id}/revoke", {})
    assert revoked.status_code == 303
    answers = [public.get(p) for p in (expired, replaced, current, "/questionnaire/not-a-link")]
    for response in answers:
        _refused(response)
    assert len({r.text for r in answers}) == 1, "one neutral answer for every failure"
    assert _count(clinic_database, FormEntry) == 0
    again = coordinator.post_form(f"{_base(woman)}/questionnaire-links/{newest_id}/revoke", {})
    assert again.status_code == 409, "a revoked link is not revoked twice"


def test_wrong_secrets_are_throttled_per_address(woman: str, login, public: TestClient) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        _refused(public.get("/questionnaire/guess"))
    throttled = public.get("/questionnaire/guess")
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert "Too many attempts" in throttled.text


def test_a_live_link_does_not_count_against_her_address(  # type: ignore[no-untyped-def]
    woman: str, login, public: TestClient
) -> None:
    path = _make_link(login("coordinator"), woman)
    for _ in range(8):
        assert public.get(path).status_code == 200


def test_form_errors_are_named_and_nothing_is_saved(  # type: ignore[no-untyped-def]
    clinic_database: Database, woman: str, login, public: TestClient
) -> None:
    path = _make_link(login("coordinator"), woman)
    wrong = {k: v for k, v in ANSWERS.items() if k != "comp_pid"}
    wrong |= {"menses_followup": "sometimes", "pregnancies": "many"}
    refused = _answer(public, path, wrong)
    assert refused.status_code == 422
    assert "Please choose one of the answers offered: How are your periods now?" in refused.text
    assert "Please answer: Have you had a pelvic infection" in refused.text
    assert "Please write how many times as a number from 1 to 10." in refused.text
    assert 'value="natural, 2022, a baby girl"' in refused.text or (
        "natural, 2022, a baby girl</textarea>" in refused.text
    ), "what she typed is kept"
    assert _count(clinic_database, FormEntry) == 0
    with clinic_database.read() as session:
        assert session.execute(select(QuestionnaireLink.used_at)).scalar_one() is None
    missing_count = _answer(public, path, {**ANSWERS, "pregnancies": ""})
    assert "Please write how many times you have been pregnant." in missing_count.text
    assert _answer(public, path, ANSWERS).status_code == 200, "corrected, it is sent"


def test_the_form_key_binds_the_form_to_its_link(  # type: ignore[no-untyped-def]
    clinic_database: Database, woman: str, login, public: TestClient
) -> None:
    path = _make_link(login("coordinator"), woman)
    forged = public.post(path, data={**ANSWERS, "form_key": "0" * 64})
    _refused(forged)
    assert _count(clinic_database, FormEntry) == 0
    assert _answer(public, path, ANSWERS).status_code == 200


def test_only_data_entry_makes_links_and_only_for_an_enrolled_woman(  # type: ignore[no-untyped-def]
    clinic_database: Database, woman: str, login
) -> None:
    monitor = login("monitor")
    refused = monitor.post_form(f"{_base(woman)}/questionnaire-links", {"visit": "questionnaire"})
    assert refused.status_code == 403
    coordinator = login("coordinator")
    unknown = coordinator.post_form(f"{_base(woman)}/questionnaire-links", {"visit": "month_3"})
    assert unknown.status_code == 409
    assert "expected year_1, questionnaire" in unknown.text
    with clinic_database.transaction() as session:
        withdrawn = add_participant(
            session, study_named(session, STUDY), site_coded(session, SITE), username="test"
        )
        withdrawn.status = "withdrawn"
        code = withdrawn.code
    closed = coordinator.post_form(f"{_base(code)}/questionnaire-links", {"visit": "year_1"})
    assert closed.status_code == 409 and "her status is withdrawn" in closed.text
    assert _count(clinic_database, QuestionnaireLink) == 0


def test_the_api_makes_and_lists_links(woman: str, login, public: TestClient) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    api = f"/api/studies/{STUDY}/participants/{woman}/questionnaire-links"
    made = coordinator.api("POST", api, json={"visit": "year_1"})
    assert made.status_code == 201, made.text
    url = made.json()["url"]
    assert public.get(url.split("testserver", 1)[1]).status_code == 200
    listed = login("monitor").client.get(api).json()
    assert [(row["visit"], row["state"]) for row in listed] == [("year_1", "live")]
    assert "url" not in listed[0], "the secret is shown once only"
