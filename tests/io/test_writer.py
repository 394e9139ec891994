"""Writing datasets: interchange conventions, atomic replacement, lossless round trip."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovaregen.domain.schema import conform
from ovaregen.domain.variables import (
    PREGNANCY_OUTCOMES,
    STATUSES,
    DatasetFile,
    Kind,
    Variable,
    variable,
)
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import read_dataset
from ovaregen.io.writer import write_dataset
from tests.io.helpers import csv_folder

SOURCE = (
    "participant_id,status,amh_pmol_l,afc,married,treatment_date,menses,notes\n"
    'P1,,7.14,3,Yes,2021-03-04,Regular,"said ""fine"", left"\n'
    "P2,withdrawn,,,,,,\n"
)


def test_written_files_follow_the_interchange_conventions(tmp_path: Path) -> None:
    dataset = read_dataset(csv_folder(tmp_path / "in", SOURCE))
    write_dataset(dataset, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["participants.csv"]
    assert (tmp_path / "out" / "participants.csv").read_text(encoding="utf-8") == (
        "participant_id,status,amh_ng_ml,afc,menses,married,treatment_date,notes\n"
        'P1,completed,1.0,3,regular,true,2021-03-04,"said ""fine"", left"\n'
        "P2,withdrawn,,,,,,\n"
    )


def test_round_trip_of_a_read_dataset(tmp_path: Path) -> None:
    first = read_dataset(
        csv_folder(tmp_path / "in", SOURCE, "participant_id,outcome\nP1,ongoing\n")
    )
    write_dataset(first, tmp_path / "out")
    second = read_dataset(tmp_path / "out")
    assert_same_dataset(second, first)


def test_writing_into_an_existing_folder_replaces_the_files(tmp_path: Path) -> None:
    target = csv_folder(tmp_path / "out", "participant_id\nOLD\n", "participant_id\nOLD\n")
    (target / "readme.txt").write_text("kept")
    dataset = read_dataset(csv_folder(tmp_path / "in", "participant_id\nNEW\n"))
    write_dataset(dataset, target)
    reread = read_dataset(target)
    assert reread.participants.get_column("participant_id").to_list() == ["NEW"]
    assert reread.pregnancies.is_empty()  # the old pregnancies.csv no longer stands
    assert sorted(p.name for p in target.iterdir()) == [
        "participants.csv",
        "pregnancies.csv",
        "readme.txt",
    ]


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = read_dataset(csv_folder(tmp_path / "in", "participant_id\nP1\n"))

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_csv", fail)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(dataset, tmp_path / "new")
    existing = csv_folder(tmp_path / "existing", "participant_id\nOLD\n")
    with pytest.raises(OSError, match="disk full"):
        write_dataset(dataset, existing)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing", "in"]
    assert [p.name for p in existing.iterdir()] == ["participants.csv"]
    assert (existing / "participants.csv").read_text() == "participant_id\nOLD\n"


def test_a_dataset_without_supplied_columns_is_written_in_full(tmp_path: Path) -> None:
    frame = conform(pl.DataFrame({"participant_id": ["P1"], "afc": [4]}))
    pregnancies = conform(pl.DataFrame({"participant_id": ["P1"]}), DatasetFile.PREGNANCIES)
    write_dataset(Dataset(frame, pregnancies, "memory"), tmp_path / "out")
    reread = read_dataset(tmp_path / "out")
    assert reread.participants.equals(frame.with_columns(status=pl.lit("completed")))
    assert reread.pregnancies.equals(pregnancies)


# --- property: any valid dataset survives write → read unchanged -------------------------

PARTICIPANT_COLUMNS = [
    "site",
    "age_years",
    "amh_ng_ml",
    "afc",
    "fsh_1_date",
    "menses",
    "married",
    "hemoglobin_g_dl",
    "platelets_10e9_l",
    "symptoms_d1",
]
TEXT = st.text(
    st.characters(categories=["L", "N", "P", "S", "Zs"], max_codepoint=0x2FFF),
    min_size=1,
    max_size=12,
).filter(lambda s: s == s.strip())


def values(v: Variable) -> st.SearchStrategy[Any]:
    """Valid values of a variable (within hard limits), or unknown."""
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
    n = draw(st.integers(1, 8))
    ids = [f"P{i}" for i in range(n)]
    columns = draw(st.lists(st.sampled_from(PARTICIPANT_COLUMNS), unique=True))
    data: dict[str, list[Any]] = {"participant_id": ids}
    data["status"] = draw(st.lists(st.sampled_from(STATUSES), min_size=n, max_size=n))
    for name in columns:
        data[name] = draw(st.lists(values(variable(name)), min_size=n, max_size=n))
    typed = conform(pl.DataFrame(data))
    notes = draw(st.lists(st.none() | TEXT, min_size=n, max_size=n))
    participants = typed.with_columns(pl.Series("notes", notes, pl.String))
    born = draw(st.lists(st.none() | st.integers(1, 3), max_size=6))
    pregnancies = conform(
        pl.DataFrame(
            {
                "participant_id": [draw(st.sampled_from(ids)) for _ in born],
                "outcome": [draw(st.none() | st.sampled_from(PREGNANCY_OUTCOMES)) for _ in born],
                "infants_live_born": born,
                "infant_death_first_year": [
                    None if b is None else draw(st.integers(0, b)) for b in born
                ],
            },
            schema_overrides={"infants_live_born": pl.Int64, "infant_death_first_year": pl.Int64},
        ),
        DatasetFile.PREGNANCIES,
    )
    supplied = {
        "participants": tuple(
            c for c in typed.columns if c in ("participant_id", "status", *columns)
        ),
        "pregnancies": (
            "participant_id",
            "outcome",
            "infants_live_born",
            "infant_death_first_year",
        ),
    }
    return Dataset(participants, pregnancies, "generated", supplied)


def assert_same_dataset(actual: Dataset, expected: Dataset) -> None:
    assert actual.participants.equals(expected.participants, null_equal=True)
    assert actual.pregnancies.equals(expected.pregnancies, null_equal=True)
    assert actual.supplied == expected.supplied


@settings(max_examples=40, deadline=None)
@given(dataset=datasets())
def test_any_valid_dataset_survives_write_then_read(dataset: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(dataset, Path(tmp) / "a")
        first = read_dataset(Path(tmp) / "a")
        assert_same_dataset(first, dataset)
        write_dataset(first, Path(tmp) / "b")
        assert_same_dataset(read_dataset(Path(tmp) / "b"), first)
