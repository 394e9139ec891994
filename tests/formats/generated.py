"""Study C datasets that hypothesis makes for the round trips of every format: any columns,
missing values anywhere, repeated visits, twins, extra text columns (issue 14 "Tests")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import assume
from hypothesis import strategies as st

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile, Kind, Variable, variable
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset

TEXT = st.text(
    st.characters(categories=["L", "N", "P", "S", "Zs"], max_codepoint=0x2FFF),
    min_size=1,
    max_size=10,
).filter(lambda s: s == s.strip())
PARTICIPANT_COLUMNS = [
    "site",
    "arm",
    "age_years",
    "amh_ng_ml",
    "afc",
    "fsh_1_date",
    "oestradiol_pg_ml",
    "menses",
    "married",
    "hemoglobin_g_dl",
    "injections",
    "hrt_regimen",
]
_MEASURES = ["afc_post", "amh_post_ng_ml", "fsh_post_iu_l", "oestradiol_post_pg_ml"]
VISIT_COLUMNS = ["visit_date", *_MEASURES, "menses_followup", "comp_ovarian_cyst"]
FOLLOW_UP = {
    "month_3": [*_MEASURES, "menses_followup"],
    "month_6": [*_MEASURES, "menses_followup"],
    "month_12": [*_MEASURES, "menses_followup", "comp_ovarian_cyst"],
}


def _values(v: Variable) -> st.SearchStrategy[Any]:
    strategy: st.SearchStrategy[Any]
    if v.kind is Kind.NUMBER:
        assert v.hard is not None
        strategy = st.floats(v.hard.low, v.hard.high, allow_nan=False)
    elif v.kind is Kind.INTEGER:
        assert v.hard is not None
        strategy = st.integers(int(v.hard.low), int(v.hard.high))
    elif v.kind is Kind.BOOLEAN:
        strategy = st.booleans()
    elif v.kind is Kind.DATE:
        strategy = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
    elif v.kind is Kind.CHOICE:
        strategy = st.sampled_from(v.choices)
    else:
        strategy = TEXT
    return st.none() | strategy


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    """Study C datasets: any columns, missing values anywhere, repeated visits, twins."""
    n = draw(st.integers(1, 6))
    ids = [f"P{i}" for i in range(n)]
    columns = draw(st.lists(st.sampled_from(PARTICIPANT_COLUMNS), unique=True))
    data: dict[str, list[Any]] = {"participant_id": ids}
    for name in columns:
        data[name] = draw(st.lists(_values(variable(name)), min_size=n, max_size=n))
    participants = conform(pl.DataFrame(data)).with_columns(
        pl.Series("extra note", draw(st.lists(st.none() | TEXT, min_size=n, max_size=n)))
    )
    visit_rows: dict[str, list[Any]] = {"participant_id": [], "visit": []}
    chosen = draw(st.lists(st.sampled_from(VISIT_COLUMNS), unique=True))
    for name in chosen:
        visit_rows[name] = []
    for pid in ids:
        for visit in draw(st.lists(st.sampled_from(list(FOLLOW_UP)), unique=True)):
            visit_rows["participant_id"].append(pid)
            visit_rows["visit"].append(visit)
            for name in chosen:
                recorded = name == "visit_date" or name in FOLLOW_UP[visit]
                value = draw(_values(variable(name, DatasetFile.VISITS))) if recorded else None
                visit_rows[name].append(value)
    visits = conform(pl.DataFrame(visit_rows, strict=False), DatasetFile.VISITS)
    born = draw(st.lists(st.none() | st.integers(0, 3), max_size=5))
    pregnancies = conform(
        pl.DataFrame(
            {
                "participant_id": [draw(st.sampled_from(ids)) for _ in born],
                "outcome": ["live_birth" if b else None for b in born],
                "infants_live_born": born,
            },
            schema_overrides={"infants_live_born": pl.Int64, "outcome": pl.String},
        ),
        DatasetFile.PREGNANCIES,
    )
    supplied = {
        "participants": ("participant_id", *[c for c in participants.columns if c in columns]),
        "visits": ("participant_id", "visit", *[c for c in visits.columns if c in chosen]),
        "pregnancies": ("participant_id", "outcome", "infants_live_born"),
    }
    return Dataset(participants, pregnancies, "generated", supplied, visits=visits)


def validated(generated: Dataset, protocol: Protocol, folder: Path) -> Dataset:
    """The generated dataset as ``ovaregen validate`` reads it from the interchange folder
    written at ``folder``: the dataset a format must keep (hypothesis discards a draw the
    validator refuses)."""
    write_dataset(generated, folder)
    report = validate_dataset(folder, protocol)
    assume(report.dataset is not None)
    assert report.dataset is not None
    return report.dataset
