"""Adverse events by arm (CONSORT Harms 2022) against R.

The expected table comes from ``tests/reference/adverse_events.R`` (``adverse_events.json``):
per row, the women with ≥ 1 such event of all analysed women of each arm, the events, the risk
difference ``p1 - p2`` with the Wald interval ``(p1 - p2) + c(-1, 1) * qnorm(0.975) * sqrt(p1 *
(1 - p1) / n1 + p2 * (1 - p2) / n2)`` clipped to [-1, 1] (``prop.test(correct = FALSE)``), and
``fisher.test(matrix(c(women, n - women), 2))$p.value``. Tolerance 1e-9 relative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovaregen.stats.adverse_events import (
    TABLE_SCHEMA,
    AdverseEventTable,
    adverse_events_by_arm,
    term_key,
)
from ovaregen.stats.contingency import fisher_exact, risk_difference

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "adverse_events.json").read_text(encoding="utf-8")
)
REL = REFERENCE["tolerance"]
ARMS = ("MenSC", "control")
EVENT_SCHEMA = {
    "participant_id": pl.String,
    "term": pl.String,
    "grade": pl.Int64,
    "serious": pl.Boolean,
}


def events_frame() -> pl.DataFrame:
    return pl.DataFrame(REFERENCE["events"], schema=EVENT_SCHEMA)


def women_frame() -> pl.DataFrame:
    return pl.DataFrame(REFERENCE["women"])


def reference_table() -> AdverseEventTable:
    return adverse_events_by_arm(events_frame(), women_frame(), ARMS)


def close(actual: float | None, expected: float) -> bool:
    return actual is not None and math.isclose(actual, expected, rel_tol=REL, abs_tol=1e-15)


def women(n_first: int, n_second: int) -> pl.DataFrame:
    ids = [f"W{i:02d}" for i in range(1, n_first + n_second + 1)]
    return pl.DataFrame(
        {"participant_id": ids, "arm": ["MenSC"] * n_first + ["control"] * n_second}
    )


def events(*rows: tuple[Any, ...]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=EVENT_SCHEMA, orient="row")


# --- R reference -------------------------------------------------------------------------------


def test_rows_are_the_r_rows_in_order() -> None:
    table = reference_table()
    assert [row.measure for row in table.rows] == [row["measure"] for row in REFERENCE["rows"]]
    assert table.arms == tuple(REFERENCE["arms"]) == ARMS


@pytest.mark.parametrize(
    "expected", [pytest.param(row, id=row["measure"]) for row in REFERENCE["rows"]]
)
def test_row_matches_r(expected: dict[str, Any]) -> None:
    row = reference_table().row(expected["measure"])
    assert (row.women_first, row.women_second) == tuple(expected["women"])
    assert (row.n_first, row.n_second) == tuple(expected["n"]) == (20, 20)
    assert (row.events_first, row.events_second) == tuple(expected["events"])
    assert close(row.risk_difference, expected["risk_difference"])
    assert close(row.ci_low, expected["ci_low"])
    assert close(row.ci_high, expected["ci_high"])
    if expected["empty_margin"]:  # fisher.test says 1; fisher_exact reports no test
        assert row.p_value is None
    else:
        assert close(row.p_value, expected["fisher_p_value"])
    if expected["measure"].startswith("term:"):
        assert row.label == expected["label"]


def test_counts_and_warnings_of_the_reference_trial() -> None:
    table = reference_table()
    assert table.n == 40 and (table.n_first, table.n_second) == (20, 20)
    assert table.n_events == REFERENCE["n_events_counted"] == 32
    assert table.n_events_ignored == REFERENCE["n_events_ignored"] == 2
    assert table.warnings == (
        "2 events of 2 participants not among the analysed women ignored",
        "2 events of unknown grade (in 2 women): counted in 'any' and in their term, in no "
        "grade row; the worst-grade rows leave out 1 woman whose only events are of unknown "
        "grade, and for 1 the worst grade is the highest known one",
        "1 event of unknown seriousness (in 1 woman): not counted as serious",
    )
    assert table.options["comparison"] == "MenSC minus control"
    assert table.options["p_value"] == "Fisher's exact test (two-sided)"
    assert "CONSORT Harms 2022" in table.method and table.conf_level == 0.95


def test_worst_grade_rows_add_up_to_the_women_with_a_known_grade() -> None:
    table = reference_table()
    worst = [table.row(f"worst_grade_{k}") for k in range(1, 6)]
    any_event = table.row("any")
    # W05's only event is of unknown grade: she is in "any" but in no worst-grade row.
    assert sum(r.women_first for r in worst) == any_event.women_first - 1
    assert sum(r.women_second for r in worst) == any_event.women_second
    # every event of known grade is in exactly one worst-grade row's events
    assert sum(r.events_first + r.events_second for r in worst) == table.n_events - 2


def test_terms_are_matched_ignoring_case_and_spaces_and_shown_as_first_written() -> None:
    table = reference_table()
    headache = table.term("  HEADACHE")
    assert headache.measure == "term:Headache" and headache.label == "Headache"
    assert table.term("injection site reaction").women_second == 1  # "Injection site reaction  "
    assert table.row("term:Pelvic pain").women_second == 2  # "Pelvic Pain" and "Pelvic pain"
    assert term_key(" Pelvic Pain ") == "pelvic pain"
    with pytest.raises(KeyError):
        table.term("alopecia")
    with pytest.raises(KeyError):
        table.row("worst_grade_6")


def test_each_row_reuses_the_contingency_functions() -> None:
    for row in reference_table().rows:
        counts = [
            [row.women_first, row.n_first - row.women_first],
            [row.women_second, row.n_second - row.women_second],
        ]
        assert row.difference == risk_difference(counts)
        assert row.fisher == fisher_exact(counts, odds_ratio_estimate=False)
        assert row.fisher.p_value == fisher_exact(counts).p_value
        assert row.risk_difference == row.difference.estimate
        assert row.p_value == row.fisher.p_value


def test_frame_gives_the_table() -> None:
    table = reference_table()
    frame = table.frame()
    assert frame.schema == pl.Schema(TABLE_SCHEMA)
    assert frame.height == len(table.rows)
    first = frame.row(0, named=True)
    assert first["measure"] == "any" and first["first_arm"] == "MenSC"
    assert (first["first_women"], first["first_n"], first["first_events"]) == (16, 20, 23)
    assert first["first_percent"] == pytest.approx(80.0)
    assert first["second_percent"] == pytest.approx(35.0)
    assert first["p_value"] == table.row("any").p_value
    assert frame.get_column("measure").to_list() == [row.measure for row in table.rows]


def test_input_frames_are_not_modified() -> None:
    event_table, women_table = events_frame(), women_frame()
    before_events, before_women = event_table.clone(), women_table.clone()
    adverse_events_by_arm(event_table, women_table, ARMS)
    assert event_table.equals(before_events) and women_table.equals(before_women)
    assert event_table.columns == list(EVENT_SCHEMA)


def test_swapping_the_arms_negates_the_differences_only() -> None:
    forward = reference_table()
    backward = adverse_events_by_arm(events_frame(), women_frame(), ("control", "MenSC"))
    for a, b in zip(forward.rows, backward.rows, strict=True):
        assert a.measure == b.measure
        assert (a.women_first, a.events_first) == (b.women_second, b.events_second)
        assert a.risk_difference is not None and b.risk_difference is not None
        assert b.risk_difference == pytest.approx(-a.risk_difference, abs=1e-15)
        assert a.p_value == pytest.approx(b.p_value, rel=1e-12)


# --- unknowns, edges and degenerate data: counted and warned, never raised ------------------------


def test_no_woman_with_the_event_gives_no_fisher_test_but_a_zero_difference() -> None:
    table = adverse_events_by_arm(events(("W01", "Nausea", 1, False)), women(5, 5), ARMS)
    grade_5 = table.row("worst_grade_5")
    assert (grade_5.women_first, grade_5.women_second) == (0, 0)
    assert grade_5.risk_difference == 0 and (grade_5.ci_low, grade_5.ci_high) == (0, 0)
    assert grade_5.p_value is None
    assert any("zero width" in w for w in grade_5.warnings)
    assert any("not defined" in w for w in grade_5.warnings)
    assert table.row("term:Nausea").p_value == pytest.approx(1.0)


def test_no_events_at_all() -> None:
    table = adverse_events_by_arm(events(), women(3, 4), ARMS)
    assert [row.measure for row in table.rows][:3] == ["any", "serious", "grade_3_or_more"]
    assert len(table.rows) == 8  # no term rows
    assert all(row.women_first == row.women_second == 0 for row in table.rows)
    assert table.n == 7 and table.n_events == 0 and table.warnings == ()
    assert table.frame().height == 8


def test_an_arm_without_women() -> None:
    table = adverse_events_by_arm(events(("W01", "Fever", 2, False)), women(4, 0), ARMS)
    row = table.row("any")
    assert row.n_second == 0 and row.risk_difference is None and row.p_value is None
    assert any("group is empty" in w for w in row.warnings)
    assert table.frame().row(0, named=True)["second_percent"] is None


def test_women_with_an_unknown_arm_are_left_out_with_their_events() -> None:
    roster = pl.DataFrame(
        {"participant_id": ["W01", "W02", "W03", "W04"], "arm": ["MenSC", "control", None, "MenSC"]}
    )
    table = adverse_events_by_arm(
        events(("W03", "Fever", 1, False), ("W03", "Nausea", 2, False), ("W01", "Fever", 1, False)),
        roster,
        ARMS,
    )
    assert table.n == 3 and table.n_events == 1 and table.n_events_ignored == 2
    assert table.warnings == ("1 woman with an unknown arm left out, with their 2 events",)
    assert table.row("any").women_first == 1


def test_unknown_serious_and_missing_term_are_warned() -> None:
    table = adverse_events_by_arm(
        events(("W01", None, 3, None), ("W02", "  ", 2, True), ("W06", "Fever", None, None)),
        women(5, 5),
        ARMS,
    )
    assert table.row("serious").women_first == 1
    assert table.row("any").women_first == 2 and table.row("any").women_second == 1
    assert [row.measure for row in table.rows][8:] == ["term:Fever"]
    assert "2 events of unknown seriousness (in 2 women): not counted as serious" in table.warnings
    assert "2 events without a term: counted in no term row" in table.warnings
    assert table.row("worst_grade_3").women_first == 1


def test_identifiers_are_matched_as_text() -> None:
    roster = pl.DataFrame(
        {"participant_id": [1, 2, 3, 4], "arm": ["MenSC", "MenSC", "control", "control"]}
    )
    table = adverse_events_by_arm(
        events(("1", "Fever", 1, False), ("3", "Fever", 4, True)), roster, ARMS
    )
    assert (table.row("any").women_first, table.row("any").women_second) == (1, 1)
    assert table.n_events_ignored == 0


def test_grades_as_whole_floats_are_accepted() -> None:
    frame = pl.DataFrame(
        {"participant_id": ["W01"], "term": ["Fever"], "grade": [2.0], "serious": [False]}
    )
    assert adverse_events_by_arm(frame, women(2, 2), ARMS).row("worst_grade_2").women_first == 1


# --- misuse raises -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_rows", "roster", "arms", "message"),
    [
        ([("W01", "Fever", 0, False)], women(2, 2), ARMS, "outside CTCAE"),
        ([("W01", "Fever", 6, False)], women(2, 2), ARMS, "outside CTCAE"),
        ([], women(2, 2), ("MenSC", "MenSC"), "must differ"),
        ([], women(2, 2), ("MenSC", "sham"), "arm labels outside"),
        ([], pl.DataFrame({"participant_id": ["W01", "W01"], "arm": ARMS}), ARMS, "more than once"),
        ([], pl.DataFrame({"participant_id": ["W01"]}), ARMS, "columns missing: arm"),
    ],
)
def test_misuse_raises(
    event_rows: list[tuple[Any, ...]], roster: pl.DataFrame, arms: tuple[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        adverse_events_by_arm(events(*event_rows), roster, arms)


def test_wrongly_typed_columns_raise() -> None:
    base = {"participant_id": ["W01"], "term": ["Fever"], "grade": [2], "serious": [False]}
    with pytest.raises(ValueError, match="grade must be"):
        adverse_events_by_arm(pl.DataFrame(base | {"grade": ["II"]}), women(1, 1), ARMS)
    with pytest.raises(ValueError, match="outside CTCAE"):
        adverse_events_by_arm(pl.DataFrame(base | {"grade": [2.5]}), women(1, 1), ARMS)
    with pytest.raises(ValueError, match="serious must be Boolean"):
        adverse_events_by_arm(pl.DataFrame(base | {"serious": ["yes"]}), women(1, 1), ARMS)
    with pytest.raises(ValueError, match="columns missing: term"):
        adverse_events_by_arm(pl.DataFrame(base).drop("term"), women(1, 1), ARMS)


# --- property: the table counts what a plain loop counts ------------------------------------------


event_rows = st.lists(
    st.tuples(
        st.sampled_from([f"W{i:02d}" for i in range(1, 13)]),  # W11, W12 are not in the trial
        st.sampled_from(["Fever", "fever ", "Nausea", "NAUSEA", None]),
        st.one_of(st.none(), st.integers(1, 5)),
        st.one_of(st.none(), st.booleans()),
    ),
    max_size=30,
)


@settings(max_examples=50, deadline=None)
@given(event_rows)
def test_counts_equal_a_plain_count(rows: list[tuple[Any, ...]]) -> None:
    roster = women(5, 5)
    arm_of = dict(zip(roster["participant_id"], roster["arm"], strict=True))
    table = adverse_events_by_arm(events(*rows), roster, ARMS)
    kept = [r for r in rows if r[0] in arm_of]
    assert table.n_events == len(kept) and table.n_events_ignored == len(rows) - len(kept)

    def women_where(arm: str, keep: Any) -> int:
        return len({r[0] for r in kept if arm_of[r[0]] == arm and keep(r)})

    worst: dict[str, int] = {}
    for r in kept:
        if r[2] is not None:
            worst[r[0]] = max(worst.get(r[0], 0), r[2])
    for arm, side in zip(ARMS, ("first", "second"), strict=True):
        assert getattr(table.row("any"), f"women_{side}") == women_where(arm, lambda r: True)
        assert getattr(table.row("serious"), f"women_{side}") == women_where(arm, lambda r: r[3])
        severe = women_where(arm, lambda r: r[2] is not None and r[2] >= 3)
        assert getattr(table.row("grade_3_or_more"), f"women_{side}") == severe
        for k in range(1, 6):
            expected = sum(1 for w, g in worst.items() if g == k and arm_of[w] == arm)
            assert getattr(table.row(f"worst_grade_{k}"), f"women_{side}") == expected
        for name in ("fever", "nausea"):
            count = women_where(arm, lambda r, n=name: r[1] is not None and term_key(r[1]) == n)
            present = any(r[1] is not None and term_key(r[1]) == name for r in kept)
            if present:
                assert getattr(table.term(name), f"women_{side}") == count
            else:
                with pytest.raises(KeyError):
                    table.term(name)
