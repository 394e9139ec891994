"""``ovaregen convert`` (issue 14 item 1): the interchange round trip, and refusals that name
the problem and write nothing."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.io.reader import read_dataset

SAMPLE = Path(__file__).parents[2] / "src" / "ovaregen" / "examples" / "clinic-sample"
runner = CliRunner()


def test_interchange_to_interchange_reads_back_equal(tmp_path: Path) -> None:
    out = tmp_path / "copy"
    result = runner.invoke(
        app, ["convert", str(SAMPLE), "--protocol", "regenera", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert read_dataset(out).participants.equals(read_dataset(SAMPLE).participants)


def test_an_unknown_format_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    out = tmp_path / "x"
    result = runner.invoke(
        app, ["convert", str(SAMPLE), "-p", "regenera", "--to", "sas7bdat", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "sas7bdat" in result.output and "interchange" in result.output
    assert not out.exists()


def test_an_invalid_source_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "participants.csv").write_text("participant_id,age_years\nP1,not-a-number\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["convert", str(bad), "-p", "regenera", "--out", str(out)])
    assert result.exit_code == 1
    assert "age_years" in result.output and "not-a-number" in result.output
    assert not out.exists()
