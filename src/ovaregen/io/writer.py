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

A dataset with a :class:`~ovaregen.io.dataset.Provenance` (a synthetic one) gets
``provenance.json`` beside its CSVs, which the reader reads back, and so does a clinic export
(:class:`~ovaregen.io.dataset.ClinicExport`: the lock state, not synthetic); one without loses any
``provenance.json`` the folder held (removed first), so that real data is never marked synthetic.

Writing is atomic: a new folder is written under a temporary name and renamed into place; in an
existing folder each file is written to a temporary file and renamed over the old one, so a
reader never sees a half-written file. Files and folders get the mode any new one gets (0666 or
0777 less the umask, :func:`temporary_beside`): the umask, not the writer, decides who may read.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ovaregen.domain.variables import DatasetFile, variables_of
from ovaregen.io.dataset import PROVENANCE_FILE, Dataset
from ovaregen.io.spreadsheet_safe import escaped_frame

NEW_FILE_MODE = 0o666
NEW_FOLDER_MODE = 0o777
"""The modes a new file and folder are created with, before the umask (as ``open``, ``mkdir``)."""
_ATTEMPTS = 100


def write_dataset(dataset: Dataset, folder: str | os.PathLike[str]) -> None:
    """Write ``dataset`` to ``folder``: participants.csv, every other file it holds, and
    provenance.json when it has a provenance (module docstring)."""
    target = Path(folder)
    files = {
        file.file_name: interchange_frame(dataset, file)
        for file in DatasetFile
        if file is DatasetFile.PARTICIPANTS
        or dataset.has(file)
        or (target / file.file_name).exists()  # never leave a stale file beside new ones
    }
    provenance = dataset.provenance_json()
    if target.is_dir():
        if provenance is None:
            (target / PROVENANCE_FILE).unlink(missing_ok=True)
        for name, frame in files.items():
            _replace_file(_csv_writer(frame), target / name)
        if provenance is not None:
            _replace_file(_text_writer(provenance), target / PROVENANCE_FILE)
    else:
        _create_folder(files, provenance, target)


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


def _csv_writer(frame: pl.DataFrame) -> Callable[[Path], None]:
    """Writes ``frame`` as interchange CSV to the path it is given."""
    return lambda path: _write_csv(frame, path)


def _text_writer(text: str) -> Callable[[Path], None]:
    """Writes ``text`` as UTF-8 with Unix line ends to the path it is given."""

    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8", newline="\n")

    return write


def temporary_beside(path: Path, *, folder: bool = False) -> Path:
    """A new, empty file (or folder) beside ``path`` under an unused random name, created
    exclusively (``O_EXCL``, as ``mkstemp``) with :data:`NEW_FILE_MODE` (:data:`NEW_FOLDER_MODE`)
    so that the umask decides its mode, not ``mkstemp``'s private 0600 (0700)."""
    for _ in range(_ATTEMPTS):
        name = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            if folder:
                os.mkdir(name, NEW_FOLDER_MODE)
            else:
                os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE))
        except FileExistsError:
            continue
        return name
    raise FileExistsError(f"no unused temporary name beside {path}")


def _replace_file(write: Callable[[Path], None], path: Path) -> None:
    temporary = temporary_beside(path)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _create_folder(files: dict[str, pl.DataFrame], provenance: str | None, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_beside(target, folder=True)
    try:
        for name, frame in files.items():
            _write_csv(frame, temporary / name)
        if provenance is not None:
            _text_writer(provenance)(temporary / PROVENANCE_FILE)
        os.rename(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
