"""``--from redcap``: a folder holding a REDCap project's Data Dictionary and its records
export (flat CSV, raw or label values), read into the dataset and validated as ``ovaregen
validate`` validates a folder (``io.reader.validate_tables``): all or nothing.

Files are found by REDCap's names: ``*DataDictionary*.csv`` (required), ``*_DATA*.csv`` (the
records, required: one file), ``*Events*.csv`` and ``*InstrumentDesignations*.csv``
(optional; ``formats.redcap.events``: a project from ovaregen's dictionary takes its events
from the events file when there is one, else from the protocol). Classic projects (no
``redcap_event_name``) and longitudinal ones are read; a row of a repeating instrument is a
row of its table, a row of a follow-up event a row of visits.csv (the event's visit), any
other row the woman's participants.csv row. A coded value
(radio, dropdown, yesno) is read from its raw code or its label, whichever the export holds;
anything else is an error naming the records file, line, field and value. A project not set up
from ovaregen's dictionary needs a mapping file (``formats.redcap.mapping``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile
from ovaregen.formats.redcap.dictionary import (
    DictionaryField,
    FieldRead,
    own_reads,
    read_dictionary,
)
from ovaregen.formats.redcap.events import check_designations, read_events
from ovaregen.formats.redcap.mapping import MappingError, Reading, load_mapping
from ovaregen.formats.redcap.naming import FOLLOW_UP_FORM, RECORD_ID, REPEATING_FORM
from ovaregen.formats.redcap.project import project
from ovaregen.formats.redcap.records import EVENT, REPEAT_INSTANCE, REPEAT_INSTRUMENT
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.raw import RawTable, build_table
from ovaregen.io.reader import ValidationReport, validate_tables
from ovaregen.io.spreadsheet_safe import unescaped_frame, unescaped_header

_LINE = "\x00redcap_line"
_TABLE = "\x00table"


def read_redcap(source: Path, protocol: Protocol, mapping: Path | None) -> ValidationReport:
    """The report on the REDCap folder at ``source`` (module docstring); never raises on bad
    content."""
    findings: list[Finding] = []
    files = _files(Path(source), findings)
    if files is None:
        return _refused(str(source), findings)
    dictionary_path, records_path = files
    folder = Path(source)
    fields, problems = read_dictionary(dictionary_path)
    findings += problems
    if problems:
        return _refused(str(source), findings)
    try:
        reading = (
            load_mapping(mapping, fields, dictionary_path.name)
            if mapping is not None
            else _own_reading(protocol, fields, dictionary_path.name)
        )
        if mapping is None and (events_path := _optional(folder, "events")) is not None:
            events = read_events(events_path, protocol, findings)
            if events is not None:
                reading = replace(reading, events=events)
        if (designations := _optional(folder, "instrumentdesignations")) is not None:
            check_designations(designations, reading.events, reading.forms, findings)
    except MappingError as error:
        findings.append(Finding(Severity.ERROR, str(mapping), str(error)))
        return _refused(str(source), findings)
    findings += reading.findings
    records = _records(records_path, findings)
    if records is None or any(f.severity is Severity.ERROR for f in findings):
        return _refused(str(source), findings)
    tables = _tables(records, reading, records_path.name, findings)
    return validate_tables(str(source), tables, findings, protocol)


def _own_reading(protocol: Protocol, fields: list[DictionaryField], label: str) -> Reading:
    reads, findings = own_reads(fields, label)
    events = {
        e.unique_event_name: e.visit for e in project(protocol).events
    }  # None: the enrolment event
    repeating = {form: file for file, form in REPEATING_FORM.items()}
    forms = frozenset(f.form for f in fields)
    tables = {file for f in fields if (file := _form_table(f.form, repeating)) is not None} | {
        r.table for r in reads
    }
    return Reading(reads, events, repeating, findings, RECORD_ID, frozenset(), forms, tables)


def _form_table(form: str, repeating: dict[str, DatasetFile]) -> DatasetFile | None:
    if form == FOLLOW_UP_FORM:
        return DatasetFile.VISITS
    return repeating.get(form)


def _optional(folder: Path, part: str) -> Path | None:
    """The folder's ``*<part>*.csv`` (REDCap's events or designations file), if one."""
    found = [p for p in sorted(folder.glob("*.csv")) if part in p.name.lower()]
    if part == "events":
        found = [p for p in found if "repeating" not in p.name.lower()]
    return found[0] if len(found) == 1 else None


def _files(source: Path, findings: list[Finding]) -> tuple[Path, Path] | None:
    """The data dictionary and the records file of the folder."""
    if not source.is_dir():
        findings.append(Finding(Severity.ERROR, source.name, "a REDCap export is a folder"))
        return None
    csvs = sorted(p for p in source.iterdir() if p.suffix.lower() == ".csv")
    dictionaries = [p for p in csvs if "datadictionary" in p.name.lower()]
    records = [p for p in csvs if "_data" in p.name.lower() and p not in dictionaries]
    if not dictionaries:
        findings.append(
            Finding(
                Severity.ERROR,
                source.name,
                "no data dictionary (*_DataDictionary.csv): download it beside the records "
                "export (Project Setup → Data Dictionary → Download)",
            )
        )
    if len(records) != 1:
        found = ", ".join(p.name for p in records) or "none"
        findings.append(
            Finding(
                Severity.ERROR,
                source.name,
                f"expected one records export (*_DATA*.csv), found {found}",
            )
        )
    if len(dictionaries) > 1:
        findings.append(
            Finding(
                Severity.ERROR,
                source.name,
                f"several data dictionaries: {', '.join(p.name for p in dictionaries)}",
            )
        )
    if findings:
        return None
    return dictionaries[0], records[0]


def _records(path: Path, findings: list[Finding]) -> pl.DataFrame | None:
    """The records export as text, every cell stripped (empty = null), with each row's
    line; ``None`` (with a finding) when it cannot be read."""
    label = path.name
    try:
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        findings.append(Finding(Severity.ERROR, label, f"the file cannot be read: {error}"))
        return None
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    except pl.exceptions.PolarsError as error:
        findings.append(Finding(Severity.ERROR, label, f"not a CSV file: {error}"))
        return None
    frame = unescaped_frame(
        frame.rename(dict(zip(frame.columns, unescaped_header(frame.columns), strict=True)))
    )
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical == frame.height + 1:
        lines = pl.int_range(2, frame.height + 2, eager=True)
    else:  # a quoted value spans lines: count each record's first line
        reader = csv.reader(io.StringIO(text, newline=""))
        starts, end = [], 0
        for _ in reader:
            starts.append(end + 1)
            end = reader.line_num
        lines = pl.Series(starts[1 : frame.height + 1])
    del data, text  # the frame holds the records now (a 100,000-woman export: 2 GiB bar)
    frame = frame.select(pl.all().str.strip_chars().replace("", None))
    return frame.insert_column(0, lines.cast(pl.Int64).alias(_LINE))


def _tables(
    records: pl.DataFrame, reading: Reading, label: str, findings: list[Finding]
) -> dict[DatasetFile, RawTable]:
    """The dataset's text tables from the records rows (module docstring)."""
    record_id = reading.record_id or RECORD_ID
    reads = {r.name: r for r in reading.fields}
    structural = {record_id, EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE, _LINE}
    known_columns = structural | set(reads) | {f"{form}_complete" for form in reading.forms}
    for column in records.columns:
        if column not in known_columns and column.split("___")[0] not in reading.ignored:
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f"column {column} is not a field of the data dictionary",
                    line=1,
                    column=column,
                )
            )
    if record_id not in records.columns:
        findings.append(Finding(Severity.ERROR, label, f"no record id column {record_id}", line=1))
        return {}
    table = pl.lit(DatasetFile.PARTICIPANTS.value)
    visit = pl.lit(None, pl.String)
    if EVENT in records.columns:
        events = reading.events
        findings += _unknown(
            records, EVENT, list(events), label, "event", "is not an event of the project"
        )
        visit = pl.col(EVENT).replace_strict(
            list(events), list(events.values()), default=None, return_dtype=pl.String
        )
        table = pl.when(visit.is_not_null()).then(pl.lit(DatasetFile.VISITS.value)).otherwise(table)
    if REPEAT_INSTRUMENT in records.columns:
        forms = {form: file.value for form, file in reading.repeating.items()}
        findings += _unknown(
            records,
            REPEAT_INSTRUMENT,
            list(forms),
            label,
            "repeating instrument",
            "holds no table of the dataset",
        )
        instrument = pl.col(REPEAT_INSTRUMENT).replace_strict(
            list(forms), list(forms.values()), default=None, return_dtype=pl.String
        )
        table = pl.when(pl.col(REPEAT_INSTRUMENT).is_not_null()).then(instrument).otherwise(table)
    rows = records.with_columns(table.alias(_TABLE), visit.alias("\x00visit"))
    tables: dict[DatasetFile, RawTable] = {}
    for file in DatasetFile:
        chosen = [r for r in reading.fields if r.table is file and r.name in records.columns]
        chosen = [r for r in chosen if r.name != record_id]
        needed = [record_id, "\x00visit", _LINE, *dict.fromkeys(r.name for r in chosen)]
        part = rows.select(needed).filter(rows.get_column(_TABLE) == file.value)
        has_fields = file in reading.tables
        if file is not DatasetFile.PARTICIPANTS and not has_fields and part.is_empty():
            continue
        findings += _stray_values(rows, file, chosen, label)
        header = ["participant_id"] + (["visit"] if file is DatasetFile.VISITS else [])
        cells = [pl.col(record_id)] + ([pl.col("\x00visit")] if file is DatasetFile.VISITS else [])
        for r in chosen:
            header.append(r.column)
            cells.append(_decoded(r, part, label, findings))
        frame = part.select([c.alias(f"c{i}") for i, c in enumerate(cells)])
        raw, header_findings = build_table(file, label, header, frame, part.get_column(_LINE))
        findings += header_findings
        tables[file] = raw
    return tables


def _unknown(
    records: pl.DataFrame, column: str, known: list[str], label: str, what: str, problem: str
) -> list[Finding]:
    """An error for each of the first 20 rows whose ``column`` names none of ``known``."""
    unknown = records.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known))
    return [
        Finding(
            Severity.ERROR,
            label,
            f"{what} {value} {problem}",
            line=line,
            column=column,
            value=value,
            expected=", ".join(known),
        )
        for line, value in unknown.select(_LINE, column).head(20).rows()
    ]


def _decoded(read: FieldRead, rows: pl.DataFrame, label: str, findings: list[Finding]) -> pl.Expr:
    """A coded field's words (from codes or labels); an error for any other value."""
    value = pl.col(read.name)
    if not read.coded:
        return value
    lookup = read.labels | read.words  # a raw code wins over a label that reads the same
    bad = rows.filter(value.is_not_null() & ~value.is_in(list(lookup)))
    for line, text in bad.select(_LINE, read.name).head(20).rows():
        findings.append(
            Finding(
                Severity.ERROR,
                label,
                f"{text!r} is not a choice of field {read.name} in the data dictionary",
                line=line,
                column=read.name,
                value=text,
                expected=", ".join(f"{c} ({w})" for c, w in read.words.items()),
            )
        )
    return value.replace_strict(list(lookup), list(lookup.values()), default=value)


def _stray_values(
    rows: pl.DataFrame, file: DatasetFile, chosen: list[FieldRead], label: str
) -> list[Finding]:
    """A field read into ``file`` with a value on another table's rows would be lost: an
    error naming the first such line."""
    if not chosen:
        return []
    elsewhere = pl.col(_TABLE) != file.value
    names = list(dict.fromkeys(r.name for r in chosen))
    counts = rows.select((pl.col(n).is_not_null() & elsewhere).sum() for n in names).row(0)
    problems = []
    for name, count in zip(names, counts, strict=True):
        if count:
            first = rows.select(pl.col(_LINE, name).filter(pl.col(name).is_not_null() & elsewhere))
            line, value = first.row(0)
            problems.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f"field {name} belongs to {file.file_name} but has a value on a row of "
                    f"another event or instrument ({count} rows): it would be lost",
                    line=line,
                    column=name,
                    value=value,
                )
            )
    return problems


def _refused(source: str, findings: list[Finding]) -> ValidationReport:
    errors = sum(f.severity is Severity.ERROR for f in findings)
    return ValidationReport(source, None, tuple(findings), errors, len(findings) - errors)
