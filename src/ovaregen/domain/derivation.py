"""The derived participant table: inputs, diagnoses, eligibility and endpoints side by side.

What ``ovaregen derive`` writes (one row per participant) and the cohort tables beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from ovaregen.domain.endpoints import (
    LiveBirthMeasure,
    derive_participants,
    gcsf_symptom_table,
    gcsf_worst_symptom_table,
    live_birth_measures,
)
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.schema import canonical_schema, conform
from ovaregen.domain.screening import screening_columns
from ovaregen.domain.variables import DatasetFile


@dataclass(frozen=True)
class Derivation:
    """A cohort's derived table and cohort-level endpoint tables for one protocol."""

    protocol: Protocol
    participants: pl.DataFrame
    symptoms_by_day: pl.DataFrame
    worst_symptom: pl.DataFrame
    live_birth: tuple[LiveBirthMeasure, ...]


def diagnosis_columns(protocol: Protocol) -> list[pl.Expr]:
    """Screening columns plus DOR and fluctuating POI, named for the derived table."""
    rules = protocol.rules()
    screening = screening_columns(rules)[1:]  # without participant_id
    return [
        *screening[:3],
        rules.rule_set["poi.fluctuating"].expression.alias("poi_fluctuating"),
        rules.rule_set["dor"].expression.alias("dor"),
        *screening[3:],
    ]


def derive_table(
    participants: pl.DataFrame,
    pregnancies: pl.DataFrame,
    protocol: Protocol,
    supplied: Sequence[str] | None = None,
) -> Derivation:
    """Derive every column for a cohort under ``protocol``.

    The table keeps the participant columns the dataset supplied (``supplied``; all canonical
    columns when None) and any extra columns, then adds the diagnoses of the protocol's
    edition and settings, eligibility with its failed and unknown criteria, and every endpoint
    of ``ovaregen.domain.endpoints``. Inputs are not modified.
    """
    people = conform(participants, DatasetFile.PARTICIPANTS)
    canonical = canonical_schema(DatasetFile.PARTICIPANTS)
    keep = supplied if supplied is not None else [c for c in participants.columns if c in canonical]
    extras = [c for c in participants.columns if c not in canonical]
    inputs = people.select(list(dict.fromkeys(["participant_id", *keep, *extras])))
    diagnoses = people.select(diagnosis_columns(protocol))
    endpoints = derive_participants(people, pregnancies).drop("participant_id")
    table = pl.concat([inputs, diagnoses, endpoints], how="horizontal")
    return Derivation(
        protocol=protocol,
        participants=table,
        symptoms_by_day=gcsf_symptom_table(people),
        worst_symptom=gcsf_worst_symptom_table(people),
        live_birth=live_birth_measures(people, pregnancies),
    )


def live_birth_table(measures: Sequence[LiveBirthMeasure]) -> pl.DataFrame:
    """The live-birth measures as a table, each with its numerator and denominator named."""
    return pl.DataFrame(
        [
            {
                "id": m.id,
                "label": m.label,
                "numerator": m.numerator,
                "numerator_label": m.numerator_label,
                "denominator": m.denominator,
                "denominator_label": m.denominator_label,
                "proportion": m.proportion,
                "unknown": m.unknown,
                "note": m.note,
            }
            for m in measures
        ],
        schema={
            "id": pl.String,
            "label": pl.String,
            "numerator": pl.Int64,
            "numerator_label": pl.String,
            "denominator": pl.Int64,
            "denominator_label": pl.String,
            "proportion": pl.Float64,
            "unknown": pl.Int64,
            "note": pl.String,
        },
    )
