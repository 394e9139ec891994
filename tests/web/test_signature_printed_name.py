"""A signature's printed name (21 CFR 11.50(a)(1)), on SQLite and PostgreSQL: the signer's full
name is copied onto the signature when she signs, and a later rename leaves her past
signatures as they were made; a signer without a full name is refused, told how to set it, and
nothing is signed; the administrator sets and changes the name (web and command line), audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, Signature, User
from tests.clinic_fixtures import PASSWORD, Browser, full_name_of
from tests.test_user_commands import last_entry, user
from tests.web.test_verification_signatures import _signatures, _url, _woman

INVESTIGATOR = "investigator"


def _sign(browser: Browser, code: str) -> Any:
    seen = _signatures(browser, code)["seen"]["casebook"]
    return browser.api(
        "POST",
        _url(code, "/signature"),
        json={"scope": "casebook", "password": PASSWORD, "seen": seen},
    )


def _signature_count(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(select(func.count(Signature.id))).scalar_one())


def _rename(admin: Browser, username: str, name: str, reason: str = "") -> Any:
    return admin.post_form(f"/admin/users/{username}/name", {"full_name": name, "reason": reason})


def test_the_printed_name_is_the_full_name_when_signed_and_stays(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    coordinator, investigator, admin = login("coordinator"), login(INVESTIGATOR), login("admin")
    code = _woman(coordinator)
    signed = _sign(investigator, code)
    assert signed.status_code == 201, signed.text
    before = full_name_of(INVESTIGATOR)
    assert signed.json()["printed_name"] == before
    assert signed.json()["text"].startswith(f"signed by {before} ({INVESTIGATOR}) on ")
    assert last_entry(clinic_database).changes["printed_name"] == [None, before]

    renamed = _rename(admin, INVESTIGATOR, "  Dr   Ana  López ", "married name")
    assert renamed.status_code == 200, renamed.text
    assert "full name is now Dr Ana López" in renamed.text
    entry = last_entry(clinic_database)
    assert (entry.username, entry.entity, entry.reason) == ("admin", "user", "married name")
    assert entry.changes["full_name"] == [before, "Dr Ana López"]
    assert investigator.client.get("/api/me").json()["full_name"] == "Dr Ana López"

    resigned = _sign(investigator, code)
    assert resigned.status_code == 201, resigned.text
    old, new = _signatures(investigator, code)["signatures"]
    assert old["printed_name"] == before, "a rename does not rewrite a past signature"
    assert new["printed_name"] == "Dr Ana López"
    page = investigator.client.get(_url(code, api=False)).text
    assert f"signed by Dr Ana López ({INVESTIGATOR}) on " in page
    listed = {u["username"]: u for u in admin.api("GET", "/api/admin/users").json()}
    assert listed[INVESTIGATOR]["full_name"] == "Dr Ana López"


def test_a_signer_without_a_full_name_cannot_sign(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        session.execute(update(User).where(User.username == INVESTIGATOR).values(full_name=""))
    coordinator, investigator, admin = login("coordinator"), login(INVESTIGATOR), login("admin")
    code = _woman(coordinator)
    page = investigator.client.get(_url(code, api=False)).text
    assert 'id="no-full-name"' in page and 'id="sign-casebook"' not in page
    visit = investigator.client.get(_url(code, "/visits/screening", api=False)).text
    assert 'id="no-full-name"' in visit and 'id="sign-form"' not in visit
    refused = _sign(investigator, code)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "investigator has no full name" in detail
    assert "ovaregen user set-name --username investigator" in detail
    assert "nothing was signed" in detail
    assert _signature_count(clinic_database) == 0
    listing = admin.client.get("/admin/users").text
    assert "not set: cannot sign" in listing

    for bad, why in (("   ", "full name: empty"), ("Ana\u200bLópez", "control or invisible")):
        answer = _rename(admin, INVESTIGATOR, bad)
        assert answer.status_code == 422 and why in answer.text, answer.text[:300]
    assert _rename(admin, INVESTIGATOR, "Dr Ana López").status_code == 200
    assert _rename(admin, INVESTIGATOR, "Dr Ana López").status_code == 422, "nothing to change"
    assert _sign(investigator, code).status_code == 201


def test_the_web_creates_a_user_with_her_full_name(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    made = admin.post_form(
        "/admin/users",
        {"username": "bea", "full_name": "Dr Bea Ruiz", "role": INVESTIGATOR, "site": "all"},
    )
    assert made.status_code == 201, made.text[:300]
    with clinic_database.read() as session:
        stored = session.execute(select(User).where(User.username == "bea")).scalar_one()
        created = session.execute(
            select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action == "create")
            .order_by(AuditEntry.id.desc())
        ).scalars().first()  # fmt: skip
    assert stored.full_name == "Dr Bea Ruiz"
    assert created is not None and created.changes["full_name"] == [None, "Dr Bea Ruiz"]
    too_long = admin.post_form(
        "/admin/users",
        {"username": "cai", "full_name": "x" * 201, "role": INVESTIGATOR, "site": "all"},
    )
    assert too_long.status_code == 422 and "at most 200" in too_long.text
    with clinic_database.read() as session:
        assert session.execute(select(User).where(User.username == "cai")).first() is None


def test_the_command_line_sets_and_lists_the_full_name(clinic_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    added = user(
        clinic_database, tmp_path, "add", "--username", "ana", "--role", INVESTIGATOR,
        "--site", "all", "--name", "Dr Ana López", "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "user ana (Dr Ana López) added" in added.stdout
    unnamed = user(
        clinic_database, tmp_path, "add", "--username", "eva", "--role", INVESTIGATOR,
        "--site", "all", "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert unnamed.exit_code == 0, unnamed.output
    assert "eva cannot sign until her full name is set: ovaregen user set-name" in unnamed.stdout
    lines = user(clinic_database, tmp_path, "list").stdout.splitlines()
    listed = {line.split()[0]: line.rstrip() for line in lines}
    assert listed["ana"].endswith(" Dr Ana López"), listed["ana"]
    assert listed["eva"].endswith(" (no full name)"), listed["eva"]

    named = user(
        clinic_database, tmp_path, "set-name", "--username", "eva", "--name", "Dr Eva Sanz",
        "--reason", "signs casebooks",
    )  # fmt: skip
    assert named.exit_code == 0, named.output
    assert named.stdout.strip() == "user eva's full name is now Dr Eva Sanz"
    entry = last_entry(clinic_database)
    assert (entry.action, entry.entity, entry.reason) == ("update", "user", "signs casebooks")
    assert entry.changes["full_name"] == [None, "Dr Eva Sanz"]
    empty = user(clinic_database, tmp_path, "set-name", "--username", "eva", "--name", " ")
    assert empty.exit_code == 1 and "full name: empty" in empty.stderr
    unknown = user(clinic_database, tmp_path, "set-name", "--username", "zoe", "--name", "Z")
    assert unknown.exit_code == 1 and "no user named 'zoe'" in unknown.stderr
