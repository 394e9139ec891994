"""Dataset-JSON written by another tool reads: CDISC's own examples (SDTM DM and TV, in the
JSON and the NDJSON representation), and our files converted to NDJSON read back equal."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from ovaregen.domain.protocols import Protocol
from ovaregen.formats.dataset_json import read_dataset_json, read_document, schema_errors
from ovaregen.io.dataset import Dataset, Finding
from ovaregen.io.findings import render_report
from tests.formats.cohorts import assert_same

CDISC = Path(__file__).parent / "cdisc"


@pytest.mark.parametrize("name", ["dm", "tv"])
def test_cdiscs_examples_read_in_both_representations(name: str) -> None:
    document = json.loads((CDISC / f"{name}.json").read_text("utf-8"))
    assert schema_errors(document) == []
    findings: list[Finding] = []
    as_json = read_document(CDISC / f"{name}.json", findings)
    as_ndjson = read_document(CDISC / f"{name}.ndjson", findings)
    assert findings == []
    assert as_json.equals(as_ndjson, null_equal=True)
    assert as_json.height == document["records"]
    assert as_json.columns == [c["name"] for c in document["columns"]]
    types = {"string": pl.String, "date": pl.String, "integer": pl.Int64, "float": pl.Float64}
    for column in document["columns"]:
        assert as_json.schema[column["name"]] == types[column["dataType"]], column["name"]
    assert [list(row) for row in as_json.rows()] == document["rows"]


def _to_ndjson(source: Path, target: Path) -> None:
    """The NDJSON representation (doc/dataset-json-ndjson1-1.md): metadata, then a row a line."""
    target.mkdir()
    for path in source.glob("*.json"):
        document = json.loads(path.read_text("utf-8"))
        rows = document.pop("rows")
        lines = [json.dumps(document), *(json.dumps(row) for row in rows)]
        (target / f"{path.stem}.ndjson").write_text("\n".join(lines) + "\n", "utf-8")


def test_our_files_as_ndjson_read_back_equal(
    cohort: tuple[Dataset, Protocol, Path], tmp_path: Path
) -> None:
    dataset, protocol, folder = cohort
    _to_ndjson(folder, tmp_path / "ndjson")
    report = read_dataset_json(tmp_path / "ndjson", protocol, None)
    assert report.dataset is not None, render_report(report)
    assert_same(report.dataset, dataset)


def test_a_broken_ndjson_line_is_named(
    cohort: tuple[Dataset, Protocol, Path], tmp_path: Path
) -> None:
    _, protocol, folder = cohort
    _to_ndjson(folder, tmp_path / "ndjson")
    path = tmp_path / "ndjson" / "participants.ndjson"
    lines = path.read_text("utf-8").splitlines()
    lines[3] = lines[3][:-1]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    report = read_dataset_json(tmp_path / "ndjson", protocol, None)
    assert report.dataset is None
    text = render_report(report)
    assert "participants.ndjson" in text and "line 4" in text
