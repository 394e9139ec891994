"""``ovaregen ctgov``: a study's ClinicalTrials.gov API v2 record (issue 15 item 3).

``ovaregen ctgov DATASET --plan NAME --out FILE.json`` reads DATASET as ``ovaregen analyze``
does (all or nothing), runs the plan NAME for a randomised study and writes the study
document: ``protocolSection`` from the protocol, ``resultsSection`` from the analysis
(``ovaregen.report.ctgov``). Exit codes as the rest of the command line: 1 refused, 2 usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ovaregen.domain.protocols import PROTOCOL_NAMES, ProtocolError, load_protocol
from ovaregen.io.findings import render_report
from ovaregen.io.reader import validate_dataset

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def ctgov(
    dataset: Annotated[Path, typer.Argument(help="The study dataset folder.")],
    plan: Annotated[
        str, typer.Option("--plan", help=f"The analysis plan: {', '.join(PROTOCOL_NAMES)}.")
    ],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="The JSON file to write.")],
) -> None:
    """Write the study's ClinicalTrials.gov record (API v2 JSON), with results for a
    randomised study."""
    if plan not in PROTOCOL_NAMES:
        _err.print(f"ovaregen: no analysis plan {plan!r}: choose {', '.join(PROTOCOL_NAMES)}")
        raise typer.Exit(2)
    try:
        protocol = load_protocol(plan)
    except ProtocolError as error:
        _err.print(f"ovaregen: {error}", markup=False)
        raise typer.Exit(2) from None
    report = validate_dataset(dataset, protocol)
    if report.findings:
        _err.print(render_report(report), markup=False)
    if report.dataset is None:
        _err.print("ovaregen: nothing was written", markup=False)
        raise typer.Exit(1)
    from ovaregen.analysis.plans import run_plan  # noqa: PLC0415 (scipy loads on demand)
    from ovaregen.report.ctgov.document import (  # noqa: PLC0415
        study_document,
        write_study_document,
    )
    from ovaregen.report.ctgov.protocol_section import randomised  # noqa: PLC0415

    analysis = run_plan(plan, report.dataset, protocol) if randomised(protocol) else None
    document = study_document(protocol, report.dataset, analysis)
    try:
        write_study_document(document, out_path)
    except OSError as error:
        _err.print(f"ovaregen: cannot write {out_path}: {error.strerror or error}", markup=False)
        raise typer.Exit(1) from None
    results = "with results" if document["hasResults"] else "protocol section only"
    _out.print(f"{dataset} → {out_path}: ClinicalTrials.gov study record, {results}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("ctgov")(ctgov)
