"""Apportioning published counts to any cohort size, and vectorised column building.

Every count-based figure of a synthetic cohort is a *largest-remainder apportionment* of the
published counts to the requested size: the quota of category ``i`` is
``total × weight_i / Σ weights``; each category gets the integer part, and the units left over
go to the largest fractional parts (ties: the larger weight, then the earlier category). At
the published size every quota is an integer, so the published counts come out exactly; at
ten times the size they come out exactly ten times; elsewhere each count is within one of its
proportional share and the counts always add up to ``total``.

Columns are built as numpy arrays per group of participants (:class:`Columns`) and turned
into typed Polars columns in one go (:func:`to_frame`): numbers and integers as ``float64``
with ``NaN`` for unknown, booleans as ``int8`` (``-1`` unknown), enumerations and text as
integer codes into a category tuple (``-1`` unknown), dates as days since 1970-01-01.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from ovaregen.domain.schema import canonical_schema
from ovaregen.domain.variables import DatasetFile

__all__ = [
    "Columns",
    "Tables",
    "apportion",
    "canonical_order",
    "check_size",
    "day_number",
    "fix_sum",
    "ids",
    "pin_range",
    "quantile_take",
    "recentre",
    "to_frame",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Tables = dict[DatasetFile, pl.DataFrame]
"""A generator's output: the canonical frame of each file the study writes, holding only the
columns it records (in data-dictionary order)."""

_EPOCH = date(1970, 1, 1)


def apportion(total: int, weights: Sequence[int] | Sequence[float]) -> IntArray:
    """Largest-remainder apportionment of ``total`` units over ``weights``.

    Returns one non-negative integer per weight, summing to ``total``. When ``total`` equals
    the sum of integer weights the result is the weights themselves.
    """
    w = np.asarray(weights, dtype=np.float64)
    if total < 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError("apportion needs total ≥ 0 and non-negative weights with a positive sum")
    quotas = total * w / w.sum()
    base: IntArray = np.floor(quotas + 1e-9).astype(np.int64)
    left = int(total - base.sum())
    if left > 0:
        remainders = quotas - base
        # largest remainder first; ties: larger weight, then earlier category
        order = np.lexsort((np.arange(w.size), -w, -np.round(remainders, 9)))
        base[order[:left]] += 1
    return base


def check_size(study: str, n: int, minimum: int) -> None:
    """Refuse a cohort size below the study's minimum, saying what the minimum is."""
    if n < minimum:
        raise ValueError(
            f"n = {n} is too small for study {study!r}: the smallest cohort that keeps every "
            f"published group non-empty is n = {minimum}"
        )


def quantile_take(template: Sequence[float], k: int) -> FloatArray:
    """``k`` values read off a sorted template at evenly spaced ranks.

    Value ``i`` is the template's element at rank ``⌊(i + ½) · m / k⌋`` (``m`` = template
    length): at ``k = m`` this is the template itself; at other sizes the distribution of the
    template, each value repeated in proportion.
    """
    values = np.sort(np.asarray(template, dtype=np.float64))
    if k == 0:
        return np.empty(0)
    ranks = np.floor((np.arange(k) + 0.5) * values.size / k).astype(np.int64)
    return values[np.minimum(ranks, values.size - 1)]


def recentre(
    values: FloatArray, mean: float, low: float, high: float, *, log: bool = False
) -> FloatArray:
    """Shift (or, with ``log``, scale) ``values`` so their mean is ``mean``, inside the range.

    Clipping after the shift moves the mean a little; three rounds bring it back.
    """
    out = values.copy()
    if out.size == 0:
        return out
    for _ in range(3):
        current = float(out.mean())
        out = out * (mean / current) if log and current > 0 else out + (mean - current)
        out = np.clip(out, low, high)
    return out


def pin_range(values: FloatArray, low: float, high: float) -> FloatArray:
    """``values`` with the smallest set to ``low`` and the largest to ``high`` (published range)."""
    out = values.copy()
    if out.size >= 2:
        out[int(np.argmin(out))] = low
        out[int(np.argmax(out))] = high
    return out


def fix_sum(
    values: FloatArray,
    total: float,
    *,
    decimals: int,
    low: float,
    high: float,
    rng: np.random.Generator,
) -> FloatArray:
    """Rounded ``values`` nudged by one last-digit unit each until they sum to ``total``.

    Values at the bounds ``low`` / ``high`` are never moved (the published range stays);
    nudged values stay strictly inside. Used to hit a published mean to its printed digit.
    """
    unit = 10.0**-decimals
    out = np.round(values, decimals)
    steps = round((round(total, decimals) - float(out.sum())) / unit)
    if steps == 0 or out.size == 0:
        return out
    direction = 1.0 if steps > 0 else -1.0
    moved = out + direction * unit
    movable = np.flatnonzero((out > low) & (out < high) & (moved > low) & (moved < high))
    if movable.size == 0:
        return out
    chosen = rng.permutation(movable)
    reps = -(-abs(steps) // chosen.size)  # ceil
    index = np.tile(chosen, reps)[: abs(steps)]
    np.add.at(out, index, direction * unit)
    return np.clip(np.round(out, decimals), low, high)


def day_number(day: date) -> int:
    """Days from 1970-01-01 to ``day`` (the integer form of a Polars ``Date``)."""
    return (day - _EPOCH).days


class Columns:
    """Columns of one group of rows (participants, pregnancies, visits, …) as numpy arrays.

    Groups are concatenated by :func:`to_frame`; a column a group does not set is unknown
    for that group's rows.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: dict[str, npt.NDArray[np.generic]] = {}

    def set(self, name: str, values: npt.ArrayLike) -> None:
        """Set a column: a scalar is broadcast to the group's size."""
        array = np.asarray(values)
        if array.ndim == 0:
            array = np.full(self.size, array)
        if array.shape != (self.size,):
            raise ValueError(f"column {name}: {array.shape} values for {self.size} rows")
        self.values[name] = array


def _null_of(kind: pl.DataType) -> float | int:
    return np.nan if kind in (pl.Float64(), pl.Int64(), pl.Date()) else -1


def to_frame(
    groups: Sequence[Columns],
    file: DatasetFile,
    categories: Mapping[str, Sequence[str | bool]],
    order: npt.NDArray[np.int64] | None = None,
) -> pl.DataFrame:
    """One canonical frame from ``groups`` (rows in group order, then reordered by ``order``).

    Only the columns some group set are kept, in data-dictionary order, with canonical types.
    Text and enumeration columns (and booleans) are codes into ``categories[name]``
    (booleans default to ``(False, True)``).
    """
    schema = canonical_schema(file)
    used = {name for group in groups for name in group.values}
    unknown = used - set(schema)
    if unknown:
        raise KeyError(f"not canonical {file.value} columns: {sorted(unknown)}")
    series: list[pl.Series] = []
    for name, dtype in schema.items():
        if name not in used:
            continue
        fill = _null_of(dtype)
        parts = [
            group.values[name] if name in group.values else np.full(group.size, fill)
            for group in groups
        ]
        array = np.concatenate(parts) if parts else np.empty(0)
        if order is not None:
            array = array[order]
        series.append(_series(name, array, dtype, categories))
    return pl.DataFrame(series)


def _series(
    name: str,
    array: npt.NDArray[np.generic],
    dtype: pl.DataType,
    categories: Mapping[str, Sequence[str | bool]],
) -> pl.Series:
    if dtype == pl.Float64():
        return pl.Series(name, array.astype(np.float64), nan_to_null=True)
    if dtype == pl.Int64():
        return pl.Series(name, array.astype(np.float64), nan_to_null=True).cast(pl.Int64)
    if dtype == pl.Date():
        days = pl.Series(name, array.astype(np.float64), nan_to_null=True)
        return days.cast(pl.Int32).cast(pl.Date)
    codes = array.astype(np.int64)
    if dtype == pl.Boolean():
        values: Sequence[str | bool] = categories.get(name, (False, True))
    else:
        values = categories[name]
    lookup = pl.Series(name, [*values, None], dtype=dtype)
    return lookup.gather(np.where(codes < 0, len(values), codes))


def ids(prefix: str, n: int) -> pl.Expr:
    """Participant ids ``prefix`` + 1 … n, zero-padded to at least three digits."""
    width = max(3, len(str(n)))
    number = pl.int_range(1, n + 1, dtype=pl.Int64).cast(pl.String).str.zfill(width)
    return pl.format(prefix + "{}", number).alias("participant_id")


def canonical_order(frame: pl.DataFrame, file: DatasetFile) -> pl.DataFrame:
    """``frame``'s canonical columns in data-dictionary order (extra columns dropped)."""
    return frame.select([name for name in canonical_schema(file) if name in frame.columns])
