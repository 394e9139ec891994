"""``ovaregen fhir``: laboratory results from FHIR R4 into a study's forms (issue 15).

``fhir import BUNDLE.json`` reads a Bundle, places each result on its woman's visit
(``domain.laboratory_placement``) and stores what it placed, audited with each result's source;
``--review`` shows the same and stores nothing. The FHIR server that the participant page asks
is configured with ``fhir server`` (``clinic_commands.fhir_server``).
"""

from __future__ import annotations

import typer

fhir_app = typer.Typer(
    help="Laboratory results from FHIR R4: import a Bundle, configure the hospital's server.",
    no_args_is_help=True,
)
