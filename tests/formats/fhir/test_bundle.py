"""FHIR R4 out (issue 15 item 2): the Bundle validated by ``fhir.resources`` (R4B models) and by
HL7's R4 JSON schema, every LOINC code with its check digit, every measured value present, and a
blinded export that does not depend on the arms."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import polars as pl
import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.fhir import write
from ovaregen.formats.fhir.bundle import MEASURES
from ovaregen.formats.fhir.loinc import LOINC_CODES, LOINC_SYSTEM, check_digit, is_valid_loinc
from ovaregen.formats.typed import tables_of
from ovaregen.io.dataset import Dataset
from ovaregen.io.writer import write_dataset
from tests.formats.cohorts import COHORTS, synthetic_cohort

SCHEMA = Path(__file__).parent / "fhir.schema.json"


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft6Validator  # the schema declares draft-06
    return cls(schema)


@cache
def _fast_validator() -> jsonschema_rs.Draft6Validator:
    return jsonschema_rs.Draft6Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


@cache
def _bundle(study: str, tmp: Path) -> dict[str, Any]:
    dataset, protocol = synthetic_cohort(study)
    (path,) = write(dataset, protocol, tmp / f"{study}.json", NO_CLINIC_RECORDS)
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fhir")


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_loinc_check_digit_follows_the_users_guide_example() -> None:
    # LOINC Users' Guide, "Calculating Mod 10 check digits": 12345 → 5.
    assert check_digit("12345") == 5
    assert not is_valid_loinc("38476-9") and not is_valid_loinc("38476")


def test_every_loinc_code_the_project_uses_passes_its_check_digit() -> None:
    assert all(is_valid_loinc(c.code) for c in LOINC_CODES), [c.code for c in LOINC_CODES]


@pytest.mark.parametrize("study", COHORTS)
def test_bundle_validates_with_fhir_resources(study: str, tmp: Path) -> None:
    bundle = _bundle(study, tmp)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    assert len(parsed.entry or []) == len(bundle["entry"])


@pytest.mark.parametrize("study", COHORTS)
def test_bundle_validates_against_hl7_r4_json_schema(study: str, tmp: Path) -> None:
    """HL7's schema by jsonschema-rs, for every cohort; and by the reference implementation,
    python-jsonschema, for the smallest (it takes 85 s over study A's 2,000 entries, whose
    every resource it tries against each of R4's resource types)."""
    errors = [e.message for e in _fast_validator().iter_errors(_bundle(study, tmp))]
    assert not errors, errors[:5]
    if study == "mensc":
        slow = list(_validator().iter_errors(_bundle(study, tmp)))
        assert not slow, [e.message for e in slow[:5]]


@pytest.mark.parametrize("study", COHORTS)
def test_every_emitted_loinc_code_passes_its_check_digit(study: str, tmp: Path) -> None:
    codes = {
        c["code"]
        for o in _resources(_bundle(study, tmp), "Observation")
        for c in o["code"]["coding"]
        if c["system"] == LOINC_SYSTEM
    }
    assert codes and all(is_valid_loinc(c) for c in codes), codes


@pytest.mark.parametrize("study", COHORTS)
def test_every_measured_value_is_an_observation(study: str, tmp: Path) -> None:
    dataset, _ = synthetic_cohort(study)
    tables = tables_of(dataset)
    expected = sorted(
        (str(pid), m.column, float(v))
        for m in MEASURES
        if m.file in tables and m.column in tables[m.file].columns
        for pid, v in tables[m.file].select("participant_id", m.column).drop_nulls().iter_rows()
    )
    observations = _resources(_bundle(study, tmp), "Observation")
    patients = {
        e["fullUrl"]: e["resource"]["identifier"][0]["value"]
        for e in _bundle(study, tmp)["entry"]
        if e["resource"]["resourceType"] == "Patient"
    }
    found = sorted(
        (
            patients[o["subject"]["reference"]],
            o["identifier"][0]["value"].rsplit("/", 1)[1],
            float(o["valueQuantity"]["value"]),
        )
        for o in observations
    )
    assert expected and found == expected


def test_patients_carry_no_identifying_data(tmp: Path) -> None:
    for patient in _resources(_bundle("ucmsc-rct", tmp), "Patient"):
        assert set(patient) == {"resourceType", "identifier", "gender"}
        assert patient["gender"] == "female"


def _swapped(dataset: Dataset) -> Dataset:
    arms = pl.col("arm")
    swapped = dataset.participants.with_columns(
        pl.when(arms == "hrt").then(pl.lit("ucmsc_hrt")).otherwise(pl.lit("hrt")).alias("arm")
    )
    return replace(dataset, participants=swapped)


def _blinded(dataset: Dataset) -> Dataset:
    """As the clinic's blinded export: the arm unknown and not supplied (clinic.exchange)."""
    participants = dataset.participants.with_columns(pl.lit(None, pl.String).alias("arm"))
    supplied = dict(dataset.supplied)
    supplied["participants"] = tuple(c for c in supplied["participants"] if c != "arm")
    return replace(dataset, participants=participants, supplied=supplied)


def test_blinded_export_does_not_depend_on_the_arms(tmp_path: Path) -> None:
    dataset, protocol = synthetic_cohort("ucmsc-rct")
    assert "arm" in dataset.supplied["participants"]
    twin = _swapped(dataset)
    assert not twin.participants["arm"].equals(dataset.participants["arm"])
    paths = [
        write(d, protocol, tmp_path / f"{name}.json", NO_CLINIC_RECORDS)[0]
        for name, d in {
            "a": dataset,
            "b": twin,
            "blind-a": _blinded(dataset),
            "blind-b": _blinded(twin),
        }.items()
    ]
    a, b, blind_a, blind_b = (p.read_bytes() for p in paths)
    assert a != b  # unblinded: the arms are there
    assert blind_a == blind_b
    assert b"assignedArm" not in blind_a
    unblinded = json.loads(a)
    subjects = [
        e["resource"]
        for e in unblinded["entry"]
        if e["resource"]["resourceType"] == "ResearchSubject"
    ]
    arms = dict(dataset.participants.select("participant_id", "arm").iter_rows())
    assert [s["assignedArm"] for s in subjects] == [
        arms[s["identifier"][0]["value"]] for s in subjects
    ]


def test_convert_to_fhir_writes_one_valid_bundle(tmp_path: Path) -> None:
    dataset, _ = synthetic_cohort("mensc")
    source = tmp_path / "source"
    write_dataset(dataset, source)
    out = tmp_path / "bundle.json"
    result = CliRunner().invoke(
        app, ["convert", str(source), "-p", "mensc", "--to", "fhir", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    assert not list(_validator().iter_errors(bundle))
    assert len(_resources(bundle, "Patient")) == dataset.participants.height


def test_fhir_is_write_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["convert", str(tmp_path), "-p", "mensc", "--from", "fhir", "--out", str(tmp_path / "x")],
    )
    assert result.exit_code != 0
    assert "does not read" in result.output


def test_the_schema_refuses_what_r4_does_not_allow() -> None:
    """The validator is not vacuous: an Observation status outside R4's codes, or a
    ResearchSubject without its study, is refused."""
    bad_status = {"resourceType": "Observation", "status": "done", "code": {"text": "AMH"}}
    no_study = {
        "resourceType": "ResearchSubject",
        "status": "on-study",
        "individual": {"reference": "urn:uuid:0"},
    }
    for resource in (bad_status, no_study):
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}
        assert list(_validator().iter_errors(bundle)), resource
        assert not _fast_validator().is_valid(bundle), resource
