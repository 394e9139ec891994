"""``--to redcap``: a folder from which a REDCap project is set up and filled.

Files (``<protocol>`` is the protocol's name):
- ``<protocol>_DataDictionary.csv``: the Data Dictionary upload (Project Setup → Data
  Dictionary), the 18 columns under the headers REDCap's template gives them;
- ``<protocol>_Events.csv`` (event_name, arm_num, unique_event_name, …) and
  ``<protocol>_InstrumentDesignations.csv`` (arm_num, unique_event_name, form): the CSVs of
  "Define My Events" and "Designate Instruments for My Events", for a longitudinal project;
- ``<protocol>_RepeatingInstruments.csv`` (event_name, form_name, custom_form_label): the
  repeating instruments;
- ``<protocol>_DATA.csv``: the records as REDCap's flat raw export (``records``), for the
  Data Import Tool.

UTF-8, comma-separated, a header row; text cells a spreadsheet would run as a formula get a
leading quote (``io.spreadsheet_safe``), which the reader removes. Written atomically: into a
new folder beside the target, renamed into place (or each file renamed over the old one in an
existing folder).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.folder import FileWriter, write_folder
from ovaregen.formats.redcap.project import (
    DICTIONARY_HEADERS,
    METADATA_FIELDS,
    Project,
    dataset_columns,
    project,
)
from ovaregen.formats.redcap.records import export_records
from ovaregen.io.dataset import Dataset
from ovaregen.io.spreadsheet_safe import escaped_frame

DICTIONARY = "DataDictionary"
EVENTS = "Events"
DESIGNATIONS = "InstrumentDesignations"
REPEATING = "RepeatingInstruments"
DATA = "DATA"


def file_name(protocol: Protocol, part: str) -> str:
    return f"{protocol.name}_{part}.csv"


def redcap_files(dataset: Dataset, chosen: Project) -> dict[str, pl.DataFrame]:
    """Each file's name part and its table (every column text)."""
    dictionary = pl.DataFrame(
        [list(row.values()) for row in chosen.metadata()],
        schema=list(METADATA_FIELDS),
        orient="row",
    ).rename(dict(zip(METADATA_FIELDS, DICTIONARY_HEADERS, strict=True)))
    files = {DICTIONARY: dictionary}
    if chosen.longitudinal:
        files[EVENTS] = _table(chosen.event_rows())
        files[DESIGNATIONS] = _table(chosen.form_event_mapping())
    if chosen.repeating:
        files[REPEATING] = _table(chosen.repeating_forms_events())
    files[DATA] = export_records(dataset, chosen)
    return files


def write_redcap(
    dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
) -> list[Path]:
    """Write the REDCap folder at ``out`` (module docstring); returns the files written."""
    del records  # REDCap's data import has no place for the audit trail or signatures
    chosen = project(protocol, dataset_columns(dataset))
    files = redcap_files(dataset, chosen)
    return write_folder(
        Path(out),
        {file_name(protocol, part): _csv(frame) for part, frame in files.items()},
        provenance=dataset.provenance_json(),
    )


def _csv(frame: pl.DataFrame) -> FileWriter:
    def write(path: Path) -> None:
        escaped_frame(frame).write_csv(path, null_value="", line_terminator="\n")

    return write


def _table(rows: list[dict[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) if rows else pl.DataFrame()
