"""Writing the report: the HTML document and, beside it, every one of its tables as files.

``write_report(analyses, out_file)`` writes ``out_file`` (the HTML, atomically) and the folder
``<out_file stem>-tables/``: per study (stem ``s{i}-{plan}``) every printed and every machine
table as ``<stem>-<table id>.csv`` and ``.docx``, and ``<stem>-tables.docx`` with all of them
(:func:`ovaregen.report.table_files.write_table_files`). The HTML links them relatively
(``<out_file stem>-tables/<file>``), so the folder moves with the report. Files are written
readable by others (mode ``0o666`` less the umask, usually ``-rw-r--r--``); table files an
earlier report left there and this one did not write are removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from ovaregen.analysis.result import Analysis
from ovaregen.io.tables import write_text_atomically
from ovaregen.report.html import DEFAULT_TITLE, build_report, render_html
from ovaregen.report.table_files import write_table_files

STUDY_FILE = re.compile(r"^s\d+-.+\.(?:csv|docx)$")
"""The names of the table files a report writes (``s{i}-{plan}-{table id}.csv`` …)."""


def tables_folder(out_file: Path) -> Path:
    """The folder of the report's table files: ``<out_file stem>-tables`` beside it."""
    return out_file.with_name(f"{out_file.stem}-tables")


def write_report(
    analyses: Sequence[Analysis],
    out_file: Path,
    *,
    assumptions: Mapping[str, Sequence[str]] | None = None,
    title: str = DEFAULT_TITLE,
    generated: datetime | None = None,
) -> list[Path]:
    """Write the report of ``analyses`` to ``out_file`` and its table files (module
    docstring); returns the paths written, the HTML last (it is written after its tables, so
    that an HTML present means its links resolve)."""
    report = build_report(analyses, assumptions=assumptions, title=title, generated=generated)
    folder = tables_folder(out_file)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    footnotes = dict(report.file_footnotes.items)
    for study in report.studies:
        views = [*study.printed_tables(), *study.machine_tables]
        written += write_table_files(views, folder, stem=study.anchor, footnotes=footnotes)
    write_text_atomically(render_html(report, tables_dir=quote(folder.name)), out_file)
    _remove_stale(folder, written)
    return [*written, out_file]


def _remove_stale(folder: Path, written: Sequence[Path]) -> None:
    """Remove the table files an earlier report left in ``folder`` that this one did not
    write (a table the plan no longer has), so that the folder holds this report's tables."""
    kept = {path.name for path in written}
    for path in folder.iterdir():
        if path.is_file() and STUDY_FILE.match(path.name) and path.name not in kept:
            path.unlink()
