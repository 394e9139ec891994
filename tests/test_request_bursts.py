"""A burst of requests larger than the connection pool is served, not deadlocked
(``web.database_turns``): before requests took turns in the event loop, 100 requests at once
on one ``ovaregen serve`` left every worker thread waiting for a pooled connection while the
requests holding the connections waited for a thread, and they were answered 503 after the
pool's 30 s."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

PASSWORD = "a burst of requests password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
READS = 100
CREATES = 20


def _ovaregen(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ovaregen", *args],
        input=stdin,
        text=True,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def _burst(base: str) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as browser:
        form = await browser.get("/login")
        token = _CSRF.search(form.text)
        assert token is not None
        await browser.post(
            "/login", data={"username": "coord", "password": PASSWORD, "csrf_token": token[1]}
        )
        csrf = _CSRF.search((await browser.get("/")).text)
        assert csrf is not None, "logged in"
        cookies = dict(browser.cookies)
    limits = httpx.Limits(max_connections=READS + CREATES)
    async with httpx.AsyncClient(
        base_url=base, cookies=cookies, timeout=120, limits=limits
    ) as client:
        reads = [client.get("/api/studies/ucmsc-rct/participants") for _ in range(READS)]
        creates = [
            client.post(
                "/api/studies/ucmsc-rct/participants",
                json={"site": "B1"},
                headers={"X-CSRF-Token": csrf[1]},
            )
            for _ in range(CREATES)
        ]
        answers = await asyncio.gather(*reads, *creates)
    return [answer.status_code for answer in answers]


def test_a_burst_larger_than_the_pool_is_served(tmp_path: Path) -> None:
    data = tmp_path / "clinic"
    _ovaregen("site", "add", "--data", str(data), "--code", "B1", "--name", "Burst")
    _ovaregen(
        "user", "add", "--data", str(data), "--username", "coord", "--role", "coordinator",
        "--site", "B1", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "ovaregen", "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("ovaregen serve did not start")
        statuses = asyncio.run(_burst(base))
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert statuses == [200] * READS + [201] * CREATES, "none waited out the pool's 30 s"
