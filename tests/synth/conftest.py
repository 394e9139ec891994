"""Shared helpers of the synthetic-cohort tests: write, validate and read back a cohort."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ovaregen.domain.endpoints import derive_participants
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.variables import DatasetFile, variables_of
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_finding
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.synth import synthesize


def written(study: str, n: int, seed: int, folder: Path) -> Dataset:
    """Synthesize, write with ``write_dataset``, validate against the study's protocol (no
    error, no warning), read back."""
    generated = synthesize(study, n, seed)
    write_dataset(generated, folder)
    report = validate_dataset(folder, load_protocol(study))
    findings = [render_finding(f) for f in report.findings]
    assert report.errors == 0, findings[:10]
    assert not report.findings, findings[:10]
    assert report.dataset is not None
    assert report.dataset.source == str(folder)
    for file in DatasetFile:
        path = folder / file.file_name
        assert path.exists() == generated.has(file), file
        if path.exists():
            header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
            assert header == list(generated.supplied[file.value]), file
            assert header == [v.name for v in variables_of(file) if v.name in header]
    return report.dataset


def derived(dataset: Dataset) -> pl.DataFrame:
    """Every participant's derived endpoints joined to her recorded values."""
    endpoints = derive_participants(dataset.participants, dataset.pregnancies)
    recorded = dataset.participants.select(
        c
        for c in dataset.participants.columns
        if c == "participant_id" or c not in endpoints.columns
    )
    return endpoints.join(recorded, on="participant_id", how="left")
