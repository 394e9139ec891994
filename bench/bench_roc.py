"""ROC benchmark: AUC + DeLong CI (and the Youden cut-off) at 1,000,000, against R pROC.

pROC is timed inside R with ``system.time`` around ``ci.auc(roc(...), method = "delong")``
only (best of 3, like the Python side): starting R, loading pROC and reading the CSV are not
counted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.harness import Measurement, best_of
from ovaregen.stats.roc import roc_analysis

R_TIMING = """
suppressPackageStartupMessages(library(pROC))
d <- read.csv(commandArgs(TRUE)[1])
best <- Inf
for (i in 1:3) {  # best of 3, as best_of(3, ...) on the Python side
  t <- system.time(ci <- ci.auc(roc(d$event, d$marker, levels = c(0, 1), direction = "<",
                                    quiet = TRUE), method = "delong"))
  best <- min(best, t[["elapsed"]])
}
cat(sprintf("%.17g %.17g %.17g %.17g\\n", best, ci[1], ci[2], ci[3]))
"""


def generated(n: int, seed: int = 1988) -> tuple[np.ndarray, np.ndarray]:
    """A continuous marker (all values distinct: the most thresholds, pROC's hardest case)
    and an event (40%) that a higher marker makes likelier."""
    rng = np.random.default_rng(seed)
    event = (rng.random(n) < 0.4).astype(np.int64)
    return rng.normal(0.5 * event, 1.0), event


def proc_seconds(
    marker: np.ndarray, event: np.ndarray
) -> tuple[float, tuple[float, float, float]] | None:
    """pROC's seconds (inside R) and its (CI low, AUC, CI high), or None without R/pROC."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        data, script = Path(folder) / "roc.csv", Path(folder) / "roc.R"
        np.savetxt(
            data,
            np.column_stack([marker, event]),
            fmt=["%.17g", "%d"],  # R reads back exactly the same doubles
            delimiter=",",
            header="marker,event",
            comments="",
        )
        script.write_text(R_TIMING)
        run = subprocess.run(
            [rscript, str(script), str(data)], capture_output=True, text=True, check=False
        )
    if run.returncode != 0:
        return None
    seconds, low, auc, high = (float(v) for v in run.stdout.split())
    return seconds, (low, auc, high)


def measure(n: int = 1_000_000, *, compare_with_r: bool = True) -> list[Measurement]:
    marker, event = generated(n)
    result = roc_analysis(marker, event)
    seconds = best_of(3, lambda: roc_analysis(marker, event))
    note = "ovaregen roc_analysis: AUC, DeLong variance and CI (Sun & Xu), Youden cut-off"
    measurements = [
        Measurement(
            "ROC: AUC + DeLong CI + Youden cut-off",
            n,
            seconds,
            target_seconds=2.0 if n >= 1_000_000 else None,
            note=f"{note}; continuous marker, 40% events; AUC {result.auc:.4f}",
        )
    ]
    proc = proc_seconds(marker, event) if compare_with_r else None
    if proc is not None:
        r_seconds, r_numbers = proc
        ours = (result.ci_low, result.auc, result.ci_high)
        pairs = zip(ours, r_numbers, strict=True)
        agree = all(a is not None and abs(a - b) <= 1e-9 * b for a, b in pairs)
        measurements.append(
            Measurement(
                "ROC: R pROC ci.auc(roc(...), method = 'delong')",
                n,
                r_seconds,
                note=(
                    "best of 3 timed inside R with system.time (R start-up and CSV reading "
                    "excluded); "
                    f"pROC / ovaregen = {r_seconds / seconds:.1f}x; "
                    f"AUC and CI {'agree' if agree else 'DIFFER'} to 1e-9"
                ),
            )
        )
    return measurements


if __name__ == "__main__":
    for measurement in measure():
        print(measurement)
