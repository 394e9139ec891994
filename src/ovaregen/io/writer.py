"""Writing a dataset as a folder of CSV files in interchange form (INTERCHANGE.md): every file
the dataset holds (participants.csv always; pregnancies, visits, adverse events and
mobilisation days when the source had them or they have rows).

Conventions: UTF-8 without byte-order mark, comma-separated, header row; booleans
``true``/``false``, dates ``YYYY-MM-DD``, empty cell for unknown; values in canonical units and
columns under their canonical names (an AMH read from ``amh_pmol_l`` is written to
``amh_ng_ml``). Each file gets the canonical columns its source supplied
(``Dataset.supplied``; all canonical columns when the dataset does not say), then the extra
columns it carried. Text cells and column names that a spreadsheet would run as a formula get
a leading quote (``io.spreadsheet_safe``; ``=1+1`` is written ``'=1+1``), which the dataset
reader removes again. Reading the written folder gives back equal frames.

Writing is atomic: a new folder is written under a temporary name and renamed into place; in an
existing folder each file is written to a temporary file and renamed over the old one, so a
reader never sees a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import polars as pl

from ovaregen.domain.variables import DatasetFile, variables_of
from ovaregen.io.dataset import Dataset
from ovaregen.io.spreadsheet_safe import escaped_frame


def write_dataset(dataset: Dataset, folder: str | os.PathLike[str]) -> None:
    """Write ``dataset`` to ``folder``: participants.csv and every other file it holds."""
    target = Path(folder)
    files = {
        file.file_name: interchange_frame(dataset, file)
        for file in DatasetFile
        if file is DatasetFile.PARTICIPANTS
        or dataset.has(file)
        or (target / file.file_name).exists()  # never leave a stale file beside new ones
    }
    if target.is_dir():
        for name, frame in files.items():
            _replace_file(frame, target / name)
    else:
        _create_folder(files, target)


def interchange_frame(dataset: Dataset, file: DatasetFile) -> pl.DataFrame:
    """The columns of one file as they are written: supplied canonical ones, then extras."""
    frame = dataset.table(file)
    canonical = [v.name for v in variables_of(file)]
    supplied = set(dataset.supplied.get(file.value, canonical))
    extras = [c for c in frame.columns if c not in canonical]
    return frame.select([c for c in canonical if c in supplied and c in frame.columns] + extras)


def csv_text(frame: pl.DataFrame) -> str:
    """A frame as interchange CSV text (header, empty = unknown, Unix line ends, text cells
    escaped by ``io.spreadsheet_safe``)."""
    return escaped_frame(frame).write_csv(include_header=True, null_value="", line_terminator="\n")


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    escaped_frame(frame).write_csv(path, include_header=True, null_value="", line_terminator="\n")


def _replace_file(frame: pl.DataFrame, path: Path) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        _write_csv(frame, Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _create_folder(files: dict[str, pl.DataFrame], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        for name, frame in files.items():
            _write_csv(frame, temporary / name)
        os.rename(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
