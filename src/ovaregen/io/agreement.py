"""One value, two places: the one-row-per-woman columns and the repeated records that hold
the same measurement (INTERCHANGE.md, visits.csv and mobilisation.csv).

Rules:
- visits.csv names follow-up visits of the protocol's schedule, and a row holds only the
  measurements its visit records (``ovaregen protocol show NAME`` lists them);
- participants.csv's follow-up columns hold the value at the protocol's primary follow-up
  visit (``Protocol.summary_visit``: for a measurement the primary visit does not record, the
  last follow-up visit that does); where both files give it they must agree, else an error
  names both places;
- participants.csv's ``gcsf_dN_ug_kg``, ``wbc_dN_10e9_l`` and ``symptoms_dN`` are day N of
  mobilisation.csv (``dose_ug_kg``, ``wbc_10e9_l``, ``symptoms``): both must agree;
- a participants.csv cell left empty is filled from the repeated record (unknown in one place,
  known in the other is no contradiction), so every reader of the participants table sees the
  value the visit holds.

Numbers agree within the alternative-unit rule's 2 % (``io.alternatives``), so that a value
converted from another unit in one file still matches; other values must be equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import (
    GCSF_DAYS,
    WBC_DAYS,
    DatasetFile,
    Kind,
    Variable,
    variable,
    variables_of,
)
from ovaregen.io.alternatives import RELATIVE_AGREEMENT
from ovaregen.io.checks import Check, Problem, Row, run_checks
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.raw import LINE, line_word
from ovaregen.io.validation import ValidatedTable

_OTHER = "\x00other"
_OTHER_LINE = "\x00other_line"


@dataclass(frozen=True)
class Pairing:
    """A participants.csv column and the repeated record's column holding the same value:
    ``rows`` picks the record's rows (one per participant) that correspond."""

    column: str
    record_column: str
    rows: pl.Expr
    where: str
    """The rows in words, for messages: "visit month_3", "day 2"."""


def visit_pairings(protocol: Protocol, supplied: set[str]) -> Iterator[Pairing]:
    """Each follow-up column with the visit whose value participants.csv holds."""
    for v in variables_of(DatasetFile.VISITS):
        visit = protocol.summary_visit(v.name) if v.name in supplied else None
        if visit is not None:
            yield Pairing(v.name, v.name, pl.col("visit") == visit, f"visit {visit}")


def mobilisation_pairings(supplied: set[str]) -> Iterator[Pairing]:
    """Each day column of participants.csv with its day of mobilisation.csv."""
    for day in WBC_DAYS:
        names = [(f"wbc_d{day}_10e9_l", "wbc_10e9_l")]
        if day in GCSF_DAYS:
            names += [(f"gcsf_d{day}_ug_kg", "dose_ug_kg"), (f"symptoms_d{day}", "symptoms")]
        for column, record_column in names:
            if record_column in supplied:
                yield Pairing(column, record_column, pl.col("day") == day, f"day {day}")


def schedule_findings(visits: ValidatedTable, protocol: Protocol) -> list[Finding]:
    """visits.csv rows of visits the schedule does not have, or values it does not record."""
    followup = protocol.followup_visits
    ids = [v.id for v in followup]
    checks = [
        Check(
            Severity.ERROR,
            "visit",
            pl.col("visit").is_not_null() & ~pl.col("visit").is_in(ids),
            lambda row: Problem(
                f'value "{row["visit"]}" is not a follow-up visit of protocol {protocol.name}',
                value=str(row["visit"]),
                expected=f"one of {', '.join(ids)}",
            ),
        )
    ]
    for v in variables_of(DatasetFile.VISITS):
        if not v.repeated or v.name not in visits.supplied:
            continue
        recording = [visit.id for visit in followup if v.name in visit.records]
        checks.append(_not_recorded_check(v.name, recording, ids, protocol.name))
    return run_checks(visits.frame, checks, visits.label)


def _not_recorded_check(name: str, recording: list[str], ids: list[str], study: str) -> Check:
    where = ", ".join(recording) if recording else "no visit"

    def describe(row: Row) -> Problem:
        return Problem(
            f"a value at visit {row['visit']}, which does not record {name} in protocol "
            f"{study} (recorded at: {where})",
            value=str(row[name]),
            expected=f"empty at visit {row['visit']}",
        )

    return Check(
        Severity.ERROR,
        name,
        pl.col(name).is_not_null() & pl.col("visit").is_in(ids) & ~pl.col("visit").is_in(recording),
        describe,
    )


def _agrees(kind: Kind) -> Callable[[pl.Expr, pl.Expr], pl.Expr]:
    if kind is Kind.NUMBER:
        return lambda a, b: (
            (a - b).abs() <= RELATIVE_AGREEMENT * pl.max_horizontal(a.abs(), b.abs())
        )
    return lambda a, b: a == b


def _paired(participants: ValidatedTable, record: ValidatedTable, pairing: Pairing) -> pl.LazyFrame:
    """participants.csv rows with the record's value (``_OTHER``) and line beside them."""
    other = (
        record.frame.lazy()
        .filter(pairing.rows & pl.col("participant_id").is_not_null())
        .select(
            pl.col("participant_id"),
            pl.col(pairing.record_column).alias(_OTHER),
            pl.col(LINE).alias(_OTHER_LINE),
        )
        .unique("participant_id", keep="first")
    )
    return (
        participants.frame.lazy()
        .select(LINE, "participant_id", pairing.column)
        .join(other, on="participant_id", how="left")
    )


def agreement_findings(
    participants: ValidatedTable, record: ValidatedTable, pairings: list[Pairing]
) -> list[Finding]:
    """Errors where participants.csv and the record give different values for one woman."""
    findings: list[Finding] = []
    record_word = line_word(record.label)
    for pairing in pairings:
        if pairing.column not in participants.supplied:
            continue
        kind = variable(pairing.column).kind
        both = pl.col(pairing.column).is_not_null() & pl.col(_OTHER).is_not_null()
        mask = both & ~_agrees(kind)(pl.col(pairing.column), pl.col(_OTHER))

        def describe(row: Row, pairing: Pairing = pairing) -> Problem:
            return Problem(
                f'value "{row[pairing.column]}" disagrees with {record.label} '
                f"{record_word} {row[_OTHER_LINE]} ({pairing.where}, column "
                f'{pairing.record_column}: "{row[_OTHER]}"); the same measurement given in '
                "both files must be the same: correct one or leave the participants.csv cell "
                "empty",
                value=str(row[pairing.column]),
                expected=f"{row[_OTHER]}, as {record.label} gives it",
            )

        check = Check(Severity.ERROR, pairing.column, mask, describe)
        findings += run_checks(_paired(participants, record, pairing), [check], participants.label)
    return findings


def filled_participants(
    participants: pl.DataFrame, record: pl.DataFrame, pairings: list[Pairing]
) -> pl.DataFrame:
    """participants with each paired column taking the record's value where it has one."""
    for pairing in pairings:
        target: Variable = variable(pairing.column)
        other = (
            record.filter(pairing.rows & pl.col("participant_id").is_not_null())
            .select("participant_id", pl.col(pairing.record_column).alias(_OTHER))
            .unique("participant_id", keep="first")
        )
        participants = (
            participants.join(other, on="participant_id", how="left", maintain_order="left")
            .with_columns(
                pl.coalesce(
                    pl.col(_OTHER).cast(participants.schema[target.name]), target.name
                ).alias(target.name)
            )
            .drop(_OTHER)
        )
    return participants
