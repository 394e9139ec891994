"""CDISC ODM 1.3.2 both ways (issue 14 item 3): ``plan`` (a protocol's events, forms, item
groups and items, from its REDCap project), ``metadata`` (Study), ``clinical_data``
(SubjectData …), ``admin`` (AdminData, AuditRecords, Signatures), ``schema`` (the XSD),
``writer`` (``--to odm``), ``reader`` (``--from odm``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ovaregen.domain.protocols import Protocol
from ovaregen.formats.odm.reader import read_odm
from ovaregen.formats.odm.writer import write_odm
from ovaregen.io.reader import ValidationReport

if TYPE_CHECKING:
    from ovaregen.formats.registry import ReadOptions

__all__ = ["read", "write"]

write = write_odm


def read(source: Path, protocol: Protocol, options: ReadOptions) -> ValidationReport:
    """``--from odm`` (``formats.odm.reader``); ODM needs no mapping file."""
    del options
    return read_odm(source, protocol)
