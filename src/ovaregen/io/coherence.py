"""Rules across columns and rows of a validated table, and across files.

- ``participant_id`` is required in both files and unique in participants.csv (the repeat
  names the line of the first use);
- a pregnancy row must belong to a participant of participants.csv;
- pregnancies: a live birth has at least one infant born alive (error); infants born alive
  after a miscarriage, ectopic pregnancy or termination, or while the pregnancy is ongoing,
  are possible only in rare multiple pregnancies (warning); infants who died in their first
  year are among those born alive (error); infants with a congenital anomaly are among those
  born alive (error), except after a stillbirth, miscarriage or termination, where an affected
  fetus may have been counted (warning).

Only rows where every value involved is known are judged; unknown stays unknown.
"""

from __future__ import annotations

import polars as pl

from ovaregen.domain.variables import Variable
from ovaregen.io.checks import Check, Problem, Row
from ovaregen.io.dataset import Severity
from ovaregen.io.raw import LINE

_FIRST_LINE = "\x00first_line"
_LIVE_BORN = "infants_live_born"
_NON_BIRTH_OUTCOMES = ("miscarriage", "ectopic", "termination", "ongoing")
_FETUS_COUNTED_OUTCOMES = ("stillbirth", "miscarriage", "termination")


def required_check(variable: Variable) -> Check:
    """Rows with no value in a required column."""
    return Check(
        Severity.ERROR,
        variable.name,
        pl.col(variable.name).is_null(),
        lambda row: Problem(
            f"{variable.name} is empty; every row needs one",
            expected=f"a {variable.name}",
        ),
    )


def unique_check(variable: Variable, line_word: str) -> Check:
    """Rows repeating a value of a unique column, naming the line of its first use."""
    name = variable.name

    def describe(row: Row) -> Problem:
        return Problem(
            f'value "{row[name]}" is also on {line_word} {row[_FIRST_LINE]}; '
            f"each {name} may appear only once",
            value=str(row[name]),
            expected=f"a {name} not used on another {line_word}",
        )

    return Check(
        Severity.ERROR,
        name,
        pl.col(name).is_not_null() & ~pl.col(name).is_first_distinct(),
        describe,
        context=(pl.col(LINE).first().over(name).alias(_FIRST_LINE),),
    )


def known_participant_check(participant_ids: pl.Series, participants_label: str) -> Check:
    """Pregnancy rows whose participant is not in participants.csv."""
    return Check(
        Severity.ERROR,
        "participant_id",
        pl.col("participant_id").is_not_null()
        & ~pl.col("participant_id").is_in(participant_ids.implode()),
        lambda row: Problem(
            f'value "{row["participant_id"]}" is not a participant_id of {participants_label}',
            value=str(row["participant_id"]),
            expected=f"a participant_id listed in {participants_label}",
        ),
    )


def pregnancy_checks(columns: set[str]) -> list[Check]:
    """Coherence of outcome and infant counts, for the columns the file supplied."""
    checks: list[Check] = []
    if {"outcome", _LIVE_BORN} <= columns:
        outcome, born = pl.col("outcome"), pl.col(_LIVE_BORN)
        checks.append(
            Check(
                Severity.ERROR,
                _LIVE_BORN,
                (outcome == "live_birth") & (born == 0),
                lambda row: Problem(
                    'value "0" but outcome is live_birth; a live birth has at least one '
                    "infant born alive",
                    value="0",
                    expected="at least 1 when outcome is live_birth",
                ),
            )
        )
        checks.append(
            Check(
                Severity.WARNING,
                _LIVE_BORN,
                outcome.is_in(_NON_BIRTH_OUTCOMES) & (born > 0),
                lambda row: Problem(
                    f'value "{row[_LIVE_BORN]}" but outcome is {row["outcome"]}; '
                    "possible only in a rare multiple pregnancy; check it",
                    value=str(row[_LIVE_BORN]),
                    expected=f"0 when outcome is {row['outcome']}",
                ),
            )
        )
    for column in ("infant_death_first_year", "congenital_anomaly"):
        if {column, _LIVE_BORN} <= columns:
            checks += _among_live_born(column, "outcome" in columns)
    return checks


def _among_live_born(column: str, has_outcome: bool) -> list[Check]:
    """``column`` counts infants born alive, so it cannot exceed ``infants_live_born``."""
    exceeds = pl.col(column) > pl.col(_LIVE_BORN)
    fetus_counted = pl.lit(False)
    if column == "congenital_anomaly" and has_outcome:
        fetus_counted = pl.col("outcome").is_in(_FETUS_COUNTED_OUTCOMES).fill_null(False)

    def describe(row: Row) -> Problem:
        return Problem(
            f'value "{row[column]}" is more than infants_live_born "{row[_LIVE_BORN]}"',
            value=str(row[column]),
            expected=f"at most infants_live_born ({row[_LIVE_BORN]})",
        )

    def describe_fetus(row: Row) -> Problem:
        problem = describe(row)
        return Problem(
            f"{problem.message}; after a {row['outcome']} this counts an affected fetus, "
            "check it is meant",
            problem.value,
            problem.expected,
        )

    return [
        Check(Severity.ERROR, column, exceeds & ~fetus_counted, describe),
        Check(Severity.WARNING, column, exceeds & fetus_counted, describe_fetus),
    ]


def unique_together_check(columns: tuple[str, ...], line_word: str) -> Check:
    """Rows repeating a combination of ``columns`` (participant and visit, participant and
    day), naming the line of its first use."""
    key = pl.struct(columns)
    known = pl.all_horizontal(pl.col(c).is_not_null() for c in columns)
    together = " and ".join(columns)

    def describe(row: Row) -> Problem:
        shown = ", ".join(f"{c} {row[c]}" for c in columns)
        return Problem(
            f"{shown} is also on {line_word} {row[_FIRST_LINE]}; each {together} may appear "
            "only once",
            value=str(row[columns[-1]]),
            expected=f"one row per {together}",
        )

    return Check(
        Severity.ERROR,
        columns[-1],
        known & ~key.is_first_distinct(),
        describe,
        context=(pl.col(LINE).first().over(columns).alias(_FIRST_LINE),),
    )


def adverse_event_checks(columns: set[str]) -> list[Check]:
    """CTCAE grade 5 ⇔ outcome fatal; fatal ⇒ serious (for the columns supplied)."""
    checks: list[Check] = []
    grade, outcome, serious = pl.col("grade"), pl.col("outcome"), pl.col("serious")
    if {"grade", "outcome"} <= columns:
        checks.append(
            Check(
                Severity.ERROR,
                "outcome",
                (grade == 5) & (outcome != "fatal"),
                lambda row: Problem(
                    f'value "{row["outcome"]}" but grade is 5 (death related to the event)',
                    value=str(row["outcome"]),
                    expected="fatal when grade is 5",
                ),
            )
        )
        checks.append(
            Check(
                Severity.ERROR,
                "grade",
                (outcome == "fatal") & (grade != 5),
                lambda row: Problem(
                    f'value "{row["grade"]}" but outcome is fatal; CTCAE grade 5 is death '
                    "related to the event",
                    value=str(row["grade"]),
                    expected="5 when outcome is fatal",
                ),
            )
        )
    if {"serious", "outcome"} <= columns:
        checks.append(
            Check(
                Severity.ERROR,
                "serious",
                (outcome == "fatal") & ~serious,
                lambda row: Problem(
                    'value "false" but outcome is fatal; an event resulting in death is serious',
                    value="false",
                    expected="true when outcome is fatal",
                ),
            )
        )
    return checks


_NOT_ON_DAY_5 = ("dose_ug_kg", "proposed_action", "proposed_dose_ug_kg", "decision")


def mobilisation_checks(columns: set[str]) -> list[Check]:
    """Day 5 has no G-CSF dose and no proposal; a changed decision gives its dose."""
    checks: list[Check] = []
    for column in _NOT_ON_DAY_5:
        if {"day", column} <= columns:
            checks.append(_not_on_day_5(column))
    if {"decision", "decided_dose_ug_kg"} <= columns:
        checks.append(
            Check(
                Severity.ERROR,
                "decided_dose_ug_kg",
                (pl.col("decision") == "change") & pl.col("decided_dose_ug_kg").is_null(),
                lambda row: Problem(
                    "empty but decision is change; a changed decision gives the dose decided",
                    expected="the dose decided (µg/kg/day)",
                ),
            )
        )
    return checks


def _not_on_day_5(column: str) -> Check:
    return Check(
        Severity.ERROR,
        column,
        (pl.col("day") == 5) & pl.col(column).is_not_null(),
        lambda row: Problem(
            f'value "{row[column]}" on day 5; G-CSF is given and titrated on days 1–4 only '
            "(day 5 is the CD34+ count and the injection)",
            value=str(row[column]),
            expected="empty on day 5",
        ),
    )
