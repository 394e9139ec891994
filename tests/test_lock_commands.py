"""``ovaregen lock`` and ``ovaregen unlock`` (``clinic.locks``): the data manager locks a
form, a casebook and the study from the command line with a reason; a role without the lock
permission and a missing reason are refused plainly; unlocking closes the lock and the
history keeps it — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.clinic import locks
from ovaregen.clinic.studies import add_participant, participant_coded, site_coded, study_named
from ovaregen.store.database import Database
from tests.clinic_fixtures import SITE, clinic_database

__all__ = ["clinic_database"]

runner = CliRunner()


def _cli(database: Database, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    options = ["--data", str(tmp_path / "clinic"), "--database-url", database.url]
    result = runner.invoke(app, [*args, *options])
    assert "Traceback" not in result.output
    return result


def test_lock_and_unlock_from_the_command_line(clinic_database: Database, tmp_path: Path) -> None:
    with clinic_database.transaction() as session:
        code = add_participant(
            session, study_named(session, "regenera"), site_coded(session, SITE), username="t"
        ).code
    where = ["--study", "regenera", "--code", code]
    done = _cli(
        clinic_database,
        tmp_path,
        *["lock", "form", *where, "--form", "screening"],
        *["--reason", "verified", "--by", "data_manager"],
    )
    assert done.exit_code == 0, done.output
    assert f"form screening of participant {code}: locked by data_manager" in done.output
    refused = _cli(
        clinic_database,
        tmp_path,
        *["lock", "participant", *where, "--reason", "x", "--by", "investigator"],
    )
    assert refused.exit_code == 1
    assert "--by: investigator may not lock here" in refused.output
    assert "all/all as investigator" in refused.output
    no_reason = _cli(
        clinic_database,
        tmp_path,
        "lock",
        "study",
        "--study",
        "regenera",
        "--reason",
        " ",
        "--by",
        "admin",
    )
    assert no_reason.exit_code == 1
    assert "reason: locking needs a reason" in no_reason.output
    study = _cli(
        clinic_database,
        tmp_path,
        *["lock", "study", "--study", "regenera", "--reason", "final analysis", "--by", "admin"],
    )
    assert study.exit_code == 0, study.output
    released = _cli(
        clinic_database,
        tmp_path,
        *["unlock", "form", *where, "--form", "screening"],
        *["--reason", "query answered", "--by", "data_manager"],
    )
    assert released.exit_code == 0, released.output
    assert "unlocked by data_manager (reason: query answered)" in released.output
    with clinic_database.read() as session:
        regenera = study_named(session, "regenera")
        woman = participant_coded(session, regenera, code)
        assert locks.form_locks(session, woman) == {}
        assert locks.lock_holding(session, woman, "screening") is not None, "the study lock"
        kept = [(lock.scope, lock.release_reason) for lock in locks.history(session, regenera)]
    assert sorted(kept, key=str) == sorted([("form", "query answered"), ("study", None)], key=str)
