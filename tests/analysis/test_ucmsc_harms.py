"""Study C's harms table by arm (CONSORT Harms 2022): women AND events, by grade, serious."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset

FIRST, SECOND = "UC-MSC + HRT (n = 4)", "HRT alone (n = 5)"


def trial() -> Dataset:
    """Nine women (4 cell arm, 5 HRT); W0 two pelvic-pain events (one serious, grade 3), W2
    one headache of unknown grade, W1 one headache grade 1; an event of a stranger."""
    people = [
        {"participant_id": f"W{i}", "arm": "ucmsc_hrt" if i % 2 == 0 and i < 8 else "hrt"}
        for i in range(9)
    ]
    events = [
        {"participant_id": "W0", "term": "Pelvic pain", "grade": 3, "serious": True},
        {"participant_id": "W0", "term": "pelvic pain ", "grade": 1, "serious": False},
        {"participant_id": "W2", "term": "Headache", "grade": None, "serious": False},
        {"participant_id": "W1", "term": "headache", "grade": 1, "serious": False},
        {"participant_id": "X9", "term": "Nausea", "grade": 1, "serious": False},
    ]
    return Dataset(
        participants=conform(pl.DataFrame(people), DatasetFile.PARTICIPANTS),
        adverse_events=conform(pl.DataFrame(events), DatasetFile.ADVERSE_EVENTS),
        source="test",
    )


def rows() -> dict[tuple[str, str], dict[str, Any]]:
    table = run_plan("ucmsc-rct", trial()).table("harms_by_arm")
    return {(r["category"], r["adverse event"]): r for r in table.frame.iter_rows(named=True)}


def cells(row: dict[str, Any], arm: str) -> tuple[int, float, int]:
    return row[f"{arm}: women"], row[f"{arm}: %"], row[f"{arm}: events"]


def test_the_overall_rows_count_women_of_the_arm_at_risk_and_their_events() -> None:
    table = rows()
    any_event = table[("Overall", "Any adverse event")]
    assert cells(any_event, FIRST) == (2, 50.0, 3)
    assert cells(any_event, SECOND) == (1, 20.0, 1)
    assert cells(table[("Overall", "Any serious adverse event")], FIRST) == (1, 25.0, 1)
    assert cells(table[("Overall", "Any event of grade ≥ 3")], SECOND) == (0, 0.0, 0)


def test_every_worst_grade_has_a_row_and_each_woman_is_in_one_at_most() -> None:
    table = rows()
    grades = [key for key in table if key[0] == "Worst grade (CTCAE)"]
    assert [label for _, label in grades] == [
        "Grade 1 (mild)",
        "Grade 2 (moderate)",
        "Grade 3 (severe)",
        "Grade 4 (life-threatening)",
        "Grade 5 (death)",
    ]
    assert cells(table[("Worst grade (CTCAE)", "Grade 3 (severe)")], FIRST) == (1, 25.0, 1)
    assert cells(table[("Worst grade (CTCAE)", "Grade 1 (mild)")], FIRST) == (0, 0.0, 1)
    women = sum(table[key][f"{FIRST}: women"] for key in grades)
    assert women == 1  # W2's only event is of unknown grade: in no grade row


def test_terms_are_shown_as_first_written_and_serious_events_broken_down_by_term() -> None:
    table = rows()
    assert cells(table[("Event term", "Pelvic pain")], FIRST) == (1, 25.0, 2)
    assert cells(table[("Event term", "Headache")], FIRST) == (1, 25.0, 1)
    assert cells(table[("Event term", "Headache")], SECOND) == (1, 20.0, 1)
    assert cells(table[("Serious events, by term", "Pelvic pain")], FIRST) == (1, 25.0, 1)
    assert ("Serious events, by term", "Headache") not in table
    assert ("Event term", "Nausea") not in table  # the stranger's event is ignored


def test_the_numbers_at_risk_are_in_the_headers_and_the_notes() -> None:
    table = run_plan("ucmsc-rct", trial()).table("harms_by_arm")
    assert f"{FIRST}: women" in table.frame.columns and f"{SECOND}: events" in table.frame.columns
    notes = " ".join(table.notes)
    assert "Women at risk: UC-MSC + HRT 4, HRT alone 5" in notes
    assert "1 event of unknown grade" in notes and "not among the analysed women" in notes


def test_without_a_serious_event_the_table_says_so() -> None:
    data = trial()
    events = data.adverse_events.with_columns(pl.lit(False).alias("serious"))
    quiet = Dataset(participants=data.participants, adverse_events=events, source="test")
    table = run_plan("ucmsc-rct", quiet).table("harms_by_arm")
    assert "No serious adverse event recorded." in table.notes
    assert "Serious events, by term" not in table.frame.get_column("category").to_list()


def test_the_harm_results_use_newcombe_so_no_interval_collapses() -> None:
    analysis = run_plan("ucmsc-rct", trial())
    death = analysis.result("adverse_events_worst_grade_5")  # no woman in either arm
    assert death.estimate == 0
    assert death.ci_low is not None and death.ci_low < 0 < death.ci_high
    assert "Newcombe" in death.method
    assert (death.extra["effect"], death.extra["effect_unit"]) == (
        "risk difference",
        "percentage points",
    )
    pain = analysis.result("adverse_events_term_pelvic_pain")
    assert pain.estimate == pytest.approx(1 / 4)
