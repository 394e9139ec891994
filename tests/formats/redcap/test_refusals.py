"""Bad REDCap folders are refused naming file, line, field and value, and nothing is
written; a foreign project is read through a mapping file whose errors name the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.formats.redcap.reader import read_redcap
from ovaregen.io.dataset import Dataset, Severity
from ovaregen.io.findings import render_report

runner = CliRunner()


def _copy(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "export"
    shutil.copytree(folder, copy)
    return copy


def _edit_records(folder: Path, protocol: Protocol, old: str, new: str) -> None:
    path = folder / f"{protocol.name}_DATA.csv"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _convert(source: Path, protocol: Protocol, out: Path) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["convert", str(source), "--from", "redcap", "-p", protocol.name, "--out", str(out)],
    )
    return result.exit_code, result.output


def test_cli_writes_redcap_and_reads_it_back(
    cohort: tuple[Dataset, Protocol, Path], tmp_path: Path
) -> None:
    _, protocol, folder = cohort
    code, output = _convert(folder, protocol, tmp_path / "interchange")
    assert code == 0, output
    result = runner.invoke(
        app,
        [
            "convert",
            str(tmp_path / "interchange"),
            "--to",
            "redcap",
            "-p",
            protocol.name,
            "--out",
            str(tmp_path / "again"),
        ],
    )
    assert result.exit_code == 0, result.output
    for file in folder.iterdir():
        assert (tmp_path / "again" / file.name).read_bytes() == file.read_bytes(), file.name


def test_an_export_without_its_dictionary_is_refused(
    cohort: tuple[Dataset, Protocol, Path], tmp_path: Path
) -> None:
    _, protocol, folder = cohort
    copy = _copy(folder, tmp_path)
    (copy / f"{protocol.name}_DataDictionary.csv").unlink()
    code, output = _convert(copy, protocol, tmp_path / "out")
    assert code == 1
    assert "no data dictionary" in output and "nothing was written" in output
    assert not (tmp_path / "out").exists()


def test_an_unknown_event_names_line_field_and_value(
    cohort: tuple[Dataset, Protocol, Path], tmp_path: Path
) -> None:
    _, protocol, folder = cohort
    copy = _copy(folder, tmp_path)
    _edit_records(copy, protocol, ",enrolment_arm_1,", ",week_2_arm_1,")
    report = read_redcap(copy, protocol, None)
    assert report.dataset is None
    error = next(f for f in report.findings if f.severity is Severity.ERROR)
    assert (error.file, error.line, error.column, error.value) == (
        f"{protocol.name}_DATA.csv",
        2,
        "redcap_event_name",
        "week_2_arm_1",
    )
    code, _ = _convert(copy, protocol, tmp_path / "out")
    assert code == 1 and not (tmp_path / "out").exists()


def test_a_choice_code_not_in_the_dictionary_is_an_error(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text("participant_id,menses\nP1,regular\nP2,irregular\n")
    code = runner.invoke(
        app,
        [
            "convert",
            str(source),
            "--to",
            "redcap",
            "-p",
            "ucmsc-rct",
            "--out",
            str(tmp_path / "rc"),
        ],
    ).exit_code
    assert code == 0
    _edit_records(tmp_path / "rc", protocol, "P2,enrolment_arm_1,2,2,2", "P2,enrolment_arm_1,2,9,2")
    report = read_redcap(tmp_path / "rc", protocol, None)
    assert report.dataset is None, render_report(report)
    error = next(f for f in report.findings if f.severity is Severity.ERROR)
    assert (error.line, error.column, error.value) == (3, "menses", "9")
    assert "1 (regular)" in (error.expected or "")


def test_a_foreign_project_is_read_through_a_mapping_file(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    folder = tmp_path / "foreign"
    folder.mkdir()
    (folder / "Trial_DataDictionary.csv").write_text(
        '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
        '"Choices, Calculations, OR Slider Labels"\n'
        "study_id,demo,,text,Study ID,\n"
        "age,demo,,text,Age,\n"
        "amh,demo,,text,AMH (pmol/L),\n"
        'mens,demo,,radio,Menses,"1, Regular | 2, Irregular | 3, None"\n'
        "amh_fu,visit,,text,AMH after,\n"
        "sig,demo,,text,Signature,\n"
        'excl,demo,,checkbox,Exclusions,"1, Endometriosis | 2, Adenomyosis"\n'
    )
    (folder / "Trial_DATA_2024-01-01_1200.csv").write_text(
        "study_id,redcap_event_name,age,amh,mens,amh_fu,sig,excl___1,excl___2\n"
        "7,base_arm_1,31,7.14,3,,x,1,0\n"
        "7,m3_arm_1,,,,14.28,,,\n"
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "events: {base_arm_1: enrolment, m3_arm_1: month_3}\n"
        "fields:\n"
        "  age: age_years\n"
        "  amh: {column: amh_ng_ml, unit: pmol/L}\n"
        "  mens: {column: menses, choices: {1: regular, 2: irregular, 3: amenorrhea}}\n"
        "  amh_fu: {table: visits, column: amh_post_ng_ml, unit: pmol/L}\n"
        "  excl: {checkbox: {1: endometriosis, 2: adenomyosis}}\n"
        "ignore: [sig]\n"
    )
    report = read_redcap(folder, protocol, mapping)
    assert report.dataset is not None, render_report(report)
    row = report.dataset.participants.row(0, named=True)
    assert (row["participant_id"], row["age_years"], row["menses"]) == ("7", 31.0, "amenorrhea")
    assert row["amh_ng_ml"] == 1.0
    assert (row["endometriosis"], row["adenomyosis"]) == (True, False)
    assert report.dataset.visits.select("visit", "amh_post_ng_ml").rows() == [("month_3", 2.0)]

    mapping.write_text("fields:\n  age: {column: age_in_years}\n")
    report = read_redcap(folder, protocol, mapping)
    assert report.dataset is None
    assert "field age" in render_report(report) and "age_in_years" in render_report(report)
    mapping.write_text(
        "events: {base_arm_1: enrolment, m3_arm_1: month_3}\nfields: {age: age_years}\n"
    )
    report = read_redcap(folder, protocol, mapping)
    assert report.dataset is None
    assert "field amh is neither mapped nor ignored" in render_report(report)


def test_a_classic_project_without_events_is_read(
    cohort: tuple[Dataset, Protocol, Path], tmp_path: Path
) -> None:
    dataset, protocol, folder = cohort
    copy = _copy(folder, tmp_path)
    path = copy / f"{protocol.name}_DATA.csv"
    records = pl.read_csv(path, infer_schema=False)
    classic = records.filter(pl.col("redcap_event_name") == "enrolment_arm_1").drop(
        "redcap_event_name"
    )
    classic.write_csv(path, null_value="")
    for name in ("Events", "InstrumentDesignations"):
        (copy / f"{protocol.name}_{name}.csv").unlink()
    report = read_redcap(copy, protocol, None)
    assert report.dataset is not None, render_report(report)
    for table in ("participants", "pregnancies", "adverse_events", "mobilisation"):
        assert getattr(report.dataset, table).equals(getattr(dataset, table)), table
    assert report.dataset.visits.is_empty()


def test_an_events_file_naming_no_visit_is_refused(tmp_path: Path) -> None:
    protocol = load_protocol("ucmsc-rct")
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text("participant_id\nP1\n")
    (source / "visits.csv").write_text("participant_id,visit,afc_post\nP1,month_3,4\n")
    runner.invoke(
        app,
        [
            "convert",
            str(source),
            "--to",
            "redcap",
            "-p",
            "ucmsc-rct",
            "--out",
            str(tmp_path / "rc"),
        ],
    )
    events = tmp_path / "rc" / "ucmsc-rct_Events.csv"
    events.write_text(events.read_text().replace("month_6,", "week_26,", 1))
    report = read_redcap(tmp_path / "rc", protocol, None)
    assert report.dataset is None
    error = next(f for f in report.findings if f.severity is Severity.ERROR)
    assert (error.file, error.line, error.column, error.value) == (
        "ucmsc-rct_Events.csv",
        4,
        "event_name",
        "week_26",
    )
