"""Shared pieces of the REDCap tests: the three synthetic cohorts, written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.redcap.writer import write_redcap
from ovaregen.io.dataset import Dataset
from ovaregen.synth import synthesize

COHORTS = {"regenera": 145, "mensc": 105, "ucmsc-rct": 66}


@pytest.fixture(scope="session", params=list(COHORTS))
def cohort(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Dataset, Protocol, Path]:
    """A synthetic cohort, its protocol, and its REDCap folder."""
    study = str(request.param)
    dataset = synthesize(study, COHORTS[study], 1)
    protocol = load_protocol(study)
    out = tmp_path_factory.mktemp("redcap") / study
    write_redcap(dataset, protocol, out, NO_CLINIC_RECORDS)
    return dataset, protocol, out


def assert_same(actual: Dataset, expected: Dataset) -> None:
    """Every table equal (columns, types, values, nulls) and the same supplied columns."""
    for name in ("participants", "pregnancies", "visits", "adverse_events", "mobilisation"):
        assert getattr(actual, name).equals(getattr(expected, name), null_equal=True), name
    assert actual.supplied == expected.supplied
