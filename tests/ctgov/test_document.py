"""The ClinicalTrials.gov study document: valid against the API's ``Study`` schema (OpenAPI
2.0.5), our own required fields, and the results' counts equal to ``ovaregen analyze``'s."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest
from typer.testing import CliRunner

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis
from ovaregen.cli import app
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.dataset import Dataset
from ovaregen.report.ctgov.document import overall_status, study_document
from ovaregen.synth import synthesize

from .schema import openapi, study_schema


@pytest.fixture(scope="module")
def study_c() -> tuple[Dataset, Analysis, dict[str, Any]]:
    dataset = synthesize("ucmsc-rct", 66, 1)
    protocol = load_protocol("ucmsc-rct")
    analysis = run_plan("ucmsc-rct", dataset, protocol)
    return dataset, analysis, study_document(protocol, dataset, analysis)


def _validate(document: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(study_schema()).validate(document)


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_vendored_openapi_document_is_version_2_0_5() -> None:
    assert openapi()["info"]["version"] == "2.0.5"
    assert "Study" in openapi()["components"]["schemas"]


def test_strict_schema_rejects_a_misspelt_field() -> None:
    with pytest.raises(jsonschema.ValidationError):
        _validate({"protocolSection": {"identificationModule": {"nctID": "NCT05308342"}}})


def test_study_c_document_is_valid_against_the_study_schema(study_c: Any) -> None:
    _validate(study_c[2])


@pytest.mark.parametrize(("study", "n"), [("regenera", 145), ("mensc", 60)])
def test_cohort_studies_get_the_protocol_section_only(study: str, n: int) -> None:
    protocol = load_protocol(study)
    document = study_document(protocol, synthesize(study, n, 1), None)
    _validate(document)
    assert "resultsSection" not in document and document["hasResults"] is False
    assert document["protocolSection"]["designModule"]["studyType"] == "OBSERVATIONAL"


def test_protocol_section_of_study_c(study_c: Any) -> None:
    section = study_c[2]["protocolSection"]
    ident = section["identificationModule"]
    assert ident["nctId"] == "NCT05308342" and ident["briefTitle"]
    design = section["designModule"]
    assert design["designInfo"]["allocation"] == "RANDOMIZED"
    assert design["designInfo"]["maskingInfo"] == {
        "masking": "TRIPLE",
        "whoMasked": ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR"],
    }
    assert design["enrollmentInfo"] == {"count": 66, "type": "ACTUAL"}
    eligibility = section["eligibilityModule"]
    assert (eligibility["minimumAge"], eligibility["maximumAge"]) == ("20 Years", "39 Years")
    assert eligibility["sex"] == "FEMALE"
    text = eligibility["eligibilityCriteria"]
    assert text.index("Inclusion Criteria") < text.index("Exclusion Criteria")
    assert "clinical endometriosis" in text
    labels = {g["label"] for g in section["armsInterventionsModule"]["armGroups"]}
    names = {i["name"] for i in section["armsInterventionsModule"]["interventions"]}
    for group in section["armsInterventionsModule"]["armGroups"]:
        assert set(group["interventionNames"]) <= names
    assert labels == {"UC-MSC + HRT", "HRT alone"}
    assert all(o["timeFrame"] for o in section["outcomesModule"]["primaryOutcomes"])


def test_every_group_id_referenced_is_declared(study_c: Any) -> None:
    results = study_c[2]["resultsSection"]
    modules = [
        (results["participantFlowModule"], results["participantFlowModule"]["groups"]),
        (
            results["baselineCharacteristicsModule"],
            results["baselineCharacteristicsModule"]["groups"],
        ),
        (results["adverseEventsModule"], results["adverseEventsModule"]["eventGroups"]),
    ]
    modules += [(m, m["groups"]) for m in results["outcomeMeasuresModule"]["outcomeMeasures"]]
    for module, groups in modules:
        declared = {g["id"] for g in groups}
        used = {v for k, v in _walk(module) if k == "groupId"}
        used |= {i for k, v in _walk(module) if k == "groupIds" for i in v}
        assert used and used <= declared


def test_counts_are_whole_numbers_in_strings(study_c: Any) -> None:
    for key, value in _walk(study_c[2]["resultsSection"]):
        if key in ("numSubjects",):
            assert isinstance(value, str) and value.isdigit()
        if key in ("numEvents", "numAffected", "numAtRisk") or key.endswith("NumAtRisk"):
            assert isinstance(value, int) and value >= 0


def _by_group(stats: list[dict[str, Any]]) -> list[int]:
    return [int(s["numSubjects"]) for s in stats]


def test_flow_equals_the_consort_table(study_c: Any) -> None:
    _, analysis, document = study_c
    consort = analysis.table("consort").frame.filter(pl.col("arm").is_not_null())
    flow = document["resultsSection"]["participantFlowModule"]
    arms = [g["title"] for g in flow["groups"]]

    def n(stage: str) -> list[int]:
        rows = consort.filter(pl.col("stage") == stage)
        return [int(rows.filter(pl.col("arm") == a)["n"][0]) for a in arms]

    milestones = {m["type"]: _by_group(m["achievements"]) for m in flow["periods"][0]["milestones"]}
    assert milestones["STARTED"] == n("allocated")
    assert milestones["COMPLETED"] == n("analysed")
    drops = [_by_group(d["reasons"]) for d in flow["periods"][0]["dropWithdraws"]]
    assert [sum(x) for x in zip(*drops, strict=True)] == milestones["NOT COMPLETED"]
    assert sum(milestones["STARTED"]) == analysis.populations[0].n


def test_baseline_equals_table_one(study_c: Any) -> None:
    _, analysis, document = study_c
    table = analysis.table("table1_baseline_by_arm").frame
    baseline = document["resultsSection"]["baselineCharacteristicsModule"]
    age = next(m for m in baseline["measures"] if m["title"] == "Age (years)")
    row = table.filter(pl.col("variable") == "age_years").row(0, named=True)
    values = [float(m["value"]) for m in age["classes"][0]["categories"][0]["measurements"]]
    assert values[:2] == pytest.approx([row["uc_msc_hrt_mean"], row["hrt_alone_mean"]], rel=1e-3)
    denoms = [int(c["value"]) for c in age["denoms"][0]["counts"]]
    assert denoms == [
        row["uc_msc_hrt_n"],
        row["hrt_alone_n"],
        row["uc_msc_hrt_n"] + row["hrt_alone_n"],
    ]
    assert [g["title"] for g in baseline["groups"]][-1] == "Total"
    titles = {m["title"] for m in baseline["measures"]}
    assert {"AMH (ng/mL)", "FSH, first measurement (IU/L)"} <= titles


def test_outcome_analyses_equal_the_results(study_c: Any) -> None:
    _, analysis, document = study_c
    measures = document["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    primary = [m for m in measures if m["type"] == "PRIMARY"]
    assert len(primary) == 1
    ancova = analysis.result("primary_outcome_ancova")
    found = primary[0]["analyses"][0]
    assert float(found["paramValue"]) == pytest.approx(ancova.estimate, rel=1e-3)
    assert float(found["ciLowerLimit"]) == pytest.approx(ancova.ci_low, rel=1e-3)
    assert float(found["ciUpperLimit"]) == pytest.approx(ancova.ci_high, rel=1e-3)
    assert float(found["pValue"]) == pytest.approx(ancova.p_value, rel=1e-3)
    pregnancy = next(m for m in measures if m["title"] == "Any pregnancy")
    events = [int(m["value"]) for m in pregnancy["classes"][0]["categories"][0]["measurements"]]
    result = analysis.result("arm_difference_pregnant")
    assert events == [g["events"] for g in result.extra["groups"]]
    assert [a["paramType"] for a in pregnancy["analyses"]] == [
        "Risk Difference (RD)",
        "Risk Ratio (RR)",
    ]


def test_adverse_events_equal_the_harms_table(study_c: Any) -> None:
    _, analysis, document = study_c
    module = document["resultsSection"]["adverseEventsModule"]
    table = analysis.table("adverse_events_by_arm").frame
    serious = table.filter(pl.col("measure") == "serious").row(0, named=True)
    groups = module["eventGroups"]
    assert [g["seriousNumAffected"] for g in groups] == [
        serious["first_women"],
        serious["second_women"],
    ]
    assert [g["seriousNumAtRisk"] for g in groups] == [serious["first_n"], serious["second_n"]]
    every = sum(
        s["numEvents"] for e in module["seriousEvents"] + module["otherEvents"] for s in e["stats"]
    )
    any_row = table.filter(pl.col("measure") == "any").row(0, named=True)
    assert every == any_row["first_events"] + any_row["second_events"]
    for term in table.filter(pl.col("measure").str.starts_with("term:")).iter_rows(named=True):
        name = term["measure"].removeprefix("term:")
        counted = [0, 0]
        for event in module["seriousEvents"] + module["otherEvents"]:
            if event["term"] == name:
                counted = [w + s["numEvents"] for w, s in zip(counted, event["stats"], strict=True)]
        assert counted == [term["first_events"], term["second_events"]]


def test_command_writes_the_document(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "c"
    assert (
        runner.invoke(
            app, ["synth", "--study", "ucmsc-rct", "--n", "66", "--seed", "1", "--out", str(data)]
        ).exit_code
        == 0
    )
    out = tmp_path / "study.json"
    result = runner.invoke(app, ["ctgov", str(data), "--plan", "ucmsc-rct", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    _validate(document)
    assert document["hasResults"] is True


def test_command_refuses_an_unknown_plan(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["ctgov", str(tmp_path), "--plan", "nope", "--out", str(tmp_path / "x.json")]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "x.json").exists()


def test_cohort_study_by_the_command_has_no_results(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "a"
    made = runner.invoke(app, ["synth", "--study", "regenera", "--seed", "1", "--out", str(data)])
    assert made.exit_code == 0, made.output
    out = tmp_path / "a.json"
    result = runner.invoke(app, ["ctgov", str(data), "--plan", "regenera", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    _validate(document)
    assert document["hasResults"] is False and "resultsSection" not in document


def test_command_refuses_a_bad_dataset_and_writes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "c"
    runner.invoke(
        app, ["synth", "--study", "ucmsc-rct", "--n", "66", "--seed", "1", "--out", str(data)]
    )
    participants = data / "participants.csv"
    lines = participants.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("age_years")] = "forty"
    participants.write_text(
        "\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8"
    )
    out = tmp_path / "study.json"
    result = runner.invoke(app, ["ctgov", str(data), "--plan", "ucmsc-rct", "--out", str(out)])
    assert result.exit_code == 1
    assert "age_years" in result.output and "forty" in result.output
    assert not out.exists()


def test_flow_with_drop_outs_adds_up() -> None:
    dataset = synthesize("ucmsc-rct", 66, 1)
    status = ["withdrawn", "withdrawn", "lost_to_follow_up"] + ["completed"] * 63
    participants = dataset.participants.with_columns(pl.Series("status", status))
    changed = replace(dataset, participants=participants)
    protocol = load_protocol("ucmsc-rct")
    analysis = run_plan("ucmsc-rct", changed, protocol)
    document = study_document(protocol, changed, analysis)
    _validate(document)
    period = document["resultsSection"]["participantFlowModule"]["periods"][0]
    milestones = {m["type"]: _by_group(m["achievements"]) for m in period["milestones"]}
    drops = {d["type"]: _by_group(d["reasons"]) for d in period["dropWithdraws"]}
    assert sum(milestones["NOT COMPLETED"]) == 3
    assert sum(drops["Withdrawal by Subject"]) == 2 and sum(drops["Lost to Follow-up"]) == 1
    assert [sum(x) for x in zip(*drops.values(), strict=True)] == milestones["NOT COMPLETED"]


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("completed", "COMPLETED"),
        ("withdrawn", "COMPLETED"),
        ("ongoing", "ACTIVE_NOT_RECRUITING"),
        ("screening", "RECRUITING"),
        (None, "UNKNOWN"),
    ],
)
def test_the_overall_status_follows_the_womens_flow(first: str | None, expected: str) -> None:
    dataset = synthesize("ucmsc-rct", 66, 1)
    status = [first] + ["completed"] * 65
    participants = dataset.participants.with_columns(pl.Series("status", status, pl.String))
    document = study_document(
        load_protocol("ucmsc-rct"), replace(dataset, participants=participants), None
    )
    assert document["protocolSection"]["statusModule"]["overallStatus"] == expected
    _validate(document)
    empty = replace(dataset, participants=dataset.participants.clear())
    assert overall_status(empty) == "NOT_YET_RECRUITING"


def test_the_total_baseline_group_is_every_randomised_woman(study_c: Any) -> None:
    """The registry's Total column: the arms' counts summed, and the mean and SD of all the
    randomised women, which the pooled formula must give exactly (checked against the data)."""
    dataset, _, document = study_c
    baseline = document["resultsSection"]["baselineCharacteristicsModule"]
    total_id = baseline["groups"][-1]["id"]
    women = dataset.participants.filter(pl.col("arm").is_not_null())
    age = next(m for m in baseline["measures"] if m["title"] == "Age (years)")
    (total,) = [
        m for m in age["classes"][0]["categories"][0]["measurements"] if m["groupId"] == total_id
    ]
    ages = women["age_years"].drop_nulls()
    assert float(total["value"]) == pytest.approx(ages.mean(), rel=1e-5)
    assert float(total["spread"]) == pytest.approx(ages.std(ddof=1), rel=1e-5)
    assert int(baseline["denoms"][0]["counts"][-1]["value"]) == women.height
    for measure in baseline["measures"]:
        if measure["paramType"] != "COUNT_OF_PARTICIPANTS":
            continue
        for category in measure["classes"][0]["categories"]:
            by_group = {m["groupId"]: int(m["value"]) for m in category["measurements"]}
            arms = sum(v for k, v in by_group.items() if k != total_id)
            assert by_group[total_id] == arms, (measure["title"], category["title"])


def test_deaths_are_the_women_with_a_fatal_event(study_c: Any) -> None:
    """A fatal event added to one woman of the first arm: one death in that group only."""
    dataset, analysis, _ = study_c
    protocol = load_protocol("ucmsc-rct")
    woman = dataset.participants.filter(pl.col("arm") == "ucmsc_hrt")["participant_id"][0]
    events = dataset.adverse_events
    fatal = events.head(1).with_columns(
        pl.lit(woman).alias("participant_id"),
        pl.lit(5, events.schema["grade"]).alias("grade"),
        pl.lit(True).alias("serious"),
        pl.lit("fatal", events.schema["outcome"]).alias("outcome"),
    )
    changed = replace(dataset, adverse_events=pl.concat([events, fatal]))
    groups = study_document(protocol, changed, analysis)["resultsSection"]["adverseEventsModule"][
        "eventGroups"
    ]
    before = study_document(protocol, dataset, analysis)["resultsSection"]["adverseEventsModule"][
        "eventGroups"
    ]
    assert [g["deathsNumAffected"] for g in groups] == [
        before[0]["deathsNumAffected"] + 1,
        before[1]["deathsNumAffected"],
    ]
    assert [g["deathsNumAtRisk"] for g in groups] == [g["seriousNumAtRisk"] for g in groups]
