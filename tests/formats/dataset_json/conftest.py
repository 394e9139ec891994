"""Shared pieces of the Dataset-JSON tests: the three synthetic cohorts, written once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.domain.protocols import Protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.dataset_json import write_dataset_json
from ovaregen.io.dataset import Dataset
from tests.formats.cohorts import COHORTS, synthetic_cohort


@pytest.fixture(scope="session", params=list(COHORTS))
def cohort(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Dataset, Protocol, Path]:
    """A synthetic cohort, its protocol, and its Dataset-JSON folder."""
    study = str(request.param)
    dataset, protocol = synthetic_cohort(study)
    out = tmp_path_factory.mktemp("dataset-json") / study
    write_dataset_json(dataset, protocol, out, NO_CLINIC_RECORDS)
    return dataset, protocol, out
