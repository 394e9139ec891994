"""Shared pieces of the ODM tests: the three synthetic cohorts written once per session, and
xmlschema (a second validator, independent of lxml/libxml2) loaded once with CDISC's XSD."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import xmlschema

from ovaregen.domain.protocols import Protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.odm.schema import schema_path
from ovaregen.formats.odm.writer import write_odm
from ovaregen.io.dataset import Dataset
from tests.formats.cohorts import COHORTS, synthetic_cohort


@cache
def independent_schema() -> xmlschema.XMLSchema:
    """odmlib's ODM 1.3.2 XSD as xmlschema reads it."""
    return xmlschema.XMLSchema(str(schema_path()))


def schema_errors(path: Path) -> list[str]:
    """xmlschema's complaints about the file (none: it validates)."""
    return [str(e.reason) for e in independent_schema().iter_errors(str(path))]


@pytest.fixture(scope="session", params=list(COHORTS))
def cohort(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Dataset, Protocol, Path]:
    """A synthetic cohort, its protocol, and its ODM file."""
    study = str(request.param)
    dataset, protocol = synthetic_cohort(study)
    out = tmp_path_factory.mktemp("odm") / f"{study}.xml"
    write_odm(dataset, protocol, out, NO_CLINIC_RECORDS)
    return dataset, protocol, out
