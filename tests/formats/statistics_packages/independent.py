"""The documented decoding (docs/formats-stata-spss-sas.md) of what pandas' own readers give
back, and what they must give for a dataset's table: a choice as its word, a boolean as its
value label (``no``/``yes``; 0/1 in SAS transport), a date as a date (a SAS day number in
transport, which pandas does not format), numbers as floats, text as text, unknown as None."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import polars as pl

from ovaregen.domain.variables import DatasetFile, Kind
from ovaregen.formats.statistics_packages import SAS_EPOCH
from ovaregen.formats.typed import variable_of

XPT_ZERO = 1e-70
"""pandas reads a transport 0 as 16⁻⁶⁵ (5.4e-79, pandas-dev/pandas#50670): within this of
0 is 0, and only where the source holds 0."""


def found(series: pd.Series) -> list[Any]:
    """pandas' values as plain Python: categories as their labels, dates as dates, NaN, NaT
    and the empty string as None."""
    values = series.astype(object).tolist()
    return [_plain(v) for v in values]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def expected(file: DatasetFile, column: pl.Series, *, transport: bool = False) -> list[Any]:
    """What the documented decoding of pandas' values must give for ``column``."""
    v = variable_of(file, column.name)
    values = column.to_list()
    if v is not None and v.kind is Kind.BOOLEAN:
        words: dict[Any, Any] = {True: 1.0, False: 0.0} if transport else {True: "yes", False: "no"}
        return [None if x is None else words[x] for x in values]
    if v is not None and v.kind is Kind.DATE and transport:
        return [None if x is None else float((x - SAS_EPOCH).days) for x in values]
    if v is not None and v.kind in (Kind.NUMBER, Kind.INTEGER):
        return [None if x is None else float(x) for x in values]
    return values


def same(actual: list[Any], wanted: list[Any], *, transport: bool = False) -> bool:
    """Equal, a transport 0 read by pandas as within :data:`XPT_ZERO` of 0 counting as 0."""
    if len(actual) != len(wanted):
        return False
    for a, w in zip(actual, wanted, strict=True):
        if transport and w == 0.0 and isinstance(a, float) and abs(a) < XPT_ZERO:
            continue
        if a != w:
            return False
    return True
