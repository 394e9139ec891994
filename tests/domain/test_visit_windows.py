"""Visit windows in the protocols (``domain.visit_windows``): the shipped windows, the checks
when a protocol loads, the classification of a visit at the window's edges, and their print
by ``ovaregen protocol show``."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from ovaregen.domain.protocols import ProtocolError, load_protocol, protocol_from_mapping
from ovaregen.domain.visit_windows import Timing, Window, timing
from ovaregen.report.text import render_protocol

PROTOCOLS = Path(__file__).resolve().parents[2] / "src/ovaregen/protocols"
TREATED = date(2024, 1, 10)


def _file(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROTOCOLS / f"{name}.yaml").read_text())
    return data


def _windows(name: str) -> dict[str, Window | None]:
    return {v.id: v.window for v in load_protocol(name).schedule}


def test_every_follow_up_visit_of_each_study_has_its_window() -> None:
    for name in ("regenera", "mensc", "ucmsc-rct"):
        protocol = load_protocol(name)
        assert protocol.window_source, name
        assert [v.id for v in protocol.windowed_visits] == [
            v.id for v in protocol.followup_visits
        ], name
        for visit in protocol.windowed_visits:
            assert visit.window is not None
            assert visit.window.first_day <= visit.window.day <= visit.window.last_day
            assert not visit.arm_revealing


def test_the_windows_are_the_protocol_files_settings() -> None:
    # Study A: follow-up "over the next 3-6 months" (STUDIES.md): days 91 to 183.
    regenera = _windows("regenera")["followup"]
    assert regenera is not None
    assert (regenera.first_day, regenera.last_day) == (91, 183)
    for name in ("mensc", "ucmsc-rct"):
        three = _windows(name)["month_3"]
        assert three is not None
        assert (three.day, three.before, three.after) == (91, 14, 14)
    questionnaire = _windows("mensc")["questionnaire"]
    assert questionnaire is not None
    assert questionnaire.first_day == round(2.5 * 365.25)  # "≥ 2.5 years"
    for name, visits in {
        "regenera": ("screening", "mobilisation_d1", "injection"),
        "ucmsc-rct": ("screening", "treatment", "cell_injection"),
        "mensc": ("baseline",),
    }.items():
        assert all(_windows(name)[v] is None for v in visits), name


def test_a_visit_at_the_edges_of_its_window() -> None:
    window = Window(day=91, before=14, after=14)
    opens, closes = TREATED + timedelta(days=77), TREATED + timedelta(days=105)
    assert (window.opens(TREATED), window.closes(TREATED)) == (opens, closes)
    day_before, day_after = opens - timedelta(days=1), closes + timedelta(days=1)
    # not done, judged on a given day
    assert timing(window, TREATED, None, day_before, 14) is Timing.UPCOMING
    assert timing(window, TREATED, None, day_before, 0) is Timing.NOT_YET
    assert timing(window, TREATED, None, opens - timedelta(days=15), 14) is Timing.NOT_YET
    assert timing(window, TREATED, None, opens, 0) is Timing.DUE
    assert timing(window, TREATED, None, closes, 0) is Timing.DUE
    assert timing(window, TREATED, None, day_after, 0) is Timing.OVERDUE
    # done on that day (judged whatever the day it is now)
    later = closes + timedelta(days=400)
    assert timing(window, TREATED, day_before, later, 0) is Timing.OUT_OF_WINDOW
    assert timing(window, TREATED, opens, later, 0) is Timing.IN_WINDOW
    assert timing(window, TREATED, closes, later, 0) is Timing.IN_WINDOW
    assert timing(window, TREATED, day_after, later, 0) is Timing.OUT_OF_WINDOW


def _with_month_3(window: object, **top: object) -> dict[str, Any]:
    data = _file("ucmsc-rct") | top
    data["schedule"] = [
        dict(v, window=window) if v["id"] == "month_3" else v for v in data["schedule"]
    ]
    return data


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"day": 91, "before": -1, "after": 14}, "before is -1 days: a negative size"),
        ({"day": 91, "before": 14, "after": -3}, "after is -3 days"),
        ({"day": 10, "before": 14, "after": 3}, "before the treatment"),
        ({"day": 91, "before": 14}, "window needs after"),
        ({"day": 91, "before": 14, "after": 14, "late": 3}, "unknown keys late"),
        ({"day": "91", "before": 14, "after": 14}, "whole number of days, got '91'"),
        ({"day": 91.5, "before": 14, "after": 14}, "whole number of days, got 91.5"),
        ("91 ± 14", "must be a mapping"),
        (
            {"day": 200, "before": 14, "after": 14},
            "183 is not after the target day 200 of the earlier visit month_3",
        ),
    ],
)
def test_a_wrong_window_is_refused_on_load(window: object, message: str) -> None:
    with pytest.raises(ProtocolError, match=rf"visit (month_3|month_6): .*({message})"):
        protocol_from_mapping(_with_month_3(window), "test.yaml")


def test_only_a_dated_follow_up_visit_has_a_window() -> None:
    data = _file("ucmsc-rct")
    data["schedule"] = [
        dict(v, window={"day": 0, "before": 0, "after": 0}) if v["id"] == "treatment" else v
        for v in data["schedule"]
    ]
    with pytest.raises(ProtocolError, match="visit treatment: only a follow-up visit"):
        protocol_from_mapping(data, "test.yaml")


def test_windows_need_their_source() -> None:
    data = _file("ucmsc-rct")
    del data["window_source"]
    with pytest.raises(ProtocolError, match="'window_source' is required"):
        protocol_from_mapping(data, "test.yaml")


def test_protocol_show_prints_the_windows() -> None:
    shown = render_protocol(load_protocol("ucmsc-rct"))
    assert "window: day 91 (days 77 to 105) from the treatment date" in shown
    assert "window: day 365 (days 335 to 395) from the treatment date" in shown
    assert "Visit windows: NCT05308342" in shown
