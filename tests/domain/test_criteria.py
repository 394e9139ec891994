"""The three-valued building blocks: Kleene logic and "at least k of n"."""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from ovaregen.domain.criteria import all_of, any_of, at_least, truth_label, truth_labels

VALUES = (True, False, None)


def kleene_count(values: tuple[bool | None, ...], k: int) -> bool | None:
    sure = sum(v is True for v in values)
    possible = sum(v is not False for v in values)
    return True if sure >= k else (False if possible < k else None)


@pytest.mark.parametrize("values", list(itertools.product(VALUES, repeat=3)))
def test_truth_tables(values: tuple[bool | None, ...]) -> None:
    frame = pl.DataFrame(
        {f"c{i}": [v] for i, v in enumerate(values)}, schema={f"c{i}": pl.Boolean for i in range(3)}
    )
    columns = [pl.col(f"c{i}") for i in range(3)]
    row = frame.select(
        all_of(columns).alias("all"),
        any_of(columns).alias("any"),
        at_least(2, columns).alias("two"),
        at_least(1, columns).alias("one"),
    ).row(0, named=True)
    assert row["all"] is (False if False in values else (True if all(values) else None))
    assert row["any"] is (True if True in values else (False if set(values) == {False} else None))
    assert row["two"] is kleene_count(values, 2)
    assert row["one"] is kleene_count(values, 1)


def test_empty_conjunction_and_disjunction() -> None:
    frame = pl.DataFrame({"x": [1]})
    assert frame.select(all_of([])).item() is True
    assert frame.select(any_of([])).item() is False


def test_truth_labels() -> None:
    frame = pl.DataFrame({"v": [True, False, None]}, schema={"v": pl.Boolean})
    assert (
        frame.select(truth_labels(pl.col("v"))).to_series().to_list()
        == [truth_label(True), truth_label(False), truth_label(None)]
        == ["true", "false", "unknown"]
    )
