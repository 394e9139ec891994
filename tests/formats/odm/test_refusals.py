"""Bad ODM input is refused with findings naming the file, the line and what is wrong, and
nothing is read or written: not XML, a file CDISC's XSD refuses, an OID the file or the
protocol does not define, a value not of its type or beyond the dictionary's hard limits;
and a dataset the writer cannot hold."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from lxml import etree
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.domain.protocols import Protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.errors import FormatError
from ovaregen.formats.odm.metadata import NS
from ovaregen.formats.odm.reader import read_odm
from ovaregen.formats.odm.writer import write_odm
from ovaregen.io.dataset import Dataset, Finding, Severity
from ovaregen.io.findings import render_report
from ovaregen.io.writer import write_dataset
from tests.formats.cohorts import synthetic_cohort

runner = CliRunner()


def _errors(path: Path, protocol: Protocol) -> list[Finding]:
    report = read_odm(path, protocol)
    assert report.dataset is None, "the file was read"
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    assert errors, render_report(report)
    return errors


def _study_c(tmp_path: Path) -> tuple[Dataset, Protocol, Path, str]:
    dataset, protocol = synthetic_cohort("ucmsc-rct")
    out = tmp_path / "study.xml"
    write_odm(dataset, protocol, out, NO_CLINIC_RECORDS)
    return dataset, protocol, out, out.read_text()


def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_a_file_that_is_not_xml_is_refused(tmp_path: Path) -> None:
    _, protocol = synthetic_cohort("ucmsc-rct")
    bad = tmp_path / "study.xml"
    bad.write_text("participant_id,age_years\nP1,31\n")
    (error,) = _errors(bad, protocol)
    assert error.file == "study.xml" and error.line == 1
    assert "not an XML file" in error.message


def test_a_file_breaking_the_xsd_is_refused_with_the_schemas_message_and_line(
    tmp_path: Path,
) -> None:
    _, protocol, out, text = _study_c(tmp_path)
    fragment = '<ItemData ItemOID="IT.participants.age_years"'
    out.write_text(text.replace(fragment, fragment + ' Colour="red"', 1))
    (error,) = _errors(out, protocol)
    assert error.line == _line_of(text, fragment)
    assert "XSD" in error.message and "Colour" in error.message and "ItemData" in error.message


def test_metadata_breaking_the_xsd_is_refused(tmp_path: Path) -> None:
    _, protocol, out, text = _study_c(tmp_path)
    out.write_text(text.replace('DataType="float"', 'DataType="real"', 1))
    (error,) = _errors(out, protocol)
    assert "DataType" in error.message and "real" in error.message
    assert error.line == _line_of(text, 'DataType="float"')


def test_an_unknown_item_oid_is_refused_with_its_line(tmp_path: Path) -> None:
    _, protocol, out, text = _study_c(tmp_path)
    fragment = 'ItemOID="IT.participants.age_years"'
    clinical = text.index("<ClinicalData")
    woman = text.index(fragment, clinical)
    out.write_text(
        text[:woman] + text[woman:].replace(fragment, 'ItemOID="IT.participants.shoe_size"', 1)
    )
    (error,) = _errors(out, protocol)
    assert error.value == "IT.participants.shoe_size"
    assert "not defined by an ItemDef" in error.message
    assert error.line == _line_of(text, "<SubjectData")


def test_an_unknown_study_event_is_refused(tmp_path: Path) -> None:
    _, protocol, out, text = _study_c(tmp_path)
    out.write_text(text.replace('StudyEventOID="SE.month_6"', 'StudyEventOID="SE.month_9"'))
    errors = _errors(out, protocol)
    assert any(e.value == "SE.month_9" and "not an event" in e.message for e in errors)
    assert all(e.line is not None for e in errors)


@pytest.mark.parametrize(
    ("column", "bad"), [("age_years", "999"), ("afc", "many"), ("fsh_1_date", "2020-13-45")]
)
def test_a_value_of_the_wrong_type_or_beyond_the_hard_limits_names_row_field_value(
    tmp_path: Path, column: str, bad: str
) -> None:
    dataset, protocol, out, text = _study_c(tmp_path)
    woman = dataset.participants.filter(pl.col(column).is_not_null()).row(0, named=True)
    start = text.index(f'<SubjectData SubjectKey="{woman["participant_id"]}"')
    at = text.index(f'ItemOID="IT.participants.{column}" Value="', start)
    value_start = text.index('Value="', at) + len('Value="')
    value_end = text.index('"', value_start)
    out.write_text(text[:value_start] + bad + text[value_end:])
    errors = _errors(out, protocol)
    found = [e for e in errors if e.column == column and e.value == bad]
    assert found, errors
    assert found[0].line == _line_of(text, f'<SubjectData SubjectKey="{woman["participant_id"]}"')


def test_convert_from_a_bad_odm_file_writes_nothing(tmp_path: Path) -> None:
    _, _, out, text = _study_c(tmp_path)
    out.write_text(text.replace('StudyEventOID="SE.month_6"', 'StudyEventOID="SE.month_9"'))
    target = tmp_path / "back"
    result = runner.invoke(
        app, ["convert", str(out), "-p", "ucmsc-rct", "--from", "odm", "--out", str(target)]
    )
    assert result.exit_code == 1, result.output
    assert "SE.month_9" in result.output
    assert not target.exists()


def test_convert_to_odm_and_back_through_the_command(tmp_path: Path) -> None:
    dataset, _ = synthetic_cohort("mensc")
    source = tmp_path / "interchange"
    write_dataset(dataset, source)
    odm = tmp_path / "study.xml"
    to = runner.invoke(
        app, ["convert", str(source), "-p", "mensc", "--to", "odm", "--out", str(odm)]
    )
    assert to.exit_code == 0, to.output
    assert odm.is_file()
    back = tmp_path / "back"
    result = runner.invoke(
        app, ["convert", str(odm), "-p", "mensc", "--from", "odm", "--out", str(back)]
    )
    assert result.exit_code == 0, result.output
    assert (back / "participants.csv").is_file()


def test_a_value_xml_cannot_hold_is_refused_and_nothing_written(tmp_path: Path) -> None:
    dataset, protocol = synthetic_cohort("ucmsc-rct")
    participants = dataset.participants.with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("bell\x07"))
        .otherwise(pl.lit(None, pl.String))
        .alias("remark")
    )
    odd = Dataset(
        participants,
        dataset.pregnancies,
        dataset.source,
        dataset.supplied,
        visits=dataset.visits,
        adverse_events=dataset.adverse_events,
    )
    out = tmp_path / "study.xml"
    with pytest.raises(FormatError, match=r"participants.csv row 2, column remark"):
        write_odm(odd, protocol, out, NO_CLINIC_RECORDS)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_typed_item_data_is_refused_naming_it(tmp_path: Path) -> None:
    _, protocol, out, _ = _study_c(tmp_path)
    tree = etree.parse(str(out))
    group = tree.find(f".//{{{NS}}}ClinicalData//{{{NS}}}ItemGroupData")
    assert group is not None
    for item in group.findall(f"{{{NS}}}ItemData"):
        typed = etree.Element(f"{{{NS}}}ItemDataString", ItemOID=item.get("ItemOID", ""))
        typed.text = item.get("Value")
        item.addnext(typed)
        group.remove(item)
    tree.write(str(out))
    errors = _errors(out, protocol)
    assert [e.message for e in errors] == [
        "ItemDataString is not read: ovaregen reads the values of ItemData elements (Value "
        "attribute)"
    ]


def test_an_item_group_of_no_table_is_refused_at_its_line(tmp_path: Path) -> None:
    _, protocol, out, text = _study_c(tmp_path)
    fragment = '<ItemGroupDef OID="IG.participants.screening"'
    out.write_text(text.replace(fragment, '<ItemGroupDef OID="IG.shoes.screening"', 1))
    errors = _errors(out, protocol)
    assert errors[0].value == "IG.shoes.screening"
    assert "names no table" in errors[0].message
    assert errors[0].line == _line_of(text, fragment)
