"""Reading a study dataset: all or nothing (INTERCHANGE.md).

``read_dataset`` returns a :class:`~ovaregen.io.dataset.Dataset` in canonical units, or raises
:class:`DatasetInvalid` carrying every finding when there is any error: "nothing of that import
is stored". ``validate_dataset`` never raises on bad content; it returns a
:class:`ValidationReport` for ``ovaregen validate`` (render it with
:func:`ovaregen.io.findings.render_report`).

``path`` is a folder of CSV files, an ``.xlsx`` workbook, or a folder holding exactly one
workbook and no CSV (``ovaregen.io.sources``). Files over the size or column limits
(``ovaregen.io.file_limits``) are refused before they are read; a failure of Polars while
checking (an error, a panic, memory running out) is an error finding, never a traceback.
Cells holding a control character (``io.control_cells``) or a text longer than the clinic
stores (``io.text_lengths``) are errors too, so that the database never refuses a valid file.

A valid dataset carries its checksum (:func:`dataset_checksum`) and, from a folder holding
``provenance.json`` (written by ``write_dataset`` for a synthetic dataset), its
:class:`~ovaregen.io.dataset.Provenance`; a provenance.json that cannot be read is a warning,
and the dataset is then not marked synthetic.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.agreement import (
    Pairing,
    agreement_findings,
    filled_participants,
    mobilisation_pairings,
    schedule_findings,
    visit_pairings,
)
from ovaregen.io.checks import count_of, run_checks
from ovaregen.io.coherence import known_participant_check
from ovaregen.io.control_cells import control_findings
from ovaregen.io.dataset import (
    PROVENANCE_FILE,
    Dataset,
    Finding,
    Provenance,
    Severity,
    empty_table,
    is_clinic_export,
)
from ovaregen.io.file_limits import DEFAULT_LIMITS, ReadLimits
from ovaregen.io.raw import RawTable, line_word
from ovaregen.io.sources import READ_FAILURES, load_tables, read_failure
from ovaregen.io.text_lengths import length_findings
from ovaregen.io.validation import ValidatedTable, validate_table

__all__ = [
    "DatasetInvalid",
    "ValidationReport",
    "dataset_checksum",
    "read_dataset",
    "validate_dataset",
    "validate_tables",
]

PROVENANCE_LIMIT = 64 * 1024
"""The largest provenance.json read (bytes); a few hundred is usual."""


@dataclass(frozen=True)
class ValidationReport:
    """Everything found in a dataset; ``dataset`` is ``None`` when there is any error.

    ``errors`` and ``warnings`` are exact counts; ``findings`` lists at most
    :data:`ovaregen.io.checks.MAX_LISTED` rows per rule and column and stands for the rest
    with an :class:`~ovaregen.io.checks.OmittedFindings` carrying their number.
    """

    source: str
    dataset: Dataset | None
    findings: tuple[Finding, ...]
    errors: int
    warnings: int

    @property
    def valid(self) -> bool:
        return self.errors == 0


class DatasetInvalid(Exception):  # noqa: N818 - the name the project's API uses
    """A dataset with at least one error; nothing of it may be stored."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.path = report.source
        self.findings = report.findings
        summary = f"{report.source}: invalid: {report.errors} errors, {report.warnings} warnings"
        first = next((f for f in report.findings if f.severity is Severity.ERROR), None)
        if first is not None:
            where = first.file
            if first.line is not None:
                where += f" {line_word(first.file)} {first.line}"
            if first.column is not None:
                where += f", column {first.column}"
            summary += f" (first: {where}: {first.message})"
        super().__init__(summary)


def read_dataset(
    path: str | os.PathLike[str],
    protocol: Protocol | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Dataset:
    """The validated dataset at ``path``; raises :class:`DatasetInvalid` on any error."""
    report = validate_dataset(path, protocol, limits)
    if report.dataset is None:
        raise DatasetInvalid(report)
    return report.dataset


def validate_dataset(
    path: str | os.PathLike[str],
    protocol: Protocol | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ValidationReport:
    """Read and check the dataset at ``path``, collecting every finding.

    With a ``protocol``, visits.csv is checked against its schedule and participants.csv's
    follow-up columns against the primary follow-up visit (``io.agreement``); without one
    only the files themselves are checked (a warning says so when there are visits).
    """
    source = str(path)
    tables, findings = load_tables(Path(path), limits)
    provenance, provenance_findings = folder_provenance(Path(path))
    findings += provenance_findings
    report = validate_tables(source, tables, findings, protocol)
    if report.dataset is None:
        return report
    try:
        checksum: str | None = dataset_checksum(Path(path))
    except OSError:
        checksum = None  # a file gone since it was read: the dataset read stays valid
    return replace(
        report, dataset=replace(report.dataset, provenance=provenance, checksum=checksum)
    )


def dataset_files(path: Path) -> list[Path]:
    """The files a dataset is read from, in a fixed order: a workbook (given, or the only one
    of a folder without CSV), else the folder's interchange CSVs in INTERCHANGE.md's order
    (participants, pregnancies, visits, adverse events, mobilisation; names matched as the
    reader matches them, case-insensitively). Other files (provenance.json) are not data."""
    if path.is_file():
        return [path]
    entries = sorted(p for p in path.iterdir() if p.is_file())
    csvs = {p.name.lower(): p for p in entries if p.suffix.lower() == ".csv"}
    workbooks = [p for p in entries if p.suffix.lower() == ".xlsx" and not p.name.startswith("~$")]
    if not csvs and len(workbooks) == 1:
        return workbooks
    return [csvs[file.file_name] for file in DatasetFile if file.file_name in csvs]


def dataset_checksum(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of the dataset at ``path``: of the lines ``<SHA-256 of the file>  <file
    name>``, one per file of :func:`dataset_files` in its order, each ending in a newline —
    what ``sha256sum participants.csv pregnancies.csv … | sha256sum`` prints in the folder."""
    lines = []
    for file in dataset_files(Path(path)):
        digest = hashlib.sha256()
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        lines.append(f"{digest.hexdigest()}  {file.name}\n")
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def folder_provenance(path: Path) -> tuple[Provenance | None, list[Finding]]:
    """The provenance.json of a dataset folder, if any (a warning when it cannot be read)."""
    file = path / PROVENANCE_FILE
    if not path.is_dir() or not file.is_file():
        return None, []
    try:
        with open(file, "rb") as handle:
            data = handle.read(PROVENANCE_LIMIT + 1)
        if len(data) > PROVENANCE_LIMIT:
            raise ValueError(f"larger than {PROVENANCE_LIMIT // 1024} KiB")
        text = data.decode("utf-8")
        if is_clinic_export(text):  # the clinic's export record: real data, not synthetic
            return None, []
        return Provenance.from_json(text), []
    except (OSError, UnicodeDecodeError, ValueError) as error:
        problem = error.strerror if isinstance(error, OSError) else str(error)
        message = f"not read ({problem}): the dataset is not marked synthetic"
        return None, [Finding(Severity.WARNING, PROVENANCE_FILE, message)]


def validate_tables(
    source: str,
    tables: dict[DatasetFile, RawTable],
    findings: list[Finding],
    protocol: Protocol | None,
) -> ValidationReport:
    """The report on tables read as text, from any format (``ovaregen.formats``): every
    file's checks, then the cross-file ones, exactly as for a folder of CSVs. ``findings``
    are the format reader's own (a file missing, a field not in the dictionary), counted in."""
    try:
        return _checked(source, tables, findings, protocol)
    except READ_FAILURES as error:
        failure = read_failure(Path(source).name, error)
        return ValidationReport(
            source,
            None,
            (*findings, failure),
            1 + count_of(findings, Severity.ERROR),
            count_of(findings, Severity.WARNING),
        )


def _checked(
    source: str,
    tables: dict[DatasetFile, RawTable],
    findings: list[Finding],
    protocol: Protocol | None,
) -> ValidationReport:
    """The report on tables read as text: every file's checks, then the cross-file ones."""
    for raw in tables.values():
        findings += control_findings(raw) + length_findings(raw)
    validated = {file: validate_table(raw) for file, raw in tables.items()}
    for table in validated.values():
        findings += table.findings
    participants = validated.get(DatasetFile.PARTICIPANTS)
    visits = validated.get(DatasetFile.VISITS)
    pairings = {file: _pairings(file, table, protocol) for file, table in validated.items()}
    if visits is not None and protocol is None:
        findings.append(
            Finding(
                Severity.WARNING,
                visits.label,
                "visit ids and the values of the primary follow-up visit are checked against "
                "a protocol's schedule (give --protocol)",
            )
        )
    if visits is not None and protocol is not None:
        findings += schedule_findings(visits, protocol)
    if participants is not None:
        for file, table in validated.items():
            if file is not DatasetFile.PARTICIPANTS:
                findings += _cross_file(participants, table)
                findings += agreement_findings(participants, table, pairings[file])
    errors = count_of(findings, Severity.ERROR)
    warnings = count_of(findings, Severity.WARNING)
    dataset = None
    if errors == 0 and participants is not None:
        dataset = _dataset(source, validated, pairings, findings)
    return ValidationReport(source, dataset, tuple(findings), errors, warnings)


def _pairings(file: DatasetFile, table: ValidatedTable, protocol: Protocol | None) -> list[Pairing]:
    """The participants.csv columns another file gives too (``io.agreement``)."""
    if file is DatasetFile.VISITS and protocol is not None:
        return list(visit_pairings(protocol, set(table.supplied)))
    if file is DatasetFile.MOBILISATION:
        return list(mobilisation_pairings(set(table.supplied)))
    return []


def _dataset(
    source: str,
    validated: dict[DatasetFile, ValidatedTable],
    pairings: dict[DatasetFile, list[Pairing]],
    findings: list[Finding],
) -> Dataset:
    """The dataset of valid tables, participants.csv's empty follow-up and day cells filled
    from visits.csv and mobilisation.csv."""
    supplied = {file.value: table.supplied for file, table in validated.items()}
    frames = {file.value: table.canonical for file, table in validated.items()}
    participants = frames[DatasetFile.PARTICIPANTS.value]
    filled: set[str] = set()
    for file, chosen in pairings.items():
        participants = filled_participants(participants, frames[file.value], chosen)
        filled |= {p.column for p in chosen}
    own = set(supplied[DatasetFile.PARTICIPANTS.value])
    nulls = participants.null_count().row(0, named=True)
    supplied[DatasetFile.PARTICIPANTS.value] = tuple(
        name
        for name in participants.columns
        if name in own or (name in filled and nulls[name] < participants.height)
    )

    def frame(file: DatasetFile) -> pl.DataFrame:
        return frames[file.value] if file.value in frames else empty_table(file)

    return Dataset(
        participants=participants,
        pregnancies=frame(DatasetFile.PREGNANCIES),
        source=source,
        supplied=supplied,
        warnings=tuple(f for f in findings if f.severity is Severity.WARNING),
        visits=frame(DatasetFile.VISITS),
        adverse_events=frame(DatasetFile.ADVERSE_EVENTS),
        mobilisation=frame(DatasetFile.MOBILISATION),
    )


def _cross_file(participants: ValidatedTable, other: ValidatedTable) -> list[Finding]:
    """Every row of another file belongs to a listed participant (when both name them)."""
    if "participant_id" not in participants.supplied or "participant_id" not in other.supplied:
        return []
    ids = participants.frame.get_column("participant_id").drop_nulls()
    check = known_participant_check(ids, participants.label)
    return run_checks(other.frame, [check], other.label)
