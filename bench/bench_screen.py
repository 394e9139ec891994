"""Screening benchmark: 1,000,000 participants for all three protocols (target ≤ 5 s), and the
same screening done participant by participant in plain Python (the ratio; expected ≥ 50×)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import oracle

from bench.bench_validate import write_participants
from bench.cohort import synthetic_cohort
from bench.harness import Measurement, best_of
from ovaregen.domain.protocols import PROTOCOL_NAMES, load_protocol
from ovaregen.domain.screening import as_interchange, screen
from ovaregen.io.reader import read_dataset
from ovaregen.io.tables import write_csv_atomically

SAMPLE = 20_000
"""Participants screened one by one in plain Python; the per-participant time is scaled up."""


def measure(n: int = 1_000_000) -> list[Measurement]:
    cohort = synthetic_cohort(n)
    protocols = [load_protocol(name) for name in PROTOCOL_NAMES]

    def all_three() -> None:
        for protocol in protocols:
            as_interchange(screen(cohort, protocol))

    vectorised = best_of(3, all_three)
    rows = cohort.head(SAMPLE).to_dicts()
    start = time.perf_counter()
    for name in PROTOCOL_NAMES:
        for row in rows:
            oracle.screen_one(row, name)
    plain_per_row = (time.perf_counter() - start) / SAMPLE
    plain = plain_per_row * n
    with tempfile.TemporaryDirectory() as folder:
        dataset = Path(folder) / "dataset"
        write_participants(n, dataset)

        def end_to_end() -> None:
            data = read_dataset(dataset)
            for protocol in protocols:
                result = as_interchange(screen(data.participants, protocol))
                write_csv_atomically(result, Path(folder) / f"{protocol.name}.csv")

        whole = best_of(2, end_to_end)
    one = cohort.head(1)
    single = best_of(20, lambda: [screen(one, p) for p in protocols])
    return [
        Measurement("screen, 3 protocols, vectorised (Polars)", n, vectorised, 5.0),
        Measurement(
            "screen, 3 protocols, participant by participant in plain Python",
            n,
            plain,
            note=f"timed on {SAMPLE:,} participants and scaled; "
            f"vectorised is {plain / vectorised:.0f}× faster (bar: ≥ 50×)",
        ),
        Measurement(
            "end to end: read and validate participants.csv, screen 3 protocols, write 3 CSVs",
            n,
            whole,
            note="what `ovaregen screen` does three times over, without the process start",
        ),
        Measurement(
            "screen one participant, 3 protocols (web-form path)",
            1,
            single,
            note="the same expressions on a one-row frame",
        ),
    ]


if __name__ == "__main__":
    for m in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(f"{m.name}: n={m.n:,} {m.seconds:.3f} s {m.note}")
