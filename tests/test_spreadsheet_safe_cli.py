"""CSV formula injection through the command line (issue 11, item 4): a participant code and
free text starting with ``=``, ``+``, ``-`` or ``@`` in a dataset reach ``screening.csv``
(``ovaregen screen``), the participant and cohort tables (``ovaregen derive``), the analysis
tables (``ovaregen analyze``), the clinic's ``ovaregen export`` folder and ``ovaregen audit
export`` only as text: no cell of any CSV written starts a formula, and what the commands read
back is what was given."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import read_dataset
from ovaregen.io.spreadsheet_safe import unescaped_cell
from ovaregen.io.writer import write_dataset
from ovaregen.synth import synthesize
from tests.spreadsheet_checks import csv_cells, live_cells

PASSWORD = "a long test password"
CODE = '=HYPERLINK("http://evil.example","P")'
TERM = "=cmd|' /C calc'!A0"
ETHNICITY = "@SUM(1+1)*cmd|' /C calc'!A0"
runner = CliRunner()


def ok(*args: str | Path, input: str | None = None) -> str:
    result = runner.invoke(app, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    return result.stdout


def _attacked(dataset: Dataset, *, code: str | None) -> Dataset:
    """Every woman's ethnicity and every adverse event's term an attack; the first woman's
    code ``code`` (in every file) when given."""
    first = dataset.participants.get_column("participant_id")[0]
    frames = {}
    for file in DatasetFile:
        frame = dataset.table(file)
        if code is not None and "participant_id" in frame.columns:
            frame = frame.with_columns(pl.col("participant_id").replace(first, code))
        if file is DatasetFile.PARTICIPANTS:
            frame = frame.with_columns(ethnicity=pl.lit(ETHNICITY))
        if file is DatasetFile.ADVERSE_EVENTS:
            frame = frame.with_columns(term=pl.lit(TERM))
        frames[file.value] = frame
    supplied = dict(dataset.supplied)
    supplied["participants"] = (*supplied.get("participants", ()), "ethnicity")
    return Dataset(**frames, source=dataset.source, supplied=supplied)  # type: ignore[arg-type]


def _written(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*.csv"))
    }


def test_screen_derive_and_analyze_write_no_live_formula(tmp_path: Path) -> None:
    dataset = tmp_path / "dataset"
    write_dataset(_attacked(synthesize("ucmsc-rct", 30, 7), code=CODE), dataset)
    assert read_dataset(dataset).participants.get_column("participant_id")[0] == CODE
    out = tmp_path / "out"
    ok("screen", dataset, "--protocol", "ucmsc-rct", "--out", out / "screening.csv")
    ok("derive", dataset, "--protocol", "ucmsc-rct", "--out", out / "derived.csv", "--tables",
       out / "tables")  # fmt: skip
    ok("analyze", dataset, "--plan", "ucmsc-rct", "--out", out / "analysis")
    files = _written(out)
    assert {"screening.csv", "derived.csv"} <= set(files) and len(files) > 5
    for name, text in files.items():
        assert live_cells(text) == [], name
    given = {
        unescaped_cell(cell) for text in files.values() for row in csv_cells(text) for cell in row
    }
    assert {CODE, ETHNICITY} <= given  # they did reach the files, as text
    screening = csv_cells(files["screening.csv"])
    assert unescaped_cell(screening[1][0]) == CODE


def test_the_clinic_export_and_audit_export_write_no_live_formula(tmp_path: Path) -> None:
    data = tmp_path / "clinic"
    ok("site", "add", "--data", data, "--code", "MAD1", "--name", "Madrid")
    ok("user", "add", "--data", data, "--username", "stat", "--role", "statistician",
       "--site", "all", "--password-stdin", input=PASSWORD + "\n")  # fmt: skip
    source = tmp_path / "source"
    write_dataset(_attacked(synthesize("ucmsc-rct", 20, 3), code=None), source)
    ok("import", "--data", data, "--study", "ucmsc-rct", source, "--site", "MAD1")
    ok("export", "--data", data, "--study", "ucmsc-rct", "--out", tmp_path / "exported",
       "--by", "stat")  # fmt: skip
    ok("audit", "export", "--data", data, "--out", tmp_path / "trail" / "trail.csv")
    files = {**_written(tmp_path / "exported"), **_written(tmp_path / "trail")}
    assert {"participants.csv", "adverse_events.csv", "trail.csv"} <= set(files)
    for name, text in files.items():
        assert live_cells(text) == [], name
    ok("validate", tmp_path / "exported")  # exit 0: the exported folder is a valid dataset
    again = read_dataset(tmp_path / "exported")
    assert set(again.participants.get_column("ethnicity")) == {ETHNICITY}
    assert set(again.adverse_events.get_column("term")) == {TERM}
    trail = csv_cells(files["trail.csv"])
    new = trail[0].index("new")
    assert {ETHNICITY, TERM} <= {unescaped_cell(row[new]) for row in trail[1:]}
