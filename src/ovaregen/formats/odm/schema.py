"""CDISC's ODM 1.3.2 XML Schema, as shipped in PyPI's ``odmlib``
(``odmlib/schemas/odm/1.3.2/ODM1-3-2.xsd`` with its foundation, xml.xsd and xmldsig), loaded
once with lxml. A file is validated while it is parsed (``lxml.etree.iterparse`` with the
schema: libxml2 checks each element as it ends), so that a file of 100,000 women is checked
without holding its tree; the first violation stops the parse and is reported with the
schema's own message and its line.
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


LOCATE_LIMIT = 256 * 1024 * 1024
"""A file up to this size is parsed whole when it fails, to give the schema's line."""


def violation(path: Path) -> tuple[int | None, str] | None:
    """The first way the file breaks the schema (or is not XML): (line, message); None when
    it validates."""
    line: int | None = None
    try:
        for _, element in etree.iterparse(
            str(path),
            events=("end",),
            tag=f"{{{NS}}}SubjectData",
            schema=odm_schema(),
            huge_tree=True,
        ):
            line = element.sourceline
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        return located(path, error, line)
    return None


def located(path: Path, error: etree.XMLSyntaxError, after: int | None) -> tuple[int | None, str]:
    """A parse failure with its line. libxml2's streaming validation gives no line: a file
    small enough is parsed whole and validated again for the schema's first error with its
    line; a larger one is placed after the last woman read (``after``)."""
    if error.lineno:
        return error.lineno, schema_message(error)
    if path.stat().st_size <= LOCATE_LIMIT:
        try:
            tree = etree.parse(str(path), etree.XMLParser(huge_tree=True))
        except etree.XMLSyntaxError as parse_error:
            return parse_error.lineno, schema_message(parse_error)
        schema = odm_schema()
        if not schema.validate(tree):
            first = schema.error_log[0]
            return first.line, plain(first.message)
    return after, schema_message(error) + (f" (after line {after})" if after else "")


def schema_message(error: etree.XMLSyntaxError) -> str:
    """The parser's or the schema's own message, without namespaces."""
    return plain(str(error.msg if error.msg else error))


def plain(message: str) -> str:
    """A message without the ODM namespace in element names."""
    return message.replace(f"{{{NS}}}", "")
