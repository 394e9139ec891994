"""Every folder format carries the dataset's provenance.json and reads it back
(``formats.folder``): converted synthetic data is still reported as synthetic, and real data
written over a synthetic folder is not marked synthetic."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.registry import CODECS, Format, ReadOptions
from ovaregen.io.dataset import PROVENANCE_FILE
from ovaregen.io.findings import render_report
from tests.formats.cohorts import synthetic_cohort

FOLDER_FORMATS = [
    f
    for f, c in CODECS.items()
    if c.read is not None
    and c.write is not None
    and f not in (Format.INTERCHANGE, Format.ODM, Format.DATASET_JSON)
]
"""The folder formats read and written. ODM is one file (and FHIR, written only); a
Dataset-JSON folder holds nothing but its datasets (a provenance.json beside them would be
taken for one)."""


@pytest.mark.parametrize("name", FOLDER_FORMATS, ids=str)
def test_a_synthetic_dataset_stays_synthetic_through_the_format(
    name: Format, tmp_path: Path
) -> None:
    dataset, protocol = synthetic_cohort("ucmsc-rct")
    assert dataset.provenance is not None
    codec = CODECS[name]
    assert codec.write is not None and codec.read is not None
    out = tmp_path / "out"
    codec.write(dataset, protocol, out, NO_CLINIC_RECORDS)
    assert (out / PROVENANCE_FILE).is_file()
    report = codec.read(out, protocol, ReadOptions())
    assert report.dataset is not None, render_report(report)
    assert report.dataset.provenance == dataset.provenance

    real = replace(dataset, provenance=None)
    codec.write(real, protocol, out, NO_CLINIC_RECORDS)
    assert not (out / PROVENANCE_FILE).exists()
    again = codec.read(out, protocol, ReadOptions())
    assert again.dataset is not None, render_report(again)
    assert again.dataset.provenance is None
