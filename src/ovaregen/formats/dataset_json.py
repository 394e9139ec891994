"""CDISC Dataset-JSON v1.1 both ways (issue 14 item 4): ``--to dataset-json`` writes a folder
of one ``<table>.json`` per table of the dataset; ``--from dataset-json`` reads such a folder.

Written as the specification (``doc/dataset-json1-1.md`` of cdisc-org/DataExchange-DatasetJson)
and its schema (``formats/schemas/dataset.schema.json``, vendored) say:
- top level (§"Top-level Metadata Attributes"): ``datasetJSONCreationDateTime`` (UTC, now),
  ``datasetJSONVersion`` 1.1.0, ``fileOID``, ``dbLastModifiedDateTime`` (the last audit entry
  of a clinic export, else the time of writing: the dataset as converted), ``originator``,
  ``sourceSystem`` (ovaregen and its version), ``studyOID`` (the protocol), ``metaDataVersionOID``,
  ``itemGroupOID``, ``records`` (the row count), ``name`` (the table), ``label``, ``columns``,
  ``rows`` (one array per row, as wide as ``columns``; missing = null, §"Missing Values");
- a column per dictionary variable the source supplied, then its extra columns (``string``):
  ``dataType`` by the dictionary's kind (§"Supported Column Data Type Combinations"): text and
  choices ``string`` (with ``length``, the longest value), integer ``integer``, number
  ``double`` (a JSON number, written by Python's shortest round-trip repr), yes/no ``boolean``,
  date ``date`` (an ISO 8601 string, ``displayFormat`` E8601DA.); ``keySequence`` on the keys
  (``formats.tables``). The column object allows no other property, so the unit is part of the
  label: ``Anti-Müllerian hormone (ng/mL)``.

JSON has no NaN or infinity: a writer refuses them (``FormatError``), a reader reports them.
Reading takes ``<table>.json`` and also Dataset-JSON's NDJSON representation ``<table>.ndjson``
(``doc/dataset-json-ndjson1-1.md``: line 1 the metadata, then one row array a line; read, not
written). Reading checks what the schema cannot: ``records`` equal to the number of rows,
every row an array as wide as ``columns``, every value of the JSON type of its column's
``dataType``; the metadata (everything but the rows) is checked against the schema itself.
Then the tables are validated as ``ovaregen validate`` validates a folder
(``formats.typed.read_tables``).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile, Kind
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.errors import FormatError
from ovaregen.formats.folder import write_folder
from ovaregen.formats.tables import KEYS, TABLE_LABELS, ovaregen_version, table_files
from ovaregen.formats.typed import TypedTable, label_of, read_tables, tables_of, variable_of
from ovaregen.io.dataset import Dataset, Finding, Severity
from ovaregen.io.reader import ValidationReport

VERSION = "1.1.0"
SUFFIX = ".json"
NDJSON_SUFFIX = ".ndjson"
SUFFIXES = (SUFFIX, NDJSON_SUFFIX)
"""Dataset-JSON's NDJSON representation (read, not written)."""
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
DATA_TYPES: dict[Kind, str] = {
    Kind.TEXT: "string",
    Kind.CHOICE: "string",
    Kind.INTEGER: "integer",
    Kind.NUMBER: "double",
    Kind.BOOLEAN: "boolean",
    Kind.DATE: "date",
}
"""The dataType of each kind of the dictionary; an extra column is ``string``."""
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "decimal": (str,),
    "datetime": (str,),
    "date": (str,),
    "time": (str,),
    "URI": (str,),
    "integer": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
}
"""The JSON values of each dataType (§"Supported Column Data Type Combinations"): a decimal and
a date are strings, a float or double any JSON number."""
_JSON_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
_LISTED = 5
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'
"""What a JSON string must escape (RFC 8259 §7): a quote, a backslash, a control character."""
"""The values of one kind of problem a finding lists, per column."""


@cache
def schema() -> dict[str, Any]:
    """CDISC's Dataset-JSON v1.1 schema (``formats/schemas``, vendored unchanged)."""
    text = files("ovaregen.formats").joinpath("schemas", "dataset.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_errors(document: object) -> list[str]:
    """What the schema's own validator (its declared draft, 2019-09) finds in ``document``."""
    import jsonschema  # type: ignore[import-untyped]  # noqa: PLC0415 - only when read

    validator = jsonschema.validators.validator_for(schema())(schema())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or 'top level'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


# --- writing ----------------------------------------------------------------------------------


def write_dataset_json(
    dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
) -> list[Path]:
    """Write ``<table>.json`` for each table of the dataset into the folder ``out``
    (module docstring); ``FormatError`` (nothing written) for a value JSON cannot hold."""
    now = datetime.now(UTC)
    created = now.strftime(_STAMP)
    last = max((r.at for r in records.audit), default=None)
    modified = created if last is None else _utc(last).strftime(_STAMP)
    texts = {
        f"{file.value}{SUFFIX}": document_text(file, frame, protocol, created, modified)
        for file, frame in tables_of(dataset).items()
    }
    return write_folder(
        out,
        {name: _text_writer(text) for name, text in texts.items()},
        provenance=None,  # a JSON file beside the datasets would be taken for one of them
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text_writer(text: str) -> Any:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8", newline="\n")

    return write


def document_text(
    file: DatasetFile, frame: pl.DataFrame, protocol: Protocol, created: str, modified: str
) -> str:
    """One table as the text of a Dataset-JSON file, one row a line."""
    label = f"{file.value}{SUFFIX}"
    _refuse_non_finite(label, frame)
    metadata = {
        "datasetJSONCreationDateTime": created,
        "datasetJSONVersion": VERSION,
        "fileOID": f"ovaregen.{protocol.name}.{file.value}",
        "dbLastModifiedDateTime": min(modified, created),
        "originator": "ovaregen",
        "sourceSystem": {"name": "ovaregen", "version": ovaregen_version()},
        "studyOID": protocol.name,
        "metaDataVersionOID": f"MDV.ovaregen.{ovaregen_version()}",
        "itemGroupOID": f"IG.{file.value.upper()}",
        "records": frame.height,
        "name": file.value,
        "label": TABLE_LABELS[file],
        "columns": columns_of(file, frame),
    }
    head = json.dumps(metadata, ensure_ascii=False, indent=2)
    rows = json_rows(file, frame)
    body = rows.str.join(",\n    ").item() if rows.len() else ""
    return f'{head[:-2]},\n  "rows": [\n    {body}\n  ]\n}}\n'


def columns_of(file: DatasetFile, frame: pl.DataFrame) -> list[dict[str, object]]:
    """The ``columns`` of one table (module docstring)."""
    keys = KEYS.get(file, ())
    columns: list[dict[str, object]] = []
    for name in frame.columns:
        variable = variable_of(file, name)
        data_type = "string" if variable is None else DATA_TYPES[variable.kind]
        column: dict[str, object] = {
            "itemOID": f"IT.{file.value.upper()}.{name}",
            "name": name,
            "label": label_of(file, name),
            "dataType": data_type,
        }
        if data_type == "string":
            longest = frame.get_column(name).cast(pl.String).str.len_chars().max()
            if isinstance(longest, int) and longest > 0:
                column["length"] = longest
        if data_type == "date":
            column["displayFormat"] = "E8601DA."
        if name in keys:
            column["keySequence"] = keys.index(name) + 1
        columns.append(column)
    return columns


def json_rows(file: DatasetFile, frame: pl.DataFrame) -> pl.Series:
    """Each row as the text of its JSON array, built column by column (no Python per row):
    numbers by polars' shortest round-trip text (a JSON number that parses back to the same
    double), integers as digits, booleans ``true``/``false``, dates as quoted ISO 8601, text
    (and extra columns) quoted, escaped as ``json.dumps`` escapes where it holds a quote, a
    backslash or a control character (RFC 8259 §7); a missing value ``null``."""
    if not frame.width:
        return pl.Series("row", ["[]"] * frame.height, dtype=pl.String)
    cells = [_json_cells(file, frame.get_column(name)).fill_null("null") for name in frame.columns]
    joined = pl.concat_str(cells, separator=", ")
    return pl.select(pl.concat_str(pl.lit("["), joined, pl.lit("]"))).to_series().alias("row")


def _json_cells(file: DatasetFile, column: pl.Series) -> pl.Series:
    variable = variable_of(file, column.name)
    dtype = column.dtype
    if variable is not None and dtype == pl.Date:
        return '"' + column.dt.strftime("%Y-%m-%d") + '"'
    if variable is not None and (dtype.is_numeric() or dtype == pl.Boolean):
        return column.cast(pl.String)
    text = column.cast(pl.String)
    escaped = text.filter(text.str.contains(_NEEDS_ESCAPE)).unique()
    if not escaped.len():
        return '"' + text + '"'
    encoded = pl.Series(list(map(encode_basestring, escaped.to_list())), dtype=pl.String)
    return text.replace_strict(escaped, encoded, default='"' + text + '"')


def _refuse_non_finite(label: str, frame: pl.DataFrame) -> None:
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            column = frame.get_column(name)
            bad = column.filter(column.is_not_null() & ~column.is_finite())
            if bad.len():
                raise FormatError(
                    f"{label}, column {name}: {bad[0]} cannot be written: "
                    "JSON numbers are finite (RFC 8259 §6); give a number or leave it empty"
                )


# --- reading ----------------------------------------------------------------------------------


class _Refused(Exception):  # noqa: N818 - a file not read, its findings given
    """A file that cannot be read as Dataset-JSON; its findings are already recorded."""


def read_dataset_json(source: Path, protocol: Protocol, options: object) -> ValidationReport:
    """The report on the Dataset-JSON folder (or one file) at ``source`` (module docstring);
    never raises on bad content."""
    del options
    source = Path(source)
    findings: list[Finding] = []
    tables: dict[DatasetFile, TypedTable] = {}
    for file, path in table_files(source, SUFFIXES, "Dataset-JSON", findings).items():
        try:
            tables[file] = TypedTable(path.name, read_document(path, findings))
        except _Refused:
            continue
    if any(f.severity is Severity.ERROR for f in findings):
        return read_tables(str(source), {}, findings, protocol)
    return read_tables(str(source), tables, findings, protocol)


def read_document(path: Path, findings: list[Finding]) -> pl.DataFrame:
    """One Dataset-JSON file as a frame of its columns in their JSON types; ``_Refused`` with
    the findings recorded when it breaks the standard (module docstring)."""
    label = path.name
    with _without_cycle_collection():
        document = _parsed(path, findings)
        columns, rows = _checked_shape(label, document, findings)
        values: Sequence[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else []
        series = []
        for position, column in enumerate(columns):
            column_values = values[position] if values else ()
            series.append(
                _series(label, column["name"], column["dataType"], column_values, findings)
            )
        del document, rows, values
    if any(s is None for s in series):
        raise _Refused
    return pl.DataFrame([s for s in series if s is not None])


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a file's JSON is parsed and turned into columns:
    ``json.loads`` builds millions of lists and values that hold no cycles, and the collector
    scanning them again and again doubled the time of a 100,000-woman file (reference counting
    frees them as before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parsed(path: Path, findings: list[Finding]) -> object:
    label = path.name

    def refuse(message: str) -> _Refused:
        findings.append(Finding(Severity.ERROR, label, message))
        return _Refused()

    def no_constant(token: str) -> object:
        raise ValueError(f"{token} is not JSON (RFC 8259 §6: numbers are finite)")

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise refuse(f"not read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise refuse(f"not UTF-8 (byte {error.start}): JSON text is UTF-8") from None
    try:
        if path.suffix.lower() == NDJSON_SUFFIX:
            return _ndjson_document(text, no_constant)
        return json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno} of the text"
        raise refuse(f"not JSON: {error.msg} ({where})") from None
    except ValueError as error:
        raise refuse(f"not JSON: {error}") from None


def _ndjson_document(text: str, no_constant: Callable[[str], object]) -> object:
    """An NDJSON file (``doc/dataset-json-ndjson1-1.md``: line 1 the metadata object, each
    further line one row array) as the document of the JSON representation."""
    lines = text.splitlines()
    metadata: object = None
    rows: list[object] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_constant=no_constant)
        except json.JSONDecodeError as error:
            where = f"line {number}, column {error.colno} of the text"
            raise ValueError(f"{error.msg} ({where})") from None
        if metadata is None:
            metadata = value
        else:
            rows.append(value)
    if not isinstance(metadata, dict) or "rows" in metadata:
        raise ValueError("the first line of an NDJSON file is the metadata object, without rows")
    return {**metadata, "rows": rows}


def _checked_shape(
    label: str, document: object, findings: list[Finding]
) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """The columns and rows of a parsed file, after the checks of the schema (on the metadata)
    and of the specification the schema cannot express (``records``, row widths)."""

    def refuse(message: str, line: int | None = None, **where: str) -> _Refused:
        findings.append(Finding(Severity.ERROR, label, message, line=line, **where))
        return _Refused()

    if not isinstance(document, dict):
        raise refuse("not a Dataset-JSON file: the top level is not an object")
    rows = document.get("rows", [])
    metadata = {k: v for k, v in document.items() if k != "rows"}
    problems = schema_errors(metadata)
    if problems:
        for problem in problems[:_LISTED]:
            findings.append(
                Finding(Severity.ERROR, label, f"not valid Dataset-JSON v1.1: {problem}")
            )
        raise _Refused
    if not isinstance(rows, list):
        raise refuse("rows is not an array of rows", expected="an array of arrays")
    columns: list[dict[str, Any]] = metadata["columns"]
    if metadata["records"] != len(rows):
        raise refuse(
            f"records says {metadata['records']} but the file holds {len(rows)} rows",
            expected="records equal to the number of rows (Dataset-JSON v1.1)",
        )
    unknown = [c for c in columns if c["dataType"] not in JSON_TYPES]
    for column in unknown:
        findings.append(
            Finding(
                Severity.ERROR,
                label,
                f"column type {column['dataType']!r} is not read",
                column=column["name"],
                value=str(column["dataType"]),
                expected=", ".join(JSON_TYPES),
            )
        )
    names = [c["name"] for c in columns]
    for name in sorted({n for n in names if names.count(n) > 1}):
        findings.append(
            Finding(Severity.ERROR, label, "two columns have this name", column=name, value=name)
        )
    width = len(columns)
    bad: list[int] = []
    if set(map(type, rows)) - {list} or set(map(len, rows)) - {width}:
        bad = [i for i, row in enumerate(rows) if type(row) is not list or len(row) != width]
    for i in bad[:_LISTED]:
        row = rows[i]
        held = f"{len(row)} values" if isinstance(row, list) else "not an array"
        findings.append(
            Finding(
                Severity.ERROR,
                label,
                f"row {i + 1} is {held}: every row holds one value per column",
                line=i + 1,
                expected=f"{width} values",
            )
        )
    if unknown or bad or len(set(names)) != len(names):
        raise _Refused
    return columns, rows


def _series(
    label: str, name: str, data_type: str, values: Iterable[Any], findings: list[Finding]
) -> pl.Series | None:
    """A column's values as a polars series of its dataType; None (findings recorded) when a
    value is not of the JSON type its dataType holds."""
    values = list(values)
    allowed = JSON_TYPES[data_type]
    kinds = set(map(type, values))
    if not kinds <= {*allowed, type(None)}:
        wrong = [(i, v) for i, v in enumerate(values) if v is not None and type(v) not in allowed]
        expected = " or ".join(_JSON_NAMES[t] for t in allowed)
        article = "an" if data_type[0] in "aeio" else "a"
        for i, value in wrong[:_LISTED]:
            held = _JSON_NAMES.get(type(value), "a value")
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f"{article} {data_type} column holds {held} "
                    f"{json.dumps(value, ensure_ascii=False)}",
                    line=i + 1,
                    column=name,
                    value=json.dumps(value, ensure_ascii=False),
                    expected=f"{expected} or null",
                )
            )
        return None
    if allowed == (str,):
        return pl.Series(name, values, dtype=pl.String)
    if allowed == (bool,):
        return pl.Series(name, values, dtype=pl.Boolean)
    if allowed == (int,):
        try:
            return pl.Series(name, values, dtype=pl.Int64)
        except (OverflowError, pl.exceptions.PolarsError):
            # beyond 64 bits: as its digits, for the validator to judge against the dictionary
            return pl.Series(name, [None if v is None else str(v) for v in values], pl.String)
    if int in kinds:  # a JSON integer in a number column is the same number
        values = [None if v is None else float(v) for v in values]
    return pl.Series(name, values, dtype=pl.Float64)
