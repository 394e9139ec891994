"""A real ``ovaregen serve`` on a throw-away PostgreSQL database, for the server benchmarks
(``bench_clinic``: 50 users at one site; ``bench_multicentre``: 200 users across 10 sites).

The load generator (httpx, asyncio) runs on the same machine as the server and PostgreSQL, so
the figures are a floor for a deployment that gives the server its own cores.
"""

from __future__ import annotations

import asyncio
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


SERVER_KEEP_ALIVE_SECONDS = 5
"""Uvicorn's default: an idle connection is closed by the server after 5 s."""


def user_client(base: str, timeout: float) -> httpx.AsyncClient:
    """One simulated user's client. It drops an idle connection before the server would
    (``SERVER_KEEP_ALIVE_SECONDS``), as browsers do: a request sent on a connection the server
    is closing at that instant fails with a read error that no server could avoid."""
    limits = httpx.Limits(keepalive_expiry=SERVER_KEEP_ALIVE_SECONDS - 1)
    return httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits)


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


STUDY = "ucmsc-rct"
VISIT = "month_3"
LOGINS_AT_ONCE = 10
"""Users logging in at the same moment: more from one address than the throttle's 30 free
attempts in flight (each check is reserved as a failure until its password proves right)
would be told to wait."""


def prepare(url: str, site_codes: list[str], users: int, password: str) -> list[str]:
    """The sites; ``users`` coordinators ``user0``…, user i at site ``i mod len(sites)`` and
    granted only it; one enrolled, screened participant of study C per user at her site.
    Returns the participants' codes (user i works on codes[i])."""
    from ovaregen.clinic import ecrf  # noqa: PLC0415 - the benchmark's own imports stay light
    from ovaregen.clinic.scope import Grant  # noqa: PLC0415
    from ovaregen.clinic.site_access import give  # noqa: PLC0415
    from ovaregen.clinic.studies import (  # noqa: PLC0415
        add_participant,
        add_site,
        prepare_database,
        study_named,
    )
    from ovaregen.clinic.users import add_user  # noqa: PLC0415
    from ovaregen.store.database import connect  # noqa: PLC0415

    database = connect(url)
    prepare_database(database)
    codes = []
    with database.transaction() as session:
        study = study_named(session, STUDY)
        sites = [add_site(session, code=c, name=f"Site {c}", username="bench") for c in site_codes]
        for i in range(users):
            site = sites[i % len(sites)]
            user = add_user(session, username=f"user{i}", password=password, by="bench")
            give(session, user, [Grant(None, site.code, "coordinator")], by="bench")
            participant = add_participant(session, study, site, username="bench")
            ecrf.save_form(
                session,
                participant,
                "screening",
                {"age_years": 31.0, "consent": True},
                username="bench",
                expected_version=None,
            )
            participant.status = "enrolled"
            codes.append(participant.code)
    database.dispose()
    return codes


async def log_in_all(clients: list[httpx.AsyncClient], password: str) -> list[dict[str, str]]:
    """Log user i in on clients[i], ``LOGINS_AT_ONCE`` at a time; their CSRF headers."""
    headers: list[dict[str, str]] = []
    for first in range(0, len(clients), LOGINS_AT_ONCE):
        batch = clients[first : first + LOGINS_AT_ONCE]
        headers += await asyncio.gather(
            *(log_in(c, f"user{first + i}", password) for i, c in enumerate(batch))
        )
    return headers


async def save_repeatedly(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    *,
    saves: int,
    think: tuple[float, float] | None,
    seed: int,
    latencies: list[float],
    errors: list[str],
) -> None:
    """Save her 3-month follow-up form ``saves`` times, each with the version and a reason
    for change (a real audited update), pausing ``think`` seconds (uniform) before each."""
    url = f"/api/studies/{STUDY}/participants/{code}/visits/{VISIT}"
    version = None
    rng = np.random.default_rng(seed)
    for save in range(saves):
        if think is not None:
            await asyncio.sleep(float(rng.uniform(*think)))
        body = {
            "values": {
                "afc_post": str(int(rng.integers(0, 20))),
                "amh_post_ng_ml": f"{rng.uniform(0.01, 3):.2f}",
                "menses_followup": "amenorrhea",
            },
            "units": {},
            "version": version,
            "reason": "" if version is None else f"benchmark correction {save}",
        }
        start = time.perf_counter()
        response = await client.put(url, json=body, headers=headers)
        latencies.append(time.perf_counter() - start)
        if response.status_code != 200:
            errors.append(f"{response.status_code}: {response.text[:200]}")
            return
        version = response.json()["version"]
