"""A burst of requests larger than the connection pool is served, not deadlocked
(``web.database_turns``): before requests took turns in the event loop, 100 requests at once
on one ``ovaregen serve`` left every worker thread waiting for a pooled connection while the
requests holding the connections waited for a thread, and they were answered 503 after the
pool's 30 s."""

from __future__ import annotations

import asyncio
import re
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.browser.test_clinic_in_chromium import PASSWORD, _cli, serving

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
READS = 100
CREATES = 20


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
    _cli("site", "add", "--data", str(data), "--code", "B1", "--name", "Burst")
    _cli(
        "user", "add", "--data", str(data), "--username", "coord", "--role", "coordinator",
        "--site", "B1", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    with contextmanager(serving)(data) as base:
        statuses = asyncio.run(_burst(base))
    assert statuses == [200] * READS + [201] * CREATES, "none waited out the pool's 30 s"
