"""Requests take turns at the database in the event loop, never in a worker thread.

Every request holds one pooled connection for its transaction (``dependencies.db_session``)
and sometimes a second one briefly (a GET that records its download, a session's last-seen
time written in a transaction of its own). Without turns, a burst of requests larger than the
pool deadlocks: the requests already holding a connection need a worker thread for their next
step, while every worker thread sits blocked waiting for a connection from the exhausted pool
(SQLAlchemy's ``pool_timeout``, 30 s), so nothing moves until those waits fail with 503 — seen
as 200 users saving at once on one server process (``bench/bench_multicentre.py``). The same
holds for SQLite's writer queue (``store.write_queue``), which waits in a thread too.

So a request first waits for a turn here, without holding a thread or a connection; at most
``turns`` requests are inside the database at once: half the pool (each may hold two
connections) and half the worker threads (each may need a thread while the others wait), so a
request inside always finds the connection and the thread it needs. A request that gets no
turn within the busy timeout is answered 503 with the reason, as a busy database is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
from anyio import to_thread
from anyio.lowlevel import current_token
from fastapi import Request

from ovaregen.store.database import BUSY_TIMEOUT_MS, Database, DatabaseBusyError, busy_message

CONNECTIONS_PER_REQUEST = 2
"""Its transaction's, and a short transaction of its own (a download's audit entry, a
session's last-seen time)."""


def turns_for(database: Database, threads: int) -> int:
    """How many requests may be inside the database at once (at least one)."""
    return max(1, min(database.connections // CONNECTIONS_PER_REQUEST, threads // 2))


def _turns(request: Request, database: Database) -> anyio.Semaphore:
    """This process's turns, made at the first request of each event loop (a test client
    runs one loop per use; a server one for its life)."""
    loop = current_token()
    found: tuple[object, anyio.Semaphore] | None = getattr(
        request.app.state, "database_turns", None
    )
    if found is None or found[0] != loop:
        threads = int(to_thread.current_default_thread_limiter().total_tokens)
        found = (loop, anyio.Semaphore(turns_for(database, threads)))
        request.app.state.database_turns = found
    return found[1]


async def database_turn(request: Request) -> AsyncIterator[None]:
    """Wait (in the event loop) for a turn at the database; hold it for the request's
    transaction. No turn within ``BUSY_TIMEOUT_MS``: ``DatabaseBusyError`` (503)."""
    database: Database = request.app.state.database
    turns = _turns(request, database)
    with anyio.move_on_after(BUSY_TIMEOUT_MS / 1000) as waited:
        await turns.acquire()
    if waited.cancelled_caught:
        raise DatabaseBusyError(busy_message(BUSY_TIMEOUT_MS, "this server's other requests"))
    try:
        yield
    finally:
        turns.release()
