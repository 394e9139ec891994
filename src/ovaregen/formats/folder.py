"""Writing a format's files atomically (as ``io.writer`` does for interchange): into a new
folder beside the target, renamed into place; into an existing folder, each file written under
a temporary name and renamed over the old one. A reader never sees a half-written file, and a
writer that fails (``FormatError``, a full disk) leaves nothing behind.

A folder carries the dataset's ``provenance.json`` beside its files (a synthetic dataset's
origin, or a clinic export's lock record: ``io.dataset``), as the interchange folder does, so
that converted synthetic data is still reported as synthetic; a dataset without one removes
any ``provenance.json`` the folder held, so that real data is never marked synthetic."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from ovaregen.io.dataset import PROVENANCE_FILE
from ovaregen.io.writer import temporary_beside

FileWriter = Callable[[Path], None]
"""Writes one file at the path it is given."""


def write_folder(
    out: Path, files: Mapping[str, FileWriter], *, provenance: str | None
) -> list[Path]:
    """Write each named file into the folder ``out``, with ``provenance`` (the text of
    ``Dataset.provenance_json()``) as provenance.json (module docstring); the paths written."""
    out = Path(out)
    files = dict(files)
    if provenance is not None:
        files[PROVENANCE_FILE] = _text(provenance)
    elif out.is_dir():
        (out / PROVENANCE_FILE).unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_beside(out, folder=True)
    try:
        for name, write in files.items():
            write(temporary / name)
        if out.is_dir():
            for name in files:
                os.replace(temporary / name, out / name)
            os.rmdir(temporary)
        else:
            os.rename(temporary, out)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(temporary)
        raise
    return sorted(out / name for name in files)


def write_file(out: Path, write: FileWriter) -> list[Path]:
    """Write the one file ``out`` under a temporary name beside it, renamed into place."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_beside(out)
    try:
        write(temporary)
        os.replace(temporary, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return [out]


def _text(text: str) -> FileWriter:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8", newline="\n")

    return write
