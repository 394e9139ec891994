"""Reading a study dataset: all or nothing (INTERCHANGE.md).

``read_dataset`` returns a :class:`~ovaregen.io.dataset.Dataset` in canonical units, or raises
:class:`DatasetInvalid` carrying every finding when there is any error: "nothing of that import
is stored". ``validate_dataset`` never raises on bad content; it returns a
:class:`ValidationReport` for ``ovaregen validate`` (render it with
:func:`ovaregen.io.findings.render_report`).

``path`` is a folder of CSV files, an ``.xlsx`` workbook, or a folder holding exactly one
workbook and no CSV (``ovaregen.io.sources``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ovaregen.domain.schema import canonical_schema
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.checks import count_of, run_checks
from ovaregen.io.coherence import known_participant_check
from ovaregen.io.dataset import Dataset, Finding, Severity
from ovaregen.io.raw import line_word
from ovaregen.io.sources import load_tables
from ovaregen.io.validation import ValidatedTable, validate_table

__all__ = ["DatasetInvalid", "ValidationReport", "read_dataset", "validate_dataset"]


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


def read_dataset(path: str | os.PathLike[str]) -> Dataset:
    """The validated dataset at ``path``; raises :class:`DatasetInvalid` on any error."""
    report = validate_dataset(path)
    if report.dataset is None:
        raise DatasetInvalid(report)
    return report.dataset


def validate_dataset(path: str | os.PathLike[str]) -> ValidationReport:
    """Read and check the dataset at ``path``, collecting every finding."""
    source = str(path)
    tables, findings = load_tables(Path(path))
    validated = {file: validate_table(raw) for file, raw in tables.items()}
    for table in validated.values():
        findings += table.findings
    participants = validated.get(DatasetFile.PARTICIPANTS)
    pregnancies = validated.get(DatasetFile.PREGNANCIES)
    if participants is not None and pregnancies is not None:
        findings += _cross_file(participants, pregnancies)
    errors = count_of(findings, Severity.ERROR)
    warnings = count_of(findings, Severity.WARNING)
    dataset = None
    if errors == 0 and participants is not None:
        dataset = Dataset(
            participants=participants.canonical,
            pregnancies=pregnancies.canonical if pregnancies is not None else _empty_pregnancies(),
            source=source,
            supplied={file.value: table.supplied for file, table in validated.items()},
            warnings=tuple(f for f in findings if f.severity is Severity.WARNING),
        )
    return ValidationReport(source, dataset, tuple(findings), errors, warnings)


def _cross_file(participants: ValidatedTable, pregnancies: ValidatedTable) -> list[Finding]:
    """Every pregnancy belongs to a listed participant (when both files name participants)."""
    if (
        "participant_id" not in participants.supplied
        or "participant_id" not in pregnancies.supplied
    ):
        return []
    ids = participants.frame.get_column("participant_id").drop_nulls()
    check = known_participant_check(ids, participants.label)
    return run_checks(pregnancies.frame, [check], pregnancies.label)


def _empty_pregnancies() -> pl.DataFrame:
    return pl.DataFrame(schema=canonical_schema(DatasetFile.PREGNANCIES))
