"""Findings of a rule broken by many rows: listed up to a cap, counted exactly."""

from __future__ import annotations

from pathlib import Path

from ovaregen.io.checks import MAX_LISTED, OmittedFindings, count_of
from ovaregen.io.dataset import Severity
from tests.io.helpers import errors, validate_csv


def test_a_whole_column_in_the_wrong_unit_is_listed_up_to_the_cap(tmp_path: Path) -> None:
    rows = MAX_LISTED + 250
    body = "".join(f"P{i},{200_000 + i}\n" for i in range(rows))
    report = validate_csv(tmp_path, "participant_id,platelets_10e9_l\n" + body)
    found = errors(report)
    assert report.errors == rows and count_of(found, Severity.ERROR) == rows
    assert len(found) == MAX_LISTED + 1
    assert [f.line for f in found[:3]] == [2, 3, 4]
    omitted = found[-1]
    assert isinstance(omitted, OmittedFindings)
    assert (omitted.count, omitted.column, omitted.line) == (250, "platelets_10e9_l", None)
    assert (
        omitted.message
        == "250 more rows in column platelets_10e9_l with the same problem, not listed"
    )
    assert omitted.expected == "5–2000 10⁹/L"
