"""The plan registry: one plan per shipped protocol, refused names, the analysis record."""

from __future__ import annotations

import pytest

from ovaregen.analysis.plans import PLANS, run_plan
from ovaregen.demo import example_dataset
from ovaregen.domain.diagnoses import RULES_VERSION
from ovaregen.domain.protocols import PROTOCOL_NAMES
from ovaregen.io.reader import read_dataset


def test_every_protocol_has_a_plan_of_its_name() -> None:
    assert tuple(PLANS) == PROTOCOL_NAMES  # the command line checks names against the protocols


def test_an_unknown_plan_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match="choose regenera, mensc, ucmsc-rct"):
        run_plan("regenerate", read_dataset(example_dataset()))


def test_the_analysis_records_protocol_rules_and_populations() -> None:
    analysis = run_plan("mensc", read_dataset(example_dataset()))
    assert (analysis.plan, analysis.protocol_name, analysis.rules_version) == (
        "mensc",
        "mensc",
        RULES_VERSION,
    )
    assert analysis.populations[0].id == "treated"
    assert analysis.table("flow").frame.height == 8
    with pytest.raises(KeyError):
        analysis.result("nope")
