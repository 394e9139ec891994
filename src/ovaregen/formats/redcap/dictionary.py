"""Reading a REDCap Data Dictionary and deciding what each field holds.

A dictionary is read under either header set: the upload's ("Variable / Field Name", …) or
the API's metadata names (``field_name``, …; ``project.METADATA_FIELDS``). Each field gets a
:class:`FieldRead`: the dataset table and column it fills and how its coded values become
dictionary words. For a project set up from ovaregen's dictionary this follows
``formats.redcap.naming``; any other project is read through a mapping file
(``formats.redcap.mapping``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ovaregen.domain.variables import DatasetFile, variables_of
from ovaregen.formats.redcap.naming import (
    EXTRA_ANNOTATION,
    FOLLOW_UP_FORM,
    RECORD_ID,
    REPEATING_FORM,
    SUMMARY_SUFFIX,
    TABLE_PREFIX,
)
from ovaregen.formats.redcap.project import DICTIONARY_HEADERS, METADATA_FIELDS
from ovaregen.io.dataset import Finding, Severity


@dataclass(frozen=True)
class DictionaryField:
    """One row of a Data Dictionary, as written."""

    name: str
    form: str
    field_type: str
    label: str
    choices: dict[str, str]
    """Code → label (radio, dropdown, checkbox; yesno and truefalse: 1/0)."""
    annotation: str
    line: int


@dataclass(frozen=True)
class FieldRead:
    """How one REDCap field is read: into ``table``'s ``column``; a code of ``words`` becomes
    its word, a label of ``labels`` likewise (other text is read as written)."""

    name: str
    table: DatasetFile
    column: str
    words: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    coded: bool = False


_YESNO = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}


def read_dictionary(path: Path) -> tuple[list[DictionaryField], list[Finding]]:
    """The fields of a Data Dictionary CSV; findings name the file, line and column."""
    label = path.name
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (OSError, pl.exceptions.PolarsError) as error:
        return [], [Finding(Severity.ERROR, label, f"the data dictionary cannot be read: {error}")]
    names = {
        h.strip().lower(): api for h, api in zip(DICTIONARY_HEADERS, METADATA_FIELDS, strict=True)
    }
    names |= {api: api for api in METADATA_FIELDS}
    frame = frame.rename({c: names.get(c.strip().lower(), c) for c in frame.columns})
    missing = [c for c in ("field_name", "form_name", "field_type") if c not in frame.columns]
    if missing:
        expected = ", ".join(DICTIONARY_HEADERS[:5])
        return [], [
            Finding(
                Severity.ERROR,
                label,
                f"not a REDCap data dictionary: no column {', '.join(missing)}",
                line=1,
                expected=expected,
            )
        ]
    fields = []
    for line, row in enumerate(frame.iter_rows(named=True), start=2):
        kind = (row.get("field_type") or "").strip()
        fields.append(
            DictionaryField(
                (row["field_name"] or "").strip(),
                (row["form_name"] or "").strip(),
                kind,
                (row.get("field_label") or "").strip(),
                _YESNO.get(kind) or parse_choices(row.get("select_choices_or_calculations")),
                (row.get("field_annotation") or "").strip(),
                line,
            )
        )
    return fields, []


def parse_choices(text: str | None) -> dict[str, str]:
    """REDCap's choices syntax ``1, Label | 2, Label`` as code → label."""
    choices = {}
    for part in (text or "").split("|"):
        code, _, label = part.partition(",")
        if code.strip() and label:
            choices[code.strip()] = label.strip()
    return choices


def own_reads(fields: list[DictionaryField], label: str) -> tuple[list[FieldRead], list[Finding]]:
    """The fields of a project set up from ovaregen's dictionary (``naming``)."""
    tables = {form: file for file, form in REPEATING_FORM.items()} | {
        FOLLOW_UP_FORM: DatasetFile.VISITS
    }
    known = {file: {v.name: v for v in variables_of(file)} for file in DatasetFile}
    reads, findings = [], []
    for f in fields:
        if f.field_type == "descriptive":
            continue
        table = DatasetFile.PARTICIPANTS if f.name == RECORD_ID else tables.get(f.form)
        table = table or DatasetFile.PARTICIPANTS
        if f.annotation.startswith(EXTRA_ANNOTATION):
            reads.append(FieldRead(f.name, table, f.annotation[len(EXTRA_ANNOTATION) :]))
            continue
        column = f.name
        prefix = TABLE_PREFIX[table]
        if prefix and column.startswith(prefix):
            column = column[len(prefix) :]
        if table is DatasetFile.PARTICIPANTS and column.endswith(SUMMARY_SUFFIX):
            column = column[: -len(SUMMARY_SUFFIX)]
        variable = known[table].get(column)
        if variable is None:
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f"field {f.name} (form {f.form}) is not a variable of ovaregen's "
                    f"dictionary for {table.file_name}: read this project with a mapping file "
                    "(--mapping)",
                    line=f.line,
                    column="Variable / Field Name",
                    value=f.name,
                )
            )
            continue
        words = {code: _word(text, variable.choices) for code, text in f.choices.items()}
        if variable.kind == "boolean" and f.choices:
            words = {"1": "true", "0": "false"}
        labels = {text: words[code] for code, text in f.choices.items()}
        reads.append(FieldRead(f.name, table, column, words, labels, bool(f.choices)))
    return reads, findings


def _word(label: str, choices: tuple[str, ...]) -> str:
    """A choice label's dictionary word (``Live birth`` → ``live_birth``), else the label."""
    key = label.strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in choices else label
