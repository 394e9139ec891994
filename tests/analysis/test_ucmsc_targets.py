"""Study C's reproduction targets (the NCT05308342 registry record) on the demo cohort.

The demo's path: ``synthesize("ucmsc-rct", PUBLISHED_SIZE["ucmsc-rct"], 2026)``, written out,
validated and analysed as a user's dataset would be.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.reproduction import Status, reproduce
from ovaregen.analysis.result import Analysis
from ovaregen.analysis.targets_ucmsc import TARGETS
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.synth import PUBLISHED_SIZE, synthesize


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    folder: Path = tmp_path_factory.mktemp("ucmsc-demo")
    write_dataset(synthesize("ucmsc-rct", PUBLISHED_SIZE["ucmsc-rct"], 2026), folder)
    report = validate_dataset(folder, load_protocol("ucmsc-rct"))
    assert report.dataset is not None
    return run_plan("ucmsc-rct", report.dataset)


def test_the_registry_figures_are_reproduced_exactly_on_the_demo_cohort(demo: Analysis) -> None:
    found = {r.target.id: (r.reproduced, r.status) for r in reproduce(demo, TARGETS)}
    assert found == {
        "enrolment": (66.0, Status.EXACT),
        "enrolment_target": (66.0, Status.EXACT),
        "arms": (2.0, Status.EXACT),
        "allocation_first_arm": (50.0, Status.EXACT),
    }


def test_the_reproduction_table_lists_every_target_with_units_and_says_results_are_unposted(
    demo: Analysis,
) -> None:
    frame = demo.table("reproduction").frame
    assert frame.get_column("target").to_list() == [t.id for t in TARGETS]
    assert all(frame.get_column("unit").to_list())
    assert frame.get_column("status").null_count() == 0
    texts = " ".join(frame.get_column("published_text").to_list())
    assert "results not posted" in texts


def test_an_unbalanced_allocation_is_flagged(demo: Analysis) -> None:
    """A dataset whose arms are 40 / 26 is not 1:1: the share differs, flagged."""
    consort = demo.table("consort").frame
    allocated = pl.col("stage") == "allocated"
    unbalanced = consort.with_columns(
        pl.when(allocated & (pl.col("arm") == "UC-MSC + HRT"))
        .then(40)
        .when(allocated & (pl.col("arm") == "HRT alone"))
        .then(26)
        .otherwise(pl.col("n"))
        .alias("n")
    )
    tables = tuple(replace(t, frame=unbalanced) if t.id == "consort" else t for t in demo.tables)
    skewed = replace(demo, tables=tables)
    share = next(r for r in reproduce(skewed, TARGETS) if r.target.id == "allocation_first_arm")
    assert share.reproduced == pytest.approx(100 * 40 / 66)
    assert share.status is Status.DIFFERS
