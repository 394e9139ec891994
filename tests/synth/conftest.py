"""Shared helpers of the synthetic-cohort tests: write, validate and read back a cohort."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ovaregen.domain.endpoints import derive_participants
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_finding
from ovaregen.io.reader import read_dataset, validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.synth import synthesize, to_dataset


def written(study: str, n: int, seed: int, folder: Path) -> Dataset:
    """Synthesize, write with ``write_dataset``, validate (no error, no warning), read back."""
    participants, pregnancies = synthesize(study, n, seed)
    write_dataset(to_dataset(participants, pregnancies, f"synthetic {study}"), folder)
    report = validate_dataset(folder)
    findings = [render_finding(f) for f in report.findings]
    assert (report.errors, report.warnings) == (0, 0), findings[:10]
    return read_dataset(folder)


def derived(dataset: Dataset) -> pl.DataFrame:
    """Every participant's derived endpoints joined to her recorded values."""
    endpoints = derive_participants(dataset.participants, dataset.pregnancies)
    recorded = dataset.participants.select(
        c
        for c in dataset.participants.columns
        if c == "participant_id" or c not in endpoints.columns
    )
    return endpoints.join(recorded, on="participant_id", how="left")
