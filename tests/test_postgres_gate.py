"""An unreachable PostgreSQL fails the run with the reason; the opt-out skips and says so.

Each case runs pytest in a subprocess on a tiny test file, with ``OVAREGEN_TEST_PG`` pointing
at a port on which nothing listens (issue 11, item 7); in one process and under pytest-xdist
(``make test`` runs ``-n auto``), where the summary is written by a process that ran no test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests import postgres_gate

ROOT = Path(__file__).resolve().parents[1]
TINY = """
import pytest
from tests.postgres_gate import postgres_available, require_postgres

@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    if request.param == "postgresql":
        require_postgres()
    return request.param

def test_saves(database):
    assert database in ("sqlite", "postgresql")

def test_an_old_style_skip():
    if not postgres_available():
        pytest.skip("PostgreSQL is not running")
"""


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


WORKERS = pytest.mark.parametrize(
    "workers", [(), ("-p", "xdist", "-n", "2")], ids=["one process", "xdist"]
)


def run_tiny(
    tmp_path: Path, workers: tuple[str, ...] = (), **environment: str
) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / "test_tiny.py"
    test_file.write_text(TINY, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "OVAREGEN_TEST_NO_POSTGRES"}
    env.update(
        OVAREGEN_TEST_PG=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}",
        PYTHONPATH=str(ROOT),
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",  # schemathesis, hypothesis: seconds of imports
        **environment,
    )
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "tests.postgres_gate"),
            *("-p", "no:cacheprovider", "-rs", "--rootdir", str(tmp_path), str(test_file)),
            *workers,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@WORKERS
def test_an_unreachable_postgresql_fails_the_run_with_the_reason(
    tmp_path: Path, workers: tuple[str, ...]
) -> None:
    done = run_tiny(tmp_path, workers)
    out = done.stdout
    assert done.returncode == 1, out
    assert "1 failed, 1 passed, 1 error" in out, out  # the fixture's failure is an error
    assert "PostgreSQL is not reachable at postgresql+psycopg://postgres@127.0.0.1:" in out
    assert "start it (.ci/run does) or set OVAREGEN_TEST_NO_POSTGRES=1" in out
    assert "PostgreSQL NOT TESTED: 2 tests failed" in out  # the summary line
    assert "Traceback" not in out


@WORKERS
def test_the_opt_out_skips_and_the_summary_says_postgresql_was_not_tested(
    tmp_path: Path, workers: tuple[str, ...]
) -> None:
    done = run_tiny(tmp_path, workers, OVAREGEN_TEST_NO_POSTGRES="1")
    out = done.stdout
    assert done.returncode == 0, out
    assert "1 passed, 2 skipped" in out, out
    assert "PostgreSQL NOT TESTED: 2 tests skipped because OVAREGEN_TEST_NO_POSTGRES=1" in out
    assert "PostgreSQL not tested: OVAREGEN_TEST_NO_POSTGRES=1 is set" in out  # -rs reason


def test_a_password_in_the_server_address_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        postgres_gate, "PG_SERVER", "postgresql+psycopg://postgres:secret@127.0.0.1:1"
    )
    message = postgres_gate.unreachable_message("connection refused")
    assert "secret" not in message
    assert message.startswith("PostgreSQL is not reachable at postgresql+psycopg://postgres:***@")


@pytest.mark.parametrize(
    ("value", "out"), [("1", True), ("true", True), ("yes", True), ("0", False), ("", False)]
)
def test_the_opt_out_values(monkeypatch: pytest.MonkeyPatch, value: str, out: bool) -> None:
    monkeypatch.setenv("OVAREGEN_TEST_NO_POSTGRES", value)
    assert postgres_gate.opted_out() is out
