"""REDCap's naming rules and ovaregen's names for its project (fields, forms, events).

REDCap Data Dictionary rules (REDCap help, "Data Dictionary" and "Variable names"): a
variable (field) name holds only lower-case letters, digits and underscores, begins with a
letter, is unique in the project, at most 100 characters (26 or fewer recommended); a form
(instrument) name follows the same rule. A unique event name is the event's name lower-cased,
every other character an underscore, cut to 18 characters, then ``_arm_<n>``.

ovaregen's project: the record id is ``participant_id``; a column of participants.csv or
visits.csv keeps its dictionary name; a column of a repeated table gets the table's prefix
(``preg_outcome``, ``ae_outcome``, ``mob_wbc_10e9_l``), because REDCap field names are
unique across the project; participants.csv's own follow-up value of a visit measurement is
``<name>_summary``; an extra column is ``x<table code>_<its name made legal>``, its written
name kept in the field's annotation (:data:`EXTRA_ANNOTATION`).
"""

from __future__ import annotations

import re

from ovaregen.domain.variables import DatasetFile

RECORD_ID = "participant_id"
ARM_NUMBER = 1
ENROLMENT_EVENT = "enrolment"
"""The event of every value held once per woman and of the repeating instruments."""
NAME_RULE = re.compile(r"[a-z][a-z0-9_]*")
MAX_NAME = 100
RECOMMENDED_NAME = 26
EVENT_NAME_CUT = 18
SUMMARY_SUFFIX = "_summary"
EXTRA_ANNOTATION = "ovaregen column: "
"""A field annotation beginning so marks an extra column; the rest is its written name."""

TABLE_PREFIX: dict[DatasetFile, str] = {
    DatasetFile.PARTICIPANTS: "",
    DatasetFile.VISITS: "",
    DatasetFile.PREGNANCIES: "preg_",
    DatasetFile.ADVERSE_EVENTS: "ae_",
    DatasetFile.MOBILISATION: "mob_",
}
EXTRA_CODE: dict[DatasetFile, str] = {
    DatasetFile.PARTICIPANTS: "xp_",
    DatasetFile.VISITS: "xv_",
    DatasetFile.PREGNANCIES: "xpreg_",
    DatasetFile.ADVERSE_EVENTS: "xae_",
    DatasetFile.MOBILISATION: "xmob_",
}
REPEATING_FORM: dict[DatasetFile, str] = {
    DatasetFile.PREGNANCIES: "pregnancies",
    DatasetFile.ADVERSE_EVENTS: "adverse_events",
    DatasetFile.MOBILISATION: "gcsf_days",
}
"""The repeating instruments (one instance per row) and the table each holds."""
FOLLOW_UP_FORM = "follow_up"
"""The instrument of every follow-up event: visit_date and the visit's measurements."""
SUMMARY_FORM = "follow_up_summary"
PARTICIPANT_FORM = "participant"
EXTRA_FORM = "additional_columns"


def is_valid_name(name: str) -> bool:
    """REDCap's rule for a variable or form name (module docstring)."""
    return bool(NAME_RULE.fullmatch(name)) and len(name) <= MAX_NAME


def legal_name(text: str, prefix: str, taken: set[str]) -> str:
    """``text`` as a legal REDCap name beginning with ``prefix``, not in ``taken``."""
    body = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "column"
    name = (prefix + body)[: MAX_NAME - 4]
    if not NAME_RULE.fullmatch(name):
        name = "x" + name
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def unique_event_name(event_name: str, arm: int = ARM_NUMBER) -> str:
    """REDCap's unique event name of an event (module docstring)."""
    body = re.sub(r"[^a-z0-9]", "_", event_name.lower())[:EVENT_NAME_CUT]
    return f"{body}_arm_{arm}"


def field_name(file: DatasetFile, column: str) -> str:
    """The REDCap field of a dictionary column of ``file`` (module docstring)."""
    return column if column == RECORD_ID else TABLE_PREFIX[file] + column


def choice_label(word: str) -> str:
    """A choice's label: the dictionary word as a phrase (``live_birth`` → ``Live birth``)."""
    return word.replace("_", " ").capitalize()
