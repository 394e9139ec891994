"""The validation benchmark runs end to end on a small generated file."""

from __future__ import annotations

from bench.bench_validate import measure, participants_frame


def test_generated_participants_are_valid_and_timed() -> None:
    (measurement,) = measure(2_000)
    assert measurement.n == 2_000 and measurement.seconds > 0
    assert measurement.target_seconds is None  # the 10 s bar is for 1,000,000 rows
    assert participants_frame(10).width == 42
