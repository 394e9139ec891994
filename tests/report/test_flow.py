"""The flow diagrams (issue 12, item 5): the STROBE flow of studies A and B and the CONSORT 2010
diagram of study C, with reasons in words from the protocol, the analysed and the excluded from
the primary outcome's analysis, and every box's branches adding up."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis, LeftOut
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import read_dataset
from ovaregen.report.figure_data import flow_figure
from ovaregen.report.figure_view import Figure
from ovaregen.report.flow_diagram import LINE, PAD, FlowBox, FlowStage, flow_diagram
from tests.reconstructions.study_a import write_study_a

DATA = Path(__file__).parents[1] / "reference" / "data"
CRITERION_ID = re.compile(r"\b(?:incl|excl)\.[a-z_]+")


@cache
def trial() -> Analysis:
    return run_plan("ucmsc-rct", read_dataset(DATA / "ucmsc-random"))


def _text(svg: str) -> str:
    return "\n".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)).replace("&#x27;", "'")


def _study_a(tmp_path: Path) -> Analysis:
    return run_plan("regenera", read_dataset(write_study_a(tmp_path / "a")))


def _flow(analysis: Analysis, stem: str) -> Figure:
    figure = flow_figure(analysis, stem)
    assert figure is not None
    for tally in figure.tallies:
        assert sum(tally.counts.values()) == tally.total, tally
    return figure


def test_strobe_flow_of_study_a_names_reasons_in_words(tmp_path: Path) -> None:
    analysis = _study_a(tmp_path)
    figure = _flow(analysis, "s1-regenera")
    text = _text(figure.svg)
    for n in (265, 83, 182, 37, 145):
        assert f"(n = {n})" in text, n
    assert not CRITERION_ID.search(text)
    exclusions = analysis.table("exclusions").frame
    words = {c.id: c.description for c in load_protocol("regenera").rules().judged}
    failed = exclusions.filter((exclusions["failed"] > 0) & (exclusions["role"] != ""))
    assert failed.height
    flat = " ".join(text.split("\n"))
    for row in failed.iter_rows(named=True):
        assert words[row["criterion"]].split(" ")[0] in flat
        assert f"{words[row['criterion']]}: {row['failed']}" in flat, row["criterion"]
    assert "Analysed for the primary outcome" in flat
    assert "Excluded from analysis (n = 0)" in flat


def test_the_flow_accounts_for_women_left_out_of_the_primary_analysis(tmp_path: Path) -> None:
    analysis = _study_a(tmp_path)
    primary = next(r for r in analysis.results if r.extra.get("primary") is True)
    left = (LeftOut(2, "baseline AMH unknown"), LeftOut(1, "AFC at follow-up unknown"))
    changed = replace(primary, n=primary.n - 3, left_out=left)
    results = tuple(changed if r.id == primary.id else r for r in analysis.results)
    figure = _flow(replace(analysis, results=results), "s1-regenera")
    flat = " ".join(_text(figure.svg).split("\n"))
    assert "Excluded from analysis (n = 3)" in flat
    assert "baseline AMH unknown: 2" in flat and "AFC at follow-up unknown: 1" in flat
    assert f"Analysed for the primary outcome (n = {primary.n - 3})" in flat
    (tally,) = [t for t in figure.tallies if t.what == "primary analysis"]
    assert tally.counts == {"analysed": primary.n - 3, "excluded from analysis": 3}


def test_consort_diagram_has_the_four_phases_by_arm() -> None:
    analysis = trial()
    figure = _flow(analysis, "s3-ucmsc-rct")
    flat = " ".join(_text(figure.svg).split("\n"))
    for phase in ("Enrolment", "Allocation", "Follow-up", "Analysis"):
        assert phase in flat
    consort = analysis.table("consort").frame
    arms = [a for a in dict.fromkeys(consort.get_column("arm").to_list()) if a]
    assert len(arms) == 2
    for arm in arms:
        allocated = consort.filter((consort["stage"] == "allocated") & (consort["arm"] == arm))
        assert f"Allocated to {arm} (n = {allocated['n'].item()})" in flat
    for words in (
        "Assessed for eligibility (n = ",
        "Randomised (n = ",
        "received the allocated intervention",
        "lost to follow-up",
        "discontinued (withdrew)",
        "Analysed for the primary outcome (n = ",
        "excluded from analysis",
        "Primary outcome: ",
    ):
        assert words in flat, words
    assert not CRITERION_ID.search(flat)
    assert {t.what for t in figure.tallies} >= {"assessed", "randomised"}


def test_a_box_grows_with_its_text() -> None:
    long = "• " + "a reason for exclusion written out in words " * 6 + ": 4"
    short = flow_diagram("short", [FlowStage(main=(FlowBox(("Recruited (n = 10)",)),))])
    grown = flow_diagram("grown", [FlowStage(main=(FlowBox(("Recruited (n = 10)", long)),))])

    def height(svg: str) -> float:
        return float(re.search(r'height="([\d.]+)pt"', svg).group(1))  # type: ignore[union-attr]

    lines = len(re.findall(r"<text", grown)) - 1
    assert lines > 2
    assert height(grown) - height(short) >= (lines * LINE) * 72 - 1
    assert PAD > 0
