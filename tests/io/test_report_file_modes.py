"""Report and dataset files are readable by others (0666 less the umask), still atomically."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from ovaregen.io import writer
from ovaregen.io.tables import write_csv_atomically, write_text_atomically
from ovaregen.io.writer import write_dataset
from ovaregen.synth import synthesize


@pytest.fixture
def umask() -> Iterator[None]:
    """A known umask for the test (the process's is restored after)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask")
def test_a_report_is_written_rw_r__r__under_umask_022(tmp_path: Path) -> None:
    write_text_atomically("<html></html>\n", tmp_path / "report.html")
    write_csv_atomically(pl.DataFrame({"a": [1]}), tmp_path / "table.csv")
    assert _mode(tmp_path / "report.html") == 0o644
    assert _mode(tmp_path / "table.csv") == 0o644


def test_the_umask_decides_the_mode(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        write_text_atomically("private\n", tmp_path / "private.html")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "private.html") == 0o600


@pytest.mark.usefixtures("umask")
def test_replacing_a_file_gives_the_new_mode_and_content(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o600)  # as reports were written before
    write_text_atomically("new\n", path)
    assert path.read_text(encoding="utf-8") == "new\n"
    assert _mode(path) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "table.csv"
    path.write_text("old\n", encoding="utf-8")

    def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        write_csv_atomically(pl.DataFrame({"a": [1]}), path)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_a_taken_temporary_name_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = iter(["taken", "taken", "free"])
    monkeypatch.setattr(writer.secrets, "token_hex", lambda _: next(names))
    (tmp_path / ".report.html.taken.tmp").write_text("someone else's", encoding="utf-8")
    write_text_atomically("mine\n", tmp_path / "report.html")
    assert (tmp_path / ".report.html.taken.tmp").read_text(encoding="utf-8") == "someone else's"
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / ".report.html.free.tmp").exists()


@pytest.mark.usefixtures("umask")
def test_a_dataset_gets_the_modes_of_any_new_file_and_folder(tmp_path: Path) -> None:
    dataset = synthesize("mensc", 10, 1)
    write_dataset(dataset, tmp_path / "new")  # a new folder, renamed into place
    assert _mode(tmp_path / "new") == 0o755
    files = sorted((tmp_path / "new").iterdir())
    assert files and {_mode(p) for p in files} == {0o644}
    for path in files:
        path.chmod(0o600)
    write_dataset(dataset, tmp_path / "new")  # each file replaced in the existing folder
    assert {_mode(p) for p in (tmp_path / "new").iterdir()} == {0o644}
