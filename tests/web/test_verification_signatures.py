"""Source-data verification and electronic signatures (issue 13 items 3, 4): a change clears
the SDV mark and breaks the signature, re-verifying and re-signing make them hold again; the
password is asked for every signature and a wrong one is refused, throttled and audited; the
hash covers exactly the signed values; only the monitor verifies and only investigators sign."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ovaregen.clinic import signatures
from ovaregen.clinic.followup import add_event
from ovaregen.clinic.studies import participant_coded, protocol_of, study_named
from ovaregen.store.models import (
    AuditEntry,
    LoginFailure,
    Signature,
    SourceVerification,
    utc_now,
)
from tests.clinic_fixtures import PASSWORD, Browser
from tests.web.test_screening import new_participant

STUDY = "ucmsc-rct"
HEADACHE = {
    "term": "headache",
    "grade": "1",
    "serious": "no",
    "related": "possible",
    "outcome": "recovered",
}
SCREENING_LABEL = next(v.label for v in protocol_of(STUDY).schedule if v.id == "screening")


def _woman(coordinator: Browser, age: int = 32) -> str:
    """A woman with a saved screening form (version 1)."""
    code = new_participant(coordinator)
    saved = coordinator.api(
        "PUT", _url(code, "/visits/screening"), json={"values": {"age_years": age}}
    )
    assert saved.status_code == 200, saved.text
    return code


def _url(code: str, tail: str = "", api: bool = True) -> str:
    return f"{'/api' if api else ''}/studies/{STUDY}/participants/{code}{tail}"


def _change(coordinator: Browser, code: str, version: int, age: int) -> None:
    changed = coordinator.api(
        "PUT",
        _url(code, "/visits/screening"),
        json={"values": {"age_years": age}, "version": version, "reason": "transcription error"},
    )
    assert changed.status_code == 200, changed.text


def _sdv(browser: Browser, code: str) -> dict[str, Any]:
    states = browser.api("GET", _url(code, "/verification")).json()
    return {s["form"]: s for s in states}


def _signatures(browser: Browser, code: str) -> dict[str, Any]:
    answer = browser.api("GET", _url(code, "/signatures"))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _count(database, model: type) -> int:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_change_clears_the_verification_and_re_verifying_sets_it(login) -> None:  # type: ignore[no-untyped-def]
    coordinator, monitor = login("coordinator"), login("monitor")
    code = _woman(coordinator)
    first = _sdv(monitor, code)["screening"]
    assert first["state"] == "not verified" and first["version"] == 1
    marked = monitor.post_form(
        _url(code, "/verification", api=False), {"form": "screening", "seen": first["seen"]}
    )
    assert marked.status_code == 303
    assert marked.headers["location"] == _url(code, "/visits/screening", api=False)
    page = monitor.client.get(_url(code, api=False)).text
    assert "verified by monitor on " in page and "(version 1)" in page

    _change(coordinator, code, 1, 33)
    cleared = _sdv(monitor, code)["screening"]
    assert cleared["state"] == "cleared"
    assert "verification cleared: changed by coordinator on " in cleared["text"]
    assert "(version 1 → 2)" in cleared["text"]
    visit = monitor.client.get(_url(code, "/visits/screening", api=False)).text
    assert "verification cleared: changed by coordinator" in visit
    listed = monitor.api("GET", f"/api/studies/{STUDY}/verification").json()
    assert [r["state"] for r in listed if r["participant"] == code] == ["cleared"]
    worklist = monitor.client.get(f"/studies/{STUDY}/verification").text
    assert "cleared: <strong>1</strong>" in worklist

    stale = monitor.api(
        "POST", _url(code, "/verification"), json={"form": "screening", "seen": first["seen"]}
    )
    assert stale.status_code == 409 and "changed since you looked" in stale.json()["detail"]
    again = monitor.api(
        "POST", _url(code, "/verification"), json={"form": "screening", "seen": cleared["seen"]}
    )
    assert again.status_code == 201, again.text
    assert again.json()["state"] == "verified" and again.json()["verified_version"] == 2
    assert _sdv(monitor, code)["screening"]["state"] == "verified"


def test_a_form_without_data_or_key_is_not_verified(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    monitor = login("monitor")
    code = new_participant(login("coordinator"))
    missing = monitor.api("POST", _url(code, "/verification"), json={"form": "month_3", "seen": ""})
    assert missing.status_code == 404 and "no saved form 'month_3'" in missing.json()["detail"]
    empty = monitor.post_form(_url(code, "/verification", api=False), {"form": " "})
    assert empty.status_code == 422 and "form is empty" in empty.text
    assert _count(clinic_database, SourceVerification) == 0


def _sign(browser: Browser, code: str, scope: str = "casebook", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    seen = _signatures(browser, code)["seen"][scope]
    return browser.api(
        "POST",
        _url(code, "/signature"),
        json={
            "scope": scope,
            "meaning": "reviewed and approved",
            "password": password,
            "seen": seen,
        },
    )


def test_a_change_breaks_the_signature_and_re_signing_mends_it(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator, investigator = login("coordinator"), login("investigator")
    code = _woman(coordinator)
    seen = _signatures(investigator, code)["seen"]["casebook"]
    signed = investigator.post_form(
        _url(code, "/signature", api=False),
        {
            "scope": "casebook",
            "meaning": "reviewed and approved",
            "password": PASSWORD,
            "seen": seen,
        },
    )
    assert signed.status_code == 303 and signed.headers["location"] == _url(code, api=False)
    page = investigator.client.get(_url(code, api=False)).text
    assert "signed by Dr Investigator (investigator) on " in page
    assert "meaning: reviewed and approved — valid" in page

    _change(coordinator, code, 1, 34)
    [broken] = _signatures(investigator, code)["signatures"]
    assert broken["valid"] is False
    assert broken["changes"] == [f"{SCREENING_LABEL} version 1 → 2"]
    page = investigator.client.get(_url(code, api=False)).text
    assert f"broken: values changed since signing: {SCREENING_LABEL} version 1 → 2" in page

    again = _sign(investigator, code)
    assert again.status_code == 201, again.text
    assert again.json()["valid"] is True and again.json()["forms"] == {"screening": 2}
    kept = _signatures(investigator, code)["signatures"]
    assert [s["valid"] for s in kept] == [False, True], "the broken signature is kept"
    assert _count(clinic_database, Signature) == 2
    with clinic_database.transaction() as session:
        entries = (
            session.execute(select(AuditEntry).where(AuditEntry.entity == signatures.ENTITY))
            .scalars()
            .all()
        )
        assert [e.action for e in entries] == ["create", "create"]
        assert entries[0].changes["forms"] == [None, {"screening": 1}]


def test_every_signature_asks_the_password(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator, investigator = login("coordinator"), login("investigator")
    code = _woman(coordinator)
    seen = _signatures(investigator, code)["seen"]["casebook"]
    without = investigator.post_form(
        _url(code, "/signature", api=False), {"scope": "casebook", "seen": seen}
    )
    assert without.status_code == 422 and "enter your password to sign" in without.text
    failures = _count(clinic_database, LoginFailure)
    wrong = _sign(investigator, code, password="not my password at all")
    assert wrong.status_code == 403 and "wrong password" in wrong.json()["detail"]
    assert _count(clinic_database, Signature) == 0
    assert _count(clinic_database, LoginFailure) == failures + 1, "the login throttle counts it"
    with clinic_database.transaction() as session:
        refusal = session.execute(
            select(AuditEntry).where(AuditEntry.action == signatures.REFUSED)
        ).scalar_one()
        assert refusal.username == "investigator" and refusal.participant == code
        assert refusal.changes["refused"] == "wrong password"
    for _ in range(4):  # the pair's free failures (clinic.throttle.PAIR) are used up ...
        assert _sign(investigator, code, password="still not my password").status_code == 403
    throttled = _sign(investigator, code)  # ... so even the right password waits
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert _count(clinic_database, Signature) == 0
    meaning = investigator.api(
        "POST",
        _url(code, "/signature"),
        json={"meaning": "looks fine", "password": PASSWORD, "seen": seen},
    )
    assert meaning.status_code == 422 and "'reviewed and approved'" in meaning.json()["detail"]


def test_the_hash_covers_exactly_the_signed_values(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator, investigator = login("coordinator"), login("investigator")
    signed, other = _woman(coordinator), _woman(coordinator)
    assert _sign(investigator, signed).status_code == 201
    assert _sign(investigator, signed, scope="screening").status_code == 201
    _change(coordinator, other, 1, 35)  # another woman's form
    assert [s["valid"] for s in _signatures(investigator, signed)["signatures"]] == [True, True]
    with clinic_database.transaction() as session:  # her first adverse event
        woman = participant_coded(session, study_named(session, STUDY), signed)
        woman.status, woman.enrolled_at = "ongoing", utc_now()  # as if enrolled
        add_event(session, woman, HEADACHE, username="coordinator")
    casebook, screening = _signatures(investigator, signed)["signatures"]
    assert casebook["valid"] is False and casebook["changes"] == ["Adverse events added (1 rows)"]
    assert screening["valid"] is True, "a form's signature covers that form only"
    stale = investigator.api(
        "POST",
        _url(signed, "/signature"),
        json={"password": PASSWORD, "seen": _signatures(investigator, other)["seen"]["casebook"]},
    )
    assert stale.status_code == 409, "the values another woman shows are not hers"


def test_the_monitor_cannot_sign_and_the_investigator_cannot_verify(login) -> None:  # type: ignore[no-untyped-def]
    coordinator, monitor, investigator = (
        login("coordinator"),
        login("monitor"),
        login("investigator"),
    )
    code = _woman(coordinator)
    seen = _sdv(monitor, code)["screening"]["seen"]
    refused = investigator.api(
        "POST", _url(code, "/verification"), json={"form": "screening", "seen": seen}
    )
    assert refused.status_code == 403
    assert _sign(monitor, code).status_code == 403
    monitor_page = monitor.client.get(_url(code, api=False)).text
    assert "Mark verified" in monitor_page and 'id="sign-casebook"' not in monitor_page
    investigator_page = investigator.client.get(_url(code, api=False)).text
    assert "Mark verified" not in investigator_page and 'id="sign-casebook"' in investigator_page


def test_a_list_is_verified_whole_and_a_new_row_clears_it(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator, monitor = login("coordinator"), login("monitor")
    code = _woman(coordinator)
    with clinic_database.transaction() as session:
        woman = participant_coded(session, study_named(session, STUDY), code)
        woman.status, woman.enrolled_at = "ongoing", utc_now()  # as if enrolled
        add_event(session, woman, HEADACHE, username="coordinator")
    events = _sdv(monitor, code)["adverse_events"]
    assert events["state"] == "not verified" and events["version"] == 1
    marked = monitor.post_form(
        _url(code, "/verification", api=False), {"form": "adverse_events", "seen": events["seen"]}
    )
    assert marked.status_code == 303
    assert marked.headers["location"] == _url(code, "#verification", api=False)
    assert "verified by monitor on " in _sdv(monitor, code)["adverse_events"]["text"]
    added = coordinator.api("POST", _url(code, "/adverse-events"), json=HEADACHE)
    assert added.status_code == 201, added.text
    cleared = _sdv(monitor, code)["adverse_events"]
    assert cleared["state"] == "cleared" and "(1 rows → 2)" in cleared["text"]
    assert _sdv(monitor, code)["screening"]["state"] == "not verified", "the visit is apart"
