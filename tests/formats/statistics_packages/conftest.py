"""Shared pieces of the Stata, SPSS and SAS transport tests: the synthetic cohorts written
once per session in each format (a cohort a format refuses is skipped here and its refusal
tested in test_refusals)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.domain.protocols import Protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.registry import Format, writer_of
from ovaregen.io.dataset import Dataset
from tests.formats.cohorts import COHORTS, synthetic_cohort

FORMATS = (Format.STATA, Format.SPSS, Format.XPT)
XPT_COHORTS = ("mensc", "ucmsc-rct")
"""Study A's mobilisation reasons run to 321 bytes, over transport v5's 200 (test_refusals)."""


def _written(
    factory: pytest.TempPathFactory, format: Format, study: str
) -> tuple[Dataset, Protocol, Path]:
    dataset, protocol = synthetic_cohort(study)
    out = factory.mktemp(format.value) / study
    writer_of(format.value)(dataset, protocol, out, NO_CLINIC_RECORDS)
    return dataset, protocol, out


@pytest.fixture(scope="session", params=list(COHORTS))
def stata_cohort(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Dataset, Protocol, Path]:
    """A synthetic cohort, its protocol, and its folder of .dta files."""
    return _written(tmp_path_factory, Format.STATA, str(request.param))


@pytest.fixture(scope="session", params=list(COHORTS))
def spss_cohort(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Dataset, Protocol, Path]:
    """A synthetic cohort, its protocol, and its folder of .sav files."""
    return _written(tmp_path_factory, Format.SPSS, str(request.param))


@pytest.fixture(scope="session", params=XPT_COHORTS)
def xpt_cohort(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Dataset, Protocol, Path]:
    """A synthetic cohort, its protocol, and its folder of .xpt files and aliases.csv."""
    return _written(tmp_path_factory, Format.XPT, str(request.param))
