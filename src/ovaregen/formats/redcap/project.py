"""A protocol as a REDCap project: fields, instruments, events, their mapping, repeating forms.

Pure and reusable (the REDCap API's ``metadata``, ``instrument``, ``event``,
``formEventMapping``, ``repeatingFormsEvents`` and ``exportFieldNames`` contents, and the
files of ``--to redcap``). One instrument per schedule form (visit) recording values held
once per woman, all in the ``enrolment`` event with ``participant`` (identity and flow) first;
one ``follow_up`` instrument designated to every follow-up visit, each an event
(``month_3_arm_1``), its fields shown only at the visits that record them (branching logic on
``[event-name]``); the repeated tables as repeating instruments of the enrolment event
(``pregnancies``, ``adverse_events``, ``gcsf_days``). Names: ``formats.redcap.naming``.

Field types (REDCap Data Dictionary): text (validation ``number``, ``integer`` or
``date_ymd``, the dictionary's hard limits as min and max), notes (long free text), radio or
dropdown (more than five choices) with choices ``1, Label | 2, Label``, yesno (1 yes, 0 no).

``project(protocol)`` describes every variable the protocol can hold; ``project(protocol,
columns)`` only the columns a dataset supplied (``dataset_columns``), plus its extra columns
as text fields, so that a written project reads back with the same columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.record import UNSCHEDULED, home_visit
from ovaregen.domain.variables import DatasetFile, Kind, Variable, variables_of
from ovaregen.formats.redcap.naming import (
    ARM_NUMBER,
    ENROLMENT_EVENT,
    EXTRA_ANNOTATION,
    EXTRA_CODE,
    EXTRA_FORM,
    FOLLOW_UP_FORM,
    PARTICIPANT_FORM,
    RECORD_ID,
    REPEATING_FORM,
    SUMMARY_FORM,
    SUMMARY_SUFFIX,
    choice_label,
    field_name,
    legal_name,
    unique_event_name,
)
from ovaregen.io.dataset import Dataset

METADATA_FIELDS = (
    "field_name",
    "form_name",
    "section_header",
    "field_type",
    "field_label",
    "select_choices_or_calculations",
    "field_note",
    "text_validation_type_or_show_slider_number",
    "text_validation_min",
    "text_validation_max",
    "identifier",
    "branching_logic",
    "required_field",
    "custom_alignment",
    "question_number",
    "matrix_group_name",
    "matrix_ranking",
    "field_annotation",
)
"""The 18 metadata fields of the REDCap API (``content=metadata``), in its order."""
DICTIONARY_HEADERS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
"""The same, as the Data Dictionary upload's CSV header names them."""
_VALIDATION = {Kind.NUMBER: "number", Kind.INTEGER: "integer", Kind.DATE: "date_ymd"}
_LONG_TEXT = ("reason", "regimen")
"""Free-text variables written as ``notes`` (a paragraph) rather than one-line text."""
MAX_RADIO = 5


@dataclass(frozen=True)
class Field:
    """One REDCap field and the dataset column it holds (``column`` None for none)."""

    name: str
    form: str
    table: DatasetFile
    column: str
    field_type: str
    label: str
    variable: Variable | None = None
    choices: tuple[tuple[str, str, str], ...] = ()
    """(code, label, dictionary word) of a radio, dropdown or yesno field."""
    validation: str = ""
    low: str = ""
    high: str = ""
    note: str = ""
    branching: str = ""
    required: bool = False
    identifier: bool = False
    annotation: str = ""
    section: str = ""

    def metadata(self) -> dict[str, str]:
        """The field's row of the REDCap metadata (:data:`METADATA_FIELDS`)."""
        choices = "" if self.field_type == "yesno" else choices_text(self.choices)
        return {
            "field_name": self.name,
            "form_name": self.form,
            "section_header": self.section,
            "field_type": self.field_type,
            "field_label": self.label,
            "select_choices_or_calculations": choices,
            "field_note": self.note,
            "text_validation_type_or_show_slider_number": self.validation,
            "text_validation_min": self.low,
            "text_validation_max": self.high,
            "identifier": "y" if self.identifier else "",
            "branching_logic": self.branching,
            "required_field": "y" if self.required else "",
            "custom_alignment": "",
            "question_number": "",
            "matrix_group_name": "",
            "matrix_ranking": "",
            "field_annotation": self.annotation,
        }


def choices_text(choices: Sequence[tuple[str, str, str]]) -> str:
    """REDCap's choices syntax: ``1, Label | 2, Label``."""
    return " | ".join(f"{code}, {label}" for code, label, _ in choices)


@dataclass(frozen=True)
class Event:
    """A REDCap event: the enrolment (values held once per woman) or a follow-up visit."""

    event_name: str
    unique_event_name: str
    visit: str | None
    """The follow-up visit id (None: the enrolment event)."""
    day_offset: int = 0
    offset_min: int = 0
    offset_max: int = 0


@dataclass(frozen=True)
class Project:
    """The REDCap project of a protocol (module docstring)."""

    protocol: Protocol
    fields: tuple[Field, ...]
    events: tuple[Event, ...]
    repeating: Mapping[DatasetFile, str] = field(default_factory=dict)
    """Repeated table → its repeating instrument (only the tables the project holds)."""
    form_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def forms(self) -> tuple[str, ...]:
        """The instruments, in field order."""
        return tuple(dict.fromkeys(f.form for f in self.fields))

    @property
    def longitudinal(self) -> bool:
        return len(self.events) > 1

    def fields_of(self, table: DatasetFile) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.table is table)

    def metadata(self) -> list[dict[str, str]]:
        """The data dictionary rows (REDCap API ``content=metadata``)."""
        return [f.metadata() for f in self.fields]

    def instruments(self) -> list[dict[str, str]]:
        """REDCap API ``content=instrument``: instrument_name, instrument_label."""
        return [
            {"instrument_name": f, "instrument_label": self.form_labels.get(f, f)}
            for f in self.forms
        ]

    def event_rows(self) -> list[dict[str, str]]:
        """REDCap API ``content=event`` (the Events CSV's columns)."""
        return [
            {
                "event_name": e.event_name,
                "arm_num": str(ARM_NUMBER),
                "unique_event_name": e.unique_event_name,
                "custom_event_label": "",
                "day_offset": str(e.day_offset),
                "offset_min": str(e.offset_min),
                "offset_max": str(e.offset_max),
            }
            for e in self.events
        ]

    def form_event_mapping(self) -> list[dict[str, str]]:
        """REDCap API ``content=formEventMapping``: arm_num, unique_event_name, form."""
        return [
            {"arm_num": str(ARM_NUMBER), "unique_event_name": e.unique_event_name, "form": form}
            for e in self.events
            for form in self.forms
            if (form == FOLLOW_UP_FORM) == (e.visit is not None)
        ]

    def repeating_forms_events(self) -> list[dict[str, str]]:
        """REDCap API ``content=repeatingFormsEvents``: event_name, form_name, label."""
        event = self.events[0].unique_event_name
        return [
            {"event_name": event, "form_name": form, "custom_form_label": ""}
            for form in self.repeating.values()
        ]

    def export_field_names(self) -> list[dict[str, str]]:
        """REDCap API ``content=exportFieldNames``: a checkbox-free project exports each
        field under its own name."""
        return [
            {"original_field_name": f.name, "choice_value": "", "export_field_name": f.name}
            for f in self.fields
        ]

    def event_of_visit(self, visit: str) -> Event:
        return next(e for e in self.events if e.visit == visit)


def dataset_columns(dataset: Dataset) -> dict[DatasetFile, tuple[str, ...]]:
    """The columns a dataset holds, per table it holds: the supplied canonical ones (all,
    when it does not say), then its extra columns."""
    columns: dict[DatasetFile, tuple[str, ...]] = {}
    for file in DatasetFile:
        if file is not DatasetFile.PARTICIPANTS and not dataset.has(file):
            continue
        frame = dataset.table(file)
        canonical = [v.name for v in variables_of(file)]
        supplied = set(dataset.supplied.get(file.value, canonical))
        chosen = [c for c in canonical if c in supplied and c in frame.columns]
        columns[file] = (*chosen, *(c for c in frame.columns if c not in canonical))
    return columns


def project(
    protocol: Protocol, columns: Mapping[DatasetFile, Sequence[str]] | None = None
) -> Project:
    """The REDCap project of ``protocol`` (of the given dataset columns; module docstring)."""
    if columns is None:
        columns = {file: [v.name for v in variables_of(file)] for file in DatasetFile}
    taken: set[str] = set()
    events = _events(protocol)
    fields: list[Field] = []
    known = {file: {v.name: v for v in variables_of(file)} for file in DatasetFile}

    def add(form: str, file: DatasetFile, column: str, name: str | None = None) -> None:
        variable = known[file].get(column)
        if variable is None:
            fields.append(_extra_field(form, file, column, taken))
            return
        fields.append(_field(name or field_name(file, column), form, file, variable))
        taken.add(fields[-1].name)

    participants = list(columns.get(DatasetFile.PARTICIPANTS, ()))
    add(PARTICIPANT_FORM, DatasetFile.PARTICIPANTS, RECORD_ID)
    for form, names in _participant_forms(protocol, participants):
        for name in names:
            summary = form == SUMMARY_FORM
            add(form, DatasetFile.PARTICIPANTS, name, name + SUMMARY_SUFFIX if summary else None)
    for name in participants:
        if name not in known[DatasetFile.PARTICIPANTS]:
            add(EXTRA_FORM, DatasetFile.PARTICIPANTS, name)
    if DatasetFile.VISITS in columns and len(events) > 1:
        for name in columns[DatasetFile.VISITS]:
            if name not in (RECORD_ID, "visit"):
                add(FOLLOW_UP_FORM, DatasetFile.VISITS, name)
        _heading(fields, FOLLOW_UP_FORM, DatasetFile.VISITS, taken)
        fields = _with_visit_branching(fields, protocol, events)
    repeating = {}
    for file, form in REPEATING_FORM.items():
        if file in columns:
            repeating[file] = form
            for name in columns[file]:
                if name != RECORD_ID:
                    add(form, file, name)
            _heading(fields, form, file, taken)
    labels = {v.id: v.label for v in protocol.schedule} | {
        PARTICIPANT_FORM: "Participant",
        SUMMARY_FORM: "Follow-up values of participants.csv",
        EXTRA_FORM: "Additional columns",
        FOLLOW_UP_FORM: "Follow-up visit",
        "pregnancies": "Pregnancies",
        "adverse_events": "Adverse events",
        "gcsf_days": "G-CSF mobilisation days",
        UNSCHEDULED: "Long-term follow-up",
    }
    return Project(protocol, tuple(fields), events, repeating, labels)


def _heading(fields: list[Field], form: str, file: DatasetFile, taken: set[str]) -> None:
    """A table without any column but its keys still gets its instrument: one descriptive
    field (REDCap's display-only type), so that the table is read back, empty."""
    if not any(f.form == form for f in fields):
        name = legal_name(form + "_heading", "", taken)
        fields.append(Field(name, form, file, "", "descriptive", f"{file.file_name} (no columns)"))


def _participant_forms(protocol: Protocol, names: Sequence[str]) -> list[tuple[str, list[str]]]:
    """participants.csv's columns by instrument: identity, each schedule form that records
    them (in schedule order), the unscheduled ones, the follow-up summary values."""
    forms: dict[str, list[str]] = {PARTICIPANT_FORM: []}
    forms |= {v.id: [] for v in protocol.schedule if not v.follow_up}
    forms[UNSCHEDULED] = []
    forms[SUMMARY_FORM] = []
    known = {v.name: v for v in variables_of(DatasetFile.PARTICIPANTS)}
    for name in names:
        variable = known.get(name)
        if variable is None or name == RECORD_ID:
            continue
        if variable.repeated:
            forms[SUMMARY_FORM].append(name)
        elif variable.group == "Identification and flow" and name != "screening_date":
            home = home_visit(protocol, name)
            forms[PARTICIPANT_FORM if home == UNSCHEDULED else home].append(name)
        else:
            forms[home_visit(protocol, name)].append(name)
    return [(form, chosen) for form, chosen in forms.items() if chosen]


def _events(protocol: Protocol) -> tuple[Event, ...]:
    """The enrolment event, then one event per follow-up visit (its window as offsets)."""
    events = [Event(ENROLMENT_EVENT, unique_event_name(ENROLMENT_EVENT), None)]
    for visit in protocol.followup_visits:
        window = visit.window
        events.append(
            Event(
                visit.id,
                unique_event_name(visit.id),
                visit.id,
                window.day if window else 0,
                window.before if window else 0,
                window.after if window else 0,
            )
        )
    names = [e.unique_event_name for e in events]
    if len(set(names)) < len(names):
        raise ValueError(f"two visits give the same REDCap unique event name: {names}")
    return tuple(events)


def _with_visit_branching(
    fields: list[Field], protocol: Protocol, events: Sequence[Event]
) -> list[Field]:
    """A follow-up field is shown only at the follow-up events whose visit records it."""
    records = {v.id: v.records for v in protocol.schedule} | {"": ()}
    followups = [e for e in events if e.visit is not None]
    result = []
    for f in fields:
        shown = f
        if f.table is DatasetFile.VISITS and f.variable is not None and f.variable.repeated:
            recording = [
                e.unique_event_name for e in followups if f.column in records[e.visit or ""]
            ]
            if len(recording) < len(followups):
                logic = " or ".join(f"[event-name] = '{name}'" for name in recording)
                shown = replace(f, branching=logic)
        result.append(shown)
    return result


def _field(name: str, form: str, file: DatasetFile, variable: Variable) -> Field:
    """A dictionary variable as a REDCap field (module docstring)."""
    label = variable.description[:1].upper() + variable.description[1:]
    base = Field(
        name,
        form,
        file,
        variable.name,
        "text",
        label,
        variable,
        note=variable.unit or "",
        required=variable.required and name == RECORD_ID,
    )
    if variable.kind is Kind.BOOLEAN:
        return replace(
            base, field_type="yesno", choices=(("1", "Yes", "true"), ("0", "No", "false"))
        )
    if variable.kind is Kind.CHOICE:
        choices = tuple(
            (str(i), choice_label(word), word) for i, word in enumerate(variable.choices, 1)
        )
        kind = "radio" if len(choices) <= MAX_RADIO else "dropdown"
        return replace(base, field_type=kind, choices=choices)
    if variable.kind in _VALIDATION:
        limits = variable.hard
        low = "" if limits is None else _limit(limits.low, variable.kind)
        high = "" if limits is None else _limit(limits.high, variable.kind)
        return replace(base, validation=_VALIDATION[variable.kind], low=low, high=high)
    long_text = any(word in variable.name for word in _LONG_TEXT)
    return replace(base, field_type="notes" if long_text else "text")


def _limit(value: float, kind: Kind) -> str:
    return str(int(value)) if kind is Kind.INTEGER or value == int(value) else f"{value:g}"


def _extra_field(form: str, file: DatasetFile, column: str, taken: set[str]) -> Field:
    """An extra column as a text field; its written name in the annotation."""
    name = legal_name(column, EXTRA_CODE[file], taken)
    return Field(
        name,
        form,
        file,
        column,
        "notes",
        f"{column} (extra column of {file.file_name})",
        annotation=EXTRA_ANNOTATION + column,
    )
