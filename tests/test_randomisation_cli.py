"""``ovaregen randomisation verify``: the stored list checked against the seed receipt its maker
kept; exit 0 when it is exactly the seed's list, 1 with the differing stratum otherwise."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.clinic import randomisation, studies
from ovaregen.store.database import connect, database_url
from ovaregen.store.models import AllocationSlot

runner = CliRunner()


def clinic_with_a_list(tmp_path: Path) -> tuple[Path, Path]:
    """A data folder whose Study C has a list, and the receipt its maker saved."""
    data = tmp_path / "clinic"
    added = runner.invoke(
        app, ["site", "add", "--data", str(data), "--code", "MAD1", "--name", "M"]
    )
    assert added.exit_code == 0, added.output
    database = connect(database_url(data, None))
    try:
        with database.transaction() as session:
            made = randomisation.create_list(
                session, studies.study_named(session, "ucmsc-rct"), username="admin"
            )
    finally:
        database.dispose()
    receipt = tmp_path / "ucmsc-rct-randomisation-seed.json"
    receipt.write_text(made.receipt)
    return data, receipt


def verify(data: Path, seed_file: Path) -> tuple[int, str]:
    result = runner.invoke(
        app,
        [
            "randomisation",
            "verify",
            "--data",
            str(data),
            "--study",
            "ucmsc-rct",
            "--seed-file",
            str(seed_file),
        ],
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_verify_passes_for_the_seeds_list_and_fails_after_tampering(tmp_path: Path) -> None:
    data, receipt = clinic_with_a_list(tmp_path)
    code, output = verify(data, receipt)
    assert code == 0, output
    assert "ucmsc-rct: list verified: 1 strata, 66 slots, each exactly as the seed" in output
    database = connect(database_url(data, None))
    try:
        with database.transaction() as session:
            slot = session.execute(
                select(AllocationSlot).where(AllocationSlot.sequence == 7)
            ).scalar_one()
            slot.arm = "hrt" if slot.arm != "hrt" else "ucmsc_hrt"
    finally:
        database.dispose()
    code, output = verify(data, receipt)
    assert code == 1
    assert "stratum MAD1: differs from sequence 7 on (66 slots stored)" in output
    assert "ovaregen: NOT VERIFIED: the stored list differs from what the seed makes" in output


def test_verify_refuses_a_wrong_or_unreadable_seed(tmp_path: Path) -> None:
    data, _ = clinic_with_a_list(tmp_path)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("00" * 32)
    code, output = verify(data, wrong)
    assert code == 1 and "this seed is not the list's" in output
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("seed?")
    code, output = verify(data, garbage)
    assert code == 1 and "expected the 64 hexadecimal digits" in output
    code, output = verify(data, tmp_path / "missing.json")
    assert code == 1 and "cannot read the seed file" in output
