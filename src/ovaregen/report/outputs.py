"""Writing a run's results to files: the derivation's cohort tables and an analysis's outputs
(``results.json`` and one CSV per table, INTERCHANGE.md "Outputs"), atomically."""

from __future__ import annotations

from pathlib import Path

from ovaregen.analysis.result import Analysis
from ovaregen.domain.derivation import Derivation, live_birth_table
from ovaregen.io.tables import write_csv_atomically, write_text_atomically
from ovaregen.report.results_json import render_results_json


def write_derived_tables(derivation: Derivation, folder: Path) -> list[Path]:
    """The cohort tables of a derivation, one CSV each; returns the paths written."""
    tables = {
        "gcsf_symptoms_by_day.csv": derivation.symptoms_by_day,
        "gcsf_worst_symptom.csv": derivation.worst_symptom,
        "live_birth_measures.csv": live_birth_table(derivation.live_birth),
    }
    written = []
    for name, table in tables.items():
        write_csv_atomically(table, Path(folder) / name)
        written.append(Path(folder) / name)
    return written


def write_analysis(analysis: Analysis, folder: Path) -> list[Path]:
    """``folder/results.json`` and one ``<table id>.csv`` per table; returns the paths.

    The tables are written first and ``results.json`` last, so that a ``results.json`` present
    means the whole output is.
    """
    folder = Path(folder)
    written = []
    for table in analysis.tables:
        path = folder / f"{table.id}.csv"
        write_csv_atomically(table.frame, path)
        written.append(path)
    path = folder / "results.json"
    write_text_atomically(render_results_json(analysis), path)
    return [*written, path]
