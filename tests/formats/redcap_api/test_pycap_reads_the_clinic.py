"""PyCap 2.7.0 reads the clinic's REDCap API (``web.routes.redcap_api``) as it reads REDCap:
the project of the reader's export (``formats.redcap.project`` of
``clinic.exchange.study_dataset``), its records in REDCap's flat export, her sites only, no arm
for a blinded reader, REDCap's errors for a bad token or a missing permission; every records
export audited."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import httpx
import pandas as pd
import pytest
import redcap
import semantic_version
from redcap import RedcapError
from sqlalchemy import func, select

from ovaregen.clinic import tokens
from ovaregen.clinic.exchange import EXPORT_ACTION, study_dataset
from ovaregen.clinic.redcap_api import REDCAP_VERSION
from ovaregen.clinic.roles import Permission
from ovaregen.clinic.scope import access_of
from ovaregen.clinic.studies import protocol_of, study_named
from ovaregen.formats.redcap.project import Project, dataset_columns, project
from ovaregen.formats.redcap.records import export_records
from ovaregen.io.dataset import Dataset
from ovaregen.store.models import AuditEntry, User
from tests.formats.redcap_api.conftest import SITES, STUDY, Clinic

BLINDED = {"investigator": True, "statistician": False, "inv.mad": True, "inv.bcn": True}


def _export(clinic: Clinic, username: str) -> tuple[Dataset, Project]:
    """The reader's dataset as the export zip gives it, and its REDCap project."""
    with clinic.database.read() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        dataset = study_dataset(
            session,
            study_named(session, STUDY),
            blinded=BLINDED[username],
            access=access_of(session, user.id).holding(Permission.EXPORT),
        )
    return dataset, project(protocol_of(STUDY), dataset_columns(dataset))


def _client(clinic: Clinic, username: str = "investigator") -> redcap.Project:
    """PyCap's own ``redcap.Project``, unmodified, with her REDCap API token."""
    return redcap.Project(clinic.api(), clinic.tokens[username])


def _expected_rows(
    dataset: Dataset, chosen: Project, *, labels: bool = False
) -> list[dict[str, str]]:
    return export_records(dataset, chosen, labels=labels).fill_null("").to_dicts()


def test_metadata_instruments_and_field_names(clinic: Clinic) -> None:
    _, chosen = _export(clinic, "investigator")
    client = _client(clinic)
    assert client.export_metadata() == chosen.metadata()
    assert client.def_field == "participant_id"
    assert client.export_instruments() == chosen.instruments()
    exported = [n["export_field_name"] for n in client.export_field_names()]
    expected = []
    for form in chosen.forms:
        expected += [
            f.name for f in chosen.fields if f.form == form and f.field_type != "descriptive"
        ]
        expected.append(f"{form}_complete")
    assert exported == expected
    assert exported[0] == "participant_id"
    assert client.export_field_names(field="afc") == [
        {"original_field_name": "afc", "choice_value": "", "export_field_name": "afc"}
    ]


def test_project_events_mapping_repeating_arms_and_version(clinic: Clinic) -> None:
    _, chosen = _export(clinic, "investigator")
    client = _client(clinic)
    info = client.export_project_info()
    with clinic.database.read() as session:
        study = study_named(session, STUDY)
        assert (info["project_id"], info["project_title"]) == (study.id, study.title)
    assert (info["is_longitudinal"], info["has_repeating_instruments_or_events"]) == (1, 1)
    assert client.is_longitudinal
    assert client.export_events() == chosen.event_rows()
    assert client.export_instrument_event_mappings() == chosen.form_event_mapping()
    assert client.export_repeating_instruments_events() == chosen.repeating_forms_events()
    assert client.export_arms() == [{"arm_num": "1", "name": "Arm 1"}]
    assert client.export_version() == semantic_version.Version(REDCAP_VERSION)


def test_records_json_and_csv_raw_and_label(clinic: Clinic) -> None:
    dataset, chosen = _export(clinic, "investigator")
    client = _client(clinic)
    expected = _expected_rows(dataset, chosen)
    assert client.export_records() == expected
    assert len(expected) > dataset.participants.height, "events and repeating rows too"
    text = client.export_records(format_type="csv")
    assert text == export_records(dataset, chosen).write_csv(null_value="", line_terminator="\n")
    frame = client.export_records(format_type="df")
    assert len(frame) == len(expected)
    labelled = client.export_records(raw_or_label="label")
    raw_labels = _expected_rows(dataset, chosen, labels=True)
    assert [{k: v for k, v in r.items() if not k.startswith("redcap_")} for r in labelled] == [
        {k: v for k, v in r.items() if not k.startswith("redcap_")} for r in raw_labels
    ]
    assert {r["redcap_event_name"] for r in labelled} >= {"enrolment (Arm 1: Arm 1)"}
    assert {r["consent"] for r in labelled if r["consent"]} <= {"Yes", "No"}
    headed = client.export_records(format_type="csv", raw_or_label_headers="label")
    header = next(iter(pd.read_csv(io.StringIO(headed), dtype=str).columns[:2]))
    assert header == chosen.fields[0].label


def test_a_fields_subset_and_filters(clinic: Clinic) -> None:
    dataset, _ = _export(clinic, "investigator")
    client = _client(clinic)
    rows = client.export_records(fields=["age_years"])
    assert list(rows[0]) == [
        "participant_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "age_years",
    ]
    assert len(rows) == dataset.participants.height, "age is on each woman's enrolment row"
    assert {r["redcap_event_name"] for r in rows} == {"enrolment_arm_1"}
    first = dataset.participants.get_column("participant_id")[0]
    one = client.export_records(records=[first], events=["month_3_arm_1"])
    assert {(r["participant_id"], r["redcap_event_name"]) for r in one} == {
        (first, "month_3_arm_1")
    }
    with pytest.raises(RedcapError, match="not valid"):
        client.export_records(fields=["no_such_field"])


def test_a_blinded_reader_gets_no_arm_field(clinic: Clinic) -> None:
    blinded = _client(clinic, "investigator")
    unblinded = _client(clinic, "statistician")
    assert "arm" not in {f["field_name"] for f in blinded.export_metadata()}
    assert "arm" not in blinded.export_records()[0]
    assert "arm" in {f["field_name"] for f in unblinded.export_metadata()}
    dataset, _ = _export(clinic, "statistician")
    arms = {(r["participant_id"], r["arm"]) for r in unblinded.export_records(fields=["arm"])}
    assert arms == set(dataset.participants.select("participant_id", "arm").iter_rows())
    assert len({arm for _, arm in arms}) == 2, "both arms"


@pytest.mark.parametrize(("username", "site"), [("inv.mad", SITES[0]), ("inv.bcn", SITES[1])])
def test_a_site_investigator_gets_her_sites_women_only(
    clinic: Clinic, username: str, site: str
) -> None:
    rows = _client(clinic, username).export_records()
    women = {r["participant_id"] for r in rows}
    assert women == {code for code, at in clinic.sites.items() if at == site}
    assert women, "she has women at her site"


def test_every_records_export_is_audited(clinic: Clinic) -> None:
    def exports() -> int:
        with clinic.database.read() as session:
            found: int = session.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == EXPORT_ACTION, AuditEntry.username == "inv.mad")
            ).scalar_one()
        return found

    before = exports()
    _client(clinic, "inv.mad").export_records()
    _client(clinic, "inv.mad").export_metadata()
    assert exports() == before + 1


def test_refusals_are_redcaps(clinic: Clinic) -> None:
    with pytest.raises(RedcapError, match="You do not have permissions to use the API"):
        redcap.Project(clinic.api(), "0123456789ABCDEF" * 2).export_metadata()
    with pytest.raises(RedcapError, match="You do not have API Export privileges"):
        _client(clinic, "monitor").export_records()
    bad = httpx.post(clinic.api(), data={"token": "x", "content": "record", "format": "csv"})
    assert bad.status_code == 403
    assert bad.text.startswith("ERROR: You do not have permissions to use the API")
    xml = httpx.post(clinic.api(), data={"token": "x", "content": "record"})
    assert xml.status_code == 403 and "<error>You do not have permissions" in xml.text
    refused = httpx.post(
        clinic.api(),
        data={"token": clinic.tokens["investigator"], "content": "record", "format": "xml"},
    )
    assert refused.status_code == 400 and "<error>" in refused.text


def test_the_study_by_form_field_or_by_her_one_study(clinic: Clinic) -> None:
    address = clinic.api(None)
    fields = {"content": "record", "format": "json"}
    named = httpx.post(address, data={**fields, "token": clinic.tokens["inv.mad"], "study": STUDY})
    own = httpx.post(address, data={**fields, "token": clinic.tokens["inv.mad"]})
    assert named.status_code == own.status_code == 200
    assert named.json() == own.json()
    several = httpx.post(address, data={**fields, "token": clinic.tokens["investigator"]})
    assert several.status_code == 400
    assert "name the study" in several.json()["error"]


def test_a_redcap_token_is_refused_once_revoked_and_a_personal_one_still_reads(
    clinic: Clinic,
) -> None:
    """The plain ``redcap.Project`` with a REDCap API token, as a user runs it: PyCap's own
    length check passes; the token reads what the personal token of the same reader reads,
    and once revoked it is refused in REDCap's words."""
    script = (
        "import json, sys, redcap\n"
        "p = redcap.Project(sys.argv[1], sys.argv[2])\n"
        "print(json.dumps([p.def_field, p.is_longitudinal, len(p.export_records())]))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script, clinic.api(), clinic.tokens["inv.bcn"]],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    def_field, longitudinal, rows = json.loads(ran.stdout)
    assert (def_field, longitudinal) == ("participant_id", True)
    fields = {"content": "record", "format": "json"}
    personal = httpx.post(clinic.api(), data={**fields, "token": clinic.personal["inv.bcn"]})
    hexadecimal = httpx.post(clinic.api(), data={**fields, "token": clinic.tokens["inv.bcn"]})
    assert personal.status_code == hexadecimal.status_code == 200
    assert personal.json() == hexadecimal.json() and len(personal.json()) == rows > 0
    lower = httpx.post(clinic.api(), data={**fields, "token": clinic.tokens["inv.bcn"].lower()})
    assert lower.status_code == 403, "one spelling is one token"
    with clinic.database.transaction() as session:
        user = session.execute(select(User).where(User.username == "inv.mad")).scalar_one()
        spare = tokens.create_token(session, user, name="spare", by="test", kind=tokens.Kind.REDCAP)
    reading = redcap.Project(clinic.api(), spare.secret)
    assert reading.export_records()
    with clinic.database.transaction() as session:
        tokens.revoke(session, tokens.token_numbered(session, spare.row.id), by="test")
    with pytest.raises(RedcapError, match="You do not have permissions to use the API"):
        reading.export_records()
