"""Report benchmark (moved from tests/report/test_html.py, issue 11): the three studies'
reference datasets read, analysed by their plans and rendered as one HTML report (bar ≤ 20 s,
the bar the unit test used to assert)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Measurement, best_of
from ovaregen.analysis.plans import run_plan
from ovaregen.io.reader import read_dataset
from ovaregen.report.html import render_report

DATA = Path(__file__).resolve().parent.parent / "tests" / "reference" / "data"
STUDIES = (
    ("regenera", "regenera-random"),
    ("mensc", "mensc-random"),
    ("ucmsc-rct", "ucmsc-random"),
)
BAR_SECONDS = 20.0


def combined_report() -> str:
    """Read, analyse and render the three reference studies (what is timed)."""
    analyses = tuple(run_plan(plan, read_dataset(DATA / folder)) for plan, folder in STUDIES)
    return render_report(analyses)


def measure(n: int = 1_000_000, repeats: int = 3) -> list[Measurement]:
    """``n`` is not used: the report is of the fixed reference datasets."""
    del n
    women = sum(read_dataset(DATA / folder).participants.height for _plan, folder in STUDIES)
    seconds = best_of(repeats, combined_report)
    return [
        Measurement(
            "combined HTML report of the three reference studies: read, analyse, render",
            women,
            seconds,
            BAR_SECONDS,
            "tests/reference/data/*-random",
        )
    ]
