"""Writing result tables (screening, derived participants, cohort tables) as CSV.

Files are written atomically: to a temporary file in the same folder, then renamed, so that a
failed run never leaves a half-written or stale-looking result behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polars as pl

from ovaregen.domain.derivation import Derivation, live_birth_table


def write_csv_atomically(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` as UTF-8 CSV (booleans ``true``/``false``, empty = unknown)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        frame.write_csv(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


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
