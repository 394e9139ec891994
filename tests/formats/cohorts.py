"""The datasets every format's round trip starts from: the three synthetic cohorts (made once
per test session), and the one equality every format must keep."""

from __future__ import annotations

from functools import cache

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.io.dataset import Dataset
from ovaregen.synth import synthesize

COHORTS = {"regenera": 145, "mensc": 105, "ucmsc-rct": 66}
"""Study A, B and C at their published sizes (STUDIES.md)."""


@cache
def synthetic_cohort(study: str) -> tuple[Dataset, Protocol]:
    """A synthetic cohort of ``study`` (seed 1) and its protocol."""
    return synthesize(study, COHORTS[study], 1), load_protocol(study)


def assert_same(actual: Dataset, expected: Dataset) -> None:
    """Every table equal (columns, types, values, nulls) and the same supplied columns."""
    for name in ("participants", "pregnancies", "visits", "adverse_events", "mobilisation"):
        assert getattr(actual, name).equals(getattr(expected, name), null_equal=True), name
    assert actual.supplied == expected.supplied
