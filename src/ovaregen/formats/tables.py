"""What Dataset-JSON and Parquet say about a table beside its columns: its description, its key
columns, and the version of ovaregen that wrote it.

Keys are the columns that identify a row (INTERCHANGE.md): a woman by ``participant_id``, a
follow-up visit by woman and ``visit``, a G-CSF day by woman and ``day``; a woman may have
several pregnancies and adverse events, which no dictionary column numbers, so those tables
have no key (Dataset-JSON v1.1 §"Column Metadata", ``keySequence``: optional).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ovaregen.domain.variables import DatasetFile

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


def ovaregen_version() -> str:
    """The installed ovaregen's version (``0+unknown`` when run from a bare source tree)."""
    try:
        return version("ovaregen")
    except PackageNotFoundError:
        return "0+unknown"
