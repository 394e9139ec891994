"""Writing tables as CSV and text files, atomically (the renderers' writers build on these).

Files are written atomically: to a temporary file in the same folder, then renamed, so that a
failed run never leaves a half-written or stale-looking result behind. They get the mode any
new file gets, 0666 less the umask (``-rw-r--r--`` under the usual 022;
``io.writer.temporary_beside``): a report is shared with co-authors, not private like
``mkstemp``'s 0600.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from ovaregen.io.spreadsheet_safe import escaped_frame
from ovaregen.io.writer import temporary_beside


@contextmanager
def _replacing(path: Path) -> Iterator[str]:
    """A temporary file beside ``path`` to write; it replaces ``path`` only if the block ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = str(temporary_beside(path))
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_csv_atomically(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` as UTF-8 CSV (booleans ``true``/``false``, empty = unknown; a text cell
    a spreadsheet would run as a formula gets a leading quote, ``io.spreadsheet_safe``)."""
    with _replacing(path) as temporary:
        escaped_frame(frame).write_csv(temporary)


def write_text_atomically(text: str, path: Path) -> None:
    """Write ``text`` as UTF-8 with Unix line ends, atomically."""
    with _replacing(path) as temporary, open(temporary, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
