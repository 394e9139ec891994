"""Table 1 as a flat frame: sizes per column, the dichotomous type, the test's warnings."""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.table_frames import table_one_frame
from ovaregen.stats.descriptive import TableOneSpec, Variable, table_one

DATA = pl.DataFrame(
    {
        "group": ["a", "a", "a", "b", "b", "b", None, "c"],
        "age": [30.0, None, 32.0, 40.0, 41.0, None, 50.0, 60.0],
        "smoker": ["true", "false", "false", "true", None, "true", "false", "true"],
        "menses": ["regular", "irregular", "regular", "regular", "regular", None, None, "regular"],
    }
)
SPEC = TableOneSpec(
    "group",
    (
        Variable("age", "Age (years)"),
        Variable("smoker", "Smoker", categorical=True, levels=("true", "false")),
        Variable("menses", "Menses", categorical=True),
    ),
    groups=("a", "b"),
)


def frame() -> pl.DataFrame:
    return table_one_frame(table_one(DATA, SPEC))


def test_every_row_gives_each_columns_size_and_name() -> None:
    table = frame()
    assert set(table.get_column("a_size").to_list()) == {3}
    assert set(table.get_column("b_size").to_list()) == {3}
    assert set(table.get_column("overall_size").to_list()) == {DATA.height}
    assert set(table.get_column("a_group").to_list()) == {"a"}
    assert set(table.get_column("overall_group").to_list()) == {"Overall"}


def test_missing_counts_per_column_include_the_women_of_unknown_group_in_overall() -> None:
    table = frame()
    age = table.filter(pl.col("variable") == "age").row(0, named=True)
    assert (age["a_missing"], age["b_missing"], age["overall_missing"]) == (1, 1, 2)
    assert age["overall_n"] == 6
    menses = table.filter(pl.col("variable") == "menses").row(0, named=True)
    assert (menses["a_missing"], menses["b_missing"], menses["overall_missing"]) == (0, 1, 2)


def test_a_yes_no_variable_is_dichotomous_and_others_keep_their_type() -> None:
    types = dict(frame().select("variable", "type").unique().iter_rows())
    assert types == {"age": "continuous", "smoker": "dichotomous", "menses": "categorical"}


def test_the_tests_warning_is_on_the_variables_first_row_only() -> None:
    rows = frame().filter(pl.col("variable") == "menses")
    warnings = rows.get_column("test_warning").to_list()
    assert warnings[0] is not None and "expected count below 5" in warnings[0]
    assert all(w is None for w in warnings[1:])
