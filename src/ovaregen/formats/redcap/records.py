"""A dataset's records as REDCap's flat export rows (REDCap API ``content=record``,
``type=flat``; the Data Export's "CSV / Microsoft Excel (raw data)").

One row per record, event and repeat instance: the record id field first, then
``redcap_event_name`` (longitudinal projects), ``redcap_repeat_instrument`` and
``redcap_repeat_instance`` (projects with repeating instruments), then each instrument's
fields followed by ``<form>_complete`` (2 = Complete on the rows that carry the instrument,
empty elsewhere). A woman has one enrolment row, one row per follow-up visit (its event), and
one row per pregnancy, adverse event or G-CSF day (instances 1, 2, … in table order).
Rows are grouped by woman (REDCap's order) when every table lists its rows in the women's
order; otherwise each table's rows follow one another in the dataset's order, so that the
tables read back in the order they had.

Raw values: yesno 1/0, radio and dropdown codes, dates ``YYYY-MM-DD``, numbers as written;
``labels=True`` gives REDCap's label values (Yes/No, choice labels) instead. Every cell is
text (null = empty). Vectorised: each table is one Polars select, the tables one concat.
"""

from __future__ import annotations

import polars as pl

from ovaregen.domain.variables import DatasetFile, Kind
from ovaregen.formats.redcap.naming import RECORD_ID
from ovaregen.formats.redcap.project import Field, Project
from ovaregen.io.dataset import Dataset

EVENT = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
COMPLETE = "2"
"""REDCap's form status Complete (0 Incomplete, 1 Unverified, 2 Complete)."""
_ORDER = "\x00order"
_BLOCK = "\x00block"


def complete_column(form: str) -> str:
    return f"{form}_complete"


def export_columns(project: Project) -> list[str]:
    """The export's header, in REDCap's order (module docstring)."""
    columns = [RECORD_ID]
    if project.longitudinal:
        columns.append(EVENT)
    if project.repeating:
        columns += [REPEAT_INSTRUMENT, REPEAT_INSTANCE]
    for form in project.forms:
        columns += [
            f.name
            for f in project.fields
            if f.form == form and f.name != RECORD_ID and f.field_type != "descriptive"
        ]
        columns.append(complete_column(form))
    return columns


def export_records(dataset: Dataset, project: Project, *, labels: bool = False) -> pl.DataFrame:
    """The records of ``dataset`` as REDCap flat export rows, every column text."""
    enrolment = project.events[0].unique_event_name
    order = dataset.participants.select(
        pl.col(RECORD_ID), pl.int_range(pl.len(), dtype=pl.Int64).alias(_ORDER)
    )
    parts = [_rows(dataset.participants, project, DatasetFile.PARTICIPANTS, enrolment, labels)]
    if DatasetFile.VISITS in {f.table for f in project.fields} or (
        project.longitudinal and dataset.has(DatasetFile.VISITS)
    ):
        events = {e.visit: e.unique_event_name for e in project.events if e.visit is not None}
        visits = dataset.visits.with_columns(
            pl.col("visit")
            .replace_strict(list(events), list(events.values()), default=None)
            .alias(EVENT)
        )
        unplaced = visits.filter(pl.col(EVENT).is_null())
        if not unplaced.is_empty():
            visit = unplaced.get_column("visit")[0]
            raise ValueError(
                f"visits.csv: visit {visit!r} is not a follow-up visit of {project.protocol.name}"
                "'s schedule, so it has no REDCap event (a validated dataset never has one)"
            )
        parts.append(_rows(visits, project, DatasetFile.VISITS, None, labels))
    for file, form in project.repeating.items():
        frame = dataset.table(file).with_columns(
            pl.lit(form).alias(REPEAT_INSTRUMENT),
            (pl.int_range(pl.len(), dtype=pl.Int64).over(RECORD_ID) + 1)
            .cast(pl.String)
            .alias(REPEAT_INSTANCE),
        )
        parts.append(_rows(frame, project, file, enrolment, labels))
    parts = [
        part.join(order, on=RECORD_ID, how="left", maintain_order="left").with_columns(
            pl.lit(block, pl.Int64).alias(_BLOCK)
        )
        for block, part in enumerate(parts)
    ]
    rows = pl.concat(parts, how="diagonal")
    if all(part.get_column(_ORDER).is_sorted() for part in parts):
        rows = rows.sort(_ORDER, _BLOCK, maintain_order=True)
    columns = export_columns(project)
    return rows.select(
        pl.col(c) if c in rows.columns else pl.lit(None, pl.String).alias(c) for c in columns
    )


def _rows(
    frame: pl.DataFrame, project: Project, file: DatasetFile, event: str | None, labels: bool
) -> pl.DataFrame:
    """One table's rows: record id, event, repeat columns, its fields and form statuses."""
    fields = [f for f in project.fields_of(file) if f.name != RECORD_ID and f.column]
    selected = [pl.col(RECORD_ID)]
    if project.longitudinal:
        selected.append(pl.lit(event).alias(EVENT) if event is not None else pl.col(EVENT))
    if REPEAT_INSTRUMENT in frame.columns:
        selected += [pl.col(REPEAT_INSTRUMENT), pl.col(REPEAT_INSTANCE)]
    selected += [export_value(pl.col(f.column), f, labels=labels).alias(f.name) for f in fields]
    forms = dict.fromkeys(f.form for f in project.fields_of(file))
    selected += [pl.lit(COMPLETE).alias(complete_column(form)) for form in forms]
    return frame.select(selected)


def export_value(value: pl.Expr, f: Field, *, labels: bool = False) -> pl.Expr:
    """A dataset column as the field's export text (raw codes, or labels)."""
    variable = f.variable
    if variable is None:
        return value.cast(pl.String)
    if variable.kind is Kind.BOOLEAN:
        yes, no = ("Yes", "No") if labels else ("1", "0")
        return pl.when(value).then(pl.lit(yes)).when(~value).then(pl.lit(no))
    if variable.kind is Kind.CHOICE:
        words = [word for _, _, word in f.choices]
        texts = [label if labels else code for code, label, _ in f.choices]
        return value.replace_strict(words, texts, default=None, return_dtype=pl.String)
    if variable.kind is Kind.DATE:
        return value.dt.to_string("%Y-%m-%d")
    return value.cast(pl.String)
