"""Protocols as data files: the shipped three, and refusal of bad protocol files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ovaregen.domain.diagnoses import PoiEdition
from ovaregen.domain.protocols import (
    PROTOCOL_NAMES,
    ProtocolError,
    load_protocol,
    protocol_from_mapping,
    shipped_protocols,
)
from ovaregen.domain.variables import EXCLUSION_CONDITIONS
from tests import oracle


def test_shipped_protocols_load_with_their_editions() -> None:
    by_name = {p.name: p for p in shipped_protocols()}
    assert tuple(by_name) == PROTOCOL_NAMES
    assert by_name["regenera"].poi_edition is PoiEdition.ESHRE_2016
    assert by_name["ucmsc-rct"].poi_edition is PoiEdition.ESHRE_2016
    assert by_name["mensc"].poi_edition is None
    assert by_name["mensc"].label_poi_edition is PoiEdition.ESHRE_2024
    assert by_name["ucmsc-rct"].target_enrolment == 66
    assert {a.id for a in by_name["ucmsc-rct"].arms} == {"ucmsc_hrt", "hrt"}
    assert by_name["regenera"].gcsf_titration


def test_exclusions_follow_criteria_md() -> None:
    regenera = load_protocol("regenera").rules()
    assert [c.id for c in regenera.exclusion] == [f"excl.{n}" for n in oracle.REGENERA_EXCLUSIONS]
    assert load_protocol("mensc").rules().exclusion == ()
    assert [c.id for c in load_protocol("ucmsc-rct").rules().exclusion] == [
        f"excl.{n}" for n in oracle.UCMSC_EXCLUSIONS
    ]


def test_schedule_names_only_dictionary_variables() -> None:
    for protocol in shipped_protocols():
        assert protocol.schedule, protocol.name
        assert any(visit.pregnancies for visit in protocol.schedule)
        assert any(e.primary for e in protocol.endpoints)


def base() -> dict[str, Any]:
    return yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "src/ovaregen/protocols/mensc.yaml").read_text()
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": None}, "'name' is required"),
        ({"poi_edition": "eshre-1999"}, "eshre-1999"),
        ({"exclusion": ["smoking"]}, "'smoking' is not an exclusion condition"),
        ({"settings": {"bologna_afc_below": 9}}, "outside the guideline's 5–7"),
        (
            {"inclusion": [{"id": "incl.x", "description": "x", "diagnosis": "pcos"}]},
            "unknown diagnosis pcos",
        ),
        (
            {"inclusion": [{"id": "incl.x", "description": "x", "variable": "age_years"}]},
            "a range needs",
        ),
        (
            {"inclusion": [{"id": "incl.x", "description": "x", "variable": "bmi", "above": 1}]},
            "'bmi' is not a variable",
        ),
        (
            {"inclusion": [{"id": "incl.x", "description": "x", "flag": "age_years"}]},
            "age_years is a number variable",
        ),
        ({"inclusion": [{"id": "x", "description": "x", "flag": "consent"}]}, "start with 'incl.'"),
        (
            {"inclusion": [{"id": "incl.x", "description": "x", "flag": "consent", "colour": 1}]},
            "unknown keys colour",
        ),
        (
            {"schedule": [{"id": "v", "label": "V", "records": ["weight_kg"]}]},
            "'weight_kg' is not a variable",
        ),
    ],
)
def test_bad_protocol_files_are_refused_with_the_reason(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProtocolError, match=message):
        protocol_from_mapping(base() | change, "test.yaml")


def test_a_protocol_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump(base() | {"name": "local", "version": "9"}), encoding="utf-8")
    assert load_protocol(str(path)).version == "9"
    with pytest.raises(ProtocolError, match="does not exist"):
        load_protocol(str(tmp_path / "missing.yaml"))
    (tmp_path / "broken.yaml").write_text("name: [", encoding="utf-8")
    with pytest.raises(ProtocolError, match="not valid YAML"):
        load_protocol(str(tmp_path / "broken.yaml"))
    with pytest.raises(ProtocolError, match="unknown protocol 'nope'"):
        load_protocol("nope")


def test_exclusion_conditions_have_descriptions() -> None:
    assert all(EXCLUSION_CONDITIONS.values())
