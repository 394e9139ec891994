"""What Dataset-JSON and Parquet share about tables: a table's description, its key columns,
the version of ovaregen that wrote it, and how a folder's ``<table>.<suffix>`` files are found.

Keys are the columns that identify a row (INTERCHANGE.md): a woman by ``participant_id``, a
follow-up visit by woman and ``visit``, a G-CSF day by woman and ``day``; a woman may have
several pregnancies and adverse events, which no dictionary column numbers, so those tables
have no key (Dataset-JSON v1.1 §"Column Metadata", ``keySequence``: optional).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import PROVENANCE_FILE, Finding, Severity

TABLE_LABELS = {
    DatasetFile.PARTICIPANTS: "Participants: one row per woman",
    DatasetFile.PREGNANCIES: "Pregnancies: one row per pregnancy",
    DatasetFile.VISITS: "Follow-up visits: one row per woman and visit",
    DatasetFile.ADVERSE_EVENTS: "Adverse events: one row per event",
    DatasetFile.MOBILISATION: "G-CSF mobilisation: one row per woman and day",
}

KEYS: dict[DatasetFile, tuple[str, ...]] = {
    DatasetFile.PARTICIPANTS: ("participant_id",),
    DatasetFile.VISITS: ("participant_id", "visit"),
    DatasetFile.MOBILISATION: ("participant_id", "day"),
}


@cache
def ovaregen_version() -> str:
    """The installed ovaregen's version (``0+unknown`` when run from a bare source tree)."""
    try:
        return version("ovaregen")
    except PackageNotFoundError:
        return "0+unknown"


def table_files(
    source: Path, suffixes: str | tuple[str, ...], format_name: str, findings: list[Finding]
) -> dict[DatasetFile, Path]:
    """The ``<table><suffix>`` files of the folder ``source`` (or the one file), by table, names
    matched case-insensitively (the first of ``suffixes`` is the one written); another file of
    a suffix, or a second file of one table, is a warning (not read), a missing
    ``participants<suffix>`` an error."""
    if isinstance(suffixes, str):
        suffixes = (suffixes,)
    suffix = suffixes[0]
    if source.is_file():
        candidates = [source]
    elif source.is_dir():
        candidates = sorted(p for p in source.iterdir() if p.suffix.lower() in suffixes)
    else:
        findings.append(Finding(Severity.ERROR, source.name, "no such file or folder"))
        return {}
    by_name = {file.value: file for file in DatasetFile}
    found: dict[DatasetFile, Path] = {}
    for path in candidates:
        file = by_name.get(path.stem.lower())
        if file is None or file in found:
            if path.name != PROVENANCE_FILE:
                findings.append(
                    Finding(
                        Severity.WARNING,
                        path.name,
                        "not read: not a table of the dataset",
                        expected=", ".join(f"{f.value}{suffix}" for f in DatasetFile),
                    )
                )
            continue
        found[file] = path
    if DatasetFile.PARTICIPANTS not in found:
        findings.append(
            Finding(
                Severity.ERROR,
                f"participants{suffix}",
                f"missing: a {format_name} dataset has participants{suffix}",
            )
        )
    return found
