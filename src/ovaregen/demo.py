"""``make demo``: validate, screen, derive and analyse the example dataset shipped with ovaregen.

The example (``ovaregen/examples/clinic-sample``) is a fictional Regenera-like clinic sample;
the demo screens it against all three protocols, derives Study A's endpoints and runs Study A's
analysis plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from ovaregen.domain.derivation import derive_table
from ovaregen.domain.protocols import shipped_protocols
from ovaregen.domain.screening import as_interchange, screen
from ovaregen.io.findings import render_report
from ovaregen.io.reader import validate_dataset
from ovaregen.io.tables import write_analysis, write_csv_atomically, write_derived_tables
from ovaregen.report.text import (
    render_analysis_summary,
    render_derived_summary,
    render_screening_summary,
)

EXAMPLE = "clinic-sample"


def example_dataset() -> Path:
    """The folder of the shipped example dataset."""
    return Path(str(resources.files("ovaregen") / "examples" / EXAMPLE))


def run_demo(out_dir: Path) -> Iterator[str]:
    """Run the demo, yielding the lines to print; outputs go to ``out_dir``."""
    source = example_dataset()
    yield f"== Example dataset: {source}"
    report = validate_dataset(source)
    yield render_report(report)
    if report.dataset is None:
        return
    data = report.dataset
    out_dir.mkdir(parents=True, exist_ok=True)
    for protocol in shipped_protocols():
        yield ""
        yield f"== Screening for {protocol.title}"
        result = as_interchange(screen(data.participants, protocol))
        path = out_dir / f"screening-{protocol.name}.csv"
        write_csv_atomically(result, path)
        yield render_screening_summary(result, protocol)
        yield f"written to {path}"
    regenera = shipped_protocols()[0]
    derivation = derive_table(
        data.participants, data.pregnancies, regenera, data.supplied.get("participants")
    )
    yield ""
    yield "== Endpoints (Study A protocol)"
    yield render_derived_summary(derivation)
    table_path = out_dir / "derived-regenera.csv"
    write_csv_atomically(derivation.participants, table_path)
    written = write_derived_tables(derivation, out_dir / "tables")
    yield f"participant table written to {table_path}"
    yield "cohort tables: " + ", ".join(str(p) for p in written)
    yield ""
    yield "== Analysis plan (Study A)"
    from ovaregen.analysis.plans import run_plan  # noqa: PLC0415 (scipy loads on demand)

    analysis = run_plan("regenera", data, regenera)
    analysis_dir = out_dir / "analysis-regenera"
    write_analysis(analysis, analysis_dir)
    yield render_analysis_summary(analysis)
    yield f"results.json and {len(analysis.tables)} tables written to {analysis_dir}"
    yield ""
    yield (
        "Explain one woman's screening: ovaregen screen "
        f"{source} --protocol regenera --explain RG-008"
    )
