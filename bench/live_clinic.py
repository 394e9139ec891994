"""A real ``ovaregen serve`` on a throw-away PostgreSQL database, for the server benchmarks
(``bench_clinic``: 50 users at one site; ``bench_multicentre``: 200 users across 10 sites).

The load generator (httpx, asyncio) runs on the same machine as the server and PostgreSQL, so
the figures are a floor for a deployment that gives the server its own cores.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import numpy as np
from sqlalchemy import create_engine, text

PG_SERVER = os.environ.get("OVAREGEN_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database's URL; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def serving(url: str, workers: int = 1) -> Iterator[str]:
    """``ovaregen serve --workers N`` on ``url``; yields its base URL once /health answers."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [sys.executable, "-m", "ovaregen", "serve", "--data", data, "--database-url", url,
             "--port", str(port), "--workers", str(workers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise RuntimeError("ovaregen serve did not start")
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)  # the parent and its server processes
                server.wait(timeout=30)


async def log_in(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Log one simulated user in through the login page; the CSRF header her saves send."""
    form = await client.get("/login")
    token = CSRF.search(form.text)
    assert token is not None
    await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )
    home = await client.get("/")
    csrf = CSRF.search(home.text)
    assert csrf is not None, f"login of {username} failed"
    return {"X-CSRF-Token": csrf.group(1)}


def latency_note(latencies: list[float], errors: list[str], users: int, wall: float) -> str:
    """Saves, throughput, percentiles and errors of one run, for the benchmark table."""
    seconds = np.asarray(latencies)
    p50, p99 = (float(np.percentile(seconds, q)) for q in (50, 99))
    return (
        f"{len(latencies)} audited saves by {users} concurrent users in {wall:.1f} s "
        f"({len(latencies) / wall:.0f}/s); p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {seconds.max() * 1000:.0f} ms; errors: {len(errors)}"
        + (f" (first: {errors[0]})" if errors else "")
    )
