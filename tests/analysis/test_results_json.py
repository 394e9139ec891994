"""results.json: strict JSON, the standard numbers on every result, nothing lost."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from ovaregen.analysis.result import Analysis, Population, Result, Table
from ovaregen.report.results_json import plain, render_results_json, result_document
from ovaregen.stats.result import Estimate


def test_plain_turns_non_finite_into_null_and_numpy_into_python() -> None:
    value = plain({"a": math.nan, "b": np.float64(math.inf), "c": (np.int64(3), -math.inf), "d": 1})
    assert value == {"a": None, "b": None, "c": [3, None], "d": 1}
    assert type(value["c"][0]) is int


def test_every_result_has_the_standard_fields_and_its_extras() -> None:
    result = Result.of(
        "roc_cd34_activation",
        "ROC",
        Estimate(method="m", n=10, estimate=0.487, ci_low=math.nan),
        "analysed",
        cutoff=33.34,
    )
    document = result_document(result)
    for key in ("id", "method", "n", "statistic", "df", "p_value", "estimate", "ci_low", "ci_high"):
        assert key in document
    assert document["ci_low"] is None and document["cutoff"] == 33.34
    assert document["estimate"] == 0.487  # never flipped to 1 − AUC


def test_an_extra_field_may_not_shadow_a_standard_one() -> None:
    result = Result(id="x", title="t", method="m", n=1, population="p", extra={"n": 2})
    with pytest.raises(ValueError, match="shadows"):
        result_document(result)


def test_the_document_is_strict_json() -> None:
    analysis = Analysis(
        plan="mensc",
        protocol_name="mensc",
        protocol_version="1",
        rules_version="r",
        dataset="d",
        populations=(Population("treated", "women treated", 105),),
        results=(
            Result(id="x", title="t", method="m", n=1, population="treated", p_value=math.inf),
        ),
        tables=(Table("flow", "Flow", pl.DataFrame({"n": [1]})),),
    )
    text = render_results_json(analysis)
    document = json.loads(text, parse_constant=pytest.fail)
    assert document["results"][0]["p_value"] is None
    assert document["tables"] == [{"id": "flow", "title": "Flow", "file": "flow.csv", "notes": []}]
