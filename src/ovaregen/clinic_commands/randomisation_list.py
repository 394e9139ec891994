"""``ovaregen randomisation verify``: check a stored allocation list against its seed.

The seed is the receipt given once to whoever made the list (``clinic.list_seed``); the check
regenerates every stratum from it and compares (``clinic.list_check``). Exit 0 when the list
is exactly what the seed makes, 1 otherwise (the seed is not the list's, or a stratum differs).
The output names no arm.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ovaregen.clinic_commands.common import (
    DataOpt,
    StudyOpt,
    UrlOpt,
    err,
    open_database,
    out,
    refuse,
)

randomisation_app = typer.Typer(
    help="The allocation list: verify it against the seed its maker kept.", no_args_is_help=True
)


@randomisation_app.command("verify")
def verify(
    data: DataOpt,
    study: StudyOpt,
    seed_file: Annotated[
        Path,
        typer.Option(
            "--seed-file", help="The seed receipt written when the list was made (or its hex)."
        ),
    ],
    database_url: UrlOpt = None,
) -> None:
    """Regenerate the study's allocation list from its seed and compare it with the stored one."""
    from ovaregen.clinic.list_check import verify_list  # noqa: PLC0415
    from ovaregen.clinic.list_seed import SeedError, parse_seed  # noqa: PLC0415
    from ovaregen.clinic.studies import NotFoundError, StudyError, study_named  # noqa: PLC0415

    try:
        seed = parse_seed(seed_file.read_text(encoding="utf-8"))
    except OSError as error:
        refuse(f"cannot read the seed file {seed_file}: {error.strerror or error}")
    except (SeedError, UnicodeDecodeError) as error:
        refuse(f"{seed_file}: {error}")
    database = open_database(data, database_url)
    try:
        with database.transaction() as session:
            checked = verify_list(session, study_named(session, study), seed)
    except NotFoundError as error:
        refuse(str(error.args[0] if error.args else error))
    except StudyError as error:
        refuse(str(error))
    finally:
        database.dispose()
    first, *rest = checked.lines()
    if checked.ok:
        out.print(first, markup=False)
        return
    for line in rest:
        err.print(line, markup=False)
    refuse(first.split(": ", 1)[1])
