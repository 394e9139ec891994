"""Patient-level reconstructions of the published studies A and B (shared/spec/STUDIES.md).

Each module builds a deterministic cohort whose published counts come out exactly and whose
continuous summaries come out approximately when computed through ``ovaregen``'s own domain
and statistics functions: ``study_a`` ("Stem Cell Regenera", G-CSF + SCFE-PRP) and ``study_b``
(MenSC long-term follow-up). Nothing is drawn at random except through a
``numpy.random.Generator`` with a fixed seed.

This package file holds the small helpers both reconstructions use: spreading values over a
published range with a published mean, fixing a sum after rounding, and packing frames into a
:class:`~ovaregen.io.dataset.Dataset` for ``write_dataset``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import NormalDist
from typing import Any

import polars as pl

from ovaregen.domain.schema import canonical_schema, conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.io.writer import write_dataset

__all__ = ["build_frame", "fit_sum", "from_quantiles", "spread", "write_frames"]


def fit_sum(
    values: Sequence[float], total: float, *, decimals: int, low: float, high: float
) -> list[float]:
    """``values`` (sorted) nudged by one last-digit unit at a time until they sum to ``total``.

    The first and last values (the published minimum and maximum) are never touched; interior
    values move from the middle outwards and stay strictly inside ``(low, high)``.
    """
    unit = 10.0**-decimals
    result = [round(v, decimals) for v in values]
    steps = round((total - sum(result)) / unit)
    direction = 1 if steps > 0 else -1
    middle = len(result) // 2
    order = sorted(range(1, len(result) - 1), key=lambda i: (abs(i - middle), i))
    while steps:
        moved = False
        for i in order:
            candidate = round(result[i] + direction * unit, decimals)
            if low < candidate < high:
                result[i] = candidate
                steps -= direction
                moved = True
                if not steps:
                    break
        if not moved:
            raise ValueError(f"cannot reach the sum {total} inside ({low}, {high})")
    return sorted(result)


def spread(
    n: int,
    low: float,
    high: float,
    mean: float,
    *,
    sd: float,
    decimals: int,
    log: bool = False,
) -> list[float]:
    """``n`` sorted values from ``low`` to ``high`` (both attained) with the given ``mean``.

    The ``n − 2`` interior values are normal quantiles (log-normal with ``log=True``, where
    ``sd`` is on the log scale) around a centre found by bisection so that the mean of all
    ``n`` values is ``mean``; they are clipped into the range, rounded to ``decimals`` and
    their sum is fixed with :func:`fit_sum` (the mean is exact up to the rounding unit / n).
    Used for every "mean (min–max)" a paper publishes.
    """
    quantiles = [NormalDist().inv_cdf((i + 0.5) / (n - 2)) for i in range(n - 2)]
    transform: Callable[[float], float] = math.exp if log else float

    def interior(centre: float) -> list[float]:
        return [min(max(transform(centre + sd * q), low), high) for q in quantiles]

    target = mean * n - low - high
    lo, hi = (math.log(low) if low > 0 else -50.0, math.log(high)) if log else (low, high)
    for _ in range(200):
        centre = (lo + hi) / 2
        if sum(interior(centre)) < target:
            lo = centre
        else:
            hi = centre
    values = sorted([low, *interior((lo + hi) / 2), high])
    return fit_sum(values, round(mean * n, decimals), decimals=decimals, low=low, high=high)


def from_quantiles(
    n: int, anchors: dict[float, float], mean: float, *, decimals: int
) -> list[float]:
    """``n`` sorted values through the given quantiles, with the given ``mean``.

    ``anchors`` maps a rank fraction (0 = minimum, 1 = maximum) to a value; the value at rank
    ``i`` is interpolated between anchors on the log scale (counts such as CD34+ cells are
    skewed), rounded to ``decimals``, and the sum is fixed with :func:`fit_sum`. Used where a
    paper's figures pin down more than a mean and a range (an AUC below 0.5 despite a higher
    mean needs a heavy upper tail over a lower bulk).
    """
    fractions = sorted(anchors)
    if fractions[0] != 0 or fractions[-1] != 1:
        raise ValueError("anchors must include the minimum (0) and the maximum (1)")

    def at(rank: float) -> float:
        upper = min(bisect_right(fractions, rank), len(fractions) - 1)
        f0, f1 = fractions[upper - 1], fractions[upper]
        v0, v1 = math.log(anchors[f0]), math.log(anchors[f1])
        return math.exp(v0 + (v1 - v0) * (rank - f0) / (f1 - f0))

    values = [at(i / (n - 1)) for i in range(n)]
    low, high = anchors[0], anchors[1]
    return fit_sum(values, round(mean * n, decimals), decimals=decimals, low=low, high=high)


def build_frame(rows: Sequence[dict[str, Any]], file: DatasetFile) -> pl.DataFrame:
    """Rows of interchange values as a frame of the given columns in canonical types.

    Only the columns the rows use are kept, in data-dictionary order: the frame is what a
    clinic's export would hold, not every canonical column.
    """
    schema = canonical_schema(file)
    used = {key for row in rows for key in row}
    unknown = used - set(schema)
    if unknown:
        raise KeyError(f"not canonical {file.value} columns: {sorted(unknown)}")
    columns = [name for name in schema if name in used]
    return pl.DataFrame(
        [{name: row.get(name) for name in columns} for row in rows],
        schema={name: schema[name] for name in columns},
        orient="row",
    )


def write_frames(
    participants: pl.DataFrame, pregnancies: pl.DataFrame, folder: Path, source: str
) -> Path:
    """Write the two frames to ``folder`` with ``ovaregen.io.writer.write_dataset``.

    Only the columns of the frames are written (``Dataset.supplied``). Returns ``folder``.
    """
    dataset = Dataset(
        participants=conform(participants, DatasetFile.PARTICIPANTS),
        pregnancies=conform(pregnancies, DatasetFile.PREGNANCIES),
        source=source,
        supplied={
            DatasetFile.PARTICIPANTS.value: tuple(participants.columns),
            DatasetFile.PREGNANCIES.value: tuple(pregnancies.columns),
        },
    )
    write_dataset(dataset, folder)
    return folder
