"""Hypothesis strategies for participants whose values sit on and around every rule's cut-offs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import strategies as st

from ovaregen.domain.schema import canonical_schema, conform
from ovaregen.domain.variables import EXCLUSION_CONDITIONS, DatasetFile


def maybe(values: list[Any]) -> st.SearchStrategy[Any]:
    return st.sampled_from([None, *values])


FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "age_years": maybe([17.0, 18.0, 19.9, 20.0, 26.0, 34.9, 35.0, 37.0, 38.0, 39.9, 40.0, 44.0]),
    "afc": maybe([0, 3, 4, 5, 6, 7, 8, 12]),
    "amh_ng_ml": maybe([0.2, 0.5, 1.09, 1.1, 1.19, 1.2, 1.21, 3.0]),
    "amenorrhea_months": maybe([0.0, 3.0, 3.9, 4.0, 12.0]),
    "fsh_1_iu_l": maybe([5.0, 25.0, 25.01, 26.0, 80.0]),
    "fsh_2_iu_l": maybe([5.0, 25.0, 25.01, 26.0, 80.0]),
    "fsh_1_date": maybe([date(2024, 3, 1)]),
    "fsh_2_gap_days": maybe([-40, -29, -28, 0, 27, 28, 29, 60]),
    "prior_oocytes_retrieved": maybe([0, 3, 4, 9, 10, 15]),
    "prior_por_cycles": maybe([0, 1, 2]),
    "prior_por_cycles_max_stim": maybe([0, 1, 2, 3]),
    "por_risk_factor": maybe([True, False]),
    "ovary_left_mm": maybe([9.9, 10.0, 10.1, 20.0]),
    "ovary_right_mm": maybe([9.9, 10.0, 10.1, 20.0]),
    "married": maybe([True, False]),
    "consent": maybe([True, False]),
    "spontaneous_follicular_activity": maybe([True, False]),
    # exclusions: mostly false so that eligibility is often decided by the other rules
    **{
        name: st.sampled_from([False, False, False, False, None, True])
        for name in EXCLUSION_CONDITIONS
    },
}


@st.composite
def participants(draw: st.DrawFn) -> dict[str, Any]:
    row = {name: draw(strategy) for name, strategy in FIELDS.items()}
    gap = row.pop("fsh_2_gap_days")
    first = row["fsh_1_date"]
    row["fsh_2_date"] = None if gap is None else date(2024, 3, 1) + timedelta(days=gap)
    if first is None and gap is not None and draw(st.booleans()):
        row["fsh_2_date"] = None
    return row


def frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A canonical participants frame of the given rows (ids p0, p1, …)."""
    data = [{"participant_id": f"p{i}", **row} for i, row in enumerate(rows)]
    columns = {key for row in data for key in row}
    schema = canonical_schema(DatasetFile.PARTICIPANTS)
    raw = pl.DataFrame(
        {c: [row.get(c) for row in data] for c in sorted(columns)},
        schema={c: schema[c] for c in sorted(columns)},
        strict=False,
    )
    return conform(raw, DatasetFile.PARTICIPANTS)
