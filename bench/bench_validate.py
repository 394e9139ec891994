"""Benchmark: read and validate a large participants.csv (target ≤ 10 s for 1,000,000 rows).

The file is generated with Polars expressions from a fixed seed: 42 columns of every kind
(text, numbers, whole numbers, booleans, dates, choices), about 3 % of cells empty, all values
valid so that the happy path is what is timed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from bench.harness import Measurement, stopwatch
from ovaregen.io.reader import read_dataset

TARGET_SECONDS = 10.0
SEED = 20240607


def _uniform(salt: int) -> pl.Expr:
    """A pseudo-random number in [0, 1) per row, fixed by ``SEED`` and ``salt``."""
    return (pl.int_range(pl.len()).hash(SEED + salt) % 1_000_003).cast(pl.Float64) / 1_000_003


def _maybe_empty(expr: pl.Expr, salt: int, rate: float = 0.03) -> pl.Expr:
    return pl.when(_uniform(10_000 + salt) < rate).then(pl.lit(None, pl.String)).otherwise(expr)


def _number(salt: int, low: float, high: float, decimals: int) -> pl.Expr:
    value = (low + _uniform(salt) * (high - low)).round(decimals)
    return (value.cast(pl.Int64) if decimals == 0 else value).cast(pl.String)


def _whole(salt: int, low: int, high: int) -> pl.Expr:
    return (low + _uniform(salt) * (high - low + 1)).floor().cast(pl.Int64).cast(pl.String)


def _choice(salt: int, choices: tuple[str, ...]) -> pl.Expr:
    index = (_uniform(salt) * len(choices)).floor().cast(pl.Int64)
    return pl.lit(pl.Series(choices)).gather(index)


def _flag(salt: int, rate: float = 0.1) -> pl.Expr:
    return pl.when(_uniform(salt) < rate).then(pl.lit("true")).otherwise(pl.lit("false"))


def _date(salt: int, start: str, days: int) -> pl.Expr:
    offset = (_uniform(salt) * days).floor().cast(pl.Int64)
    return (pl.lit(start).str.to_date() + pl.duration(days=offset)).cast(pl.String)


def participants_frame(n: int) -> pl.DataFrame:
    """``n`` valid participants in interchange form (all columns as text)."""
    menses = ("regular", "irregular", "amenorrhea", "menopause")
    columns: dict[str, pl.Expr] = {
        "participant_id": pl.format("P{}", pl.int_range(pl.len()).cast(pl.String).str.zfill(7)),
        "site": _choice(1, ("tehran", "madrid", "shanghai", "athens")),
        "status": _choice(2, ("completed", "completed", "withdrawn", "lost_to_follow_up")),
        "arm": _choice(3, ("treatment", "control")),
        "age_years": _number(4, 20, 48, 0),
        "ethnicity": _choice(5, ("asian", "white", "black", "other")),
        "amh_ng_ml": _number(6, 0, 4, 2),
        "afc": _whole(7, 0, 12),
        "fsh_1_iu_l": _number(8, 3, 90, 1),
        "fsh_1_date": _date(9, "2019-01-01", 1500),
        "fsh_2_iu_l": _number(11, 3, 90, 1),
        "fsh_2_date": _date(12, "2019-03-01", 1500),
        "amenorrhea_months": _number(13, 0, 60, 0),
        "menses": _choice(14, menses),
        "prior_oocytes_retrieved": _whole(15, 0, 10),
        "prior_por_cycles": _whole(16, 0, 4),
        "por_risk_factor": _flag(17),
        "hemoglobin_g_dl": _number(18, 9, 15, 1),
        "wbc_10e9_l": _number(19, 3, 11, 2),
        "platelets_10e9_l": _number(20, 150, 400, 0),
        "ovary_left_mm": _number(21, 10, 35, 1),
        "ovary_right_mm": _number(22, 10, 35, 1),
        "married": _flag(23, 0.9),
        "consent": _flag(24, 0.98),
        "karyotype_abnormal": _flag(25, 0.01),
        "genetic_poi": _flag(26, 0.01),
        "autoimmune_disease": _flag(27, 0.02),
        "endometriosis": _flag(28, 0.05),
        "hbsag": _flag(29, 0.01),
        "hiv": _flag(30, 0.005),
        "treatment_date": _date(31, "2020-01-01", 1500),
        "injections": _whole(32, 1, 2),
        "cells_injected_millions": _number(33, 5, 20, 1),
        "gcsf_d1_ug_kg": _number(34, 5, 10, 1),
        "wbc_d5_10e9_l": _number(35, 10, 45, 1),
        "symptoms_d1": _choice(36, ("none", "mild", "moderate", "severe")),
        "cd34_d5_per_ul": _number(37, 5, 150, 1),
        "afc_post": _whole(38, 0, 15),
        "amh_post_ng_ml": _number(39, 0, 4, 2),
        "menses_followup": _choice(40, menses),
        "followup_months": _number(41, 6, 60, 1),
        "comp_ovarian_cyst": _flag(42, 0.03),
    }
    rows = pl.DataFrame({"_": pl.repeat(0, n, eager=True)})
    return rows.select(
        (expr if name == "participant_id" else _maybe_empty(expr, salt)).alias(name)
        for salt, (name, expr) in enumerate(columns.items())
    )


def write_participants(n: int, folder: Path) -> Path:
    """Write ``n`` generated participants to ``folder/participants.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "participants.csv"
    participants_frame(n).write_csv(path)
    return path


def measure(n: int = 1_000_000) -> list[Measurement]:
    """Time ``read_dataset`` on a generated ``n``-row participants.csv."""
    with tempfile.TemporaryDirectory(prefix="ovaregen-bench-") as tmp:
        folder = Path(tmp)
        path = write_participants(n, folder)
        size_mb = path.stat().st_size / 1e6
        with stopwatch() as elapsed:
            dataset = read_dataset(folder)
        rows = dataset.participants.height
    return [
        Measurement(
            name="read and validate participants.csv",
            n=rows,
            seconds=elapsed[0],
            target_seconds=TARGET_SECONDS if n >= 1_000_000 else None,
            note=f"{len(dataset.participants.columns)} canonical columns, {size_mb:.0f} MB file",
        )
    ]


if __name__ == "__main__":
    for measurement in measure():
        print(measurement)
