"""A statistician's script with plain ``httpx`` (no browser, no cookie) reads a participant list
and a form with her personal API token from a real ``ovaregen serve``, on SQLite and on
PostgreSQL; the tokens are made and revoked on the command line (``ovaregen token``), and a
revocation takes effect on the running server at once."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.clinic_fixtures import Postgres, require_postgres

PASSWORD = "live token password"
STUDY = "ucmsc-rct"


@dataclass
class Clinic:
    data: Path
    url_options: list[str]

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command, rest = args[:2], args[2:]
        return subprocess.run(
            [sys.executable, "-m", "ovaregen", *command, "--data", str(self.data),
             *self.url_options, *rest],
            input=stdin, text=True, capture_output=True, check=False,
        )  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Clinic]:
    if request.param == "sqlite":
        yield Clinic(tmp_path / "clinic", [])
        return
    require_postgres()
    server = Postgres(f"ovaregen_live_{uuid.uuid4().hex[:12]}")
    server.create()
    try:
        yield Clinic(tmp_path / "clinic", ["--database-url", server.url])
    finally:
        server.drop()


@contextmanager
def _serving(clinic: Clinic) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "ovaregen", "serve", "--data", str(clinic.data),
         *clinic.url_options, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("ovaregen serve did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _token(clinic: Clinic, user: str, *options: str) -> str:
    made = clinic.cli("token", "create", "--user", user, "--name", f"{user} script", *options)
    assert made.returncode == 0, made.stderr
    assert "shown this once" in made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("ovr_") and "\n" not in secret
    return secret


def test_a_script_reads_the_api_with_a_token(clinic: Clinic) -> None:
    assert clinic.cli("site", "add", "--code", "MAD1", "--name", "Madrid").returncode == 0
    for user, role, site in (("stat", "statistician", "all"), ("coord", "coordinator", "MAD1")):
        added = clinic.cli("user", "add", "--username", user, "--role", role, "--site", site,
                           "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
        assert added.returncode == 0, added.stderr
    entry = _token(clinic, "coord", "--write")
    analysis = _token(clinic, "stat", "--expires-days", "30")
    with _serving(clinic) as server:
        with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {entry}"}) as nurse:
            made = nurse.post(f"/api/studies/{STUDY}/participants", json={"site": "MAD1"})
            assert made.status_code == 201, made.text
            code = made.json()["code"]
            saved = nurse.put(
                f"/api/studies/{STUDY}/participants/{code}/visits/screening",
                json={"values": {"age_years": 33, "consent": True}},
            )
            assert saved.status_code == 200, saved.text
        # the statistician's script, as the README shows it
        headers = {"Authorization": f"Bearer {analysis}"}
        with httpx.Client(base_url=server, headers=headers, timeout=30) as api:
            women = api.get(f"/api/studies/{STUDY}/participants")
            assert women.status_code == 200, women.text
            assert [w["code"] for w in women.json()] == [code]
            form = api.get(f"/api/studies/{STUDY}/participants/{code}/visits/screening")
            assert form.status_code == 200
            assert form.json()["values"]["age_years"] == 33
            assert api.get("/api/me").json()["token"]["scope"] == "read"
            write = api.post(f"/api/studies/{STUDY}/participants", json={"site": "MAD1"})
            assert write.status_code == 403, "a read token does not write"
            listed = clinic.cli("token", "list", "--user", "stat")
            assert listed.returncode == 0, listed.stderr
            number, name, scope, *_, state = listed.stdout.strip().split("\t")
            assert (name, scope, state) == ("stat script", "read", "active")
            assert clinic.cli("token", "revoke", number, "--reason", "done").returncode == 0
            refused = api.get(f"/api/studies/{STUDY}/participants")
            assert refused.status_code == 401
            assert refused.json() == {"detail": "the API token was revoked"}
            again = clinic.cli("token", "revoke", number)
            assert again.returncode == 1
            assert "revoked already" in again.stderr
    assert clinic.cli("token", "list", "--user", "stat").stdout.strip().endswith("revoked")
