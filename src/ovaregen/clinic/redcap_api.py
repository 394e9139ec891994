"""The read side of REDCap's API over a clinic study (issue 14 item 2): what each ``content``
answers, in REDCap's shapes, built on ``formats.redcap`` (``project``, ``export_records``).

The project is the study's dataset as the reader may see it (``clinic.exchange.study_dataset``:
her sites, blinded or not) described as ``formats.redcap.project(protocol,
dataset_columns(dataset))`` — the project ``ovaregen convert --to redcap`` writes from that
export, so a client reading it gets the columns the export holds, and a blinded reader no arm
field at all. Every answer is text: JSON (REDCap: every value a string, empty for none) or CSV
(a header row, ``\\n`` line ends); ``format=xml`` is refused. Errors are ``ApiError`` (status
and REDCap's message), rendered by ``error_body`` in the request's ``returnFormat`` (REDCap
API: "returnFormat … if not passed, the format of the ``format`` flag, else xml").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import polars as pl

from ovaregen.formats.redcap.naming import ARM_NUMBER, RECORD_ID
from ovaregen.formats.redcap.project import Project
from ovaregen.formats.redcap.records import (
    EVENT,
    REPEAT_INSTANCE,
    REPEAT_INSTRUMENT,
    complete_column,
    export_columns,
    export_records,
)
from ovaregen.io.dataset import Dataset
from ovaregen.store.models import Study

REDCAP_VERSION = "14.0.0"
"""``content=version``: the REDCap version whose API this follows (REDCap API docs 14.0)."""
ARM_NAME = "Arm 1"
FORMATS = ("json", "csv", "xml")
CONTENTS = (
    "metadata",
    "record",
    "exportFieldNames",
    "project",
    "instrument",
    "event",
    "formEventMapping",
    "repeatingFormsEvents",
    "version",
    "arm",
)
HEADER_LABELS = {
    EVENT: "Event Name",
    REPEAT_INSTRUMENT: "Repeat Instrument",
    REPEAT_INSTANCE: "Repeat Instance",
}
"""REDCap's header labels of the export's own columns (``rawOrLabelHeaders=label``)."""
Rows = list[dict[str, str]]


class ApiError(Exception):
    """A request REDCap would refuse: its HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Answer:
    """The body of an answer and its media type."""

    text: str
    media_type: str


@dataclass(frozen=True)
class Parameters:
    """The request's form fields as REDCap reads them."""

    content: str
    format: str = "xml"
    return_format: str = ""
    record_type: str = "flat"
    raw_or_label: str = "raw"
    raw_or_label_headers: str = "raw"
    fields: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    arms: tuple[str, ...] = ()
    field: str = ""


def listed(form: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    """A list parameter as REDCap takes it: ``name[0]``, ``name[1]`` … (PyCap), ``name[]``
    repeated, or ``name`` as one comma-separated list."""
    values: list[str] = []
    for key, given in form.items():
        if key == name or (key.startswith(f"{name}[") and key.endswith("]")):
            for value in given:
                values += [part.strip() for part in value.split(",") if part.strip()]
    return tuple(dict.fromkeys(values))


def error_format(form: Mapping[str, Sequence[str]]) -> str:
    """REDCap: errors in ``returnFormat``, else in ``format``, else xml."""
    for name in ("returnFormat", "format"):
        given = [v.strip().lower() for v in form.get(name, ()) if v.strip()]
        if given:
            return given[-1] if given[-1] in FORMATS else "xml"
    return "xml"


def parameters(form: Mapping[str, Sequence[str]]) -> Parameters:
    """The parameters of a form (field → every value sent), or ``ApiError``."""

    def one(name: str, default: str = "") -> str:
        given = form.get(name) or [default]
        return given[-1].strip()

    chosen = Parameters(
        content=one("content"),
        format=one("format", "xml").lower() or "xml",
        return_format=one("returnFormat").lower(),
        record_type=one("type", "flat").lower() or "flat",
        raw_or_label=one("rawOrLabel", "raw").lower() or "raw",
        raw_or_label_headers=one("rawOrLabelHeaders", "raw").lower() or "raw",
        fields=listed(form, "fields"),
        forms=listed(form, "forms"),
        events=listed(form, "events"),
        records=listed(form, "records"),
        arms=listed(form, "arms"),
        field=one("field"),
    )
    if chosen.content not in CONTENTS:
        raise ApiError(
            400,
            f"The value of the parameter \"content\" ('{chosen.content}') is not valid: this "
            f"server answers {', '.join(CONTENTS)}",
        )
    if chosen.format not in FORMATS:
        raise ApiError(
            400, f"The value of the parameter \"format\" ('{chosen.format}') is not valid"
        )
    if chosen.format == "xml" and chosen.content != "version":
        raise ApiError(400, "The format 'xml' is not available on this server: use json or csv")
    if chosen.record_type != "flat":
        raise ApiError(400, f"type={chosen.record_type} is not available here: use type=flat")
    for name, value in (
        ("rawOrLabel", chosen.raw_or_label),
        ("rawOrLabelHeaders", chosen.raw_or_label_headers),
    ):
        if value not in ("raw", "label"):
            raise ApiError(400, f"The value of the parameter \"{name}\" ('{value}') is not valid")
    return chosen


def error_body(message: str, fmt: str) -> Answer:
    """A REDCap error in the request's error format (``error_format``)."""
    if fmt == "json":
        return Answer(json.dumps({"error": message}), "application/json")
    if fmt == "csv":
        return Answer(f"ERROR: {message}", "text/csv")
    xml = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        f"<hash>\n  <error>{escape(message)}</error>\n</hash>"
    )
    return Answer(xml, "text/xml")


def answer(chosen: Project, study: Study, asked: Parameters) -> Answer:
    """The answer to ``asked`` about ``chosen`` (``record`` aside: ``records_answer``)."""
    content = asked.content
    if content == "version":
        return Answer(REDCAP_VERSION, "text/plain")
    if content == "project":
        info = project_info(chosen, study)
        if asked.format == "json":
            return Answer(json.dumps(info), "application/json")
        return _csv([{k: str(v) for k, v in info.items()}])
    if content in ("event", "formEventMapping", "arm") and not chosen.longitudinal:
        what = {"event": "events", "formEventMapping": "form/event mappings", "arm": "arms"}
        raise ApiError(400, f"You cannot export {what[content]} for classic projects")
    rows = _rows(chosen, asked)
    return Answer(json.dumps(rows), "application/json") if asked.format == "json" else _csv(rows)


def _rows(chosen: Project, asked: Parameters) -> Rows:
    content = asked.content
    if content == "metadata":
        return metadata(chosen, asked.fields, asked.forms)
    if content == "exportFieldNames":
        return export_field_names(chosen, asked.field)
    if content == "instrument":
        return chosen.instruments()
    if content == "event":
        return _in_arms(chosen.event_rows(), asked.arms)
    if content == "formEventMapping":
        return _in_arms(chosen.form_event_mapping(), asked.arms)
    if content == "arm":
        return _in_arms([{"arm_num": str(ARM_NUMBER), "name": ARM_NAME}], asked.arms)
    return chosen.repeating_forms_events()


def _in_arms(rows: Rows, arms: Sequence[str]) -> Rows:
    """``arms[]``: only those arms' rows (the project has the one arm ``ARM_NUMBER``)."""
    unknown = [a for a in arms if a != str(ARM_NUMBER)]
    if unknown:
        raise ApiError(400, f"The following arm numbers are not valid: {', '.join(unknown)}")
    return rows


def metadata(chosen: Project, fields: Sequence[str], forms: Sequence[str]) -> Rows:
    """``content=metadata``, of the fields and forms asked (all when neither)."""
    _known(chosen, fields, forms)
    rows = chosen.metadata()
    if not fields and not forms:
        return rows
    return [r for r in rows if r["field_name"] in fields or r["form_name"] in forms]


def export_field_names(chosen: Project, field: str = "") -> Rows:
    """REDCap API ``exportFieldNames``: every field but descriptive ones (they hold no data),
    and after each instrument's fields its ``<form>_complete``; ``field``: that one only."""
    rows: Rows = []
    for form in chosen.forms:
        names = [f.name for f in chosen.fields if f.form == form and f.field_type != "descriptive"]
        for name in [*names, complete_column(form)]:
            rows.append(
                {"original_field_name": name, "choice_value": "", "export_field_name": name}
            )
    if field:
        rows = [r for r in rows if r["original_field_name"] == field]
        if not rows:
            raise ApiError(400, f"The field '{field}' does not exist in this project")
    return rows


def project_info(chosen: Project, study: Study) -> dict[str, str | int]:
    """``content=project``: REDCap's project attributes, as this study has them."""
    return {
        "project_id": study.id,
        "project_title": study.title,
        "creation_time": study.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "production_time": study.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "in_production": 1,
        "project_language": "English",
        "purpose": 2,
        "purpose_other": "",
        "project_notes": f"ovaregen study {study.name}, protocol version {study.protocol_version}",
        "custom_record_label": "",
        "secondary_unique_field": "",
        "is_longitudinal": int(chosen.longitudinal),
        "has_repeating_instruments_or_events": int(bool(chosen.repeating)),
        "surveys_enabled": 0,
        "scheduling_enabled": 0,
        "record_autonumbering_enabled": 0,
        "randomization_enabled": int(study.randomised),
        "ddp_enabled": 0,
        "project_irb_number": "",
        "project_grant_number": "",
        "project_pi_firstname": "",
        "project_pi_lastname": "",
        "display_today_now_button": 1,
        "missing_data_codes": "",
        "external_modules": "",
        "bypass_branching_erase_field_prompt": 0,
    }


def _known(chosen: Project, fields: Sequence[str], forms: Sequence[str]) -> None:
    """REDCap refuses a field or form the project does not have (400, naming them)."""
    names = {f.name for f in chosen.fields} | {complete_column(f) for f in chosen.forms}
    for parameter, asked, known in (
        ("fields", fields, names),
        ("forms", forms, set(chosen.forms)),
    ):
        unknown = [name for name in asked if name not in known]
        if unknown:
            raise ApiError(
                400,
                f'The following values in the parameter "{parameter}" are not valid: '
                + ", ".join(f"'{name}'" for name in unknown),
            )


def _csv(rows: Rows) -> Answer:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return Answer(buffer.getvalue(), "text/csv")


def records_frame(dataset: Dataset, chosen: Project, asked: Parameters) -> pl.DataFrame:
    """REDCap API ``content=record`` (flat): the export rows of the records, events, fields
    and forms asked. Columns: the fields asked and every field of the forms asked (with their
    ``<form>_complete``), all when neither, in the project's order; the record id brings the
    event and repeat columns. Rows: a row is kept when it carries an instrument holding a
    column asked (the record id alone keeps every row)."""
    _known(chosen, asked.fields, asked.forms)
    events = {e.unique_event_name for e in chosen.events}
    unknown = [e for e in asked.events if e not in events]
    if unknown:
        raise ApiError(
            400,
            'The following values in the parameter "events" are not valid: '
            + ", ".join(f"'{e}'" for e in unknown),
        )
    labels = asked.raw_or_label == "label"
    rows = export_records(dataset, chosen, labels=labels)
    if asked.records:
        rows = rows.filter(pl.col(RECORD_ID).is_in(list(asked.records)))
    if asked.events and chosen.longitudinal:
        rows = rows.filter(pl.col(EVENT).is_in(list(asked.events)))
    columns = _columns(chosen, asked)
    rows = _rows_carrying(rows, chosen, columns)
    if labels:
        rows = _labelled_design(rows, chosen)
    return rows.select(columns)


def _columns(chosen: Project, asked: Parameters) -> list[str]:
    every = export_columns(chosen)
    if not asked.fields and not asked.forms:
        return every
    wanted = set(asked.fields) | {complete_column(f) for f in asked.forms}
    wanted |= {f.name for f in chosen.fields if f.form in asked.forms}
    if RECORD_ID in wanted:
        wanted |= {EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE}
    return [c for c in every if c in wanted]


def _rows_carrying(rows: pl.DataFrame, chosen: Project, columns: Sequence[str]) -> pl.DataFrame:
    """The rows carrying an instrument of a column asked (a row's instruments: its repeating
    one, else the forms of its event that do not repeat)."""
    form_of = {f.name: f.form for f in chosen.fields} | {
        complete_column(form): form for form in chosen.forms
    }
    asked = {form_of[c] for c in columns if c in form_of and c != RECORD_ID}
    if not asked:
        return rows
    repeating = set(chosen.repeating.values())
    carried = [pl.col(REPEAT_INSTRUMENT).is_in(list(asked))] if chosen.repeating else []
    plain = pl.col(REPEAT_INSTRUMENT).is_null() if chosen.repeating else pl.lit(True)
    mapping = chosen.form_event_mapping() if chosen.longitudinal else []
    if chosen.longitudinal:
        events = {
            m["unique_event_name"]
            for m in mapping
            if m["form"] in asked and m["form"] not in repeating
        }
        carried.append(plain & pl.col(EVENT).is_in(sorted(events)))
    elif asked - repeating:
        carried.append(plain)
    if not carried:
        return rows.clear()
    return rows.filter(pl.any_horizontal(carried))


def _labelled_design(rows: pl.DataFrame, chosen: Project) -> pl.DataFrame:
    """Label values name the event and the repeating instrument by their labels (REDCap's
    label export: ``Enrolment (Arm 1: Arm 1)``, the instrument's label)."""
    changed = []
    if chosen.longitudinal:
        names = [e.unique_event_name for e in chosen.events]
        shown = [f"{e.event_name} (Arm {ARM_NUMBER}: {ARM_NAME})" for e in chosen.events]
        changed.append(pl.col(EVENT).replace_strict(names, shown, default=pl.col(EVENT)))
    if chosen.repeating:
        forms = list(chosen.repeating.values())
        shown = [chosen.form_labels.get(f, f) for f in forms]
        changed.append(
            pl.col(REPEAT_INSTRUMENT).replace_strict(
                forms, shown, default=pl.col(REPEAT_INSTRUMENT)
            )
        )
    return rows.with_columns(changed) if changed else rows


def header_labels(chosen: Project, columns: Sequence[str]) -> list[str]:
    """``rawOrLabelHeaders=label``: each column's field label (``Complete?`` for a form
    status, REDCap's names for the event and repeat columns)."""
    labels = {f.name: f.label for f in chosen.fields} | HEADER_LABELS
    return [labels.get(c, "Complete?" if c.endswith("_complete") else c) for c in columns]


def records_answer(frame: pl.DataFrame, chosen: Project, asked: Parameters) -> Answer:
    """The export rows as REDCap sends them: JSON objects of strings (empty for none), or
    CSV with raw or labelled headers."""
    if asked.format == "json":
        text = frame.fill_null("").write_json()
        return Answer(text, "application/json")
    body = frame.write_csv(null_value="", line_terminator="\n")
    if asked.raw_or_label_headers == "label":
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(header_labels(chosen, frame.columns))
        body = header.getvalue() + body.partition("\n")[2]
    return Answer(body, "text/csv")
