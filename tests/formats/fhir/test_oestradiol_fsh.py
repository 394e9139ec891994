"""Oestradiol and follow-up FSH in the FHIR Bundle: LOINC 2243-4 in pg/mL (the canonical unit,
whatever unit the dataset gave) and 15067-2 in [IU]/L, dated by the screening or the visit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from ovaregen.domain.protocols import load_protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.fhir import write
from ovaregen.formats.fhir.loinc import FSH, OESTRADIOL
from ovaregen.io.reader import read_dataset


def _observations(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The Bundle of a two-visit ucmsc-rct dataset, its Observations by identifier tail."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text(
        "participant_id,screening_date,treatment_date,oestradiol_pmol_l\n"
        "P1,2020-12-01,2021-01-04,100\n",
        encoding="utf-8",
    )
    (source / "visits.csv").write_text(
        "participant_id,visit,visit_date,fsh_post_iu_l,oestradiol_post_pg_ml\n"
        "P1,month_3,2021-04-05,31.5,48\n"
        "P1,month_6,2021-07-06,,52.5\n",
        encoding="utf-8",
    )
    protocol = load_protocol("ucmsc-rct")
    dataset = read_dataset(source, protocol)
    (path,) = write(dataset, protocol, tmp_path / "bundle.json", NO_CLINIC_RECORDS)
    bundle = json.loads(path.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    return {
        e["resource"]["identifier"][0]["value"].split("/", 1)[1]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }


def _coded(observation: dict[str, Any]) -> tuple[str, str, float, str, str | None]:
    (coding,) = observation["code"]["coding"]
    quantity = observation["valueQuantity"]
    return (
        coding["code"],
        quantity["code"],
        quantity["value"],
        quantity["system"],
        observation.get("effectiveDateTime"),
    )


def test_oestradiol_and_follow_up_fsh_are_observations(tmp_path: Path) -> None:
    found = {key: _coded(o) for key, o in _observations(tmp_path).items()}
    ucum = "http://unitsofmeasure.org"
    code, unit, value, system, date = found["participants/baseline/oestradiol_pg_ml"]
    assert (code, unit, system, date) == (OESTRADIOL.code, "pg/mL", ucum, "2020-12-01")
    assert value == pytest.approx(27.24, abs=0.005)  # 100 pmol/L given, pg/mL written
    assert found["visits/month_3/fsh_post_iu_l"] == (FSH.code, "[IU]/L", 31.5, ucum, "2021-04-05")
    assert found["visits/month_3/oestradiol_post_pg_ml"] == (
        OESTRADIOL.code,
        "pg/mL",
        48,
        ucum,
        "2021-04-05",
    )
    assert found["visits/month_6/oestradiol_post_pg_ml"][2:] == (52.5, ucum, "2021-07-06")
    assert "visits/month_6/fsh_post_iu_l" not in found  # an empty cell is no Observation
    # participants.csv's follow-up columns: month_3's values (the primary visit), undated
    assert found["participants/baseline/fsh_post_iu_l"][:3] == (FSH.code, "[IU]/L", 31.5)
    assert found["participants/baseline/fsh_post_iu_l"][4] is None
