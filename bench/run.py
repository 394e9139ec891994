"""``make bench``: run every benchmark and write ``docs/benchmarks.md`` with machine and date."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

from bench.harness import Measurement

SUITES = {
    "bench.bench_screen": "Screening (issue 2)",
    "bench.bench_validate": "Reading and validating a dataset (issue 2)",
    "bench.bench_derive": "Deriving endpoints (issue 2)",
    "bench.bench_roc": "ROC analysis (issue 3)",
    "bench.bench_table1": "Table 1 (issue 3)",
    "bench.bench_study": "Whole commands: demo and a 1,000,000-woman analysis (issue 4)",
    "bench.bench_clinic": "Clinic server: 50 concurrent users saving forms on PostgreSQL (issue 5)",
    "bench.bench_exchange": "Study record: export, import and the per-visit analysis (issue 10)",
    "bench.bench_report": "The combined HTML report of the reference studies (issue 11)",
    "bench.bench_randomisation": "Generating the allocation list (issue 11)",
    "bench.bench_first_run": "First run: make demo on a fresh clone, with installation (issue 12)",
    "bench.bench_multicentre": "Clinic server: 200 users across 10 sites on PostgreSQL (issue 13)",
    "bench.bench_formats": "Research formats: a 100,000-woman study C to and from each (issue 14)",
}


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split()[1])
        memory = f", {total_kb / 1024**2:.0f} GiB memory"
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Polars {pl.__version__}"
    )


def table(measurements: list[Measurement]) -> list[str]:
    lines = [
        "| what | n | seconds | bar | met | note |",
        "|---|---:|---:|---:|---|---|",
    ]
    for m in measurements:
        bar = f"≤ {m.target_seconds:g} s" if m.target_seconds is not None else ""
        met = {True: "yes", False: "**no**", None: ""}[m.passed]
        lines.append(f"| {m.name} | {m.n:,} | {m.seconds:.3f} | {bar} | {met} | {m.note} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    lines = [
        "# Benchmarks",
        "",
        "Measured by `make bench` (`bench/run.py`); each figure is the best of repeated runs",
        "unless its note says otherwise. Regenerate after a change that touches a hot path.",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
    ]
    for module_name, title in SUITES.items():
        module = importlib.import_module(module_name)
        print(f"running {title} …", flush=True)
        measurements = module.measure(args.n)
        for m in measurements:
            print(f"  {m.name}: {m.seconds:.3f} s {m.note}", flush=True)
        lines += ["", f"## {title}", "", *table(measurements)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
