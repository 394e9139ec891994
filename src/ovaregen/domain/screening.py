"""Screening: diagnoses and eligibility for a whole cohort, or one participant, by protocol.

Eligibility (CRITERIA.md "Study eligibility"): eligible only when every inclusion criterion is
true and every exclusion criterion is false; false when any inclusion is false or any
exclusion is true; otherwise unknown, with the unknown criteria listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from ovaregen.domain.criteria import Criterion, Role, all_of, truth_labels
from ovaregen.domain.protocols import Protocol, ProtocolRules
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile

SCREEN_COLUMNS = (
    "participant_id",
    "poi",
    "por_bologna",
    "poseidon_group",
    "eligible",
    "failed_criteria",
    "unknown_criteria",
)
"""The columns of ``ovaregen screen``'s output, in order (INTERCHANGE.md "Outputs")."""

_SEPARATOR = ";"


def _failed(criterion: Criterion) -> pl.Expr:
    """True where the criterion rules the participant out (definitely)."""
    if criterion.role is Role.EXCLUSION:
        return criterion.expression.fill_null(False)
    return (~criterion.expression).fill_null(False)


def _passes(criterion: Criterion) -> pl.Expr:
    return ~criterion.expression if criterion.role is Role.EXCLUSION else criterion.expression


def _id_list(criteria: tuple[Criterion, ...], condition: Any) -> pl.Expr:
    """The ids of the criteria for which ``condition(criterion)`` holds, ``;``-separated."""
    if not criteria:
        return pl.lit("")
    return pl.concat_str(
        [pl.when(condition(c)).then(pl.lit(c.id)) for c in criteria],
        separator=_SEPARATOR,
        ignore_nulls=True,
    ).fill_null("")


def eligibility(rules: ProtocolRules) -> pl.Expr:
    """Three-valued eligibility: Kleene conjunction of inclusions and negated exclusions."""
    return all_of(_passes(c) for c in rules.judged)


def screening_columns(rules: ProtocolRules) -> list[pl.Expr]:
    """The screening result as expressions over a canonical participants frame.

    ``poi``, ``por_bologna`` and ``eligible`` are booleans (null = unknown); the criteria lists
    are ``;``-separated ids in protocol order.
    """
    rule_set = rules.rule_set
    return [
        pl.col("participant_id"),
        rule_set["poi"].column(),
        rule_set["por_bologna"].column(),
        rules.poseidon_group.alias("poseidon_group"),
        eligibility(rules).alias("eligible"),
        _id_list(rules.judged, _failed).alias("failed_criteria"),
        _id_list(rules.judged, lambda c: c.expression.is_null()).alias("unknown_criteria"),
    ]


def screen(participants: pl.DataFrame, protocol: Protocol) -> pl.DataFrame:
    """Screen every participant of a canonical frame against one protocol.

    Returns the columns of :data:`SCREEN_COLUMNS`; booleans stay booleans (null = unknown).
    """
    frame = conform(participants, DatasetFile.PARTICIPANTS)
    return frame.select(screening_columns(protocol.rules()))


def as_interchange(result: pl.DataFrame) -> pl.DataFrame:
    """The screening result as INTERCHANGE.md writes it: ``true``/``false``/``unknown``."""
    return result.with_columns(
        truth_labels(pl.col(name)).alias(name) for name in ("poi", "por_bologna", "eligible")
    )


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's value for one participant, with its inputs and source."""

    criterion: Criterion
    value: bool | None
    inputs: dict[str, Any]
    depth: int


@dataclass(frozen=True)
class Explanation:
    """Why one participant is, is not, or may be eligible for a protocol."""

    participant_id: str
    protocol: Protocol
    eligible: bool | None
    poseidon_group: str
    results: tuple[CriterionResult, ...]


def _tree(rules: ProtocolRules) -> list[tuple[Criterion, int]]:
    """Judged criteria in protocol order, each followed by its parts (recursively)."""
    by_id = {c.id: c for c in rules.rule_set.criteria}
    ordered: list[tuple[Criterion, int]] = []

    def visit(criterion: Criterion, depth: int) -> None:
        ordered.append((criterion, depth))
        for part in criterion.parts:
            visit(by_id[part], depth + 1)

    for criterion in rules.judged:
        visit(criterion, 0)
    return ordered


def explain(participants: pl.DataFrame, protocol: Protocol, participant_id: str) -> Explanation:
    """Every criterion of ``protocol`` for one participant, with its value and inputs.

    Raises ``KeyError`` when the participant is not in the frame.
    """
    frame = conform(participants, DatasetFile.PARTICIPANTS)
    row = frame.filter(pl.col("participant_id") == participant_id)
    if row.height == 0:
        raise KeyError(participant_id)
    row = row.head(1)
    rules = protocol.rules()
    tree = _tree(rules)
    values = row.select(
        *(c.expression.alias(f"{i}:{c.id}") for i, (c, _) in enumerate(tree)),
        eligibility(rules).alias("eligible"),
        rules.poseidon_group.alias("poseidon_group"),
    ).row(0, named=True)
    inputs = row.row(0, named=True)
    results = tuple(
        CriterionResult(c, values[f"{i}:{c.id}"], {k: inputs[k] for k in c.inputs}, depth)
        for i, (c, depth) in enumerate(tree)
    )
    return Explanation(
        participant_id, protocol, values["eligible"], values["poseidon_group"], results
    )
