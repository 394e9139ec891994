"""Rendering a report as text: locations, per-column summaries, caps, verdict."""

from __future__ import annotations

from pathlib import Path

from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.findings import render_finding, render_report, verdict
from ovaregen.io.reader import ValidationReport
from tests.io.helpers import validate_csv


def report_of(*findings: Finding) -> ValidationReport:
    errors = sum(f.severity is Severity.ERROR for f in findings)
    return ValidationReport("ds", None, findings, errors, len(findings) - errors)


def test_locations() -> None:
    assert render_finding(Finding(Severity.ERROR, "p.csv", "m", 3, "afc")) == (
        "p.csv line 3, column afc: m"
    )
    assert render_finding(Finding(Severity.ERROR, "b.xlsx [participants]", "m", 3)) == (
        "b.xlsx [participants] row 3: m"
    )
    assert render_finding(Finding(Severity.WARNING, "p.csv", "m", column="x")) == (
        "p.csv, column x: m"
    )
    assert render_finding(Finding(Severity.ERROR, "p.csv", "m")) == "p.csv: m"


def test_verdicts() -> None:
    warning = Finding(Severity.WARNING, "p.csv", "w")
    error = Finding(Severity.ERROR, "p.csv", "e")
    assert verdict(report_of()) == "valid"
    assert verdict(report_of(warning)) == "valid with 1 warning"
    assert verdict(report_of(warning, warning)) == "valid with 2 warnings"
    assert verdict(report_of(error, warning)) == "invalid: 1 error, 1 warning"
    assert render_report(report_of()) == "valid"


def test_report_lists_errors_then_warnings_then_the_verdict(tmp_path: Path) -> None:
    report = validate_csv(tmp_path, "participant_id,platelets_10e9_l,age_years\nP1,247910,55\n")
    assert render_report(report).splitlines() == [
        "Errors (nothing was imported):",
        '  participants.csv line 2, column platelets_10e9_l: value "247910" is outside '
        "5–2000 10⁹/L; looks like /mm³ (247910 /mm³ = 247.91 10⁹/L): convert it or name the "
        "column platelets_per_mm3",
        "",
        "Warnings (check these values):",
        '  participants.csv line 2, column age_years: value "55" is outside the usual range '
        "18–50 years; check it",
        "",
        "invalid: 1 error, 1 warning",
    ]


def test_a_column_with_many_problems_is_summarised(tmp_path: Path) -> None:
    body = "".join(f"P{i},{i % 3 + 100},x\n" for i in range(2000))
    report = validate_csv(tmp_path, "participant_id,afc,site\n" + body)
    lines = render_report(report).splitlines()
    assert lines[1:5] == [
        '  participants.csv line 2, column afc: value "100" is outside 0–80 follicles',
        '  participants.csv line 3, column afc: value "101" is outside 0–80 follicles',
        '  participants.csv line 4, column afc: value "102" is outside 0–80 follicles',
        "  … and 1997 more in participants.csv, column afc (lines 5, 6, 7, 8, 9, …)",
    ]
    assert lines[-1] == "invalid: 2000 errors, 0 warnings"


def test_the_list_is_capped_with_the_number_left_out(tmp_path: Path) -> None:
    columns = [f"gcsf_d{day}_ug_kg" for day in (1, 2, 3, 4)] + ["afc", "injections"]
    header = "participant_id," + ",".join(columns)
    body = "".join(f"P{i}," + ",".join(["-1"] * len(columns)) + "\n" for i in range(5))
    report = validate_csv(tmp_path, header + "\n" + body)
    text = render_report(report, max_errors=12)
    lines = text.splitlines()
    assert len([line for line in lines if line.startswith("  participants.csv")]) == 12
    assert "  … and 18 more errors" in lines
    assert lines[-1] == "invalid: 30 errors, 0 warnings"
