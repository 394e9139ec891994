"""``ovaregen convert`` as a user runs it, for the refusal tests of every format."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ovaregen.cli import app

runner = CliRunner()


def convert(source: Path, study: str, out: Path, *options: str) -> tuple[int, str]:
    """Exit code and output of ``ovaregen convert SOURCE -p STUDY --out OUT OPTIONS…``."""
    result = runner.invoke(app, ["convert", str(source), "-p", study, "--out", str(out), *options])
    return result.exit_code, result.output


def refused_reading(source: Path, study: str, format_name: str, tmp_path: Path) -> str:
    """The message of ``convert --from FORMAT`` refusing ``source``: exit 1, no traceback,
    nothing written; its words joined by single spaces."""
    out = tmp_path / "back"
    code, output = convert(source, study, out, "--from", format_name)
    assert code == 1, output
    assert not out.exists()
    assert "Traceback" not in output
    return " ".join(output.split())
