"""The research formats of issue 14: a 100,000-woman study C (``ucmsc-rct``, 3 follow-up visits
each) converted with ``ovaregen convert`` from the interchange folder to each format that is
both read and written (``formats.registry.CODECS``) and back, each way timed as a user runs it
(one process, ``/usr/bin/time -v``: wall time and peak resident memory). The folder written back
must hold every woman and every visit. Bars (issue 14): ≤ 60 s each way for ODM, ≤ 10 s for
Parquet, ≤ 2 GiB peak for every one; REDCap and the others are reported.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_study import timed
from bench.harness import Measurement
from ovaregen.formats.registry import CODECS, Format

WOMEN = 100_000
STUDY = "ucmsc-rct"
BAR_SECONDS = {Format.ODM: 60.0, Format.PARQUET: 10.0}
BAR_GIB = 2.0


def _rows(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines) - 1


def measure(_n: int = WOMEN) -> list[Measurement]:
    found: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="ovaregen-bench-formats-") as folder:
        root = Path(folder)
        source = root / "interchange"
        timed(["synth", "--study", STUDY, "--n", str(WOMEN), "--seed", "1", "--out", str(source)])
        women, visits = _rows(source / "participants.csv"), _rows(source / "visits.csv")
        for name, codec in CODECS.items():
            if name is Format.INTERCHANGE or codec.read is None or codec.write is None:
                continue
            written = root / name.value / ("study.xml" if name is Format.ODM else "out")
            written.parent.mkdir(parents=True, exist_ok=True)
            back = root / f"{name.value}-back"
            steps = (
                ("to", ["--to", name.value], source, written),
                ("from", ["--from", name.value], written, back),
            )
            for way, options, read, out in steps:
                arguments = ["convert", str(read), "-p", STUDY, "--out", str(out), *options]
                seconds, peak = timed(arguments)
                bar = BAR_SECONDS.get(name)
                within = peak <= BAR_GIB
                note = (
                    f"peak {peak:.2f} GiB (bar {BAR_GIB:g} GiB: {'met' if within else 'NOT met'})"
                )
                if way == "from":
                    got = (_rows(back / "participants.csv"), _rows(back / "visits.csv"))
                    if got != (women, visits):
                        raise RuntimeError(f"{name}: read back {got}, wrote {(women, visits)}")
                    note += f"; read back {women:,} women, {visits:,} visits"
                found.append(Measurement(f"convert {way} {name.value}", WOMEN, seconds, bar, note))
    return found


if __name__ == "__main__":
    from bench.run import table

    print("\n".join(table(measure())))
