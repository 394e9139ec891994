"""``ovaregen redcap pull``: a live REDCap project (or the clinic's own REDCap API) read into a
dataset in the interchange format, all or nothing.

The project is read with PyCap (``redcap.Project``): metadata, and for a longitudinal
project its events and instrument–event mapping, its repeating instruments, then the records
(flat, raw, CSV). They are written to a temporary folder in the layout of ``--to redcap``
(``formats.redcap.writer``: ``<protocol>_DataDictionary.csv``, ``_Events``,
``_InstrumentDesignations``, ``_RepeatingInstruments``, ``_DATA``) and read back by
``formats.redcap`` — so validation and its errors (file, line, field, value) are the
reader's — then written at ``--out`` (``io.writer``: atomic). The token is read from a file,
never the command line (a command line is seen by every user of the machine: ``ps``).
Refusals (unreachable server, refused token, an answer that is not REDCap's) are one line,
never a traceback; exit 1, or 2 for a usage error.

REDCap's tokens are 32 hexadecimal characters and PyCap asserts that length; a clinic's REDCap
API tokens have it too (``clinic.tokens``), but its personal tokens (``ovr_…``, 256 bits) are
longer, so the client here checks the address and the token itself (``_Client``: either kind)
and leaves the rest of PyCap as it is.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ovaregen.clinic_commands.common import EXIT_USAGE, err, out, refuse

if TYPE_CHECKING:
    import polars as pl

    from ovaregen.domain.protocols import Protocol

redcap_app = typer.Typer(help="REDCap projects: pull one into a dataset.", no_args_is_help=True)
API_SUFFIX = "/api/"


def _client(url: str, token: str) -> Any:
    """A PyCap project whose own check of the address and token is ours (module docstring)."""
    from redcap.project import Project  # noqa: PLC0415 - PyCap loads only for this command

    class _Client(Project):
        @staticmethod
        def _validate_url_and_token(url: str, token: str) -> None:
            if not url.endswith(API_SUFFIX):
                raise ValueError(f"a REDCap API address ends with {API_SUFFIX}: {url}")
            if not token or any(c.isspace() for c in token):
                raise ValueError("the token file holds no token (one line, no spaces)")

    return _Client(url, token)


def _strings(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """JSON rows as a text table (REDCap sends some numbers as numbers, none as null)."""
    import polars as pl  # noqa: PLC0415

    if not rows:
        return pl.DataFrame()
    names = list(rows[0])
    return pl.DataFrame(
        [[None if row.get(n) is None else str(row.get(n)) for n in names] for row in rows],
        schema={n: pl.String for n in names},
        orient="row",
    )


def _project_files(client: Any) -> dict[str, pl.DataFrame]:
    """Each file's name part (``formats.redcap.writer``) and its table, read from REDCap."""
    import io  # noqa: PLC0415

    import polars as pl  # noqa: PLC0415

    from ovaregen.formats.redcap.project import (  # noqa: PLC0415
        DICTIONARY_HEADERS,
        METADATA_FIELDS,
    )
    from ovaregen.formats.redcap.writer import (  # noqa: PLC0415
        DATA,
        DESIGNATIONS,
        DICTIONARY,
        EVENTS,
        REPEATING,
    )

    metadata = _strings(client.export_metadata(format_type="json"))
    missing = [f for f in ("field_name", "form_name", "field_type") if f not in metadata.columns]
    if missing:
        raise ValueError(f"the project's metadata has no {', '.join(missing)}: is it REDCap?")
    headers = dict(zip(METADATA_FIELDS, DICTIONARY_HEADERS, strict=True))
    files = {DICTIONARY: metadata.rename({c: headers[c] for c in metadata.columns if c in headers})}
    if client.is_longitudinal:
        files[EVENTS] = _strings(client.export_events(format_type="json"))
        files[DESIGNATIONS] = _strings(client.export_instrument_event_mappings(format_type="json"))
    repeating = _strings(client.export_repeating_instruments_events(format_type="json"))
    if not repeating.is_empty():
        files[REPEATING] = repeating
    records = client.export_records(format_type="csv", raw_or_label="raw")
    files[DATA] = (
        pl.read_csv(io.StringIO(records), infer_schema=False) if records.strip() else pl.DataFrame()
    )
    return files


def _refusal(error: BaseException, url: str) -> str:
    """What went wrong talking to REDCap, in one line."""
    import requests  # noqa: PLC0415

    if isinstance(error, requests.exceptions.JSONDecodeError):
        return f"{url} did not answer as a REDCap API (its answer is not JSON); nothing was written"
    if isinstance(error, requests.exceptions.ConnectionError):
        return f"cannot reach {url}: {error.__class__.__name__}; nothing was written"
    if isinstance(error, requests.exceptions.Timeout):
        return f"{url} did not answer in time; nothing was written"
    said = error.args[0] if error.args else error
    if isinstance(said, dict) and "error" in said:
        said = said["error"]
    return f"REDCap at {url} refused: {str(said).removeprefix('ERROR: ')}; nothing was written"


def _write_folder(files: dict[str, pl.DataFrame], protocol: Protocol, folder: Path) -> None:
    """The tables as ``formats.redcap.writer`` writes them (spreadsheet-safe text)."""
    from ovaregen.formats.redcap.writer import file_name  # noqa: PLC0415
    from ovaregen.io.spreadsheet_safe import escaped_frame  # noqa: PLC0415

    for part, frame in files.items():
        escaped_frame(frame).write_csv(
            folder / file_name(protocol, part), null_value="", line_terminator="\n"
        )


@redcap_app.command("pull")
def pull(
    url: Annotated[str, typer.Option("--url", help="The REDCap API address (ends in /api/).")],
    token_file: Annotated[
        Path, typer.Option("--token-file", help="A file holding the API token (never typed).")
    ],
    protocol: Annotated[
        str, typer.Option("--protocol", "-p", help="The protocol the project follows.")
    ],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="The dataset folder to write.")],
) -> None:
    """Read a REDCap project into a dataset (interchange format), validated, all or nothing."""
    import requests  # noqa: PLC0415

    from ovaregen.domain.protocols import ProtocolError, load_protocol  # noqa: PLC0415
    from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS  # noqa: PLC0415
    from ovaregen.formats.redcap.reader import read_redcap  # noqa: PLC0415
    from ovaregen.formats.registry import writer_of  # noqa: PLC0415
    from ovaregen.io.findings import render_report  # noqa: PLC0415

    try:
        chosen = load_protocol(protocol)
    except ProtocolError as error:
        refuse(str(error), EXIT_USAGE)
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        refuse(f"cannot read the token file {token_file}: {error}", EXIT_USAGE)
    try:
        client = _client(url, token)
    except ValueError as error:
        refuse(str(error), EXIT_USAGE)
    try:
        files = _project_files(client)
    except requests.exceptions.RequestException as error:
        refuse(_refusal(error, url))
    except ValueError as error:
        refuse(f"{url}: {error}; nothing was written")
    with tempfile.TemporaryDirectory(prefix="ovaregen-redcap-") as folder:
        _write_folder(files, chosen, Path(folder))
        report = read_redcap(Path(folder), chosen, None)
    if report.findings:
        err.print(render_report(report), markup=False)
    if report.dataset is None:
        refuse("the REDCap project does not read as a dataset; nothing was written")
    written = writer_of("interchange")(report.dataset, chosen, out_path, NO_CLINIC_RECORDS)
    out.print(
        f"{url} → {out_path}: {report.dataset.participants.height} participants, "
        f"{len(written)} files",
        markup=False,
    )
