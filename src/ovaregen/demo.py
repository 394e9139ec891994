"""``make demo``: what ovaregen does for the three studies, without any patient data.

Generates the three calibrated synthetic cohorts at their published sizes (``ovaregen.synth``),
writes each as a dataset, reads it back through validation, screens it against its protocol,
runs its analysis plan, and renders one combined, self-contained HTML report. The steps are
data (:class:`Step`), so that the command line can show them with a progress bar on a terminal
and as plain lines otherwise; the report's path is the last line printed.

The example dataset shipped with the package (``ovaregen/examples/clinic-sample``, a fictional
Regenera-like clinic sample) stays available for the README's examples and the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ovaregen.analysis.result import Analysis
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.screening import as_interchange, screen
from ovaregen.io.findings import render_report
from ovaregen.io.reader import validate_dataset
from ovaregen.io.tables import write_csv_atomically
from ovaregen.io.writer import write_dataset
from ovaregen.report.outputs import write_analysis

EXAMPLE = "clinic-sample"
DEMO_SEED = 2026
DEMO_STUDIES = ("regenera", "mensc", "ucmsc-rct")
REPORT_NAME = "ovaregen-report.html"


def example_dataset() -> Path:
    """The folder of the shipped example dataset."""
    return Path(str(resources.files("ovaregen") / "examples" / EXAMPLE))


@dataclass(frozen=True)
class Step:
    """One step of the demo: what it does, and the work (returning the lines to print)."""

    label: str
    run: Callable[[], list[str]]


def demo_steps(out_dir: Path) -> tuple[list[Step], Path]:
    """The demo's steps and the path of the report they write (under ``out_dir``)."""
    from ovaregen.analysis.plans import run_plan  # noqa: PLC0415 (scipy loads on demand)
    from ovaregen.report.document import write_report  # noqa: PLC0415
    from ovaregen.synth import ASSUMPTIONS, PUBLISHED_SIZE, synthesize  # noqa: PLC0415

    analyses: list[Analysis] = []
    report_path = out_dir / REPORT_NAME

    def study_step(study: str) -> Callable[[], list[str]]:
        def run() -> list[str]:
            folder = out_dir / study
            write_dataset(synthesize(study, PUBLISHED_SIZE[study], DEMO_SEED), folder / "dataset")
            protocol = load_protocol(study)
            report = validate_dataset(folder / "dataset", protocol)
            if report.dataset is None:
                raise RuntimeError(render_report(report))
            data = report.dataset
            screened = as_interchange(screen(data.participants, protocol))
            write_csv_atomically(screened, folder / "screening.csv")
            analysis = run_plan(study, data, protocol)
            write_analysis(analysis, folder / "analysis")
            analyses.append(analysis)
            eligible = int((screened.get_column("eligible") == "true").sum())
            return [
                f"{protocol.title}: {data.participants.height} participants, "
                f"{data.pregnancies.height} pregnancies, {eligible} eligible; "
                f"{len(analysis.results)} results in {folder / 'analysis'}"
            ]

        return run

    def report_step() -> list[str]:
        written = write_report(analyses, report_path, assumptions=ASSUMPTIONS)
        return [f"combined report of {len(analyses)} studies, {len(written) - 1} table files"]

    steps = [
        Step(f"{study}: synthesise, validate, screen, analyse", study_step(study))
        for study in DEMO_STUDIES
    ]
    steps.append(Step("render the combined report", report_step))
    return steps, report_path
