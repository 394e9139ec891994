"""A protocol's ODM structure, taken from its REDCap project (``formats.redcap.project``) so
that both formats share one mapping of the schedule to forms and events.

- StudyEvents (ODM 1.3.2 §3.1.1.3 StudyEventDef): ``SE.enrolment`` — screening, baseline and
  every value held once per woman — then one per follow-up visit of the schedule.
- Forms (FormDef): the project's instruments; each holds one ItemGroup per table it records.
- The repeated tables (pregnancies, adverse events, G-CSF mobilisation days) are
  ``Repeating="Yes"`` ItemGroups of their form in the enrolment event, one ItemGroupData per
  row (``ItemGroupRepeatKey`` 1, 2, … per woman). ODM's own rule chooses this: an ItemGroup
  repeats "within a form" for rows of the same kind (a log of events), while a StudyEvent is a
  visit of the schedule; a pregnancy or an adverse event happens at no scheduled visit.
- Items (ItemDef): every column the dataset holds, in the project's order, extra columns as
  text items (nothing is lost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile, Kind, Variable
from ovaregen.formats.odm import oids
from ovaregen.formats.redcap.naming import FOLLOW_UP_FORM, RECORD_ID
from ovaregen.formats.redcap.project import Field, project

DATA_TYPE = {
    Kind.TEXT: "text",
    Kind.CHOICE: "text",
    Kind.NUMBER: "float",
    Kind.INTEGER: "integer",
    Kind.BOOLEAN: "boolean",
    Kind.DATE: "date",
}
"""The dictionary's kinds as ODM 1.3.2 DataTypes (§2.13 "Data Formats")."""


@dataclass(frozen=True)
class Item:
    """One column as an ODM item."""

    oid: str
    table: DatasetFile
    column: str
    field: Field
    """The REDCap field (label, choices) of the column."""

    @property
    def variable(self) -> Variable | None:
        return self.field.variable

    @property
    def data_type(self) -> str:
        return "text" if self.variable is None else DATA_TYPE[self.variable.kind]


@dataclass(frozen=True)
class Group:
    """An ItemGroup: the columns of one table a form records."""

    oid: str
    form: str
    table: DatasetFile
    repeating: bool
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Event:
    oid: str
    name: str
    visit: str | None
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """The ODM structure of a dataset's columns under a protocol (module docstring)."""

    protocol: Protocol
    events: tuple[Event, ...]
    groups: tuple[Group, ...]
    form_labels: Mapping[str, str]

    @property
    def forms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.form for g in self.groups))

    def groups_of(self, table: DatasetFile) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.table is table)

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for g in self.groups for i in g.items)


def plan(protocol: Protocol, columns: Mapping[DatasetFile, Sequence[str]]) -> Plan:
    """The plan of the given dataset columns (``redcap.project.dataset_columns``)."""
    chosen = project(protocol, columns)
    groups: dict[tuple[str, DatasetFile], list[Item]] = {}
    for f in chosen.fields:
        key = (f.form, f.table)
        groups.setdefault(key, [])
        if not f.column or (f.column == RECORD_ID and f.variable is not None):
            continue  # a heading (a table with no column but its keys), or the SubjectKey
        extra = None if f.variable is not None else f.name
        groups[key].append(Item(oids.item(f.table, f.column, extra), f.table, f.column, f))
    repeating = set(chosen.repeating.values())
    built = tuple(
        Group(oids.item_group(table, form), form, table, form in repeating, tuple(items))
        for (form, table), items in groups.items()
    )
    forms = tuple(dict.fromkeys(g.form for g in built))
    events = tuple(
        Event(
            oids.study_event(e.visit),
            chosen.form_labels.get(e.visit, e.event_name) if e.visit else "Enrolment",
            e.visit,
            tuple(f for f in forms if (f == FOLLOW_UP_FORM) == (e.visit is not None)),
        )
        for e in chosen.events
    )
    return Plan(protocol, events, built, dict(chosen.form_labels))
