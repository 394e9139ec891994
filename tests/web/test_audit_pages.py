"""The audit trail page, its CSV and API, chain verification over HTTP, and the study
export zip: who may, what each role gets, and that no arm ever shows in the trail."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

from sqlalchemy import select

from ovaregen.clinic.importing import import_dataset
from ovaregen.clinic.studies import study_named
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.store import audit
from ovaregen.store.database import Database
from ovaregen.store.models import AllocationSlot, Participant
from ovaregen.synth import synthesize

ARMS = ("ucmsc_hrt", "hrt")
ARM_WORD = re.compile(r"(?<![\w-])(ucmsc_hrt|hrt)(?![\w-])")


def randomised_cohort(database: Database, tmp_path: Path) -> None:
    """A synthetic ucmsc-rct cohort imported with arms, plus a participant allocated from a
    list slot written directly."""
    write_dataset(synthesize("ucmsc-rct", 66, 3), tmp_path / "cohort")
    dataset = validate_dataset(tmp_path / "cohort", load_protocol("ucmsc-rct")).dataset
    assert dataset is not None
    with database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        import_dataset(session, study, dataset, username="admin", default_site="MAD1")
        first = session.execute(
            select(Participant).where(Participant.study_id == study.id).limit(1)
        ).scalar_one()
        for sequence, arm in enumerate(ARMS, start=1):
            session.add(
                AllocationSlot(
                    study_id=study.id,
                    stratum="test",
                    sequence=sequence,
                    block=1,
                    arm=arm,
                    code=f"R-T{sequence:04d}",
                    participant_id=None,
                )
            )
        session.flush()
        audit.record(
            session,
            username="coordinator",
            action=audit.Action.ALLOCATE,
            entity="allocation",
            entity_id="R-T0001",
            study=study.name,
            participant=first.code,
            changes={"allocation_code": [None, "R-T0001"]},
        )


def test_only_audit_readers_see_the_trail(login) -> None:  # type: ignore[no-untyped-def]
    for role in ("admin", "monitor", "statistician"):
        browser = login(role)
        assert browser.client.get("/audit").status_code == 200
        assert browser.client.get("/api/audit").status_code == 200
    for role in ("investigator", "coordinator"):
        browser = login(role)
        assert browser.client.get("/audit").status_code == 403
        assert browser.client.get("/api/audit").status_code == 403
        assert browser.client.get("/audit/export.csv").status_code == 403


def test_the_page_shows_who_when_what_and_filters(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    created = coordinator.api("POST", "/api/studies/regenera/participants", json={"site": "MAD1"})
    code = created.json()["code"]
    monitor = login("monitor")
    page = monitor.client.get("/audit", params={"participant": code})
    assert page.status_code == 200
    assert page.text.count("<tr>") == 2  # the header and the one entry
    assert "coordinator" in page.text and code in page.text
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", page.text)
    assert "<strong>status</strong>: — → screening" in page.text
    assert f"/audit/export.csv?participant={code}" in page.text
    nobody = monitor.client.get("/audit", params={"user": "nobody"})
    assert "0 entries" in nobody.text


def test_a_bad_date_is_refused_with_the_field_named(login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    page = admin.client.get("/audit", params={"from": "yesterday"})
    assert page.status_code == 422
    assert "from: &#39;yesterday&#39; is not a date" in page.text
    api = admin.client.get("/api/audit", params={"to": "2024-13-01"})
    assert api.status_code == 422
    assert api.json()["detail"].startswith("to: '2024-13-01' is not a date")


def test_the_page_is_newest_first_a_hundred_at_a_time(login, clinic_database) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        for number in range(105):
            audit.record(
                session,
                username="coordinator",
                action=audit.Action.UPDATE,
                entity="form_entry",
                entity_id=number,
                study="mensc",
                participant="MAD1-0999",
                changes={"afc": [number, number + 1]},
            )
    admin = login("admin")
    where = {"participant": "MAD1-0999", "study": "mensc"}
    first = admin.client.get("/audit", params=where)
    assert first.text.count("<tr>") == 101
    assert "<strong>afc</strong>: 104 → 105" in first.text
    assert 'href="/audit?participant=MAD1-0999&amp;study=mensc&amp;page=2" rel="next"' in first.text
    second = admin.client.get("/audit", params={**where, "page": "2"})
    assert second.text.count("<tr>") == 6
    assert "<strong>afc</strong>: 0 → 1" in second.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    api = admin.api("GET", "/api/audit", params={**where, "limit": 3, "offset": 1}).json()
    assert api["total"] == 105
    assert [e["changes"]["afc"] for e in api["entries"]] == [[103, 104], [102, 103], [101, 102]]


def test_the_csv_export_follows_the_filters(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    coordinator.api("POST", "/api/studies/mensc/participants", json={"site": "MAD1"})
    response = login("statistician").client.get("/audit/export.csv", params={"study": "mensc"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["study"] for r in rows} == {"mensc"}
    assert {"site", "status"} <= {r["field"] for r in rows}


def test_verify_over_http(login) -> None:  # type: ignore[no-untyped-def]
    answer = login("monitor").client.get("/api/audit/verify").json()
    assert answer["intact"] is True
    assert answer["entries"] > 0
    assert answer["problems"] == []


def test_no_arm_appears_anywhere_in_the_trail(login, clinic_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    randomised_cohort(clinic_database, tmp_path)
    for role in ("admin", "monitor", "statistician"):
        browser = login(role)
        api = browser.client.get("/api/audit", params={"limit": 1000})
        assert api.json()["total"] > 66
        csv_text = browser.client.get("/audit/export.csv").text
        pages = [browser.client.get("/audit", params={"page": n}).text for n in (1, 2, 3)]
        for body in (api.text, csv_text, *pages):
            assert not ARM_WORD.search(body), ARM_WORD.search(body)
    with clinic_database.transaction() as session:
        for entry in audit.query(session, audit.AuditFilter()):
            values = [entry.reason, *entry.changes, *map(str, entry.changes.values())]
            assert not any(ARM_WORD.search(v) for v in values), entry.id


def test_the_export_zip_is_blinded_for_the_investigator_only(  # type: ignore[no-untyped-def]
    login, clinic_database, tmp_path
) -> None:
    randomised_cohort(clinic_database, tmp_path)
    blinded = login("investigator").client.get("/studies/ucmsc-rct/export.zip")
    assert blinded.status_code == 200
    assert blinded.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(blinded.content)) as archive:
        header = archive.read("participants.csv").decode().splitlines()[0].split(",")
        assert "arm" not in header and header[:3] == ["participant_id", "site", "status"]
        assert not ARM_WORD.search(archive.read("participants.csv").decode())
    unblinded = login("statistician").client.get("/studies/ucmsc-rct/export.zip")
    with zipfile.ZipFile(io.BytesIO(unblinded.content)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("participants.csv").decode())))
        assert {r["arm"] for r in rows} == set(ARMS)
    for role in ("coordinator", "monitor", "admin"):
        assert login(role).client.get("/studies/ucmsc-rct/export.zip").status_code == 403
    assert login("investigator").client.get("/studies/nope/export.zip").status_code == 404
    with clinic_database.transaction() as session:
        exports = [
            (e.username, e.changes["blinded"][1])
            for e in audit.query(session, audit.AuditFilter(study="ucmsc-rct"))
            if e.action == "export"
        ]
        assert exports == [("investigator", True), ("statistician", False)]
