"""The clinic's data commands: ``export`` (blinded unless the statistician signs in),
``import`` (validated, all or nothing — even when the process is killed half-way), and
``audit verify`` / ``audit export``."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.store.database import SQLITE_FILE
from tests.clinic_fixtures import Postgres, require_postgres

PASSWORD = "a long test password"
runner = CliRunner()
OVAREGEN = Path(sys.executable).parent / "ovaregen"


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output
    return result


def ok(*args: str, input: str | None = None) -> str:
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def clinic(tmp_path: Path) -> Path:
    """A data folder with site MAD1, a statistician and a coordinator."""
    data = tmp_path / "clinic"
    ok("site", "add", "--data", data, "--code", "MAD1", "--name", "Madrid")
    for name, role in (("stat", "statistician"), ("coord", "coordinator")):
        ok(
            "user",
            "add",
            "--data",
            data,
            "--username",
            name,
            "--role",
            role,
            "--site",
            "all",
            "--password-stdin",
            input=PASSWORD + "\n",
        )
    return data


def participants_in(data: Path, study: str) -> int:
    with sqlite3.connect(data / SQLITE_FILE) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM participant JOIN study ON study.id = participant.study_id "
            "WHERE study.name = ?",
            (study,),
        ).fetchone()
    return int(count)


def header(folder: Path) -> list[str]:
    return (folder / "participants.csv").read_text().splitlines()[0].split(",")


@pytest.mark.parametrize("study", ["mensc", "ucmsc-rct"])
def test_synthetic_data_goes_in_comes_out_and_is_analysed(tmp_path: Path, study: str) -> None:
    data = clinic(tmp_path)
    ok("synth", "--study", study, "--out", tmp_path / "synthetic")
    imported = ok(
        "import", "--data", data, "--study", study, tmp_path / "synthetic", "--site", "MAD1"
    )
    assert f"{study}: imported" in imported
    exported = ok(
        "export", "--data", data, "--study", study, "--out", tmp_path / "exported", "--by", "stat"
    )
    assert "exported blinded (no arm column)" in exported
    assert "arm" not in header(tmp_path / "exported")
    ok("analyze", tmp_path / "exported", "--plan", study, "--out", tmp_path / "results")
    assert (tmp_path / "results" / "results.json").exists()
    ok("report", tmp_path / "exported", "--plan", study, "--out", tmp_path / "report.html")
    verified = ok("audit", "verify", "--data", data)
    assert verified.startswith("audit trail intact:")


def test_the_statistician_signs_in_for_an_export_with_arms(tmp_path: Path) -> None:
    data = clinic(tmp_path)
    ok("synth", "--study", "ucmsc-rct", "--out", tmp_path / "synthetic")
    ok("import", "--data", data, "--study", "ucmsc-rct", tmp_path / "synthetic", "--site", "MAD1")
    out = tmp_path / "unblinded"
    ok(
        "export",
        "--data",
        data,
        "--study",
        "ucmsc-rct",
        "--out",
        out,
        "--unblinded-as",
        "stat",
        input=PASSWORD + "\n",
    )
    assert "arm" in header(out)
    with (out / "participants.csv").open() as handle:
        assert {row["arm"] for row in csv.DictReader(handle)} == {"ucmsc_hrt", "hrt"}
    ok("analyze", out, "--plan", "ucmsc-rct", "--out", tmp_path / "results")
    refusals = {
        "stat": ("wrong password\n", "wrong password for stat"),
        "coord": (PASSWORD + "\n", "with arms needs the unblinded statistician of that study"),
        "nobody": (PASSWORD + "\n", "wrong password for nobody, or no such active user"),
    }
    for user, (password, message) in refusals.items():
        target = tmp_path / f"refused-{user}"
        result = run(
            "export",
            "--data",
            data,
            "--study",
            "ucmsc-rct",
            "--out",
            target,
            "--unblinded-as",
            user,
            input=password,
        )
        assert result.exit_code == 1
        assert message in result.stderr
        assert not target.exists()
    ok("audit", "export", "--data", data, "--out", tmp_path / "trail.csv", "--user", "stat")
    with (tmp_path / "trail.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["action"], r["entity"], r["field"], r["new"]) for r in rows} >= {
        ("export", "dataset", "blinded", "false")
    }


def test_an_invalid_or_refused_import_stores_nothing(tmp_path: Path) -> None:
    data = clinic(tmp_path)
    ok("synth", "--study", "mensc", "--out", tmp_path / "synthetic")
    lines = (tmp_path / "synthetic" / "participants.csv").read_text().splitlines()
    broken = tmp_path / "broken"
    broken.mkdir()
    columns = lines[0].split(",")
    row = lines[1].split(",")
    row[columns.index("age_years")] = "forty"
    (broken / "participants.csv").write_text("\n".join([lines[0], ",".join(row)]) + "\n")
    invalid = run("import", "--data", data, "--study", "mensc", broken, "--site", "MAD1")
    assert invalid.exit_code == 1
    assert "age_years" in invalid.stderr and "forty" in invalid.stderr
    assert "nothing was stored" in invalid.stderr
    no_site = run(
        "import", "--data", data, "--study", "mensc", tmp_path / "synthetic", "--site", "BCN9"
    )
    assert no_site.exit_code == 1
    assert "'BCN9' is not a site set up here" in no_site.stderr
    unknown = run("import", "--data", data, "--study", "nope", tmp_path / "synthetic")
    assert unknown.exit_code == 1 and "nope" in unknown.stderr
    assert participants_in(data, "mensc") == 0
    ok("import", "--data", data, "--study", "mensc", tmp_path / "synthetic", "--site", "MAD1")
    again = run(
        "import", "--data", data, "--study", "mensc", tmp_path / "synthetic", "--site", "MAD1"
    )
    assert again.exit_code == 1 and "is already in study mensc" in again.stderr
    assert participants_in(data, "mensc") == 105


def test_audit_verify_names_a_changed_or_deleted_entry(tmp_path: Path) -> None:
    data = clinic(tmp_path)
    entries = int(ok("audit", "verify", "--data", data).split(": ")[1].split()[0])
    assert entries >= 4
    with sqlite3.connect(data / SQLITE_FILE) as connection:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute("UPDATE audit_entry SET username = 'someone' WHERE id = 2")
        connection.execute("DROP TRIGGER audit_entry_no_update")
        connection.execute("DROP TRIGGER audit_entry_no_delete")
        connection.execute("UPDATE audit_entry SET reason = 'nothing' WHERE id = 2")
    changed = run("audit", "verify", "--data", data)
    assert changed.exit_code == 1
    assert "entry 2: content changed after it was written" in changed.stderr
    with sqlite3.connect(data / SQLITE_FILE) as connection:
        connection.execute(f"DELETE FROM audit_entry WHERE id = {entries}")
    deleted = run("audit", "verify", "--data", data)
    assert f"the chain ends at entry {entries - 1} but the head records entry {entries}" in (
        deleted.stderr
    )


def test_audit_export_filters_and_refuses_a_bad_date(tmp_path: Path) -> None:
    data = clinic(tmp_path)
    target = tmp_path / "site.csv"
    ok("audit", "export", "--data", data, "--out", target, "--since", "2000-01-01")
    with target.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0].keys() >= {"id", "at", "username", "field", "old", "new", "hash"}
    assert ("site", "code", "MAD1") in {(r["entity"], r["field"], r["new"]) for r in rows}
    ok("audit", "export", "--data", data, "--out", target, "--until", "2000-01-01")
    assert target.read_text().count("\n") == 1  # the header only
    bad = run("audit", "export", "--data", data, "--out", target, "--since", "June")
    assert bad.exit_code == 2
    assert "from: 'June' is not a date" in bad.stderr


def _import_killed(data: Path, dataset: Path, wal_bytes: int) -> bool:
    """Start an import and SIGKILL it once the database's WAL holds ``wal_bytes`` of its
    transaction; True when it was killed (False: it finished first)."""
    wal = data / f"{SQLITE_FILE}-wal"
    process = subprocess.Popen(
        [OVAREGEN, "import", "--data", data, "--study", "mensc", dataset, "--site", "MAD1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size >= wal_bytes:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.wait()
    return process.returncode == -signal.SIGKILL


def test_a_killed_import_leaves_none_of_its_participants(tmp_path: Path) -> None:
    size = 3000
    prepared = clinic(tmp_path)
    dataset = tmp_path / "big"
    ok("synth", "--study", "mensc", "--n", str(size), "--out", dataset)
    killed_inside = 0
    for number, wal_bytes in enumerate((64_000, 256_000, 512_000)):
        data = tmp_path / f"attempt-{number}"
        shutil.copytree(prepared, data)
        killed = _import_killed(data, dataset, wal_bytes)
        stored = participants_in(data, "mensc")
        assert stored in (0, size), f"a partial import: {stored} of {size}"
        killed_inside += killed and stored == 0
        assert ok("audit", "verify", "--data", data).startswith("audit trail intact")
    assert killed_inside >= 1, "no import was killed inside its transaction"
    ok("import", "--data", data, "--study", "mensc", dataset, "--site", "MAD1")
    assert participants_in(data, "mensc") == size
    assert ok("audit", "verify", "--data", data).startswith("audit trail intact")


def test_a_killed_import_on_postgresql_is_rolled_back_by_the_server(tmp_path: Path) -> None:
    require_postgres()
    server = Postgres(f"ovaregen_test_{uuid.uuid4().hex[:12]}")
    server.create()
    try:
        url = ["--database-url", server.url]
        ok("site", "add", "--data", tmp_path, *url, "--code", "MAD1", "--name", "Madrid")
        dataset = tmp_path / "big"
        ok("synth", "--study", "mensc", "--n", "3000", "--out", dataset)
        process = subprocess.Popen(
            [
                OVAREGEN,
                "import",
                "--data",
                tmp_path,
                *url,
                "--study",
                "mensc",
                dataset,
                "--site",
                "MAD1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        engine = create_engine(server.url)
        writing = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :name "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        )
        deadline = time.monotonic() + 120
        with engine.connect() as connection:
            while process.poll() is None and time.monotonic() < deadline:
                if connection.execute(writing, {"name": server.name}).scalar_one():
                    time.sleep(0.5)
                    break
                connection.rollback()
                time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the import finished before the kill"
        deadline = time.monotonic() + 30
        stored = -1
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                stored = connection.execute(text("SELECT count(*) FROM participant")).scalar_one()
                busy = connection.execute(writing, {"name": server.name}).scalar_one()
            if not busy:
                break
            time.sleep(0.1)
        engine.dispose()
        assert stored == 0
        assert ok("audit", "verify", "--data", tmp_path, *url).startswith("audit trail intact")
    finally:
        server.drop()


def test_an_export_is_audited_as_the_named_person_given_by_by(tmp_path: Path) -> None:
    """Issue 13: exports were audited as the operating-system user (root)."""
    data = clinic(tmp_path)
    target = tmp_path / "exported"
    missing = run("export", "--data", data, "--study", "mensc", "--out", target)
    assert missing.exit_code == 2 and "--by USERNAME is required" in missing.stderr
    nobody = run("export", "--data", data, "--study", "mensc", "--out", target, "--by", "eve")
    assert nobody.exit_code == 2 and "no user named 'eve'" in nobody.stderr
    coordinator = run(
        "export", "--data", data, "--study", "mensc", "--out", target, "--by", "coord"
    )
    assert coordinator.exit_code == 1 and "no role that may export" in coordinator.stderr
    assert not target.exists(), "nothing was written"
    ok("export", "--data", data, "--study", "mensc", "--out", target, "--by", "stat")
    ok("audit", "export", "--data", data, "--out", tmp_path / "trail.csv")
    with (tmp_path / "trail.csv").open() as handle:
        exports = [r for r in csv.DictReader(handle) if r["action"] == "export"]
    assert exports and {r["username"] for r in exports} == {"stat"}


def test_an_export_holds_the_sites_where_her_role_may_export(tmp_path: Path) -> None:
    """Roles per site on the command line: an investigator at MAD1 who monitors BCN2 exports
    MAD1's women only (a monitor may not export); an unknown --format writes nothing."""
    data = clinic(tmp_path)
    ok("site", "add", "--data", data, "--code", "BCN2", "--name", "Barcelona")
    ok("synth", "--study", "mensc", "--n", "20", "--out", tmp_path / "synthetic")
    table = tmp_path / "synthetic" / "participants.csv"
    lines = table.read_text().splitlines()
    sites = ["MAD1" if i % 2 else "BCN2" for i in range(len(lines) - 1)]
    table.write_text(
        "\n".join(
            [lines[0] + ",site"] + [f"{r},{s}" for r, s in zip(lines[1:], sites, strict=True)]
        )
        + "\n"
    )
    ok("import", "--data", data, "--study", "mensc", tmp_path / "synthetic")
    ok(
        "user", "add", "--data", data, "--username", "eva", "--role", "investigator",
        "--site", "MAD1", "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    ok(
        "user", "grant", "--data", data, "--username", "eva", "--site", "BCN2",
        "--role", "monitor", "--reason", "monitors Barcelona",
    )  # fmt: skip
    listed = ok("user", "list", "--data", data)
    assert "all/BCN2 as monitor, all/MAD1 as investigator" in listed
    mixed = run(
        "user", "grant", "--data", data, "--username", "eva", "--study", "mensc",
        "--site", "BCN2", "--role", "statistician",
    )  # fmt: skip
    assert mixed.exit_code == 1 and "one role at each study and site" in mixed.output
    ok("export", "--data", data, "--study", "mensc", "--out", tmp_path / "eva", "--by", "eva")
    exported = (tmp_path / "eva" / "participants.csv").read_text().splitlines()
    assert participants_in(data, "mensc") == 20
    assert len(exported) - 1 == sites.count("MAD1") == 10, "MAD1's women only"
    ok("user", "set-role", "--data", data, "--username", "eva", "--role", "monitor",
       "--site", "MAD1", "--reason", "monitors Madrid too")  # fmt: skip
    refused = run("export", "--data", data, "--study", "mensc", "--out", tmp_path / "no",
                  "--by", "eva")  # fmt: skip
    assert refused.exit_code == 1 and "no role that may export mensc" in refused.output
    unknown = run("export", "--data", data, "--study", "mensc", "--out", tmp_path / "x",
                  "--by", "stat", "--format", "sas7bdat")  # fmt: skip
    assert unknown.exit_code == 2 and "sas7bdat" in unknown.output
    assert not (tmp_path / "no").exists() and not (tmp_path / "x").exists()
