"""Taking a column out of a user's frame (Polars or pandas) for a statistical method."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray


def frame_column(frame: Any, name: str) -> Any:
    """Column ``name`` of a Polars or pandas frame; a clear error when it is not there."""
    if name not in list(frame.columns):
        raise ValueError(f"column {name!r} is not in the frame")
    return frame[name]


def numeric_column(frame: Any, name: str) -> NDArray[np.float64]:
    """Column ``name`` as float64: missing values (null, None, NA, NaN) as NaN, booleans 0/1.

    Raises ``ValueError`` naming the column when it is absent or not numeric/boolean.
    """
    column = frame_column(frame, name)
    if isinstance(column, pl.Series):
        if not (column.dtype.is_numeric() or column.dtype in (pl.Boolean, pl.Null)):
            raise ValueError(f"column {name!r} is not numeric or boolean")
        return np.asarray(column.cast(pl.Float64).to_numpy(), dtype=float)
    try:  # pandas
        return np.asarray(column.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    except (ValueError, TypeError) as error:
        raise ValueError(f"column {name!r} is not numeric or boolean") from error
