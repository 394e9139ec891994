"""The STROBE and CONSORT 2010 checklists: every item once, in order, mapped only to sections the
report has (the anchor contract), and an honest note where only the authors can write it."""

from __future__ import annotations

import pytest

from ovaregen.report.checklists import (
    CONSORT,
    GLOBAL_ANCHORS,
    SECTION_ANCHORS,
    STROBE,
    checklist_for,
)

STROBE_ITEMS = [
    "1a", "1b", "2", "3", "4", "5", "6a", "6b", "7", "8", "9", "10", "11", "12a", "12b", "12c",
    "12d", "12e", "13a", "13b", "13c", "14a", "14b", "14c", "15", "16a", "16b", "16c", "17",
    "18", "19", "20", "21", "22",
]  # fmt: skip
"""STROBE for cohort studies (von Elm et al. 2007), items in the checklist's order."""
CONSORT_ITEMS = [
    "1a", "1b", "2a", "2b", "3a", "3b", "4a", "4b", "5", "6a", "6b", "7a", "7b", "8a", "8b", "9",
    "10", "11a", "11b", "12a", "12b", "13a", "13b", "14a", "14b", "15", "16", "17a", "17b", "18",
    "19", "20", "21", "22", "23", "24", "25",
]  # fmt: skip
"""CONSORT 2010 (Schulz et al. 2010), items in the checklist's order."""

PLANS = {"regenera": (STROBE, STROBE_ITEMS), "mensc": (STROBE, STROBE_ITEMS),
         "ucmsc-rct": (CONSORT, CONSORT_ITEMS)}  # fmt: skip


@pytest.mark.parametrize("plan", PLANS)
def test_every_item_once_in_order(plan: str) -> None:
    guideline, expected = PLANS[plan]
    items = checklist_for(plan)
    assert [i.item for i in items] == expected
    assert {i.guideline for i in items} == {guideline}
    assert all(i.topic and i.recommendation for i in items)


@pytest.mark.parametrize("plan", PLANS)
def test_every_anchor_is_a_section_of_the_report(plan: str) -> None:
    known = {*SECTION_ANCHORS, *GLOBAL_ANCHORS}
    for item in checklist_for(plan):
        anchors = [a for a in (item.anchor, *item.also) if a is not None]
        assert set(anchors) <= known, item
        assert not item.also or item.anchor is not None, item


@pytest.mark.parametrize("plan", PLANS)
def test_an_unmapped_item_says_what_it_needs(plan: str) -> None:
    for item in checklist_for(plan):
        if item.anchor is None:
            assert item.note.startswith(("needs the authors' prose (", "not applicable")), item


def test_the_mapping_follows_what_the_report_covers() -> None:
    strobe = {i.item: i for i in checklist_for("regenera")}
    consort = {i.item: i for i in checklist_for("ucmsc-rct")}
    assert strobe["13a"].anchor == strobe["13b"].anchor == strobe["13c"].anchor == "-flow"
    assert strobe["12c"].anchor == "-completeness" and "-left-out" in strobe["12c"].also
    assert strobe["14b"].anchor == "-completeness"
    assert consort["13a"].anchor == "-flow"
    assert consort["17a"].anchor == consort["17b"].anchor == "-effects"
    assert consort["19"].anchor == "-harms"
    assert consort["23"].anchor == "-about"
    for prose in ("1a", "2", "18", "19", "20", "21", "22"):
        assert strobe[prose].anchor is None
    for prose in ("2a", "20", "21", "22", "25"):
        assert consort[prose].anchor is None


def test_study_b_covers_follow_up_time_study_a_does_not() -> None:
    assert {i.item: i for i in checklist_for("mensc")}["14c"].anchor == "-tables"
    assert {i.item: i for i in checklist_for("regenera")}["14c"].anchor is None


def test_links_point_into_the_study_section_or_the_global_footnotes() -> None:
    items = {i.item: i for i in checklist_for("regenera")}
    assert items["12c"].hrefs("s1-regenera") == (
        "#s1-regenera-completeness",
        "#s1-regenera-left-out",
    )
    assert items["12a"].href("s1-regenera") == "#footnotes"
    assert items["2"].href("s1-regenera") is None
    assert items["2"].hrefs("s1-regenera") == ()


def test_an_unknown_plan_has_no_checklist() -> None:
    assert checklist_for("no-such-plan") == ()
