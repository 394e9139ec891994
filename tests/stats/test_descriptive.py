"""Table 1 against base R and tableone's SMD formulas (tests/reference/descriptive.R)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ovaregen.stats.descriptive import (
    Categorical,
    Continuous,
    RowTest,
    Summary,
    TableOneSpec,
    Variable,
    dichotomous_level,
    table_one,
)

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "descriptive.json").read_text()
)
GROUPS = ("not activated", "activated")


def frame() -> pl.DataFrame:
    data = REFERENCE["data"]
    return pl.DataFrame(
        {
            "group": data["group"],
            "age_years": data["age_years"],
            "hemoglobin_g_dl": data["hemoglobin_g_dl"],
            "menses": [None if m == "NA" else m for m in data["menses"]],
            "smoker": data["smoker"],
        },
        schema_overrides={"age_years": pl.Float64, "hemoglobin_g_dl": pl.Float64},
    )


SPEC = TableOneSpec(
    group="group",
    groups=GROUPS,
    variables=(
        Variable("age_years", "Age, years", summary=Summary.MEAN_RANGE, test=RowTest.WELCH),
        Variable(
            "hemoglobin_g_dl",
            "Haemoglobin, g/dL",
            summary=Summary.MEDIAN_IQR,
            test=RowTest.MANN_WHITNEY,
        ),
        Variable(
            "menses", "Menses", categorical=True, levels=("amenorrhea", "irregular", "regular")
        ),
        Variable("smoker", "Smoker", categorical=True, test=RowTest.FISHER),
    ),
)


@pytest.fixture(scope="module")
def table() -> Any:
    return table_one(frame(), SPEC)


@pytest.mark.parametrize("column", ["age_years", "hemoglobin_g_dl"])
def test_continuous_summaries_match_r(table: Any, column: str) -> None:
    row = next(r for r in table.rows if r.variable.column == column)
    expected = REFERENCE[column]
    for group, summary in zip(GROUPS, row.by_group, strict=True):
        assert isinstance(summary, Continuous)
        for key in ("n", "missing", "mean", "sd", "minimum", "maximum", "median", "q1", "q3"):
            assert getattr(summary, key) == pytest.approx(expected[group][key], rel=1e-12), key
    assert row.smd == pytest.approx(expected["smd"], rel=1e-12)


@pytest.mark.parametrize("column", ["menses", "smoker"])
def test_categorical_counts_and_smd_match_r(table: Any, column: str) -> None:
    row = next(r for r in table.rows if r.variable.column == column)
    expected = REFERENCE[column]
    for group, summary in zip(GROUPS, row.by_group, strict=True):
        assert isinstance(summary, Categorical)
        counts = expected["counts_" + group.replace(" ", "_")]
        assert {lv.level: lv.count for lv in summary.levels} == counts
        assert sum(lv.percent or 0 for lv in summary.levels) == pytest.approx(100)
    assert row.smd == pytest.approx(expected["smd"], rel=1e-9)


def test_each_row_names_its_test(table: Any) -> None:
    methods = {r.variable.column: r.test.method for r in table.rows}
    assert methods["age_years"].startswith("Welch")
    assert (
        "rank sum" in methods["hemoglobin_g_dl"].lower()
        or "wilcoxon" in methods["hemoglobin_g_dl"].lower()
    )
    assert methods["menses"].startswith("Pearson's Chi-squared test")
    assert "Fisher" in methods["smoker"]
    assert table.group_sizes == (25, 35)


def test_rows_of_unknown_group_count_in_overall_only() -> None:
    data = frame().with_columns(
        pl.when(pl.int_range(pl.len()) < 3)
        .then(None)
        .when(pl.int_range(pl.len()) < 5)
        .then(pl.lit("unlisted"))
        .otherwise(pl.col("group"))
        .alias("group")
    )
    result = table_one(data, SPEC)
    assert result.excluded_missing_group == 3
    assert result.unknown_group == 5
    assert result.overall_size == data.height == 60
    assert sum(result.group_sizes) == 55
    age = next(r for r in result.rows if r.variable.column == "age_years")
    assert isinstance(age.overall, Continuous)
    assert age.overall.n + age.overall.missing == 60
    assert age.overall.mean == pytest.approx(data.get_column("age_years").mean(), rel=1e-12)
    assert sum(s.n + s.missing for s in age.by_group) == 55
    menses = next(r for r in result.rows if r.variable.column == "menses")
    assert isinstance(menses.overall, Categorical)
    assert menses.overall.missing == data.get_column("menses").null_count()
    assert menses.overall.n == data.get_column("menses").drop_nulls().len()
    assert any("Overall column only" in w for w in result.warnings)
    assert any("unlisted" in w for w in result.warnings)


def test_a_chi_square_with_small_expected_counts_warns_on_its_row() -> None:
    data = pl.DataFrame(
        {"group": ["a"] * 6 + ["b"] * 6, "smoker": ["yes"] * 5 + ["no"] + ["no"] * 5 + ["yes"]}
    )
    spec = TableOneSpec("group", (Variable("smoker", "Smoker", categorical=True),))
    row = table_one(data, spec).rows[0]
    assert row.test is not None
    assert any("expected count below 5" in w for w in row.test.warnings)


@pytest.mark.parametrize(
    ("levels", "yes"),
    [
        (("true", "false"), "true"),
        (("No", "Yes"), "Yes"),
        (("0", "1"), "1"),
        (("regular", "irregular"), None),
        (("true", "false", "unknown"), None),
    ],
)
def test_a_yes_no_pair_is_dichotomous(levels: tuple[str, ...], yes: str | None) -> None:
    assert dichotomous_level(levels) == yes


def test_input_frame_is_not_modified() -> None:
    data = frame()
    copy = data.clone()
    table_one(data, SPEC)
    assert data.equals(copy)


def test_an_unknown_column_is_named() -> None:
    with pytest.raises(KeyError, match="bmi"):
        table_one(frame(), TableOneSpec("group", (Variable("bmi", "BMI"),)))


def test_three_groups_give_no_two_sample_test_but_a_chi_square() -> None:
    data = frame().with_columns(
        pl.when(pl.int_range(pl.len()) % 3 == 0)
        .then(pl.lit("third"))
        .otherwise(pl.col("group"))
        .alias("group")
    )
    result = table_one(data, TableOneSpec("group", SPEC.variables[:3]))
    by_column = {r.variable.column: r for r in result.rows}
    assert by_column["age_years"].test is None
    assert by_column["menses"].test is not None and by_column["menses"].smd is None
    assert any("compares two groups" in w for w in result.warnings)


def test_a_categorical_row_without_values_and_a_spec_without_groups_are_not_errors() -> None:
    data = pl.DataFrame(
        {"group": ["a", "b", "a", "b"], "menses": [None] * 4, "age": [30.0, 31, 32, 33]},
        schema={"group": pl.String, "menses": pl.String, "age": pl.Float64},
    )
    spec = TableOneSpec("group", (Variable("menses", "Menses", categorical=True),))
    result = table_one(data, spec)
    assert result.rows[0].test is None
    assert any("no known values" in w for w in result.warnings)
    empty = table_one(data.clear(), TableOneSpec("group", (Variable("age", "Age"),)))
    assert empty.groups == () and empty.rows[0].overall.n == 0
