"""First run (issue 12): ``make demo`` on a fresh clone, installation included (bar ≤ 90 s).

The repository is cloned into a temporary folder (``git clone`` of this checkout's HEAD) and
``make demo`` is timed there as a user would run it: once with an empty uv cache (every wheel
downloaded) and once with the cache the first run filled. The clone's ``.venv`` is new each
time; nothing of this checkout's environment is reused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Measurement

ROOT = Path(__file__).resolve().parent.parent
BAR_SECONDS = 90.0


def _demo_on_a_fresh_clone(cache: Path) -> float:
    """Seconds of ``make demo`` in a new clone, with ``cache`` as uv's cache."""
    with tempfile.TemporaryDirectory(prefix="ovaregen-first-run-") as folder:
        clone = Path(folder) / "ovaregen"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        environment = {**os.environ, "UV_CACHE_DIR": str(cache), "PIP_NO_CACHE_DIR": "1"}
        environment.pop("VIRTUAL_ENV", None)
        start = time.perf_counter()
        subprocess.run(
            ["make", "demo"], cwd=clone, env=environment, check=True, capture_output=True
        )
        return time.perf_counter() - start


def measure(n: int = 1_000_000) -> list[Measurement]:
    """``n`` is not used: the demo has the published sizes (436 women)."""
    del n
    with tempfile.TemporaryDirectory(prefix="ovaregen-uv-cache-") as cache:
        cold = _demo_on_a_fresh_clone(Path(cache))
        warm = _demo_on_a_fresh_clone(Path(cache))
    return [
        Measurement(
            "make demo on a fresh clone, empty uv cache (installation included)",
            436,
            cold,
            BAR_SECONDS,
            "git clone, then make demo: venv, uv, the pinned lock downloaded, demo, report",
        ),
        Measurement(
            "make demo on a fresh clone, uv cache filled by the run above",
            436,
            warm,
            BAR_SECONDS,
            "the same, wheels from uv's cache",
        ),
    ]
