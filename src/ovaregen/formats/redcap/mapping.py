"""The mapping file of a REDCap project not set up from ovaregen's dictionary (``--mapping``).

A YAML file (``docs/formats-redcap.md``)::

    record_id: study_id            # the record id field (default: the dictionary's first)
    events:                        # unique event name → follow-up visit id, or enrolment
      baseline_arm_1: enrolment
      m3_arm_1: month_3
    repeating:                     # repeating instrument → its table
      preg: pregnancies
    fields:                        # REDCap field → dataset column
      age: age_years               #   a participants.csv column (or the table's, see below)
      amh: {column: amh_ng_ml, unit: pmol/L}     # the value is in another unit
      men: {column: menses, choices: {1: regular, 2: irregular, 3: amenorrhea}}
      preg_out: {table: pregnancies, column: outcome}
      excl: {checkbox: {1: endometriosis, 2: adenomyosis}}   # a checkbox: one box a column
    ignore: [consent_sig]          # fields deliberately not read

A field's table is its ``table``, else its form's repeating table, else participants.csv (or
visits.csv when its form is designated only to follow-up events is not known here: give
``table: visits``). Choices not recoded are read from the dictionary's labels. Every field of
the dictionary must be mapped or ignored. Each error names the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ovaregen.domain.variables import DatasetFile, Kind, Variable, variables_of
from ovaregen.formats.redcap.dictionary import DictionaryField, FieldRead
from ovaregen.io.dataset import Finding, Severity

ENROLMENT = "enrolment"


class MappingError(ValueError):
    """A mapping file that cannot be used, naming the key or field."""


@dataclass(frozen=True)
class Reading:
    """How a records export is read: its fields, events (unique name → visit id, None for
    the enrolment event), repeating instruments (form → table)."""

    fields: list[FieldRead]
    events: dict[str, str | None]
    repeating: dict[str, DatasetFile]
    findings: list[Finding] = field(default_factory=list)
    record_id: str | None = None
    ignored: frozenset[str] = frozenset()
    forms: frozenset[str] = frozenset()
    tables: frozenset[DatasetFile] | set[DatasetFile] = frozenset()
    """The tables the project holds (read even when the export has no row of them)."""


def load_mapping(path: Path, fields: list[DictionaryField], dictionary: str) -> Reading:
    """The reading a mapping file describes; ``MappingError`` naming what is wrong."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise MappingError(f"the mapping file cannot be read: {error}") from None
    if not isinstance(data, dict):
        raise MappingError("the mapping file must be a YAML mapping (record_id, events, fields)")
    unknown = set(data) - {"record_id", "events", "repeating", "fields", "ignore"}
    if unknown:
        raise MappingError(f"unknown keys {', '.join(sorted(map(str, unknown)))}")
    by_name = {f.name: f for f in fields}
    record_id = str(data.get("record_id") or (fields[0].name if fields else ""))
    events: dict[str, str | None] = {}
    for name, visit in (data.get("events") or {}).items():
        events[str(name)] = None if str(visit) == ENROLMENT else str(visit)
    repeating: dict[str, DatasetFile] = {}
    for form, table in (data.get("repeating") or {}).items():
        repeating[str(form)] = _table(str(table), f"repeating instrument {form}")
    ignored = frozenset(str(n) for n in data.get("ignore") or ())
    reads = [FieldRead(record_id, DatasetFile.PARTICIPANTS, "participant_id")]
    mapped = data.get("fields") or {}
    for key, target in mapped.items():
        name = str(key)
        if name not in by_name:
            raise MappingError(f"field {name}: not a field of {dictionary}")
        reads += _reads(by_name[name], target, repeating)
    findings = [
        Finding(
            Severity.ERROR,
            dictionary,
            f"field {f.name} is neither mapped nor ignored in the mapping file",
            line=f.line,
            column="Variable / Field Name",
            value=f.name,
        )
        for f in fields
        if f.name not in mapped
        and f.name not in ignored
        and f.name != record_id
        and f.field_type != "descriptive"
    ]
    forms = frozenset(f.form for f in fields)
    tables = {r.table for r in reads}
    return Reading(reads, events, repeating, findings, record_id, ignored, forms, tables)


def _table(name: str, where: str) -> DatasetFile:
    try:
        return DatasetFile(name)
    except ValueError:
        known = ", ".join(f.value for f in DatasetFile)
        raise MappingError(f"{where}: table {name!r} is not one of {known}") from None


def _reads(f: DictionaryField, target: Any, repeating: dict[str, DatasetFile]) -> list[FieldRead]:
    where = f"field {f.name}"
    spec = {"column": target} if isinstance(target, str) else target
    if not isinstance(spec, dict) or ("column" not in spec and "checkbox" not in spec):
        raise MappingError(f"{where}: give a column name, {{column: …}} or {{checkbox: …}}")
    extra = set(spec) - {"column", "table", "unit", "choices", "checkbox"}
    if extra:
        raise MappingError(f"{where}: unknown keys {', '.join(sorted(map(str, extra)))}")
    table = (
        _table(str(spec["table"]), where)
        if "table" in spec
        else repeating.get(f.form, DatasetFile.PARTICIPANTS)
    )
    variables = {v.name: v for v in variables_of(table)}
    if "checkbox" in spec:
        return _checkbox_reads(f, spec["checkbox"], table, variables)
    return [_read(f, spec, table, variables)]


def _checkbox_reads(
    f: DictionaryField, boxes: Any, table: DatasetFile, variables: dict[str, Variable]
) -> list[FieldRead]:
    """A checkbox field: each choice's export column ``<field>___<code>`` (REDCap: 1
    checked, 0 unchecked; labels Checked/Unchecked) into one boolean column. An unchecked
    box reads as false, never unknown: REDCap does not tell the two apart."""
    where = f"field {f.name}"
    if f.field_type != "checkbox" or not isinstance(boxes, dict):
        raise MappingError(f"{where}: checkbox maps the codes of a checkbox field to columns")
    reads = []
    for code, column in boxes.items():
        variable = variables.get(str(column))
        if variable is None or variable.kind is not Kind.BOOLEAN:
            raise MappingError(f"{where}: {column!r} is not a yes/no column of {table.file_name}")
        if str(code) not in f.choices:
            raise MappingError(f"{where}: {code!r} is not a choice ({', '.join(f.choices)})")
        export = f"{f.name}___{re.sub(r'[^a-z0-9]', '_', str(code).lower())}"
        words = {"1": "true", "0": "false"}
        labels = {"Checked": "true", "Unchecked": "false"}
        reads.append(FieldRead(export, table, str(column), words, labels, coded=True))
    return reads


def _read(
    f: DictionaryField, spec: dict[str, Any], table: DatasetFile, variables: dict[str, Variable]
) -> FieldRead:
    where = f"field {f.name}"
    column = str(spec["column"])
    variable = variables.get(column)
    if variable is None:
        raise MappingError(f"{where}: {column!r} is not a variable of {table.file_name}")
    if "unit" in spec:
        unit = str(spec["unit"])
        alternative = next((a for a in variable.alternatives if a.unit == unit), None)
        if alternative is None and unit != variable.unit:
            units = ", ".join([variable.unit or "-"] + [a.unit for a in variable.alternatives])
            raise MappingError(f"{where}: unit {unit!r} of {column}: expected one of {units}")
        column = alternative.column if alternative is not None else column
    words = {code: text for code, text in f.choices.items()}
    if "choices" in spec:
        recoded = spec["choices"]
        if not isinstance(recoded, dict):
            raise MappingError(f"{where}: choices must map a REDCap code to a word")
        words = {str(code): str(word) for code, word in recoded.items()}
        if variable.kind is Kind.CHOICE:
            wrong = [w for w in words.values() if w not in variable.choices]
            if wrong:
                raise MappingError(
                    f"{where}: {', '.join(wrong)} not a choice of {column} "
                    f"({', '.join(variable.choices)})"
                )
    labels = {text: words.get(code, text) for code, text in f.choices.items()}
    return FieldRead(f.name, table, column, words, labels, bool(f.choices))
