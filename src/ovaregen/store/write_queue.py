"""A first-come, first-served lock for the writers of one process.

SQLite's busy handler is not fair: it retries by sleeping, so a writer that just failed can lose
the lock again and again to ones that arrived after it (issue 11: one client saved nothing in
6 s while others saved 86 times). Writers of this process therefore queue here, in arrival
order, before ``BEGIN IMMEDIATE``; the lock is handed straight to the next waiter on release,
so no one can overtake. Other processes (the command line) still meet SQLite's busy timeout.
"""

from __future__ import annotations

import threading
from collections import deque


class FifoLock:
    """A lock granted in the order it was asked for; ``acquire`` may give up after a timeout.

    Not re-entrant; it may be released by another thread than the one that acquired it (a web
    request's dependency is entered and left on different worker threads)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for the lock (at most ``timeout`` seconds; None = forever); True when held."""
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            if timeout is not None and timeout <= 0:
                return False
            turn = threading.Event()
            self._waiters.append(turn)
        granted = turn.wait(timeout)
        with self._mutex:
            if granted or turn.is_set():  # handed over, perhaps just as the wait timed out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        """Hand the lock to the longest waiter, or free it."""
        with self._mutex:
            if not self._held:
                raise RuntimeError("release of a FifoLock that is not held")
            if self._waiters:
                self._waiters.popleft().set()  # stays held: the next waiter owns it now
            else:
                self._held = False

    @property
    def waiting(self) -> int:
        """How many writers are queued behind the holder."""
        with self._mutex:
            return len(self._waiters)
