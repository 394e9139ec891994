"""Endpoint derivation benchmark: 1,000,000 participants with 300,000 pregnancies."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

from bench.harness import Measurement, best_of
from ovaregen.domain.endpoints import derive_participants
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile


def generated_cohort(n: int, m: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``n`` canonical participants and ``m`` pregnancies spread over them (seeded hashes)."""
    draw = pl.int_range(pl.len(), dtype=pl.Int64)
    participants = conform(
        pl.DataFrame({"i": range(n)}).select(
            pl.format("P{}", "i").alias("participant_id"),
            (draw.hash(1) % 10).cast(pl.Int64).alias("afc"),
            (draw.hash(2) % 14).cast(pl.Int64).alias("afc_post"),
            ((draw.hash(3) % 300) / 100).alias("amh_ng_ml"),
            ((draw.hash(4) % 400) / 100).alias("amh_post_ng_ml"),
            pl.lit(1, pl.Int64).alias("injections"),
            ((draw.hash(5) % 480) / 10).alias("followup_months"),
            pl.lit("mild").alias("symptoms_d2"),
        )
    )
    pregnancies = conform(
        pl.DataFrame({"i": range(m)}).select(
            pl.format("P{}", draw.hash(6) % n).alias("participant_id"),
            pl.when(draw % 2 == 0)
            .then(pl.lit("ivf"))
            .otherwise(pl.lit("spontaneous"))
            .alias("conception"),
            ((draw.hash(7) % 300) / 10).alias("months_after_treatment"),
            pl.lit("live_birth").alias("outcome"),
            pl.lit(1, pl.Int64).alias("infants_live_born"),
        ),
        DatasetFile.PREGNANCIES,
    )
    return participants, pregnancies


def measure(n: int = 1_000_000) -> list[Measurement]:
    m = n * 3 // 10
    participants, pregnancies = generated_cohort(n, m)
    seconds = best_of(3, lambda: derive_participants(participants, pregnancies))
    return [
        Measurement(
            "derive every endpoint",
            n,
            seconds,
            note=f"{m:,} pregnancy rows; activation, pregnancy, time to pregnancy, G-CSF safety",
        )
    ]
