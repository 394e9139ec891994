"""REDCap both ways (issue 14 item 2): ``project`` (a protocol as a REDCap project: data
dictionary, instruments, events, mapping, repeating instruments), ``records`` (a dataset as
REDCap's flat export rows), ``writer`` (``--to redcap``), ``reader`` (``--from redcap``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ovaregen.domain.protocols import Protocol
from ovaregen.formats.redcap.reader import read_redcap
from ovaregen.formats.redcap.writer import write_redcap
from ovaregen.io.reader import ValidationReport

if TYPE_CHECKING:
    from ovaregen.formats.registry import ReadOptions

__all__ = ["read", "write"]

write = write_redcap


def read(source: Path, protocol: Protocol, options: ReadOptions) -> ValidationReport:
    """``--from redcap`` (``formats.redcap.reader``), with the options' mapping file."""
    return read_redcap(source, protocol, options.mapping)
