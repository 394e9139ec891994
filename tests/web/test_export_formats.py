"""The web export in another format (``/studies/{study}/export.zip?format=F``): the format's
files zipped, with the exported women's audit records and signatures given to its writer
(blinded as the reader is); the same permission as the interchange zip, audited the same way,
and an unknown format or one that cannot hold the dataset refused with nothing audited."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.formats import registry
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.errors import FormatError
from ovaregen.formats.registry import Codec, Format
from ovaregen.io.dataset import Dataset
from ovaregen.store import audit
from ovaregen.store.database import Database
from tests.web.test_audit_pages import randomised_cohort

STUDY = "ucmsc-rct"
URL = f"/studies/{STUDY}/export.zip"


class Captured:
    def __init__(self) -> None:
        self.given: list[ClinicRecords] = []
        self.refuse = False

    def write(
        self, dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
    ) -> list[Path]:
        del dataset, protocol
        if self.refuse:
            raise FormatError("study.xml: participant_id 'X' is longer than ODM allows")
        self.given.append(records)
        (out / "metadata").mkdir(parents=True)
        files = [out / "study.xml", out / "metadata" / "units.txt"]
        for path in files:
            path.write_text(f"{len(records.audit)} audit records\n")
        return files


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    fake = Captured()
    monkeypatch.setitem(
        registry.CODECS, Format.ODM, Codec(Format.ODM, "a fake ODM writer", write=fake.write)
    )
    return fake


def _exports(database: Database) -> list[tuple[str, bool]]:
    with database.transaction() as session:
        return [
            (e.username, e.changes["blinded"][1])
            for e in audit.query(session, audit.AuditFilter(study=STUDY))
            if e.action == "export"
        ]


def _revealing(protocol: Protocol) -> set[str]:
    names = set(protocol.arm_revealing)
    for visit in protocol.schedule:
        if visit.arm_revealing:
            names |= {f"{visit.id}.{record}" for record in visit.records}
    return names


def test_an_export_in_a_format_zips_its_files_with_the_records(  # type: ignore[no-untyped-def]
    login, clinic_database, tmp_path, captured
) -> None:
    randomised_cohort(clinic_database, tmp_path)
    page = login("investigator").client.get(f"/studies/{STUDY}")
    assert '<option value="odm">' in page.text and '<option value="redcap">' in page.text
    assert 'href="/studies/ucmsc-rct/export.zip"' in page.text, "the interchange zip stays a link"
    blinded = login("investigator").client.get(URL, params={"format": "odm"})
    assert blinded.status_code == 200, blinded.text
    assert 'filename="ucmsc-rct-odm.zip"' in blinded.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(blinded.content)) as archive:
        assert sorted(archive.namelist()) == [
            "ucmsc-rct-odm/metadata/units.txt",
            "ucmsc-rct-odm/study.xml",
        ]
        said = archive.read("ucmsc-rct-odm/study.xml").decode()
    unblinded = login("statistician").client.get(URL, params={"format": "odm"})
    assert 'filename="ucmsc-rct-odm-unblinded.zip"' in unblinded.headers["content-disposition"]
    seen_blinded, seen_unblinded = captured.given
    assert said == f"{len(seen_blinded.audit)} audit records\n" and seen_blinded.audit
    revealing = _revealing(load_protocol(STUDY))
    assert not {name for r in seen_blinded.audit for name in r.changes} & revealing
    assert {name for r in seen_unblinded.audit for name in r.changes} & revealing
    assert _exports(clinic_database) == [("investigator", True), ("statistician", False)]


def test_a_real_format_and_the_refusals(  # type: ignore[no-untyped-def]
    login, clinic_database, tmp_path, captured
) -> None:
    randomised_cohort(clinic_database, tmp_path)
    investigator = login("investigator").client
    redcap = investigator.get(URL, params={"format": "redcap"})
    assert redcap.status_code == 200, redcap.text
    with zipfile.ZipFile(io.BytesIO(redcap.content)) as archive:
        names = archive.namelist()
    assert names and all(n.startswith("ucmsc-rct-redcap/") for n in names)
    assert any(n.endswith(".csv") for n in names)
    unknown = investigator.get(URL, params={"format": "sas7bdat"})
    assert unknown.status_code == 422 and "sas7bdat" in unknown.text
    captured.refuse = True
    refused = investigator.get(URL, params={"format": "odm"})
    assert refused.status_code == 422 and "longer than ODM allows" in refused.text
    for role in ("coordinator", "monitor", "admin"):
        assert login(role).client.get(URL, params={"format": "odm"}).status_code == 403
    assert _exports(clinic_database) == [("investigator", True)], "only the made export"
