"""Table 1's tests against R: statistic, df and p-value of every row test, not only its name.

``tests/reference/table1_tests.R`` wrote ``table1_tests.json`` (R is not needed here): part 1
runs each test a row can ask for (Welch, Student, Mann–Whitney exact and with ties, chi-square
with and without Yates, Fisher) on descriptive.R's data; part 2 recomputes the regenera plan's
Table 1 and Table 2 tests on its reference dataset. Tolerance: the case's ``rel_tol`` (1e-10
relative; every one of these is closed-form on both sides). R's NA is None.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.io.reader import read_dataset
from ovaregen.stats.descriptive import RowTest, TableOneSpec, Variable, table_one

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"
REFERENCE: dict[str, Any] = json.loads((REFERENCE_DIR / "table1_tests.json").read_text())
GROUPS = ("not activated", "activated")
CASES = REFERENCE["cases"]


def case_id(case: dict[str, Any]) -> str:
    return f"{case['part']}-{case['column']}-{case['test']}"


def close(actual: float | None, expected: float | None, rel: float) -> bool:
    if expected is None or actual is None:
        return actual is expected
    return actual == pytest.approx(expected, rel=rel, abs=1e-300)


def descriptive_frame() -> pl.DataFrame:
    data = REFERENCE["data"]
    return pl.DataFrame(
        data, schema_overrides={c: pl.Float64 for c in ("age_years", "hemoglobin_g_dl", "untied")}
    )


@cache
def regenera_tables() -> dict[str, pl.DataFrame]:
    analysis = run_plan("regenera", read_dataset(REFERENCE_DIR / REFERENCE["regenera"]["dataset"]))
    return {table.id: table.frame for table in analysis.tables}


def test_part_one_uses_the_data_of_descriptive_r() -> None:
    """The two scripts draw the same values (same seed, same draws): one data set, two checks."""
    descriptive = json.loads((REFERENCE_DIR / "descriptive.json").read_text())["data"]
    ours = {key: value for key, value in REFERENCE["data"].items() if key != "untied"}
    ours["menses"] = ["NA" if m is None else m for m in ours["menses"]]
    assert ours == descriptive
    assert len(set(REFERENCE["data"]["untied"])) == len(REFERENCE["data"]["untied"])


@pytest.mark.parametrize("case", [c for c in CASES if c["part"] == "descriptive"], ids=case_id)
def test_each_row_test_matches_r(case: dict[str, Any]) -> None:
    variable = Variable(
        case["column"],
        case["column"],
        categorical=case["categorical"],
        test=RowTest(case["test"]),
        levels=tuple(case.get("levels", ())),
    )
    table = table_one(descriptive_frame(), TableOneSpec("group", (variable,), groups=GROUPS))
    (row,) = table.rows
    assert row.test is not None, table.warnings
    # ovaregen may add to R's name ("Two Sample t-test (Student, pooled variance)")
    assert row.test.method.startswith(case["method"].strip()), case["call"]
    for key in ("statistic", "df", "p_value"):
        actual, expected = getattr(row.test, key), case[key]
        assert close(actual, expected, case["rel_tol"]), (key, actual, expected, case["call"])


def test_the_regenera_population_is_r_s() -> None:
    """Same women in the same groups as the R script (every row's n + missing add up to it)."""
    frame = regenera_tables()["table1_baseline"]
    first = frame.row(0, named=True)
    groups = {g: first[f"{g}_n"] + first[f"{g}_missing"] for g in ("not_activated", "activated")}
    assert sum(groups.values()) == REFERENCE["regenera"]["n"]
    assert groups["activated"] == REFERENCE["regenera"]["n_activated"]


@pytest.mark.parametrize("case", [c for c in CASES if c["part"] != "descriptive"], ids=case_id)
def test_the_regenera_plan_s_table_p_values_match_r(case: dict[str, Any]) -> None:
    frame = regenera_tables()[case["part"]]
    tested = frame.filter((pl.col("variable") == case["column"]) & pl.col("test").is_not_null())
    assert tested.height == 1, f"{case['part']}: no tested row {case['column']}"
    row = tested.row(0, named=True)
    assert row["test"].startswith(case["method"].strip()), case["call"]
    for key in ("statistic", "p_value"):
        assert close(row[key], case[key], case["rel_tol"]), (key, row[key], case[key])


def test_every_tested_row_of_the_regenera_tables_is_compared_except_the_diagnoses() -> None:
    """A row test added to the plan fails here until table1_tests.R covers it."""
    covered = {(c["part"], c["column"]) for c in CASES if c["part"] != "descriptive"}
    tested = {
        (table, column)
        for table in ("table1_baseline", "table2_day5")
        for column in regenera_tables()[table]
        .filter(pl.col("test").is_not_null())
        .get_column("variable")
        .to_list()
    }
    diagnoses = {("table1_baseline", c) for c in ("por_bologna", "dor", "poi")}
    assert tested - diagnoses == covered
