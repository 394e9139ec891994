"""The ``ovaregen`` command line (INTERCHANGE.md "Outputs"): wiring only.

Exit codes: 0 success (warnings allowed), 1 the input was refused (invalid dataset, unknown
participant, bad protocol file), 2 usage error. A user never sees a traceback: an unexpected
failure prints one line and exits 3.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ovaregen.clinic_commands import register as register_clinic_commands
from ovaregen.convert_command import register as register_convert_command
from ovaregen.ctgov_command import register as register_ctgov_command
from ovaregen.demo import demo_steps
from ovaregen.domain import screening
from ovaregen.domain.derivation import derive_table
from ovaregen.domain.diagnoses import DiagnosisSettings, ReserveLogic
from ovaregen.domain.protocols import (
    PROTOCOL_NAMES,
    Protocol,
    ProtocolError,
    load_protocol,
    shipped_protocols,
)
from ovaregen.domain.titration import DoseRefused, load_titration_table, propose_next_dose
from ovaregen.io.dataset import Dataset
from ovaregen.io.findings import render_report
from ovaregen.io.reader import validate_dataset
from ovaregen.io.tables import write_csv_atomically
from ovaregen.io.writer import write_dataset
from ovaregen.report.dictionary import render_data_dictionary
from ovaregen.report.outputs import write_analysis, write_derived_tables
from ovaregen.report.text import (
    render_analysis_summary,
    render_derived_summary,
    render_explanation,
    render_protocol,
    render_protocol_list,
    render_screening_summary,
)

app = typer.Typer(
    name="ovaregen",
    help="Study platform for regenerative ovarian therapies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
protocol_app = typer.Typer(help="Show one study protocol.", no_args_is_help=True)
app.add_typer(protocol_app, name="protocol")
gcsf_app = typer.Typer(help="G-CSF mobilisation support (Study A).", no_args_is_help=True)
app.add_typer(gcsf_app, name="gcsf")
register_clinic_commands(app)
register_convert_command(app)
register_ctgov_command(app)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

DatasetArg = Annotated[
    Path, typer.Argument(help="A dataset folder of CSV files, or one .xlsx workbook.")
]
ProtocolOpt = Annotated[
    str,
    typer.Option("--protocol", "-p", help=f"{', '.join(PROTOCOL_NAMES)}, or a protocol .yaml."),
]
BolognaAfcOpt = Annotated[
    int | None, typer.Option(help="Bologna AFC cut-off: AFC below it is abnormal (5–7).")
]
BolognaAmhOpt = Annotated[
    float | None,
    typer.Option(help="Bologna AMH cut-off in ng/mL: AMH below it is abnormal (0.5–1.1)."),
]
PoseidonOpt = Annotated[
    ReserveLogic | None,
    typer.Option(help="Combine POSEIDON's AFC and AMH markers with 'and' (default) or 'or'."),
]


def _refuse(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    err.print(f"ovaregen: {message}", markup=False)
    raise typer.Exit(code)


def _protocol(
    name: str,
    bologna_afc: int | None = None,
    bologna_amh: float | None = None,
    poseidon: ReserveLogic | None = None,
) -> Protocol:
    try:
        protocol = load_protocol(name)
        current = protocol.settings
        if bologna_afc is None and bologna_amh is None and poseidon is None:
            return protocol
        return protocol.with_settings(
            DiagnosisSettings(
                bologna_afc_below=current.bologna_afc_below if bologna_afc is None else bologna_afc,
                bologna_amh_below_ng_ml=(
                    current.bologna_amh_below_ng_ml if bologna_amh is None else bologna_amh
                ),
                poseidon_reserve=current.poseidon_reserve if poseidon is None else poseidon,
            )
        )
    except ProtocolError as error:
        _refuse(str(error), EXIT_USAGE)
    except ValueError as error:
        _refuse(f"invalid setting: {error}", EXIT_USAGE)


def _read(path: Path, protocol: Protocol | None) -> Dataset:
    """Read and validate a dataset (its visits against ``protocol``'s schedule), or print
    every error and exit 1 (nothing written)."""

    report = validate_dataset(path, protocol)
    if report.dataset is None:
        err.print(render_report(report), markup=False)
        raise typer.Exit(EXIT_REFUSED)
    if report.findings:
        err.print(render_report(report), markup=False)
    return report.dataset


@app.command()
def validate(
    dataset: DatasetArg,
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            "-p",
            help="Also check visits.csv against this protocol's schedule "
            f"({', '.join(PROTOCOL_NAMES)}, or a protocol .yaml).",
        ),
    ] = None,
) -> None:
    """Check a study dataset: every error and warning, with file, line, column and value.

    Exit 0 when valid (warnings allowed), 1 when invalid.
    """

    report = validate_dataset(dataset, _protocol(protocol) if protocol else None)
    out.print(render_report(report), markup=False)
    if report.dataset is None:
        raise typer.Exit(EXIT_REFUSED)


@app.command()
def screen(
    dataset: DatasetArg,
    protocol: ProtocolOpt,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="CSV file for the screening result.")
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option(help="Print every criterion for this participant: value, inputs, source."),
    ] = None,
    bologna_afc: BolognaAfcOpt = None,
    bologna_amh: BolognaAmhOpt = None,
    poseidon_reserve: PoseidonOpt = None,
) -> None:
    """Diagnoses and eligibility of every participant for a protocol (INTERCHANGE.md)."""

    if out_file is None and explain is None:
        _refuse("give --out FILE.csv for the result, or --explain PARTICIPANT_ID", EXIT_USAGE)
    chosen = _protocol(protocol, bologna_afc, bologna_amh, poseidon_reserve)
    data = _read(dataset, chosen)
    if explain is not None:
        try:
            explanation = screening.explain(data.participants, chosen, explain)
        except KeyError:
            _refuse(f"participant {explain!r} is not in {dataset}")
        out.print(render_explanation(explanation), markup=False)
    if out_file is not None:
        result = screening.as_interchange(screening.screen(data.participants, chosen))
        write_csv_atomically(result, out_file)
        out.print(render_screening_summary(result, chosen), markup=False)
        out.print(f"screening written to {out_file}", markup=False)


@app.command()
def derive(
    dataset: DatasetArg,
    protocol: ProtocolOpt,
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="CSV file for the participant table.")
    ],
    tables: Annotated[
        Path | None,
        typer.Option(help="Folder for the cohort tables (G-CSF symptoms by day, live births)."),
    ] = None,
) -> None:
    """The participant table with every derived column: diagnoses, eligibility, endpoints."""

    chosen = _protocol(protocol)
    data = _read(dataset, chosen)
    derived = derive_table(
        data.participants, data.pregnancies, chosen, data.supplied.get("participants")
    )
    write_csv_atomically(derived.participants, out_file)
    if tables is not None:
        write_derived_tables(derived, tables)
    out.print(render_derived_summary(derived), markup=False)
    out.print(f"participant table written to {out_file}", markup=False)


@app.command()
def analyze(
    dataset: DatasetArg,
    plan: Annotated[
        str, typer.Option("--plan", help=f"The analysis plan: {', '.join(PROTOCOL_NAMES)}.")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for results.json and the table CSVs.")
    ],
) -> None:
    """Run a study's analysis plan: DIR/results.json and one CSV per table (INTERCHANGE.md)."""
    if plan not in PROTOCOL_NAMES:
        _refuse(f"no analysis plan {plan!r}: choose {', '.join(PROTOCOL_NAMES)}", EXIT_USAGE)
    chosen = _protocol(plan)
    data = _read(dataset, chosen)
    from ovaregen.analysis.plans import run_plan  # noqa: PLC0415 (scipy loads on demand)

    analysis = run_plan(plan, data, chosen)
    written = write_analysis(analysis, out_dir)
    out.print(render_analysis_summary(analysis), markup=False)
    out.print(
        f"{len(analysis.results)} results and {len(written) - 1} tables written to {out_dir}",
        markup=False,
    )


@app.command()
def synth(
    study: Annotated[
        str, typer.Option("--study", help=f"The study to imitate: {', '.join(PROTOCOL_NAMES)}.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the dataset.")],
    n: Annotated[
        int | None,
        typer.Option("--n", help="Participants (default: the published size; counts scale)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 1,
) -> None:
    """Write a calibrated synthetic cohort in the interchange format (no patient data)."""
    from ovaregen.domain.variables import DatasetFile  # noqa: PLC0415
    from ovaregen.synth import PUBLISHED_SIZE, synthesize  # noqa: PLC0415

    if study not in PUBLISHED_SIZE:
        _refuse(f"no synthetic study {study!r}: choose {', '.join(PUBLISHED_SIZE)}", EXIT_USAGE)
    size = PUBLISHED_SIZE[study] if n is None else n
    try:
        dataset = synthesize(study, size, seed)
    except ValueError as error:
        _refuse(str(error), EXIT_USAGE)
    write_dataset(dataset, out_dir)
    nouns = {"adverse_events": "adverse events", "mobilisation": "mobilisation days"}
    rows = ", ".join(
        f"{dataset.table(file).height} {nouns.get(file.value, file.value)}"
        for file in DatasetFile
        if file is not DatasetFile.PARTICIPANTS and dataset.has(file)
    )
    out.print(
        f"synthetic {study} cohort: {dataset.participants.height} participants, {rows} "
        f"(seed {seed}) written to {out_dir}",
        markup=False,
    )


def _study_pairs(
    dataset: Path | None, plan: str | None, studies: list[str] | None
) -> list[tuple[str, Path]]:
    pairs: list[tuple[str, Path]] = []
    if dataset is not None or plan is not None:
        if dataset is None or plan is None:
            _refuse(
                "give a DATASET with --plan NAME (or --study NAME=DATASET, repeated)", EXIT_USAGE
            )
        pairs.append((plan, dataset))
    for item in studies or []:
        name, sep, folder = item.partition("=")
        if not sep or not folder:
            _refuse(f"--study takes NAME=DATASET, got {item!r}", EXIT_USAGE)
        pairs.append((name, Path(folder)))
    if not pairs:
        _refuse("give a DATASET with --plan NAME, or --study NAME=DATASET (repeated)", EXIT_USAGE)
    for name, _ in pairs:
        if name not in PROTOCOL_NAMES:
            _refuse(f"no analysis plan {name!r}: choose {', '.join(PROTOCOL_NAMES)}", EXIT_USAGE)
    return pairs


@app.command()
def report(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    dataset: Annotated[
        Path | None, typer.Argument(help="A dataset folder or .xlsx workbook (with --plan).")
    ] = None,
    plan: Annotated[
        str | None, typer.Option("--plan", help=f"The analysis plan: {', '.join(PROTOCOL_NAMES)}.")
    ] = None,
    study: Annotated[
        list[str] | None,
        typer.Option("--study", help="NAME=DATASET; repeat it for a combined report."),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print FILE.pdf with headless Chromium.")
    ] = False,
) -> None:
    """One self-contained HTML study report (inline CSS and SVG, no network) of one or more
    studies, in STROBE/CONSORT order: flow, Table 1, results with denominators and the women
    left out, effect sizes, harms, the published figures reproduced, figures, methods and
    checklists; every table also as CSV and Word files in FILE-tables/."""
    pairs = _study_pairs(dataset, plan, study)
    loaded = []
    for name, folder in pairs:
        chosen = _protocol(name)
        loaded.append((name, chosen, _read(folder, chosen)))
    from ovaregen.analysis.plans import run_plan  # noqa: PLC0415 (scipy loads on demand)
    from ovaregen.report.document import tables_folder, write_report  # noqa: PLC0415

    analyses = [run_plan(name, data, chosen) for name, chosen, data in loaded]
    write_report(analyses, out_file)
    out.print(
        f"report written to {out_file} (its tables as CSV and Word files in "
        f"{tables_folder(out_file)})",
        markup=False,
    )
    if pdf:
        from ovaregen.report.pdf import PdfError, print_to_pdf  # noqa: PLC0415

        target = out_file.with_suffix(".pdf")
        try:
            print_to_pdf(out_file, target)
        except PdfError as error:
            _refuse(str(error))
        out.print(f"PDF written to {target}", markup=False)


@app.command("protocols")
def list_protocols() -> None:
    """List the shipped study protocols."""

    out.print(render_protocol_list(shipped_protocols()), markup=False)


@protocol_app.command("show")
def show_protocol(
    name: Annotated[str, typer.Argument(help=f"{', '.join(PROTOCOL_NAMES)}, or a .yaml file.")],
) -> None:
    """Print one protocol: criteria, arms, schedule of assessments, endpoints."""

    out.print(render_protocol(_protocol(name)), markup=False)


@gcsf_app.command("propose")
def gcsf_propose(
    day: Annotated[int, typer.Option(help="Mobilisation day just recorded (1–4).")],
    dose: Annotated[float, typer.Option(help="Dose in force on that day.")],
    wbc: Annotated[
        float | None, typer.Option(help="That day's leukocytes, 10⁹/L (empty: not recorded).")
    ] = None,
    symptom: Annotated[
        str | None, typer.Option(help="That day's symptom grade: none, mild, moderate, severe.")
    ] = None,
    unit: Annotated[str, typer.Option(help="Unit of --dose.")] = "µg/kg/day",
    table: Annotated[
        str, typer.Option(help="Titration table: a shipped name or a .yaml file.")
    ] = "regenera-gcsf-titration",
) -> None:
    """Propose the next day's G-CSF dose and say why; the clinician decides.

    Doses in mg/kg or above the maximum (20 µg/kg/day) are refused (exit 1).
    """

    try:
        titration = load_titration_table(table)
        proposal = propose_next_dose(
            titration, day=day, dose_ug_kg=dose, wbc_10e9_l=wbc, symptom=symptom, dose_unit=unit
        )
    except DoseRefused as error:
        _refuse(f"refused: {error}")
    except (ValueError, OSError) as error:
        _refuse(f"titration table {table}: {error}", EXIT_USAGE)
    next_dose = (
        "none" if proposal.next_dose_ug_kg is None else f"{proposal.next_dose_ug_kg:g} µg/kg/day"
    )
    out.print(
        f"action: {proposal.action.value}\nnext dose: {next_dose}\nreason: {proposal.reason}\n"
        f"table: {proposal.table_id} v{proposal.table_version} — a proposal; the clinician decides",
        markup=False,
    )


@app.command()
def dictionary(
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the Markdown here.")
    ] = None,
) -> None:
    """The data dictionary (every variable, unit, limit) as Markdown."""

    text = render_data_dictionary()
    if out_file is None:
        out.print(text, markup=False)
    else:
        out_file.write_text(text, encoding="utf-8")
        out.print(f"data dictionary written to {out_file}", markup=False)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's outputs.")] = Path(
        "build/demo"
    ),
) -> None:
    """Synthesise the three studies' cohorts, screen and analyse them, and write one combined
    HTML report; its path is the last line printed."""

    steps, report_path = demo_steps(out_dir)
    if out.is_terminal:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=out) as progress:
            task = progress.add_task("ovaregen demo", total=len(steps))
            for step in steps:
                progress.update(task, description=step.label)
                for line in step.run():
                    progress.console.print(line, markup=False)
                progress.advance(task)
    else:
        for step in steps:
            out.print(f"== {step.label}", markup=False)
            for line in step.run():
                out.print(line, markup=False)
    out.print(str(report_path.resolve()), markup=False)


def main() -> None:
    """Entry point: run the app; turn any unexpected failure into one clear line."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("ovaregen: interrupted")
        sys.exit(130)
    except Exception as error:
        err.print(
            f"ovaregen: internal error ({type(error).__name__}: {error}). "
            "Nothing was written. Please report this with the command you ran.",
            markup=False,
        )
        sys.exit(EXIT_INTERNAL)
