"""Whole-command benchmarks of issue 4: ``make demo`` and ``ovaregen analyze`` on a
1,000,000-participant synthetic Study A cohort, timed as a user runs them (one process each,
``/usr/bin/time -v``: wall time and peak resident memory)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Measurement

OVAREGEN = [sys.executable, "-m", "ovaregen"]


def timed(arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (GiB) of one ``ovaregen`` process (which must succeed)."""
    elapsed, peak, done = timed_run(arguments)
    done.check_returncode()
    return elapsed, peak


def timed_run(arguments: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds, peak memory (GiB) and the finished process of one ``ovaregen`` run,
    whether it succeeded or not."""
    done = subprocess.run(
        ["/usr/bin/time", "-v", *OVAREGEN, *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = re.search(
        r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", done.stderr
    )
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if wall is None or peak is None:
        raise RuntimeError(f"could not read /usr/bin/time output:\n{done.stderr[-2000:]}")
    hours, minutes, seconds = wall.groups()
    elapsed = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    return elapsed, int(peak.group(1)) / 1024**2, done


def measure(n: int = 1_000_000) -> list[Measurement]:
    with tempfile.TemporaryDirectory(prefix="ovaregen-bench-") as folder:
        root = Path(folder)
        demo_seconds, demo_memory = timed(["demo", "--out", str(root / "demo")])
        synth_seconds, _ = timed(
            ["synth", "--study", "regenera", "--n", str(n), "--seed", "1", "--out", str(root / "a")]
        )
        size_mb = sum(p.stat().st_size for p in (root / "a").iterdir()) / 1024**2
        seconds, memory = timed(
            ["analyze", str(root / "a"), "--plan", "regenera", "--out", str(root / "analysis")]
        )
    return [
        Measurement(
            "make demo (after installation): three cohorts, screening, analysis, report",
            265 + 105 + 66,
            demo_seconds,
            target_seconds=60,
            note=f"one process; peak memory {demo_memory:.2f} GiB",
        ),
        Measurement(
            "ovaregen synth --study regenera (1M women)",
            n,
            synth_seconds,
            note=f"writes {size_mb:.0f} MB of CSV",
        ),
        Measurement(
            "ovaregen analyze --plan regenera on the synthetic 1M cohort",
            n,
            seconds,
            target_seconds=90,
            note=(
                "one process: read, validate, derive, plan, write; "
                f"peak memory {memory:.2f} GiB (bar 4 GiB)"
            ),
        ),
    ]
