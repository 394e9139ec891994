"""The project model against REDCap's rules (REDCap Data Dictionary: variable and form
names, field types, validations, choices syntax; API event and instrument contents)."""

from __future__ import annotations

import re

import pytest

from ovaregen.domain.protocols import PROTOCOL_NAMES, load_protocol
from ovaregen.formats.redcap.dictionary import parse_choices
from ovaregen.formats.redcap.naming import (
    FOLLOW_UP_FORM,
    MAX_NAME,
    RECOMMENDED_NAME,
    is_valid_name,
    legal_name,
    unique_event_name,
)
from ovaregen.formats.redcap.project import DICTIONARY_HEADERS, METADATA_FIELDS, project

FIELD_TYPES = {"text", "notes", "radio", "dropdown", "yesno", "checkbox", "calc", "descriptive"}
VALIDATIONS = {"", "number", "integer", "date_ymd"}
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@pytest.mark.parametrize("name", PROTOCOL_NAMES)
def test_every_field_and_form_name_follows_redcaps_rules(name: str) -> None:
    chosen = project(load_protocol(name))
    names = [f.name for f in chosen.fields]
    assert len(names) == len(set(names)), "field names are unique in a REDCap project"
    for field_name in names:
        assert NAME.match(field_name) and len(field_name) <= MAX_NAME, field_name
    long = [n for n in names if len(n) > RECOMMENDED_NAME]
    assert all(len(n) <= 40 for n in long), long  # allowed; REDCap only advises ≤ 26
    for form in chosen.forms:
        assert NAME.match(form) and len(form) <= MAX_NAME, form
    assert chosen.fields[0].name == "participant_id"
    assert chosen.fields[0].form == chosen.forms[0]


@pytest.mark.parametrize("name", PROTOCOL_NAMES)
def test_types_validations_limits_and_choices(name: str) -> None:
    rows = project(load_protocol(name)).metadata()
    for row in rows:
        assert tuple(row) == METADATA_FIELDS
        assert row["field_type"] in FIELD_TYPES
        assert row["text_validation_type_or_show_slider_number"] in VALIDATIONS
        if row["text_validation_type_or_show_slider_number"] in ("number", "integer"):
            low, high = row["text_validation_min"], row["text_validation_max"]
            assert float(low) <= float(high), row["field_name"]
        if row["field_type"] in ("radio", "dropdown"):
            text = row["select_choices_or_calculations"]
            assert re.fullmatch(r"\d+, [^|]+( \| \d+, [^|]+)*", text), text
            assert list(parse_choices(text)) == [str(i) for i in range(1, text.count("|") + 2)]
    afc = next(r for r in rows if r["field_name"] == "afc")
    assert (afc["text_validation_min"], afc["text_validation_max"]) == ("0", "80")
    assert len(DICTIONARY_HEADERS) == len(METADATA_FIELDS) == 18


def test_one_instrument_per_schedule_form_and_follow_up_visits_as_events() -> None:
    protocol = load_protocol("ucmsc-rct")
    chosen = project(protocol)
    forms = set(chosen.forms)
    assert {v.id for v in protocol.schedule if not v.follow_up} <= forms
    assert [e.unique_event_name for e in chosen.events] == [
        "enrolment_arm_1",
        "month_3_arm_1",
        "month_6_arm_1",
        "month_12_arm_1",
    ]
    assert chosen.events[1].day_offset == 91
    mapping = chosen.form_event_mapping()
    assert {m["form"] for m in mapping} == forms
    follow_up = {m["unique_event_name"] for m in mapping if m["form"] == FOLLOW_UP_FORM}
    assert follow_up == {"month_3_arm_1", "month_6_arm_1", "month_12_arm_1"}
    assert {r["form_name"] for r in chosen.repeating_forms_events()} == {
        "pregnancies",
        "adverse_events",
        "gcsf_days",
    }
    cyst = next(f for f in chosen.fields if f.name == "comp_ovarian_cyst")
    assert cyst.branching == "[event-name] = 'month_12_arm_1'"


def test_unique_event_names_and_legal_names() -> None:
    assert unique_event_name("Day 91") == "day_91_arm_1"
    assert unique_event_name("A very long event name indeed") == "a_very_long_event__arm_1"
    taken: set[str] = set()
    assert legal_name("Notes here!", "xp_", taken) == "xp_notes_here"
    assert legal_name("notes-here", "xp_", taken) == "xp_notes_here_2"
    assert is_valid_name("xp_notes_here") and not is_valid_name("2abc")
