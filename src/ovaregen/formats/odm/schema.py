"""CDISC's ODM 1.3.2 XML Schema, as shipped in PyPI's ``odmlib``
(``odmlib/schemas/odm/1.3.2/ODM1-3-2.xsd`` with its foundation, xml.xsd and xmldsig), loaded
once per process with lxml. Every ODM element is declared globally in it, so a part of a file
(a ClinicalData of some women, one SubjectData) validates as a document of its own: the
writer and the reader check a large file a part at a time, never holding its whole tree.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

from lxml import etree

from ovaregen.formats.odm.metadata import NS

SCHEMA = ("schemas", "odm", "1.3.2", "ODM1-3-2.xsd")


def schema_path() -> Path:
    """The ODM 1.3.2 XSD inside the installed odmlib."""
    return Path(str(importlib.resources.files("odmlib").joinpath(*SCHEMA)))


@cache
def odm_schema() -> etree.XMLSchema:
    """The ODM 1.3.2 schema (loaded once per process)."""
    return etree.XMLSchema(etree.parse(str(schema_path())))


def plain(message: str) -> str:
    """A message without the ODM namespace in element names."""
    return message.replace(f"{{{NS}}}", "")
