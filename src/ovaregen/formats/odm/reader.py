"""``--from odm``: a CDISC ODM 1.3.2 file read back into the study dataset and validated as
``ovaregen validate`` validates a folder (``io.reader.validate_tables``): all or nothing.

The file is validated against the ODM 1.3.2 XSD while it is parsed (``formats.odm.schema``;
lxml ``iterparse``, each woman's elements freed once read): a file that is not XML or breaks
the schema is refused with the parser's or the schema's message and its line, nothing read.

The file's own MetaDataVersion says which columns it holds (ODM 1.3.2 §3.1.1.3): each
ItemGroupDef ``IG.<table>.<form>`` gives a table of the dataset, its ItemRefs the table's
columns in order (an ItemDef's Name is the column; ``formats.odm.oids``). Rows
(§3.1.4): a SubjectData is a woman's participants.csv row (SubjectKey = participant_id); a
StudyEventData of a follow-up visit ``SE.<visit>`` a row of visits.csv; an ItemGroupData of a
repeating ItemGroup a row of its table. An ItemOID, ItemGroupOID or StudyEventOID the
metadata or the protocol does not define is an error naming the line and the OID. Values are
ODM's (§2.13); a boolean ``1``/``0`` reads as true/false. A repeated table's rows are in
the order of their ItemGroupRepeatKeys when these are numbers (as ovaregen writes them).
Rows are numbered by the line of the element that opens them, so that a finding names the
line of the woman, visit or row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from lxml import etree

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile
from ovaregen.formats.odm import oids
from ovaregen.formats.odm.metadata import NS
from ovaregen.formats.odm.schema import located, odm_schema
from ovaregen.formats.redcap.naming import RECORD_ID
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.raw import RawTable, build_table
from ovaregen.io.reader import ValidationReport, validate_tables

MAX_FINDINGS = 20
FLUSH = 200_000
"""Values gathered in Python lists before they move into a Polars frame."""
_TAGS = {
    name: f"{{{NS}}}{name}"
    for name in (
        "SubjectData",
        "StudyEventData",
        "ItemGroupData",
        "ItemData",
        "ItemDef",
        "ItemGroupDef",
        "ItemRef",
    )
}
_TRUE_FALSE = {"1": "true", "0": "false"}


@dataclass
class _Table:
    """One table as read: its columns (metadata order), rows (keys, line) and values."""

    file: DatasetFile
    columns: list[str] = field(default_factory=list)
    keys: dict[tuple[str, ...], int] = field(default_factory=dict)
    row_subject: list[str] = field(default_factory=list)
    row_visit: list[str] = field(default_factory=list)
    row_line: list[int] = field(default_factory=list)
    row_rank: list[int] = field(default_factory=list)
    value_row: list[int] = field(default_factory=list)
    value_column: list[int] = field(default_factory=list)
    value_text: list[str] = field(default_factory=list)
    chunks: list[pl.DataFrame] = field(default_factory=list)

    def row(self, key: tuple[str, ...], subject: str, visit: str, line: int, rank: int = 0) -> int:
        found = self.keys.get(key)
        if found is None:
            found = self.keys[key] = len(self.row_line)
            self.row_subject.append(subject)
            self.row_visit.append(visit)
            self.row_line.append(line)
            self.row_rank.append(rank)
        return found

    def flush(self) -> None:
        if self.value_row:
            self.chunks.append(
                pl.DataFrame(
                    {"row": self.value_row, "column": self.value_column, "value": self.value_text},
                    schema={"row": pl.Int64, "column": pl.Int64, "value": pl.String},
                )
            )
            self.value_row, self.value_column, self.value_text = [], [], []


class _RefusedError(Exception):
    """The file is refused: the findings say why."""


def read_odm(source: Path, protocol: Protocol) -> ValidationReport:
    """The report on the ODM file at ``source`` (module docstring); never raises on bad
    content."""
    source = Path(source)
    label = source.name
    findings: list[Finding] = []
    if not source.is_file():
        findings.append(Finding(Severity.ERROR, label, "an ODM export is one XML file"))
        return _refused(str(source), findings)
    try:
        tables = _parse(source, protocol, label, findings)
    except _RefusedError:
        return _refused(str(source), findings)
    except OSError as error:
        findings.append(Finding(Severity.ERROR, label, f"the file cannot be read: {error}"))
        return _refused(str(source), findings)
    if any(f.severity is Severity.ERROR for f in findings):
        return _refused(str(source), findings)
    raw: dict[DatasetFile, RawTable] = {}
    for file, table in tables.items():
        built, header_findings = _raw(table, label)
        findings += header_findings
        raw[file] = built
    return validate_tables(str(source), raw, findings, protocol)


def _parse(
    source: Path, protocol: Protocol, label: str, findings: list[Finding]
) -> dict[DatasetFile, _Table]:
    """Every table of the file (module docstring); ``_RefusedError`` when the file fails the XSD."""
    events = {oids.study_event(None): ""} | {
        oids.study_event(v.id): v.id for v in protocol.followup_visits
    }
    item_defs: dict[str, tuple[str, str]] = {}  # ItemOID → (Name, DataType)
    group_items: dict[str, list[str]] = {}
    tables: dict[DatasetFile, _Table] = {DatasetFile.PARTICIPANTS: _Table(DatasetFile.PARTICIPANTS)}
    group_table: dict[str, DatasetFile] = {}
    item_column: dict[str, tuple[DatasetFile, int, bool]] = {}
    building_group = ""
    subject, visit, event_oid = "", "", ""
    row, table = -1, tables[DatasetFile.PARTICIPANTS]
    seen = 0
    line: int = 0

    def problem(message: str, at: int | None, oid: str, expected: str = "") -> None:
        if sum(f.severity is Severity.ERROR for f in findings) < MAX_FINDINGS:
            findings.append(
                Finding(Severity.ERROR, label, message, line=at, value=oid, expected=expected)
            )

    try:
        for _, element in etree.iterparse(
            str(source),
            events=("start",),
            tag=list(_TAGS.values()),
            schema=odm_schema(),
            huge_tree=True,
        ):
            tag = element.tag
            if tag == _TAGS["ItemData"]:
                oid = element.get("ItemOID", "")
                value = element.get("Value")
                known = item_column.get(oid)
                if known is None or known[0] is not table.file:
                    where = (
                        "not defined by an ItemDef of the file's metadata"
                        if oid not in item_defs
                        else f"not an item of ItemGroup {building_group}"
                    )
                    problem(f"ItemOID {oid} is {where}", element.sourceline, oid)
                    continue
                if value is None or element.get("IsNull") == "Yes" or row < 0:
                    continue
                if known[2]:
                    value = _TRUE_FALSE.get(value, value)
                table.value_row.append(row)
                table.value_column.append(known[1])
                table.value_text.append(value)
                if len(table.value_row) >= FLUSH:
                    table.flush()
            elif tag == _TAGS["ItemGroupData"]:
                group_oid = element.get("ItemGroupOID", "")
                building_group = group_oid
                file = group_table.get(group_oid)
                at = element.sourceline or 0
                row = -1
                if file is None:
                    problem(
                        f"ItemGroupOID {group_oid} is not an ItemGroupDef of the file's metadata",
                        at,
                        group_oid,
                    )
                    continue
                table = tables[file]
                if file is DatasetFile.VISITS:
                    if not visit:
                        problem(
                            f"ItemGroup {group_oid} (visits.csv) is outside a follow-up visit's "
                            f"StudyEventData ({event_oid})",
                            at,
                            group_oid,
                        )
                        continue
                    row = table.row((subject, visit), subject, visit, line)
                elif visit:
                    problem(
                        f"ItemGroup {group_oid} ({file.file_name}) belongs to the enrolment "
                        f"event, not to {event_oid}",
                        at,
                        group_oid,
                    )
                    continue
                elif file is DatasetFile.PARTICIPANTS:
                    row = table.row((subject,), subject, "", line)
                else:
                    key = element.get("ItemGroupRepeatKey", "1")
                    rank = int(key) if key.isdigit() else 0
                    row = table.row((subject, group_oid, key), subject, "", at, rank)
            elif tag == _TAGS["StudyEventData"]:
                event_oid = element.get("StudyEventOID", "")
                found = events.get(event_oid)
                visit = found or ""
                if found is None:
                    visit = "\x00unknown"
                    problem(
                        f"StudyEventOID {event_oid} is not an event of protocol {protocol.name}",
                        element.sourceline,
                        event_oid,
                        ", ".join(events),
                    )
                if found and DatasetFile.VISITS in tables:
                    line = element.sourceline or 0
                    tables[DatasetFile.VISITS].row((subject, visit), subject, visit, line)
            elif tag == _TAGS["SubjectData"]:
                previous = element.getprevious()
                while previous is not None:
                    element.getparent().remove(previous)
                    previous = element.getprevious()
                if seen == 0:
                    _define(
                        group_items, item_defs, tables, group_table, item_column, findings, label
                    )
                    if findings:
                        raise _RefusedError
                seen += 1
                subject = element.get("SubjectKey", "")
                visit, event_oid = "", ""
                line = element.sourceline or 0
                participants = tables[DatasetFile.PARTICIPANTS]
                if (subject,) in participants.keys:
                    problem(f"SubjectKey {subject} has two SubjectData", line, subject)
                participants.row((subject,), subject, "", line)
            elif tag == _TAGS["ItemDef"]:
                item_defs[element.get("OID", "")] = (
                    element.get("Name", ""),
                    element.get("DataType", ""),
                )
            elif tag == _TAGS["ItemGroupDef"]:
                building_group = element.get("OID", "")
                group_items[building_group] = []
            elif tag == _TAGS["ItemRef"]:
                group_items[building_group].append(element.get("ItemOID", ""))
    except etree.XMLSyntaxError as error:
        at, message = located(source, error, line or None)
        findings.append(
            Finding(
                Severity.ERROR,
                label,
                f"not a valid ODM 1.3.2 file (CDISC's XSD): {message}",
                line=at,
            )
        )
        raise _RefusedError from error
    if seen == 0:
        _define(group_items, item_defs, tables, group_table, item_column, findings, label)
    for t in tables.values():
        t.flush()
    return tables


def _define(
    group_items: dict[str, list[str]],
    item_defs: dict[str, tuple[str, str]],
    tables: dict[DatasetFile, _Table],
    group_table: dict[str, DatasetFile],
    item_column: dict[str, tuple[DatasetFile, int, bool]],
    findings: list[Finding],
    label: str,
) -> None:
    """The tables and columns of the file's metadata (module docstring)."""
    for group, items in group_items.items():
        file = oids.table_of_group(group)
        if file is None:
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f"ItemGroupDef {group} names no table of the dataset "
                    "(expected IG.<table>.<form>)",
                    value=group,
                    expected=", ".join(f"IG.{f.value}.…" for f in DatasetFile),
                )
            )
            continue
        group_table[group] = file
        table = tables.setdefault(file, _Table(file))
        for oid in items:
            decoded = oids.column_of_item(oid)
            definition = item_defs.get(oid)
            if decoded is None or decoded[0] is not file or definition is None:
                findings.append(
                    Finding(
                        Severity.ERROR,
                        label,
                        f"ItemOID {oid} of ItemGroupDef {group} is not a column of "
                        f"{file.file_name} (expected IT.{file.value}.<column>, defined by an "
                        "ItemDef)",
                        value=oid,
                    )
                )
                continue
            name, data_type = definition
            column = decoded[1] if decoded[1] is not None else name
            if column != name:
                findings.append(
                    Finding(
                        Severity.ERROR,
                        label,
                        f"ItemDef {oid} is named {name}, not its column {column}",
                        value=name,
                        expected=column,
                    )
                )
                continue
            if oid not in item_column:
                item_column[oid] = (file, len(table.columns), data_type == "boolean")
                table.columns.append(column)


def _raw(table: _Table, label: str) -> tuple[RawTable, list[Finding]]:
    """A table's text cells (one column per item, a row per woman, visit or repeat) as
    ``io.raw.build_table`` takes them."""
    keys: dict[str, pl.Series] = {"k0": pl.Series(table.row_subject, dtype=pl.String)}
    header = [RECORD_ID]
    if table.file is DatasetFile.VISITS:
        keys["k1"] = pl.Series(table.row_visit, dtype=pl.String)
        header.append("visit")
    cells = pl.DataFrame(keys).with_row_index("\x00row")
    values = (
        pl.concat(table.chunks)
        if table.chunks
        else pl.DataFrame(schema={"row": pl.Int64, "column": pl.Int64, "value": pl.String})
    )
    if table.columns:
        wide = (
            values.pivot(on="column", index="row", values="value", aggregate_function="first")
            if values.height
            else pl.DataFrame(schema={"row": pl.Int64})
        )
        names = {str(n): f"c{n}" for n in range(len(table.columns))}
        wide = wide.rename({c: names[c] for c in wide.columns if c in names})
        cells = cells.join(
            wide.with_columns(pl.col("row").cast(pl.UInt32)),
            left_on="\x00row",
            right_on="row",
            how="left",
            maintain_order="left",
        )
        cells = cells.with_columns(
            pl.lit(None, pl.String).alias(name)
            for name in names.values()
            if name not in cells.columns
        )
        cells = cells.select(*keys, *names.values())
    else:
        cells = cells.select(*keys)
    header += table.columns
    lines = pl.Series("line", table.row_line, dtype=pl.Int64)
    if any(table.row_rank):  # a repeated table, in the order of its rows' repeat keys
        order = pl.Series(table.row_rank).arg_sort()  # keys are unique: no ties
        cells, lines = cells[order], lines.gather(order)
    return build_table(table.file, label, header, cells, lines)


def _refused(source: str, findings: list[Finding]) -> ValidationReport:
    errors = sum(f.severity is Severity.ERROR for f in findings)
    return ValidationReport(source, None, tuple(findings), errors, len(findings) - errors)
