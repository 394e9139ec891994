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

import numpy as np

from bench.harness import Measurement
from bench.live_clinic import (
    latency_note,
    log_in_all,
    prepare,
    save_repeatedly,
    serving,
    throwaway_database,
    user_client,
)

USERS = 50
SAVES_PER_USER = 40
PASSWORD = "benchmark password 50 users"
THINK_SECONDS = (0.5, 1.5)


async def _load(base: str, codes: list[str], think: bool) -> tuple[list[float], list[str], float]:
    """All users log in first (Argon2 is deliberately slow), then save concurrently."""
    latencies: list[float] = []
    errors: list[str] = []
    clients = [user_client(base, 30) for _ in codes]
    try:
        headers = await log_in_all(clients, PASSWORD)
        start = time.perf_counter()
        await asyncio.gather(
            *(
                save_repeatedly(
                    client,
                    headers[i],
                    code,
                    saves=SAVES_PER_USER,
                    think=THINK_SECONDS if think else None,
                    seed=i,
                    latencies=latencies,
                    errors=errors,
                )
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
        codes = prepare(url, ["BENCH"], USERS, PASSWORD)
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
