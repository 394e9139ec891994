"""``ovaregen serve --workers N``: several server processes on PostgreSQL share sessions and
the audit chain through the database (a login answered by one process is honoured by the
other, saves from both append to one intact chain); SQLite and audit checkpoints are refused
with a reason before anything starts."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.clinic_fixtures import Postgres, require_postgres

PASSWORD = "two processes password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _ovaregen(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ovaregen", *args],
        input=stdin, text=True, capture_output=True, check=False,
    )  # fmt: skip


def test_sqlite_is_refused_with_the_reason(tmp_path: Path) -> None:
    answer = _ovaregen("serve", "--data", str(tmp_path / "clinic"), "--workers", "2")
    assert answer.returncode == 2
    assert "--workers needs PostgreSQL" in answer.stderr
    assert not (tmp_path / "clinic").exists(), "nothing was created"


def test_checkpoints_need_one_process(tmp_path: Path) -> None:
    key = tmp_path / "audit.key"
    (tmp_path / "anchors").mkdir()
    assert _ovaregen("audit", "keygen", "--out", str(key)).returncode == 0
    answer = _ovaregen(
        "serve", "--data", str(tmp_path / "clinic"), "--workers", "2",
        "--database-url", "postgresql+psycopg://postgres@127.0.0.1:5432/unused",
        "--anchor-dir", str(tmp_path / "anchors"), "--anchor-key", str(key),
    )  # fmt: skip
    assert answer.returncode == 2
    assert "--anchor-dir needs one server process" in answer.stderr


def test_two_processes_share_sessions_and_one_audit_chain(tmp_path: Path) -> None:
    require_postgres()
    server = Postgres(f"ovaregen_workers_{uuid.uuid4().hex[:12]}")
    server.create()
    data = tmp_path / "clinic"
    database = ["--data", str(data), "--database-url", server.url]
    try:
        assert _ovaregen("site", "add", *database, "--code", "W1", "--name", "W").returncode == 0
        added = _ovaregen(
            "user", "add", *database, "--username", "coord", "--role", "coordinator",
            "--site", "W1", "--password-stdin", stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "ovaregen", "serve", *database, "--port", str(port),
             "--workers", "2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                pytest.fail("ovaregen serve --workers 2 did not start")
            _log_in_and_save(base)
        finally:
            process.terminate()
            process.wait(timeout=30)
        verified = _ovaregen("audit", "verify", *database)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "intact" in verified.stdout
    finally:
        server.drop()


def _log_in_and_save(base: str) -> None:
    """Log in, then create participants over fresh connections: uvicorn hands each new
    connection to either process, so both read the session the first one wrote."""
    with httpx.Client(base_url=base) as browser:
        form = browser.get("/login")
        token = _CSRF.search(form.text)
        assert token is not None
        browser.post(
            "/login",
            data={"username": "coord", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        home = browser.get("/")
        csrf = _CSRF.search(home.text)
        assert csrf is not None, "logged in"
        cookies = dict(browser.cookies)
    for _ in range(12):
        with httpx.Client(base_url=base, cookies=cookies) as fresh:
            made = fresh.post(
                "/api/studies/ucmsc-rct/participants",
                json={"site": "W1"},
                headers={"X-CSRF-Token": csrf.group(1)},
            )
            assert made.status_code == 201, made.text
