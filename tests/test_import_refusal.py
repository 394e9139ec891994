"""``ovaregen import`` when the database refuses a statement: a clear message naming what was
refused and where, never the SQL or the participant data it carried, and nothing stored.
On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.clinic import importing
from ovaregen.store.database import connect, database_url
from ovaregen.store.models import Participant, Site
from tests.clinic_fixtures import Postgres, require_postgres

runner = CliRunner()
SECRET = "Jane Doe, born 1984-03-07"
LONG_TERM = "Severe headache after the second injection " + "x" * 220


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The ``--data``/``--database-url`` options of a clinic with site MAD1."""
    options = ["--data", str(tmp_path / "clinic")]
    server = None
    if request.param == "postgresql":
        require_postgres()
        server = Postgres(f"ovaregen_test_{uuid.uuid4().hex[:12]}")
        server.create()
        options += ["--database-url", server.url]
    added = runner.invoke(app, ["site", "add", *options, "--code", "MAD1", "--name", "Madrid"])
    assert added.exit_code == 0, added.output
    try:
        yield options
    finally:
        if server is not None:
            server.drop()


def dataset(folder: Path, term: str = "headache") -> Path:
    folder.mkdir()
    (folder / "participants.csv").write_text("participant_id,age_years\nRG-017,34\n")
    (folder / "adverse_events.csv").write_text(f"participant_id,term,grade\nRG-017,{term},2\n")
    return folder


def participants(options: list[str]) -> int:
    url = options[3] if len(options) > 2 else None
    database = connect(database_url(Path(options[1]), url))
    try:
        with database.transaction() as session:
            return int(session.execute(select(func.count(Participant.id))).scalar_one())
    finally:
        database.dispose()


def assert_refused_cleanly(output: str, *hidden: str) -> None:
    assert "ovaregen: the database refused the import: " in output
    assert "nothing was stored" in output
    for leak in ("Traceback", "INSERT", "[SQL", "parameters", "internal error", *hidden):
        assert leak not in output, leak


def test_a_refused_statement_prints_neither_sql_nor_values(
    target: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(session: Session, *_: Any, **__: Any) -> None:
        row = {"code": "SECRET", "name": SECRET}
        session.execute(insert(Site), [row, row])  # the database refuses the second row

    monkeypatch.setattr(importing, "import_dataset", refused)
    result = runner.invoke(
        app, ["import", *target, "--study", "mensc", str(dataset(tmp_path / "d"))]
    )
    assert result.exit_code == 1
    assert_refused_cleanly(result.output, SECRET, "SECRET")
    assert "a value that must be unique is stored already" in result.output
    assert "site" in result.output.split("refused the import: ", 1)[1]


def test_a_text_longer_than_the_clinic_stores_is_refused_alike_on_both_databases(
    target: list[str], tmp_path: Path
) -> None:
    """PostgreSQL refused it at the insert (with the SQL and the values), SQLite stored it: the
    file's rule now refuses it before the database is touched, on both."""
    folder = dataset(tmp_path / "d", LONG_TERM)
    result = runner.invoke(
        app, ["import", *target, "--study", "mensc", str(folder), "--site", "MAD1"]
    )
    assert result.exit_code == 1, result.output
    assert "adverse_events.csv line 2, column term" in result.output
    assert f"has {len(LONG_TERM)} characters, more than the 200 the clinic stores" in result.output
    assert "the dataset is invalid; nothing was stored" in result.output
    assert "INSERT" not in result.output and "Traceback" not in result.output
    assert participants(target) == 0


def test_a_valid_import_still_succeeds(target: list[str], tmp_path: Path) -> None:
    folder = dataset(tmp_path / "d")
    result = runner.invoke(
        app, ["import", *target, "--study", "mensc", str(folder), "--site", "MAD1"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 1 participants" in result.output
    assert participants(target) == 1
