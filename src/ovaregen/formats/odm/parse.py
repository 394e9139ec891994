"""Reading an ODM 1.3.2 file a woman at a time (``formats.odm.reader``): lxml ``iterparse``
delivers each SubjectData once parsed; it is validated against the XSD as a tree of its own
(every ODM element is declared globally, so a SubjectData is checked as a document would be,
with its line numbers), read, and freed. The rest of the file — ODM root, Study, AdminData,
ClinicalData's collections — is validated once the women are read. libxml2's streaming
validation (``iterparse(schema=…)``) would check the same but some four times slower and
without the line of a violation.

Rows (ODM 1.3.2 §3.1.4): a SubjectData is a woman's participants.csv row (SubjectKey =
participant_id); a StudyEventData of a follow-up visit ``SE.<visit>`` a row of visits.csv; an
ItemGroupData of a repeating ItemGroup a row of its table (ItemGroupRepeatKey). Columns come
from the file's MetaDataVersion (``formats.odm.oids``).
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
from ovaregen.formats.odm.schema import odm_schema, plain
from ovaregen.io.dataset import Finding, Severity

MAX_FINDINGS = 20
FLUSH = 200_000
"""Values gathered in Python lists before they move into a Polars frame."""
VALUES = {"row": pl.Int64, "oid": pl.String, "value": pl.String}
_TRUE_FALSE = {"1": "true", "0": "false"}
SUBJECT = f"{{{NS}}}SubjectData"
EVENT = f"{{{NS}}}StudyEventData"
FORM = f"{{{NS}}}FormData"
GROUP = f"{{{NS}}}ItemGroupData"
ITEM = f"{{{NS}}}ItemData"
ITEM_DEF = f"{{{NS}}}ItemDef"
GROUP_DEF = f"{{{NS}}}ItemGroupDef"
ITEM_REF = f"{{{NS}}}ItemRef"
_NOT_VALUES = {f"{{{NS}}}{t}" for t in ("AuditRecord", "Signature", "Annotation")}


class RefusedError(Exception):
    """The file is refused: the findings say why."""


@dataclass
class Table:
    """One table as read: its columns (metadata order), rows (keys, line) and values."""

    file: DatasetFile
    columns: list[str] = field(default_factory=list)
    keys: dict[tuple[str, ...], int] = field(default_factory=dict)
    row_subject: list[str] = field(default_factory=list)
    row_visit: list[str] = field(default_factory=list)
    row_line: list[int] = field(default_factory=list)
    row_rank: list[int] = field(default_factory=list)
    value_row: list[int] = field(default_factory=list)
    value_oid: list[str] = field(default_factory=list)
    value_text: list[str] = field(default_factory=list)
    chunks: list[pl.DataFrame] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    """ItemOID → the position of its column."""
    booleans: list[int] = field(default_factory=list)
    strays: list[tuple[int, str]] = field(default_factory=list)
    """(row, ItemOID) of values whose ItemOID is no item of this table (the first ones)."""

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
        """The gathered values into a frame of (row, column position, value): ItemOIDs of
        other tables kept aside (``strays``) for their errors, booleans 1/0 as true/false."""
        if not self.value_row:
            return
        frame = pl.DataFrame(
            {"row": self.value_row, "oid": self.value_oid, "value": self.value_text},
            schema=VALUES,
        )
        self.value_row, self.value_oid, self.value_text = [], [], []
        known = pl.col("oid").is_in(list(self.positions))
        if len(self.strays) < MAX_FINDINGS:
            found = frame.filter(~known).unique("oid", maintain_order=True)
            self.strays += found.select("row", "oid").head(MAX_FINDINGS).rows()
        column = pl.col("oid").replace_strict(
            list(self.positions), list(self.positions.values()), return_dtype=pl.Int32
        )
        coded = frame.filter(known).select(
            pl.col("row").cast(pl.Int32), column.alias("column"), pl.col("value")
        )
        if self.booleans:
            coded = coded.with_columns(
                pl.when(pl.col("column").is_in(self.booleans))
                .then(pl.col("value").replace(_TRUE_FALSE))
                .otherwise(pl.col("value"))
                .alias("value")
            )
        self.chunks.append(coded)


class OdmParse:
    """The tables of one ODM file, filled as it is parsed (module docstring)."""

    def __init__(self, source: Path, protocol: Protocol, label: str) -> None:
        self.source, self.protocol, self.label = source, protocol, label
        self.findings: list[Finding] = []
        self.events = {oids.study_event(None): ""} | {
            oids.study_event(v.id): v.id for v in protocol.followup_visits
        }
        self.item_defs: dict[str, tuple[str, str]] = {}
        self.group_items: dict[str, list[str]] = {}
        self.group_lines: dict[str, int | None] = {}
        self.tables = {DatasetFile.PARTICIPANTS: Table(DatasetFile.PARTICIPANTS)}
        self.group_table: dict[str, DatasetFile] = {}
        self.item_column: dict[str, tuple[DatasetFile, int, bool]] = {}
        self.defined = False

    def run(self) -> dict[DatasetFile, Table]:
        """Parse, validate and read the whole file; ``RefusedError`` when it is not valid."""
        schema = odm_schema()
        line: int | None = None
        context = etree.iterparse(
            str(self.source), events=("end",), tag=[SUBJECT, ITEM_DEF, GROUP_DEF], huge_tree=True
        )
        try:
            for _, element in context:
                tag = element.tag
                if tag == SUBJECT:
                    if not self.defined:
                        self.define()
                    line = element.sourceline
                    if not schema.validate(element):
                        self.refuse(schema.error_log)
                    self.subject(element)
                    while element.getprevious() is not None:
                        del element.getparent()[0]
                elif tag == ITEM_DEF:
                    self.item_defs[element.get("OID", "")] = (
                        element.get("Name", ""),
                        element.get("DataType", ""),
                    )
                elif tag == GROUP_DEF:
                    refs = element.iterchildren(ITEM_REF)
                    oid = element.get("OID", "")
                    self.group_items[oid] = [r.get("ItemOID", "") for r in refs]
                    self.group_lines[oid] = element.sourceline
        except etree.XMLSyntaxError as error:
            after = f" (after line {line})" if line and not error.lineno else ""
            self.error(f"not an XML file: {plain(str(error.msg))}{after}", error.lineno or line)
            raise RefusedError from error
        root = context.root
        for subject in root.iter(SUBJECT):
            subject.getparent().remove(subject)
        if not schema.validate(root):
            self.refuse(schema.error_log)
        if not self.defined:
            self.define()
        for t in self.tables.values():
            t.flush()
            self.check_items(t)
        if any(f.severity is Severity.ERROR for f in self.findings):
            raise RefusedError
        return self.tables

    def check_items(self, table: Table) -> None:
        """An error for each ItemOID (first 20) that is no item of the table its ItemGroup
        holds, at the line of the row's element; and for an item given twice in one row."""
        lines = table.row_line
        for row, oid in table.strays[:MAX_FINDINGS]:
            where = (
                "not defined by an ItemDef of the file's metadata"
                if oid not in self.item_defs
                else f"not an item of {table.file.file_name}'s ItemGroups"
            )
            self.error(f"ItemOID {oid} is {where}", lines[row], oid)
        if not table.chunks:
            return
        values = pl.concat(table.chunks)
        twice = values.filter(pl.struct("row", "column").is_duplicated())
        for row, position in twice.select("row", "column").head(1).rows():
            name = table.columns[position]
            self.error(f"{name} has two values in one ItemGroupData", lines[row], name)

    def refuse(self, log: etree._ListErrorLog) -> None:
        first = log[0]
        self.error(f"not a valid ODM 1.3.2 file (CDISC's XSD): {plain(first.message)}", first.line)
        raise RefusedError

    def error(self, message: str, line: int | None, value: str = "", expected: str = "") -> None:
        if sum(f.severity is Severity.ERROR for f in self.findings) < MAX_FINDINGS:
            self.findings.append(
                Finding(
                    Severity.ERROR,
                    self.label,
                    message,
                    line=line,
                    value=value or None,
                    expected=expected or None,
                )
            )

    def subject(self, element: etree._Element) -> None:
        """One woman's rows and values (module docstring)."""
        subject = element.get("SubjectKey", "")
        line = element.sourceline or 0
        participants = self.tables[DatasetFile.PARTICIPANTS]
        if (subject,) in participants.keys:
            self.error(f"SubjectKey {subject} has two SubjectData", line, subject)
        participants.row((subject,), subject, "", line)
        visits = self.tables.get(DatasetFile.VISITS)
        for event in element.iterchildren(EVENT):
            event_oid = event.get("StudyEventOID", "")
            visit = self.events.get(event_oid)
            at = event.sourceline or 0
            if visit is None:
                self.error(
                    f"StudyEventOID {event_oid} is not an event of protocol {self.protocol.name}",
                    at,
                    event_oid,
                    ", ".join(self.events),
                )
                continue
            if visit and visits is not None:
                visits.row((subject, visit), subject, visit, at)
            for form in event.iterchildren(FORM):
                for group in form.iterchildren(GROUP):
                    self.group(group, subject, visit, event_oid, at)

    def group(
        self, element: etree._Element, subject: str, visit: str, event_oid: str, event_line: int
    ) -> None:
        group_oid = element.get("ItemGroupOID", "")
        at = element.sourceline or 0
        file = self.group_table.get(group_oid)
        if file is None:
            self.error(
                f"ItemGroupOID {group_oid} is not an ItemGroupDef of the file's metadata",
                at,
                group_oid,
            )
            return
        table = self.tables[file]
        if file is DatasetFile.VISITS:
            if not visit:
                self.error(
                    f"ItemGroup {group_oid} (visits.csv) is outside a follow-up visit's "
                    f"StudyEventData ({event_oid})",
                    at,
                    group_oid,
                )
                return
            row = table.row((subject, visit), subject, visit, event_line)
        elif visit:
            self.error(
                f"ItemGroup {group_oid} ({file.file_name}) belongs to the enrolment event, "
                f"not to {event_oid}",
                at,
                group_oid,
            )
            return
        elif file is DatasetFile.PARTICIPANTS:
            row = table.row((subject,), subject, "", 0)
        else:
            key = element.get("ItemGroupRepeatKey", "1")
            rank = int(key) if key.isdigit() else 0
            row = table.row((subject, group_oid, key), subject, "", at, rank)
        rows, found, values = table.value_row, table.value_oid, table.value_text
        seen = 0
        for item in element.iterchildren(ITEM):
            seen += 1
            value = item.get("Value")
            if value is not None:  # IsNull="Yes" is an ItemData without a Value (§3.1.4)
                rows.append(row)
                found.append(item.get("ItemOID", ""))
                values.append(value)
        if seen != len(element):
            self.others(element)
        if len(rows) >= FLUSH:
            table.flush()

    def others(self, element: etree._Element) -> None:
        """An error for the first value element that is not an ItemData (a typed
        ItemDataString, ItemDataInteger …, which ovaregen does not read)."""
        for other in element.iterchildren():
            if other.tag != ITEM and other.tag not in _NOT_VALUES:
                self.error(
                    f"{etree.QName(other).localname} is not read: ovaregen reads the values of "
                    "ItemData elements (Value attribute)",
                    other.sourceline,
                )
                return

    def define(self) -> None:
        """The tables and columns of the file's metadata (module docstring)."""
        self.defined = True
        _define(
            self.group_items,
            self.item_defs,
            self.tables,
            self.group_table,
            self.item_column,
            self.findings,
            self.label,
            self.group_lines,
        )
        if self.findings:
            raise RefusedError


def _define(
    group_items: dict[str, list[str]],
    item_defs: dict[str, tuple[str, str]],
    tables: dict[DatasetFile, Table],
    group_table: dict[str, DatasetFile],
    item_column: dict[str, tuple[DatasetFile, int, bool]],
    findings: list[Finding],
    label: str,
    lines: dict[str, int | None],
) -> None:
    """The tables and columns of the file's metadata (module docstring); a finding names the
    line of its ItemGroupDef."""
    for group, items in group_items.items():
        file = oids.table_of_group(group)
        if file is None:
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f"ItemGroupDef {group} names no table of the dataset "
                    "(expected IG.<table>.<form>)",
                    line=lines.get(group),
                    value=group,
                    expected=", ".join(f"IG.{f.value}.…" for f in DatasetFile),
                )
            )
            continue
        group_table[group] = file
        table = tables.setdefault(file, Table(file))
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
                        line=lines.get(group),
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
                        line=lines.get(group),
                        value=name,
                        expected=column,
                    )
                )
                continue
            if oid not in item_column:
                item_column[oid] = (file, len(table.columns), data_type == "boolean")
                table.positions[oid] = len(table.columns)
                if data_type == "boolean":
                    table.booleans.append(len(table.columns))
                table.columns.append(column)
