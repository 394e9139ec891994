"""Clinic server benchmark (issue 5): 50 concurrent simulated users saving forms on PostgreSQL.

A real ``ovaregen serve`` process (uvicorn, one process) on a fresh PostgreSQL database; 50
users (coordinators), each logged in with their own session and working on their own enrolled
participant, save the 3-month follow-up form of study C again and again: each save sends the
form's version and a reason for change, so every request is a real audited update (version
check, audit-chain append, commit). Each simulated user pauses 0.5–1.5 s (uniform) between
saves — far busier than a person filling in a form, about 45 saves a second together — and the
load generator runs on the same machine. Latency is measured per request on the client side
(httpx, asyncio); the bar is p95 ≤ 150 ms with no error. The same run without pauses
(``--saturate``) shows the server's throughput when it is the bottleneck.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import numpy as np

from bench.harness import Measurement
from bench.live_clinic import latency_note, log_in, serving, throwaway_database
from ovaregen.clinic import ecrf
from ovaregen.clinic.scope import Grant
from ovaregen.clinic.site_access import give
from ovaregen.clinic.studies import add_participant, add_site, prepare_database, study_named
from ovaregen.clinic.users import add_user
from ovaregen.store.database import connect

USERS = 50
SAVES_PER_USER = 40
PASSWORD = "benchmark password 50 users"
LOGINS_AT_ONCE = 10
"""Users logging in at the same moment. All 50 at once from one address would put more than
the throttle's 30 free attempts per address in flight (each check is reserved as a failure
until its password proves right), and the later ones would be told to wait."""
STUDY = "ucmsc-rct"
VISIT = "month_3"
THINK_SECONDS = (0.5, 1.5)


def _prepare(url: str) -> list[str]:
    """Users, a site and one enrolled, screened participant per user; returns their codes."""
    database = connect(url)
    prepare_database(database)
    codes = []
    with database.transaction() as session:
        site = add_site(session, code="BENCH", name="Benchmark clinic", username="bench")
        study = study_named(session, STUDY)
        for i in range(USERS):
            user = add_user(
                session, username=f"user{i}", role="coordinator", password=PASSWORD, by="bench"
            )
            give(session, user, [Grant(None, "BENCH")], by="bench")
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


async def _saves(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    index: int,
    code: str,
    think: bool,
    latencies: list[float],
    errors: list[str],
) -> None:
    url = f"/api/studies/{STUDY}/participants/{code}/visits/{VISIT}"
    version = None
    rng = np.random.default_rng(index)
    for save in range(SAVES_PER_USER):
        if think:
            await asyncio.sleep(float(rng.uniform(*THINK_SECONDS)))
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


async def _load(base: str, codes: list[str], think: bool) -> tuple[list[float], list[str], float]:
    """All users log in first (Argon2 is deliberately slow), then save concurrently."""
    latencies: list[float] = []
    errors: list[str] = []
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in codes]
    try:
        headers: list[dict[str, str]] = []
        for first in range(0, len(clients), LOGINS_AT_ONCE):
            batch = clients[first : first + LOGINS_AT_ONCE]
            headers += await asyncio.gather(
                *(log_in(c, f"user{first + i}", PASSWORD) for i, c in enumerate(batch))
            )
        start = time.perf_counter()
        await asyncio.gather(
            *(
                _saves(client, headers[i], i, code, think, latencies, errors)
                for i, (client, code) in enumerate(zip(clients, codes, strict=True))
            )
        )
        return latencies, errors, time.perf_counter() - start
    finally:
        for client in clients:
            await client.aclose()


def measure(_n: int) -> list[Measurement]:
    return [_run(think=True), _run(think=False)]


def _run(*, think: bool) -> Measurement:
    with throwaway_database("ovaregen_bench") as url:
        codes = _prepare(url)
        with serving(url) as base:
            latencies, errors, wall = asyncio.run(_load(base, codes, think))
    seconds = np.asarray(latencies)
    p95 = float(np.percentile(seconds, 95))
    note = latency_note(latencies, errors, USERS, wall)
    name = "form save p95 latency, 50 concurrent users" + (
        " (0.5–1.5 s between saves), PostgreSQL" if think else ", no pauses (saturation)"
    )
    return Measurement(
        name,
        len(latencies),
        p95 if not errors else float("inf"),
        0.150 if think else None,
        note,
    )


if __name__ == "__main__":
    for m in [_run(think="--saturate" not in sys.argv)]:
        print(m)
