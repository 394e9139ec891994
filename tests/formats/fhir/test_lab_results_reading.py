"""Reading laboratory results from a FHIR R4 Bundle (``formats.fhir.observations``): what is
taken, what is refused and why, and an invalid Bundle refused whole. Every Bundle built here is
first checked against HL7's R4 JSON schema, so the tests read real FHIR."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from ovaregen.domain.laboratory import Analyte, LabResult, Refusal
from ovaregen.formats.errors import FormatError
from ovaregen.formats.fhir.loinc import INCOMING, is_valid_loinc
from ovaregen.formats.fhir.observations import Results, read_bundle, read_bundle_file
from tests.formats.fhir.lab_bundles import LOCAL, LabBundle, system_of

SCHEMA = Path(__file__).parent / "fhir.schema.json"
SYSTEM = system_of("ucmsc-rct")


@cache
def _schema() -> jsonschema_rs.Draft6Validator:
    return jsonschema_rs.Draft6Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def read(bundle: LabBundle) -> Results:
    data = bundle.json()
    _schema().validate(data)  # the test's Bundle is valid FHIR R4 by HL7's schema
    return read_bundle(data, origin="labs.json")


def one(bundle: LabBundle) -> LabResult | Refusal:
    found = read(bundle)
    assert found.observations == 1
    (item,) = (*found.results, *found.refusals)
    return item


def test_every_incoming_loinc_code_passes_the_check_digit() -> None:
    for incoming in INCOMING:
        if incoming.code.system == "http://loinc.org":
            assert is_valid_loinc(incoming.code.code), incoming.code


@pytest.mark.parametrize(
    ("code", "value", "unit", "analyte", "dictionary_unit", "expected"),
    [
        ("38476-8", 2.5, "ng/mL", Analyte.AMH, "ng/mL", 2.5),
        ("38476-8", 2.5, "ug/L", Analyte.AMH, "ng/mL", 2.5),
        ("48377-6", 17.85, "pmol/L", Analyte.AMH, "pmol/L", 17.85),
        ("15067-2", 41.0, "m[IU]/mL", Analyte.FSH, "IU/L", 41.0),
        ("15067-2", 41.0, "[IU]/L", Analyte.FSH, "IU/L", 41.0),
        ("2243-4", 35.0, "pg/mL", Analyte.OESTRADIOL, "pg/mL", 35.0),
        ("2243-4", 35.0, "ng/L", Analyte.OESTRADIOL, "pg/mL", 35.0),
        ("14715-7", 128.5, "pmol/L", Analyte.OESTRADIOL, "pmol/L", 128.5),
        ("6690-2", 6.2, "10*9/L", Analyte.LEUKOCYTES, "10⁹/L", 6.2),
        ("6690-2", 6.2, "10*3/uL", Analyte.LEUKOCYTES, "10⁹/L", 6.2),
        ("6690-2", 6200, "/uL", Analyte.LEUKOCYTES, "/mm³", 6200),
    ],
)
def test_a_coded_result_is_read_in_a_dictionary_unit(
    code: str, value: float, unit: str, analyte: Analyte, dictionary_unit: str, expected: float
) -> None:
    bundle = LabBundle()
    who = bundle.patient("UC-001", system=SYSTEM)
    oid = bundle.result(who, code, value, unit, "2024-04-02")
    result = one(bundle)
    assert isinstance(result, LabResult), result
    assert (result.analyte, result.unit, result.value) == (analyte, dictionary_unit, expected)
    assert result.specimen_date == date(2024, 4, 2)
    assert result.source.observation == oid
    assert result.source.issued == "2024-06-01T09:30:00+02:00"
    assert result.source.origin == "labs.json"
    assert result.sent == f"{value} {unit}"
    assert {str(i) for i in result.patient} >= {f"{SYSTEM}|UC-001"}


def test_afc_has_no_loinc_term_and_is_read_by_the_local_code() -> None:
    bundle = LabBundle()
    who = bundle.patient("UC-001", system=SYSTEM)
    bundle.result(who, "afc", 4, "{follicles}", "2024-04-02", system=LOCAL)
    result = one(bundle)
    assert isinstance(result, LabResult)
    assert (result.analyte, result.value, result.unit) == (Analyte.AFC, 4, "follicles")


def test_the_specimen_collection_date_wins_over_the_effective_time() -> None:
    bundle = LabBundle()
    who = bundle.patient("UC-001", system=SYSTEM)
    bundle.result(who, "38476-8", 1.1, "ng/mL", "2024-04-05", specimen_taken="2024-04-01T07:10:00Z")
    result = one(bundle)
    assert isinstance(result, LabResult)
    assert result.specimen_date == date(2024, 4, 1)


def test_the_date_is_the_laboratory_s_own_day() -> None:
    """23:30 in Madrid on 1 April is 1 April, though it is 2 April in no time zone: the day as
    written is kept, never shifted to UTC."""
    bundle = LabBundle()
    who = bundle.patient("UC-001", system=SYSTEM)
    bundle.result(
        who, "38476-8", 1.1, "ng/mL", "2024-04-01", specimen_taken="2024-04-01T23:30:00+02:00"
    )
    result = one(bundle)
    assert isinstance(result, LabResult) and result.specimen_date == date(2024, 4, 1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"code": "2160-0"}, "none that ovaregen takes"),
        ({"code": "2160-1"}, "fails LOINC's check digit"),
        ({"status": "preliminary"}, "only final results are taken"),
        ({"unit": "pmol/L"}, "its unit pmol/L does not fit 38476-8"),
        ({"unit": "mmol/L"}, "does not fit 38476-8"),
        ({"ucum": False, "unit": "ng/ml"}, "is not coded in UCUM"),
        ({"comparator": "<", "value": 0.01}, "its value is a limit (<0.01"),
        ({"value": None}, "holds no value"),
    ],
)
def test_a_result_ovaregen_cannot_take_is_refused_with_the_reason(
    change: dict[str, Any], reason: str
) -> None:
    bundle = LabBundle()
    who = bundle.patient("UC-001", system=SYSTEM)
    arguments: dict[str, Any] = {"code": "38476-8", "value": 2.0, "unit": "ng/mL"} | change
    oid = bundle.result(
        who,
        arguments.pop("code"),
        arguments.pop("value"),
        arguments.pop("unit"),
        "2024-04-02",
        **arguments,
    )
    refused = one(bundle)
    assert isinstance(refused, Refusal)
    assert reason in refused.reason
    assert refused.message().startswith(f"entry 2, Observation {oid} (Patient/pat-UC-001): ")


def test_a_subject_outside_the_bundle_without_an_identifier_is_refused() -> None:
    bundle = LabBundle()
    bundle.result("Patient/elsewhere", "38476-8", 2.0, "ng/mL", "2024-04-02")
    refused = one(bundle)
    assert isinstance(refused, Refusal)
    assert "its subject Patient/elsewhere is not in the Bundle" in refused.reason


def test_a_logical_subject_identifier_names_her() -> None:
    bundle = LabBundle()
    bundle.result("Patient/elsewhere", "38476-8", 2.0, "ng/mL", "2024-04-02")
    data = bundle.json()
    data["entry"][0]["resource"]["subject"] = {"identifier": {"system": SYSTEM, "value": "UC-007"}}
    found = read_bundle(data, origin="labs.json")
    (result,) = found.results
    assert [str(i) for i in result.patient] == [f"{SYSTEM}|UC-007"]


def test_an_invalid_bundle_is_refused_whole_naming_entry_and_field(tmp_path: Path) -> None:
    bundle = LabBundle()
    who = bundle.patient("UC-001", system=SYSTEM)
    bundle.result(who, "38476-8", 2.0, "ng/mL", "2024-04-02")
    bundle.result(who, "15067-2", 40.0, "[IU]/L", "2024-04-02", observation_id="bad")
    data = bundle.json()
    data["entry"][2]["resource"]["valueQuantity"]["value"] = "forty"
    path = tmp_path / "labs.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FormatError) as refused:
        read_bundle_file(path)
    message = str(refused.value)
    assert message.startswith("labs.json is not a valid FHIR R4 Bundle: ")
    assert "entry 3 (Observation bad), field valueQuantity.value" in message
    assert "'forty'" in message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "is not JSON: line 1, column 2"),
        ('{"resourceType": "Patient"}', "expected a FHIR Bundle, found 'Patient'"),
        ("[]", "expected a FHIR Bundle, found 'list'"),
    ],
)
def test_a_file_that_is_no_bundle_is_refused(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "labs.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError, match=reason):
        read_bundle_file(path)
