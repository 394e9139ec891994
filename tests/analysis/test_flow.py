"""The participant flow and the reasons for exclusion, counted from the data."""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.flow import exclusions_table, flow_table
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile


def people() -> pl.DataFrame:
    statuses = ["screen_failed"] * 83 + ["lost_to_follow_up"] * 37 + ["completed"] * 144 + [None]
    frame = pl.DataFrame(
        {
            "participant_id": [f"P{i}" for i in range(265)],
            "status": statuses,
            "age_years": [17.0] * 3 + [30.0] * 262,  # three screen failures under 18
            "endometriosis": [True] * 5 + [False] * 260,
        }
    )
    return conform(frame, DatasetFile.PARTICIPANTS)


def test_flow_reproduces_study_a_counts_from_status() -> None:
    # STUDIES.md, Study A: 265 recruited → 182 met inclusion → 37 lost → 145 analysed
    frame = flow_table(people()).frame
    counts = dict(zip(frame.get_column("stage"), frame.get_column("n"), strict=True))
    assert counts == {
        "recruited": 265,
        "in_screening": 0,
        "screen_failed": 83,
        "eligible": 182,
        "ongoing": 0,
        "withdrawn": 0,
        "lost_to_follow_up": 37,
        "analysed": 145,
    }


def test_exclusions_count_each_failed_criterion_among_screen_failures() -> None:
    frame = exclusions_table(people(), load_protocol("regenera")).frame
    failed = dict(zip(frame.get_column("criterion"), frame.get_column("failed"), strict=True))
    assert failed["incl.age"] == 3
    assert failed["excl.endometriosis"] == 5
    assert set(frame.get_column("screen_failed")) == {83}


def test_women_in_screening_or_follow_up_are_neither_eligible_nor_analysed() -> None:
    """INTERCHANGE.md: ``screening`` = not yet decided, ``ongoing`` = enrolled, follow-up not
    finished; neither is analysed as completed."""
    frame = conform(
        pl.DataFrame(
            {
                "participant_id": ["S", "F", "O", "C", "E"],
                "status": ["screening", "screen_failed", "ongoing", "completed", None],
            }
        ),
        DatasetFile.PARTICIPANTS,
    )
    table = flow_table(frame).frame
    counts = dict(zip(table.get_column("stage"), table.get_column("n"), strict=True))
    assert counts == {
        "recruited": 5,
        "in_screening": 1,
        "screen_failed": 1,
        "eligible": 3,
        "ongoing": 1,
        "withdrawn": 0,
        "lost_to_follow_up": 0,
        "analysed": 2,
    }
