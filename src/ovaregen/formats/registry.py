"""The formats a study dataset is read from and written to (issue 14 item 1): ``ovaregen
convert SOURCE --from F --to F`` and ``ovaregen export … --format F`` find them here.

A format is a :class:`Codec`: a writer (dataset → files at ``out``, atomically: nothing is left
half-written) and/or a reader (files → the :class:`~ovaregen.io.reader.ValidationReport` of
``ovaregen validate``: all or nothing, every finding naming file, row, field and value).
``interchange`` is ovaregen's own folder of CSVs (INTERCHANGE.md), the default on either side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from ovaregen.domain.protocols import Protocol
from ovaregen.formats import fhir, odm, redcap
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.dataset_json import read_dataset_json, write_dataset_json
from ovaregen.formats.errors import FormatError
from ovaregen.formats.parquet import read_parquet, write_parquet
from ovaregen.formats.spss import read_spss, write_spss
from ovaregen.formats.stata import read_stata, write_stata
from ovaregen.formats.xpt import read_xpt, write_xpt
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import ValidationReport, folder_provenance, validate_dataset
from ovaregen.io.writer import write_dataset


class Format(StrEnum):
    INTERCHANGE = "interchange"
    REDCAP = "redcap"
    ODM = "odm"
    DATASET_JSON = "dataset-json"
    STATA = "stata"
    SPSS = "spss"
    XPT = "xpt"
    PARQUET = "parquet"
    FHIR = "fhir"


@dataclass(frozen=True)
class ReadOptions:
    """What a reader may need beside the files: a REDCap mapping file for a project not set up
    from ovaregen's dictionary (``formats.redcap``)."""

    mapping: Path | None = None


Writer = Callable[[Dataset, Protocol, Path, ClinicRecords], list[Path]]
"""Write the dataset at ``out`` (a folder, or a file where the format is one file; atomically,
``formats.folder``); returns the files written. ``FormatError`` (nothing written) when the
dataset cannot be held by the format, naming file, column and value."""
Reader = Callable[[Path, Protocol, ReadOptions], ValidationReport]
"""Read and validate the files at ``source`` (never raises on bad content)."""


@dataclass(frozen=True)
class Codec:
    format: Format
    description: str
    write: Writer | None = None
    read: Reader | None = None


def _write_interchange(
    dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
) -> list[Path]:
    del protocol, records  # the interchange folder holds the dataset only (INTERCHANGE.md)
    write_dataset(dataset, out)
    return sorted(p for p in out.iterdir() if p.is_file())


def _with_provenance(read: Reader) -> Reader:
    """A folder format's reader that also reads the folder's provenance.json, as the
    interchange reader does (``formats.folder``: written beside the files)."""

    def reading(source: Path, protocol: Protocol, options: ReadOptions) -> ValidationReport:
        report = read(source, protocol, options)
        if report.dataset is None or not source.is_dir():
            return report
        provenance, findings = folder_provenance(source)
        dataset = replace(report.dataset, provenance=provenance)
        return replace(
            report,
            dataset=replace(dataset, warnings=(*dataset.warnings, *findings)),
            findings=(*report.findings, *findings),
            warnings=report.warnings + len(findings),
        )

    return reading


def _without_options(read: Callable[[Path, Protocol], ValidationReport]) -> Reader:
    """A reader that needs no options (only REDCap takes a mapping file)."""

    def reading(source: Path, protocol: Protocol, options: ReadOptions) -> ValidationReport:
        del options
        return read(source, protocol)

    return reading


CODECS: dict[Format, Codec] = {
    Format.INTERCHANGE: Codec(
        Format.INTERCHANGE,
        "ovaregen's folder of CSV files (INTERCHANGE.md)",
        write=_write_interchange,
        read=_without_options(validate_dataset),
    ),
    Format.REDCAP: Codec(
        Format.REDCAP,
        "a REDCap project: data dictionary, events, instrument designations and records (CSV)",
        write=redcap.write,
        read=_with_provenance(redcap.read),
    ),
    Format.ODM: Codec(
        Format.ODM,
        "one CDISC ODM 1.3.2 XML file (metadata, clinical data, audit records, signatures)",
        write=odm.write,
        read=odm.read,
    ),
    Format.DATASET_JSON: Codec(
        Format.DATASET_JSON,
        "CDISC Dataset-JSON v1.1: a folder of one <table>.json per table",
        write=write_dataset_json,
        read=_with_provenance(read_dataset_json),
    ),
    Format.PARQUET: Codec(
        Format.PARQUET,
        "Apache Parquet: a folder of one <table>.parquet per table, the dictionary's types",
        write=write_parquet,
        read=_with_provenance(read_parquet),
    ),
    Format.STATA: Codec(
        Format.STATA,
        "Stata .dta files, one per table, with variable and value labels (formats.stata)",
        write=write_stata,
        read=_with_provenance(_without_options(read_stata)),
    ),
    Format.SPSS: Codec(
        Format.SPSS,
        "SPSS .sav files, one per table, with labels and measure levels (formats.spss)",
        write=write_spss,
        read=_with_provenance(_without_options(read_spss)),
    ),
    Format.XPT: Codec(
        Format.XPT,
        "SAS transport v5 files, one per table, with the alias table aliases.csv (formats.xpt)",
        write=write_xpt,
        read=_with_provenance(_without_options(read_xpt)),
    ),
    Format.FHIR: Codec(
        Format.FHIR,
        "one FHIR R4 Bundle (collection): ResearchStudy, Patient, ResearchSubject, Observations",
        write=fhir.write,
    ),
}


def codec(name: str) -> Codec:
    """The codec of ``name`` (a :class:`Format` value); ``FormatError`` listing the known ones."""
    try:
        found = CODECS.get(Format(name.strip().lower()))
    except ValueError:
        found = None
    if found is None:
        raise FormatError(f"format {name!r} is not known: expected one of {', '.join(CODECS)}")
    return found


def reader_of(name: str) -> Reader:
    found = codec(name)
    if found.read is None:
        readable = ", ".join(f for f, c in CODECS.items() if c.read is not None)
        raise FormatError(f"ovaregen writes {name} but does not read it: --from {readable}")
    return found.read


def writer_of(name: str) -> Writer:
    found = codec(name)
    if found.write is None:
        writable = ", ".join(f for f, c in CODECS.items() if c.write is not None)
        raise FormatError(f"ovaregen reads {name} but does not write it: --to {writable}")
    return found.write
