"""Multi-centre server benchmark (issue 13): 200 users across 10 sites saving forms.

A real ``ovaregen serve --workers N`` on a fresh PostgreSQL database. Ten sites; 200
coordinators, 20 per site, each granted only her own site (``clinic.scope``: every request
also checks that the woman is one of her sites'); each works on her own enrolled participant
and saves the 3-month follow-up form of study C again and again, with its version and a
reason for change — a real audited update each time (site check, version check, audit-chain
append, commit).

- **Load**: each user pauses 2–6 s (uniform) between saves — about 50 saves a second for the
  200 together, still far busier than people filling in forms — on as many server processes
  as the machine has cores. Bar: p95 ≤ 150 ms, no error.
- **Growth**: the same users without pauses (the server is the bottleneck) on one server
  process, then on two: saves per second of each, and how often a save waited for the audit
  chain's single head row (``audit_head``, locked FOR UPDATE by every append): PostgreSQL's
  ``pg_stat_activity`` is sampled every 20 ms during the run for backends waiting on a lock.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from sqlalchemy import create_engine, text

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

SITES = 10
USERS = 200
SAVES_PER_USER = 12
SATURATION_SAVES_PER_USER = 5
PASSWORD = "benchmark password 200 users"
THINK_SECONDS = (2.0, 6.0)
SAMPLE_SECONDS = 0.02


@dataclass
class Run:
    """One load run: latencies, errors, wall time and the lock-wait samples."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    samples: int = 0
    waiting_on_head: int = 0
    """Samples in which at least one backend waited for a lock held on the audit head."""
    waiting_backends: int = 0


def _sample_lock_waits(url: str, stop: threading.Event, run: Run) -> None:
    """Count, every ``SAMPLE_SECONDS``, backends waiting for a lock, and whether one of them
    waits behind a backend that has appended to the audit trail in its transaction."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    query = text(
        "select count(*) as waiting, "
        "count(*) filter (where exists (select 1 from pg_locks held "
        "  where held.pid = any(pg_blocking_pids(a.pid)) and held.granted "
        "  and held.relation = 'audit_head'::regclass)) as on_head "
        "from pg_stat_activity a "
        "where a.wait_event_type = 'Lock' and a.datname = current_database()"
    )
    with engine.connect() as connection:
        while not stop.is_set():
            waiting, on_head = connection.execute(query).one()
            run.samples += 1
            run.waiting_backends += int(waiting)
            run.waiting_on_head += 1 if on_head else 0
            time.sleep(SAMPLE_SECONDS)
    engine.dispose()


async def _load(base: str, codes: list[str], saves: int, think: bool, run: Run, url: str) -> None:
    """All users log in first (Argon2 is deliberately slow), then save concurrently."""
    clients = [user_client(base, 60) for _ in codes]
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_lock_waits, args=(url, stop, run), daemon=True)
    try:
        headers = await log_in_all(clients, PASSWORD)
        sampler.start()
        start = time.perf_counter()
        await asyncio.gather(
            *(
                save_repeatedly(
                    client,
                    headers[i],
                    code,
                    saves=saves,
                    think=THINK_SECONDS if think else None,
                    seed=i,
                    latencies=run.latencies,
                    errors=run.errors,
                )
                for i, (client, code) in enumerate(zip(clients, codes, strict=True))
            )
        )
        run.wall = time.perf_counter() - start
    finally:
        stop.set()
        if sampler.is_alive():
            sampler.join(timeout=5)
        for client in clients:
            await client.aclose()


def _run(workers: int, *, think: bool) -> Run:
    run = Run()
    with throwaway_database("ovaregen_multicentre") as url:
        codes = prepare(url, [f"S{s:02d}" for s in range(1, SITES + 1)], USERS, PASSWORD)
        with serving(url, workers=workers) as base:
            saves = SAVES_PER_USER if think else SATURATION_SAVES_PER_USER
            asyncio.run(_load(base, codes, saves, think, run, url))
    return run


def _waits(run: Run) -> str:
    share = run.waiting_on_head / run.samples if run.samples else 0.0
    mean = run.waiting_backends / run.samples if run.samples else 0.0
    return (
        f"a save waited behind the audit head in {share:.0%} of {run.samples} samples; "
        f"{mean:.1f} backends waiting for a lock on average"
    )


def measure(_n: int) -> list[Measurement]:
    cores = os.cpu_count() or 1
    load = _run(cores, think=True)
    p95 = float(np.percentile(np.asarray(load.latencies), 95))
    found = [
        Measurement(
            f"form save p95 latency, {USERS} users across {SITES} sites (2–6 s between "
            f"saves), {cores} server processes, PostgreSQL",
            len(load.latencies),
            p95 if not load.errors else float("inf"),
            0.150,
            latency_note(load.latencies, load.errors, USERS, load.wall) + "; " + _waits(load),
        )
    ]
    rates = []
    for workers in sorted({1, cores}):
        run = _run(workers, think=False)
        rate = len(run.latencies) / run.wall
        rates.append(rate)
        found.append(
            Measurement(
                f"saturation, {USERS} users without pauses, {workers} server process"
                + ("es" if workers > 1 else ""),
                len(run.latencies),
                float(np.percentile(np.asarray(run.latencies), 95)),
                None,
                f"{rate:.0f} saves/s (p95 in seconds); "
                + latency_note(run.latencies, run.errors, USERS, run.wall)
                + "; "
                + _waits(run),
            )
        )
    if len(rates) == 2:
        found[-1] = Measurement(
            found[-1].name,
            found[-1].n,
            found[-1].seconds,
            None,
            found[-1].note + f"; throughput × {rates[1] / rates[0]:.2f} of one process",
        )
    return found


if __name__ == "__main__":
    for m in measure(0):
        print(m)
