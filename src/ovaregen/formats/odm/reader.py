"""``--from odm``: a CDISC ODM 1.3.2 file read back into the study dataset and validated as
``ovaregen validate`` validates a folder (``io.reader.validate_tables``): all or nothing.

The file is validated against the ODM 1.3.2 XSD as it is parsed (``formats.odm.parse``: lxml
``iterparse``, each SubjectData checked as a tree of its own and freed once read, the rest of
the file checked at the end): a file that is not XML or breaks the schema is refused with the
parser's or the schema's message and its line, nothing read.

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

from pathlib import Path

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile
from ovaregen.formats.odm.parse import OdmParse, RefusedError, Table
from ovaregen.formats.redcap.naming import RECORD_ID
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.raw import RawTable, build_table
from ovaregen.io.reader import ValidationReport, validate_tables

_ROW = "\x00row"


def read_odm(source: Path, protocol: Protocol) -> ValidationReport:
    """The report on the ODM file at ``source`` (module docstring); never raises on bad
    content."""
    source = Path(source)
    label = source.name
    if not source.is_file():
        problem = Finding(Severity.ERROR, label, "an ODM export is one XML file")
        return _refused(str(source), [problem])
    parse = OdmParse(source, protocol, label)
    findings = parse.findings
    try:
        tables = parse.run()
    except RefusedError:
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


def _raw(table: Table, label: str) -> tuple[RawTable, list[Finding]]:
    """A table's text cells (one column per item, a row per woman, visit or repeat) as
    ``io.raw.build_table`` takes them."""
    keys: dict[str, pl.Series] = {"k0": pl.Series(table.row_subject, dtype=pl.String)}
    header = [RECORD_ID]
    if table.file is DatasetFile.VISITS:
        keys["k1"] = pl.Series(table.row_visit, dtype=pl.String)
        header.append("visit")
    cells = pl.DataFrame(keys).with_row_index(_ROW)
    names = [f"c{n}" for n in range(len(table.columns))]
    if names and table.chunks:
        values = pl.concat(table.chunks)
        wide = values.pivot(on="column", index="row", values="value", aggregate_function="first")
        wide = wide.rename({c: f"c{c}" for c in wide.columns if c != "row"})
        cells = cells.join(
            wide.with_columns(pl.col("row").cast(pl.UInt32)),
            left_on=_ROW,
            right_on="row",
            how="left",
            maintain_order="left",
        )
    cells = cells.with_columns(
        pl.lit(None, pl.String).alias(name) for name in names if name not in cells.columns
    ).select(*keys, *names)
    header += table.columns
    lines = pl.Series("line", table.row_line, dtype=pl.Int64)
    if any(table.row_rank):  # a repeated table, in the order of its rows' repeat keys
        order = pl.Series(table.row_rank).arg_sort()  # keys are unique: no ties
        cells, lines = cells[order], lines.gather(order)
    return build_table(table.file, label, header, cells, lines)


def _refused(source: str, findings: list[Finding]) -> ValidationReport:
    errors = sum(f.severity is Severity.ERROR for f in findings)
    return ValidationReport(source, None, tuple(findings), errors, len(findings) - errors)
