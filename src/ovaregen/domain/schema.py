"""The canonical in-memory form of a study dataset: one typed Polars column per variable.

A null is an unknown value (INTERCHANGE.md: "empty cell = unknown, never zero, never false").
Rules, endpoints and statistics read only canonical columns; a column the dataset did not
supply is present as all-null, so a rule over it evaluates to ``unknown``.
"""

from __future__ import annotations

import polars as pl

from ovaregen.domain.variables import DatasetFile, Kind, Variable, variables_of

_DTYPES: dict[Kind, pl.DataType] = {
    Kind.TEXT: pl.String(),
    Kind.CHOICE: pl.String(),
    Kind.NUMBER: pl.Float64(),
    Kind.INTEGER: pl.Int64(),
    Kind.BOOLEAN: pl.Boolean(),
    Kind.DATE: pl.Date(),
}


def dtype_of(variable: Variable) -> pl.DataType:
    """The Polars type that holds a variable's canonical values."""
    return _DTYPES[variable.kind]


def canonical_schema(file: DatasetFile) -> pl.Schema:
    """Column names and types of a canonical frame for one dataset file."""
    return pl.Schema({v.name: dtype_of(v) for v in variables_of(file)})


def conform(frame: pl.DataFrame, file: DatasetFile = DatasetFile.PARTICIPANTS) -> pl.DataFrame:
    """Give ``frame`` every canonical column of ``file``, in dictionary order.

    Missing canonical columns are added as typed nulls (unknown); present ones are cast to
    their canonical type; extra columns are kept after the canonical ones. Used to build rule
    inputs from partial frames (one participant in a web form, a test case).
    """
    schema = canonical_schema(file)
    columns = [
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items()
    ]
    extras = [c for c in frame.columns if c not in schema]
    return frame.select(*columns, *extras)
