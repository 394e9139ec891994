"""Shared pieces of the benchmarks run by ``make bench`` (``bench/run.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    """One benchmark figure: what was timed, on how many rows, against which bar."""

    name: str
    n: int
    seconds: float
    target_seconds: float | None = None
    note: str = ""

    @property
    def passed(self) -> bool | None:
        return None if self.target_seconds is None else self.seconds <= self.target_seconds


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeats`` wall-clock timings of ``work()``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` leaves the elapsed seconds in ``t[0]``."""
    elapsed: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - start
