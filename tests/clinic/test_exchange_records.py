"""The audit records and signatures a clinic export carries (``clinic.exchange_records``):
the exported women's entries in time order with who, when, what and why, their signatures
with printed name, meaning and whether they still hold; only the exporter's sites; and for a
blinded export nothing that tells an arm — two clinics that differ only in the women's arms
give the same records (the swapped worlds of ``tests/web/test_blinding_twins.py``)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from ovaregen.clinic import ecrf, enrolment, signatures
from ovaregen.clinic.exchange import study_dataset
from ovaregen.clinic.exchange_records import clinic_records
from ovaregen.clinic.record_hash import ADVERSE_EVENTS, PREGNANCIES
from ovaregen.clinic.roles import Role
from ovaregen.clinic.scope import EVERYWHERE, Access, Grant
from ovaregen.clinic.studies import add_participant, add_site, site_coded, study_named
from ovaregen.domain.protocols import load_protocol
from ovaregen.formats.clinic_records import AuditRecord, ClinicRecords
from ovaregen.formats.odm.metadata import NS
from ovaregen.formats.odm.reader import read_odm
from ovaregen.formats.odm.schema import odm_schema
from ovaregen.formats.odm.writer import write_odm
from ovaregen.io.findings import render_report
from ovaregen.store.database import Database
from ovaregen.store.models import Participant, User
from tests.clinic_fixtures import PASSWORD, SITE, ClinicTemplates, full_name_of
from tests.formats.odm.conftest import schema_errors
from tests.web.test_blinding_twins import INJECTION, SCREENING, add_twin, masked

STUDY = "ucmsc-rct"
OTHER_SITE = "BCN2"
CODES = ("R-4QX7ZD", "R-K2M9WT")


def _sign(database: Database, code: str, scope: str) -> None:
    with database.transaction() as session:
        study = study_named(session, STUDY)
        woman = session.execute(
            select(Participant).where(Participant.study_id == study.id, Participant.code == code)
        ).scalar_one()
        signer = session.execute(
            select(User).where(User.username == Role.INVESTIGATOR.value)
        ).scalar_one()
        forms = signatures.covered(session, woman, scope)
        signing = signatures.sign(
            session,
            woman,
            signer=signer,
            password=PASSWORD,
            client="test",
            scope=scope,
            meaning=signatures.MEANINGS[0],
            seen=signatures.seen_of(scope, forms),
        )
        assert signing.outcome is signatures.Outcome.SIGNED


def _clinic(database: Database, cell_arm: int) -> tuple[str, ...]:
    """Two women of MAD1 with the same data, woman ``cell_arm`` in the cell arm and injected
    (by the treatment team), both signed, one signature broken by a later correction; and a
    third woman at another site."""
    codes = []
    with database.transaction() as session:
        study = study_named(session, STUDY)
        site = site_coded(session, SITE)
        other = add_site(session, code=OTHER_SITE, name="Other clinic", username="test")
        for i in range(2):
            codes.append(add_twin(session, study, site, i, cell_arm).code)
        elsewhere = add_participant(session, study, other, username="coordinator")
        enrolment.save_visit(
            session,
            elsewhere,
            "screening",
            SCREENING,
            username="coordinator",
            expected_version=None,
        )
        codes.append(elsewhere.code)
    for code in codes[:2]:
        _sign(database, code, signatures.CASEBOOK)
        _sign(database, code, "month_3")
    with database.transaction() as session:
        study = study_named(session, STUDY)
        first = session.execute(
            select(Participant).where(
                Participant.code == codes[0], Participant.study_id == study.id
            )
        ).scalar_one()
        ecrf.save_form(
            session,
            first,
            "month_3",
            {"afc_post": 5},
            username="coordinator",
            expected_version=1,
            reason="transcription error",
        )
        injected = session.execute(
            select(Participant).where(
                Participant.code == codes[cell_arm], Participant.study_id == study.id
            )
        ).scalar_one()
        ecrf.save_form(
            session,
            injected,
            "cell_injection",
            INJECTION,
            username=Role.TREATMENT.value,
            expected_version=None,
        )
    return tuple(codes)


def _records(database: Database, access: Access, *, blinded: bool) -> ClinicRecords:
    with database.transaction() as session:
        study = study_named(session, STUDY)
        dataset = study_dataset(session, study, blinded=blinded, access=access)
        return clinic_records(session, study, dataset, access, blinded)


def _timeless(records: ClinicRecords) -> ClinicRecords:
    """The records without their times (two clinics are not made at the same instant), in
    the records and in the values changed (an enrolment records when)."""
    moment = datetime(2000, 1, 1, tzinfo=UTC)

    def changes(record: AuditRecord) -> dict[str, tuple[str | None, str | None]]:
        return {
            name: (masked(old) if old else old, masked(new) if new else new)
            for name, (old, new) in record.changes.items()
        }

    return ClinicRecords(
        audit=tuple(dataclasses.replace(r, at=moment, changes=changes(r)) for r in records.audit),
        signatures=tuple(dataclasses.replace(s, at=moment) for s in records.signatures),
    )


def _worlds(tmp_path: Path, templates: ClinicTemplates) -> tuple[Database, Database]:
    made = []
    for cell_arm, name in enumerate(("one", "two")):
        folder = tmp_path / name
        folder.mkdir()
        database = templates.sqlite(folder)
        _clinic(database, cell_arm)
        made.append(database)
    return made[0], made[1]


def test_a_blinded_export_carries_the_same_records_whatever_the_arms(
    tmp_path: Path, clinic_templates: ClinicTemplates
) -> None:
    one, two = _worlds(tmp_path, clinic_templates)
    try:
        blinded_one = _records(one, EVERYWHERE, blinded=True)
        blinded_two = _records(two, EVERYWHERE, blinded=True)
        assert blinded_one.audit and blinded_one.signatures
        assert _timeless(blinded_one) == _timeless(blinded_two)
        assert not [r for r in blinded_one.audit if r.visit == "cell_injection"]
        # the pair is a real test: unblinded, the two clinics' records differ (the injection)
        unblinded_one = _records(one, EVERYWHERE, blinded=False)
        unblinded_two = _records(two, EVERYWHERE, blinded=False)
        assert _timeless(unblinded_one) != _timeless(unblinded_two)
        injected = [r for r in unblinded_one.audit if r.form == "cell_injection"]
        assert [(r.participant, r.username) for r in injected] == [
            ("MAD1-0001", Role.TREATMENT.value)
        ]
        assert injected[0].changes["cells_injected_millions"] == (None, "10")
    finally:
        one.dispose()
        two.dispose()


def test_the_records_say_who_when_what_why_in_time_order(
    tmp_path: Path, clinic_templates: ClinicTemplates
) -> None:
    database = clinic_templates.sqlite(tmp_path)
    try:
        first, second, elsewhere = _clinic(database, cell_arm=0)
        records = _records(database, EVERYWHERE, blinded=True)
    finally:
        database.dispose()
    assert [r.at for r in records.audit] == sorted(r.at for r in records.audit)
    assert all(r.at.tzinfo is not None for r in records.audit)
    assert {r.participant for r in records.audit} == {first, second, elsewhere}
    correction = [r for r in records.audit if r.reason == "transcription error"]
    assert len(correction) == 1
    fixed = correction[0]
    assert (fixed.username, fixed.action, fixed.participant) == ("coordinator", "update", first)
    assert (fixed.visit, fixed.form) == ("month_3", "month_3")
    assert fixed.changes == {"afc_post": ("4", "5")}
    queried = [r for r in records.audit if r.participant == first and r.username == "monitor"]
    assert [(r.visit, r.form, r.action) for r in queried] == [("month_3", "month_3", "create")]
    assert queried[0].changes["field"] == (None, "month_3.afc_post")
    lists = {r.form for r in records.audit if r.participant == first and not r.visit}
    assert {PREGNANCIES, ADVERSE_EVENTS} <= lists
    signed = [(s.participant, s.form, s.intact) for s in records.signatures]
    assert signed == [
        (first, "", False),
        (first, "month_3", False),
        (second, "", True),
        (second, "month_3", True),
    ]
    casebook = records.signatures[0]
    assert casebook.printed_name == full_name_of(Role.INVESTIGATOR.value)
    assert casebook.username == Role.INVESTIGATOR.value
    assert casebook.meaning == signatures.MEANINGS[0]
    assert len(casebook.values_hash) == 64
    assert casebook.visit == "" and records.signatures[1].visit == "month_3"


def test_only_the_women_of_the_exporters_sites(
    tmp_path: Path, clinic_templates: ClinicTemplates
) -> None:
    database = clinic_templates.sqlite(tmp_path)
    try:
        first, second, elsewhere = _clinic(database, cell_arm=0)
        at_home = Access(frozenset({Grant(STUDY, SITE, Role.MONITOR.value)}))
        there = Access(frozenset({Grant(STUDY, OTHER_SITE, Role.MONITOR.value)}))
        home = _records(database, at_home, blinded=True)
        away = _records(database, there, blinded=True)
    finally:
        database.dispose()
    assert {r.participant for r in home.audit} == {first, second}
    assert {s.participant for s in home.signatures} == {first, second}
    assert {r.participant for r in away.audit} == {elsewhere}
    assert away.signatures == ()


_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?|\d{8}T\d{6}Z"
)
"""A moment as ODM writes it (CreationDateTime, DateTimeStamp) or as a FileOID holds it."""


def test_the_records_reach_an_odm_file_that_validates_and_keeps_the_blind(
    tmp_path: Path, clinic_templates: ClinicTemplates
) -> None:
    """The clinic's records through the real ODM writer: the file validates against CDISC's
    XSD (libxml2 and xmlschema), holds one AuditRecord per audit record and one Signature per
    signature, reads back to the exported dataset, and — blinded — is the same file in two
    clinics that differ only in the arms (up to the moments it was made)."""
    protocol = load_protocol(STUDY)
    texts: dict[bool, list[str]] = {True: [], False: []}
    for number, database in enumerate(_worlds(tmp_path, clinic_templates)):
        for blinded in (True, False):
            out = tmp_path / f"export-{number}-{blinded}.xml"
            with database.transaction() as session:
                study = study_named(session, STUDY)
                dataset = study_dataset(session, study, blinded=blinded, access=EVERYWHERE)
                records = clinic_records(session, study, dataset, EVERYWHERE, blinded)
            write_odm(dataset, protocol, out, records)
            tree = etree.parse(str(out))
            assert odm_schema().validate(tree), odm_schema().error_log
            assert schema_errors(out) == []
            found = {
                tag: len(tree.findall(f".//{{{NS}}}{tag}")) for tag in ("AuditRecord", "Signature")
            }
            assert found == {
                "AuditRecord": len(records.audit),
                "Signature": len(records.signatures),
            }
            assert records.audit and records.signatures
            back = read_odm(out, protocol)
            assert back.dataset is not None, render_report(back)
            assert back.dataset.participants.equals(dataset.participants, null_equal=True)
            assert back.dataset.visits.equals(dataset.visits, null_equal=True)
            texts[blinded].append(_MOMENT.sub("<moment>", masked(out.read_text(encoding="utf-8"))))
    assert texts[True][0] == texts[True][1]
    assert texts[False][0] != texts[False][1], "unblinded, the two clinics' files differ"
