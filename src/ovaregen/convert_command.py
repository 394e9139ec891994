"""``ovaregen convert``: a file dataset from one format to another (issue 14 item 1).

``ovaregen convert SOURCE --from FORMAT --to FORMAT --protocol NAME --out PATH`` reads SOURCE
as ``ovaregen validate`` reads a dataset — all or nothing: on any error every finding is
printed (file, row, field, value, what was expected) and nothing is written — then writes it
in the target format (``formats.registry``; ``interchange`` is the default on either side).
A dataset the target format cannot hold (``FormatError``: a name too long for SAS transport,
say) is refused the same way, naming file, column and value. Exit codes as the rest of the
command line: 1 refused input, 2 usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ovaregen.domain.protocols import PROTOCOL_NAMES, ProtocolError, load_protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.errors import FormatError
from ovaregen.formats.registry import CODECS, ReadOptions, reader_of, writer_of
from ovaregen.io.findings import render_report

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)
_FORMATS = ", ".join(CODECS)


def convert(
    source: Annotated[Path, typer.Argument(help="The dataset to read (a folder or a file).")],
    protocol: Annotated[
        str,
        typer.Option("--protocol", "-p", help=f"{', '.join(PROTOCOL_NAMES)}, or a protocol .yaml."),
    ],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Where to write the result.")],
    from_format: Annotated[
        str, typer.Option("--from", help=f"The source's format ({_FORMATS}).")
    ] = "interchange",
    to_format: Annotated[
        str, typer.Option("--to", help=f"The format to write ({_FORMATS}).")
    ] = "interchange",
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="A REDCap project not set up from ovaregen's dictionary: its field mapping file.",
        ),
    ] = None,
) -> None:
    """Convert a study dataset between formats; validated as ``ovaregen validate`` does, all
    or nothing."""
    try:
        chosen = load_protocol(protocol)
        read = reader_of(from_format)
        write = writer_of(to_format)
    except (ProtocolError, FormatError) as error:
        _err.print(f"ovaregen: {error}", markup=False)
        raise typer.Exit(2) from None
    if out_path.resolve() == source.resolve():
        _err.print("ovaregen: --out must not be the source; nothing was written", markup=False)
        raise typer.Exit(2)
    report = read(source, chosen, ReadOptions(mapping=mapping))
    if report.findings:
        _err.print(render_report(report), markup=False)
    if report.dataset is None:
        _err.print("ovaregen: nothing was written", markup=False)
        raise typer.Exit(1)
    try:
        written = write(report.dataset, chosen, out_path, NO_CLINIC_RECORDS)
    except FormatError as error:
        _err.print(f"ovaregen: {error}; nothing was written", markup=False)
        raise typer.Exit(1) from None
    except OSError as error:
        _err.print(f"ovaregen: cannot write {out_path}: {error.strerror or error}", markup=False)
        raise typer.Exit(1) from None
    _out.print(
        f"{source} ({from_format}) → {out_path} ({to_format}): "
        f"{report.dataset.participants.height} participants, {len(written)} files",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command("convert")(convert)
