"""Oocyte activation (CRITERIA.md "Endpoints"; STUDIES.md Study A primary endpoint)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovaregen.domain.activation import activation_columns
from ovaregen.domain.schema import conform

Row = dict[str, Any]
COLUMNS = ("activation_by_afc", "activation_by_amh", "oocyte_activation")


def activation(rows: list[Row]) -> list[tuple[bool | None, bool | None, bool | None]]:
    frame = conform(pl.DataFrame(rows, schema_overrides={"afc": pl.Int64, "afc_post": pl.Int64}))
    result = frame.select(activation_columns())
    assert result.columns == list(COLUMNS)
    return [tuple(row) for row in result.iter_rows()]


def afc_only(before: int | None, after: int | None) -> Row:
    return {"afc": before, "afc_post": after, "amh_ng_ml": None, "amh_post_ng_ml": None}


def amh_only(before: float | None, after: float | None) -> Row:
    return {"afc": None, "afc_post": None, "amh_ng_ml": before, "amh_post_ng_ml": after}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(4, 6, False), (4, 7, True), (4, 8, True), (0, 3, True), (0, 2, False), (7, 5, False)],
)
def test_afc_rise_of_three_is_the_boundary(before: int, after: int, expected: bool) -> None:
    ((by_afc, by_amh, overall),) = activation([afc_only(before, after)])
    assert by_afc is expected
    assert by_amh is None
    # AMH unknown: a true AFC criterion decides, a false one leaves activation unknown.
    assert overall is (True if expected else None)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (1.0, 1.2, True),  # exactly +20%
        (1.0, 1.19, False),  # just below
        (1.0, 1.1999999, False),
        (0.1, 0.12, True),  # 1.2 × 0.1 = 0.12000000000000001 in binary floating point
        (0.3, 0.36, True),
        (2.5, 3.0, True),
        (2.5, 2.99, False),
        (0.7, 0.84, True),
        (3.0, 1.0, False),
        (0.0, 0.0, True),  # CRITERIA.md as written: 0 ≥ 1.2 × 0 (a data-quality question)
        (0.0, 0.01, True),
    ],
)
def test_amh_rise_of_twenty_percent_is_the_boundary(
    before: float, after: float, expected: bool
) -> None:
    ((by_afc, by_amh, overall),) = activation([amh_only(before, after)])
    assert by_amh is expected
    assert by_afc is None
    assert overall is (True if expected else None)


def test_kleene_or_of_the_two_criteria() -> None:
    rows: list[Row] = [
        {"afc": 2, "afc_post": 6, "amh_ng_ml": 1.0, "amh_post_ng_ml": 0.9},  # T, F
        {"afc": 2, "afc_post": 3, "amh_ng_ml": 1.0, "amh_post_ng_ml": 1.5},  # F, T
        {"afc": 2, "afc_post": 3, "amh_ng_ml": 1.0, "amh_post_ng_ml": 1.0},  # F, F
        {"afc": 2, "afc_post": 9, "amh_ng_ml": 1.0, "amh_post_ng_ml": 2.0},  # T, T
        {"afc": 2, "afc_post": None, "amh_ng_ml": 1.0, "amh_post_ng_ml": 2.0},  # ?, T
        {"afc": 2, "afc_post": None, "amh_ng_ml": 1.0, "amh_post_ng_ml": 1.0},  # ?, F
        {"afc": None, "afc_post": 9, "amh_ng_ml": None, "amh_post_ng_ml": 2.0},  # ?, ?
    ]
    assert activation(rows) == [
        (True, False, True),
        (False, True, True),
        (False, False, False),
        (True, True, True),
        (None, True, True),
        (None, False, None),
        (None, None, None),
    ]


@pytest.mark.parametrize(
    "row",
    [
        {"afc": None, "afc_post": 5, "amh_ng_ml": 1.0, "amh_post_ng_ml": 1.0},
        {"afc": 5, "afc_post": None, "amh_ng_ml": 1.0, "amh_post_ng_ml": 1.0},
        {"afc": 5, "afc_post": 5, "amh_ng_ml": None, "amh_post_ng_ml": 1.0},
        {"afc": 5, "afc_post": 5, "amh_ng_ml": 1.0, "amh_post_ng_ml": None},
    ],
)
def test_one_missing_input_makes_activation_unknown_not_false(row: Row) -> None:
    (overall_row,) = activation([row])
    assert overall_row[2] is None
    assert None in overall_row[:2]


AFC_VALUES = st.one_of(st.none(), st.integers(0, 40))
AMH_HUNDREDTHS = st.one_of(st.none(), st.integers(0, 1500))
"""AMH in hundredths of ng/mL: laboratories report two decimals."""


def _amh(hundredths: int | None) -> float | None:
    return None if hundredths is None else hundredths / 100


@settings(max_examples=300, deadline=None)
@given(
    afc=AFC_VALUES,
    afc_post=AFC_VALUES,
    amh=AMH_HUNDREDTHS,
    amh_post=AMH_HUNDREDTHS,
    fill=st.tuples(
        st.integers(0, 40), st.integers(0, 40), st.integers(0, 1500), st.integers(0, 1500)
    ),
)
def test_filling_an_unknown_never_flips_a_definite_result(
    afc: int | None,
    afc_post: int | None,
    amh: int | None,
    amh_post: int | None,
    fill: tuple[int, int, int, int],
) -> None:
    partial = {
        "afc": afc,
        "afc_post": afc_post,
        "amh_ng_ml": _amh(amh),
        "amh_post_ng_ml": _amh(amh_post),
    }
    completed = {
        "afc": fill[0] if afc is None else afc,
        "afc_post": fill[1] if afc_post is None else afc_post,
        "amh_ng_ml": _amh(fill[2] if amh is None else amh),
        "amh_post_ng_ml": _amh(fill[3] if amh_post is None else amh_post),
    }
    before, after = activation([partial, completed])
    for known, filled in zip(before, after, strict=True):
        assert filled is not None  # every input known: every criterion definite
        if known is not None:
            assert filled is known


@settings(max_examples=300, deadline=None)
@given(
    afc=st.integers(0, 40),
    afc_post=st.integers(0, 40),
    amh=st.integers(0, 1500),
    amh_post=st.integers(0, 1500),
)
def test_matches_exact_arithmetic_on_reported_values(
    afc: int, afc_post: int, amh: int, amh_post: int
) -> None:
    """Against integer arithmetic in hundredths: post ≥ 1.2 × pre ⇔ 5·post ≥ 6·pre."""
    row = {
        "afc": afc,
        "afc_post": afc_post,
        "amh_ng_ml": amh / 100,
        "amh_post_ng_ml": amh_post / 100,
    }
    ((by_afc, by_amh, overall),) = activation([row])
    expected_afc = afc_post - afc >= 3
    expected_amh = 5 * amh_post >= 6 * amh
    assert by_afc is expected_afc
    assert by_amh is expected_amh
    assert overall is (expected_afc or expected_amh)
