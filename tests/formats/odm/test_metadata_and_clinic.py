"""What an ODM file says about the study (ODM 1.3.2 §3.1.1: events from the schedule, items
with the dictionary's types, units, hard limits and choices) and what the clinic adds
(§3.1.2 AdminData, §3.1.4 AuditRecords and Signatures), read with lxml's XPath."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile, Kind, variable, variables_of
from ovaregen.formats.clinic_records import AuditRecord, ClinicRecords, SignatureRecord
from ovaregen.formats.odm.metadata import NS
from ovaregen.formats.odm.reader import read_odm
from ovaregen.formats.odm.writer import write_odm
from ovaregen.io.dataset import Dataset
from tests.formats.cohorts import assert_same, synthetic_cohort
from tests.formats.odm.conftest import schema_errors

ODM = {"o": NS}


def _xpath(path: Path, query: str) -> list[str]:
    found = etree.parse(str(path)).xpath(query, namespaces=ODM)
    assert isinstance(found, list)
    return [str(x) for x in found]


def test_the_root_says_a_snapshot_of_odm_1_3_2_from_ovaregen(
    cohort: tuple[Dataset, Protocol, Path],
) -> None:
    _, protocol, path = cohort
    root = etree.parse(str(path)).getroot()
    assert root.tag == f"{{{NS}}}ODM"
    assert root.get("FileType") == "Snapshot"
    assert root.get("ODMVersion") == "1.3.2"
    assert root.get("SourceSystem") == "ovaregen"
    assert root.get("FileOID") and root.get("CreationDateTime")
    assert _xpath(path, "/o:ODM/o:Study/@OID") == [f"ST.{protocol.name}"]


def test_study_events_follow_the_schedule(cohort: tuple[Dataset, Protocol, Path]) -> None:
    _, protocol, path = cohort
    events = _xpath(path, "//o:MetaDataVersion/o:StudyEventDef/@OID")
    assert events == ["SE.enrolment", *(f"SE.{v.id}" for v in protocol.followup_visits)]
    assert _xpath(path, "//o:Protocol/o:StudyEventRef/@StudyEventOID") == events


def test_repeated_tables_are_repeating_item_groups(cohort: tuple[Dataset, Protocol, Path]) -> None:
    dataset, _, path = cohort
    repeating = _xpath(path, "//o:ItemGroupDef[@Repeating='Yes']/@Domain")
    held = [f.value for f in (DatasetFile.PREGNANCIES, DatasetFile.ADVERSE_EVENTS)]
    held += [DatasetFile.MOBILISATION.value]
    assert sorted(repeating) == sorted(f for f in held if dataset.has(DatasetFile(f)))
    keys = _xpath(path, "//o:ItemGroupData[@ItemGroupRepeatKey]/@ItemGroupRepeatKey")
    rows = sum(dataset.table(DatasetFile(f)).height for f in repeating)
    assert len(keys) == rows


def test_items_carry_the_dictionary_types_limits_units_and_choices(
    cohort: tuple[Dataset, Protocol, Path],
) -> None:
    _, _, path = cohort
    tree = etree.parse(str(path))
    for v in variables_of(DatasetFile.PARTICIPANTS):
        found = tree.xpath(f"//o:ItemDef[@OID='IT.participants.{v.name}']", namespaces=ODM)
        if not found:
            continue  # a column the cohort does not supply
        item = found[0]
        expected = {
            Kind.NUMBER: "float",
            Kind.INTEGER: "integer",
            Kind.BOOLEAN: "boolean",
            Kind.DATE: "date",
        }.get(v.kind, "text")
        assert item.get("DataType") == expected, v.name
        assert item.xpath("o:Question/o:TranslatedText/text()", namespaces=ODM)
        if v.hard is not None and v.kind in (Kind.NUMBER, Kind.INTEGER):
            checks = {
                c.get("Comparator"): float(c.xpath("o:CheckValue/text()", namespaces=ODM)[0])
                for c in item.xpath("o:RangeCheck[@SoftHard='Hard']", namespaces=ODM)
            }
            assert checks == {"GE": v.hard.low, "LE": v.hard.high}, v.name
        if v.unit:
            unit = item.xpath("o:MeasurementUnitRef/@MeasurementUnitOID", namespaces=ODM)[0]
            names = tree.xpath(f"//o:MeasurementUnit[@OID='{unit}']/@Name", namespaces=ODM)
            assert names == [v.unit]
        if v.kind is Kind.CHOICE:
            code_list = item.xpath("o:CodeListRef/@CodeListOID", namespaces=ODM)[0]
            codes = tree.xpath(
                f"//o:CodeList[@OID='{code_list}']/o:CodeListItem/@CodedValue", namespaces=ODM
            )
            assert codes == list(v.choices)
    units = {v.unit for f in DatasetFile for v in variables_of(f) if v.unit}
    assert len(tree.xpath("//o:BasicDefinitions/o:MeasurementUnit", namespaces=ODM)) == len(units)


def test_every_woman_is_a_subject_with_her_site(cohort: tuple[Dataset, Protocol, Path]) -> None:
    dataset, _, path = cohort
    keys = _xpath(path, "//o:SubjectData/@SubjectKey")
    assert keys == dataset.participants.get_column("participant_id").to_list()
    if "site" in dataset.participants.columns:
        sites = set(dataset.participants.get_column("site").drop_nulls())
        assert set(_xpath(path, "//o:AdminData/o:Location[@LocationType='Site']/@Name")) == sites
        tree = etree.parse(str(path))
        for pid, site in dataset.participants.select("participant_id", "site").iter_rows():
            refs = tree.xpath(
                f"//o:SubjectData[@SubjectKey='{pid}']/o:SiteRef/@LocationOID", namespaces=ODM
            )
            assert refs == ([] if site is None else [f"LOC.{site}"]), pid


def _records() -> ClinicRecords:
    """A hand-made clinic trail: entries out of time order, two signers, two meanings."""
    at = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    audit = (
        AuditRecord(
            12,
            at.replace(hour=11),
            "nurse.b",
            "update",
            "UC-001",
            "month_3",
            "follow_up",
            {"afc_post": ("3", "4")},
            "transcription error",
        ),
        AuditRecord(
            7,
            at,
            "dr.a",
            "create",
            "UC-001",
            "",
            "",
            {"age_years": (None, "32")},
            "",
        ),
        AuditRecord(
            9,
            at.replace(hour=10),
            "dr.a",
            "update",
            "UC-002",
            "",
            "screening",
            {"amh_ng_ml": ("0.1", "0.2")},
            "lab report corrected",
        ),
    )
    signatures = (
        SignatureRecord(
            2,
            at.replace(hour=15),
            "dr.a",
            "Dr Ana A",
            "Approved by investigator",
            "UC-001",
            "",
            "",
            "h1",
            True,
        ),
        SignatureRecord(
            1,
            at.replace(hour=14),
            "nurse.b",
            "Bea B",
            "Reviewed",
            "UC-002",
            "month_3",
            "follow_up",
            "h2",
            True,
        ),
    )
    return ClinicRecords(audit, signatures)


def test_clinic_records_become_audit_records_and_signatures(tmp_path: Path) -> None:
    dataset, protocol = synthetic_cohort("ucmsc-rct")
    out = tmp_path / "study.xml"
    write_odm(dataset, protocol, out, _records())
    assert schema_errors(out) == []
    audit = "//o:ClinicalData/o:AuditRecords/o:AuditRecord"
    path = out
    assert _xpath(path, f"{audit}/o:SourceID/text()") == ["7", "9", "12"]
    assert _xpath(path, f"{audit}/o:UserRef/@UserOID") == ["USR.dr.a", "USR.dr.a", "USR.nurse.b"]
    assert _xpath(path, f"{audit}/o:DateTimeStamp/text()") == [
        "2024-03-01T09:00:00Z",
        "2024-03-01T10:00:00Z",
        "2024-03-01T11:00:00Z",
    ]
    assert _xpath(path, f"{audit}/o:ReasonForChange/text()") == [
        "lab report corrected",
        "transcription error",
    ]
    locations = set(_xpath(path, "//o:AdminData/o:Location/@OID"))
    assert set(_xpath(path, f"{audit}/o:LocationRef/@LocationOID")) <= locations
    signed = "//o:ClinicalData/o:Signatures/o:Signature"
    assert _xpath(path, f"{signed}/o:UserRef/@UserOID") == ["USR.nurse.b", "USR.dr.a"]
    meanings = [
        _xpath(path, f"//o:SignatureDef[@OID='{ref}']/o:Meaning/text()")[0]
        for ref in _xpath(path, f"{signed}/o:SignatureRef/@SignatureOID")
    ]
    assert meanings == ["Reviewed", "Approved by investigator"]
    assert all(_xpath(path, "//o:SignatureDef/o:LegalReason/text()"))
    users = dict(
        zip(
            _xpath(path, "//o:AdminData/o:User/o:LoginName/text()"),
            _xpath(path, "//o:AdminData/o:User/o:DisplayName/text()"),
            strict=True,
        )
    )
    assert users == {"dr.a": "Dr Ana A", "nurse.b": "Bea B"}
    report = read_odm(out, protocol)
    assert report.dataset is not None
    assert_same(report.dataset, dataset)


def test_a_file_dataset_has_no_audit_records_or_signatures(
    cohort: tuple[Dataset, Protocol, Path],
) -> None:
    _, _, path = cohort
    assert _xpath(path, "//o:AuditRecords | //o:Signatures | //o:User | //o:SignatureDef") == []


def test_a_boolean_written_as_1_or_0_reads_as_true_or_false(tmp_path: Path) -> None:
    dataset, protocol = synthetic_cohort("mensc")
    out = tmp_path / "study.xml"
    write_odm(dataset, protocol, out, ClinicRecords())
    text = out.read_text()
    name = next(
        v.name
        for v in variables_of(DatasetFile.PARTICIPANTS)
        if v.kind is Kind.BOOLEAN and f'IT.participants.{v.name}" Value="true"' in text
    )
    assert variable(name).kind is Kind.BOOLEAN
    text = text.replace(
        f'IT.participants.{name}" Value="true"', f'IT.participants.{name}" Value="1"'
    )
    text = text.replace(
        f'IT.participants.{name}" Value="false"', f'IT.participants.{name}" Value="0"'
    )
    out.write_text(text)
    report = read_odm(out, protocol)
    assert report.dataset is not None
    assert_same(report.dataset, dataset)
