"""ovaregen's names in an ODM file (ODM 1.3.2 §2.1 "OIDs": unique within their kind, any
non-empty text; the file's own metadata defines every OID its clinical data refers to).

- Study ``ST.<protocol>``, MetaDataVersion ``MDV.<protocol>.<version>``;
- StudyEventDef ``SE.enrolment`` (every value held once per woman) and ``SE.<visit>`` for each
  follow-up visit of the protocol's schedule;
- FormDef ``F.<form>`` (the forms of the REDCap project, ``formats.redcap.project``);
- ItemGroupDef ``IG.<table>.<form>``: the dataset table its rows belong to, then the form;
- ItemDef ``IT.<table>.<column>`` for a dictionary column, ``IT.<table>.x.<name>`` for an extra
  column (its written name is the ItemDef's ``Name``);
- CodeList ``CL.<table>.<column>``, MeasurementUnit ``MU.<unit made a name>``;
- Location ``LOC.<site>`` (``LOC.ovaregen``: the exporting system), User ``USR.<login>``,
  SignatureDef ``SD.<n>`` (one per meaning), AuditRecord ``AR.<entry id>``, Signature
  ``SG.<signature id>`` (``xs:ID`` values: letters, digits, dots).
"""

from __future__ import annotations

import re

from ovaregen.domain.variables import DatasetFile

ENROLMENT = "enrolment"
EXTRA = "x"
SYSTEM_LOCATION = "LOC.ovaregen"


def study(protocol_name: str) -> str:
    return f"ST.{protocol_name}"


def metadata_version(protocol_name: str, version: str) -> str:
    return f"MDV.{protocol_name}.{version}"


def study_event(visit: str | None) -> str:
    """``SE.enrolment`` (visit None) or ``SE.<follow-up visit>``."""
    return f"SE.{visit or ENROLMENT}"


def form(name: str) -> str:
    return f"F.{name}"


def item_group(table: DatasetFile, form_name: str) -> str:
    return f"IG.{table.value}.{form_name}"


def item(table: DatasetFile, column: str, extra_name: str | None = None) -> str:
    """A dictionary column's ItemOID, or an extra column's (``extra_name``: its legal name)."""
    if extra_name is not None:
        return f"IT.{table.value}.{EXTRA}.{extra_name}"
    return f"IT.{table.value}.{column}"


def code_list(table: DatasetFile, column: str) -> str:
    return f"CL.{table.value}.{column}"


def unit(symbol: str) -> str:
    return "MU." + (re.sub(r"\W+", "_", symbol).strip("_") or "unit")


def location(site: str) -> str:
    return f"LOC.{site}"


def user(login: str) -> str:
    return f"USR.{login}"


def audit_record(entry_id: int) -> str:
    return f"AR.{entry_id}"


def signature(signature_id: int) -> str:
    return f"SG.{signature_id}"


def signature_def(n: int) -> str:
    return f"SD.{n}"


def table_of_group(oid: str) -> DatasetFile | None:
    """The table of an ``IG.<table>.<form>`` OID (None: not one of ovaregen's)."""
    parts = oid.split(".")
    if len(parts) < 3 or parts[0] != "IG":
        return None
    return _table(parts[1])


def column_of_item(oid: str) -> tuple[DatasetFile, str | None] | None:
    """(table, dictionary column) of an ItemOID; column None for an extra column's (its name
    is the ItemDef's); None when the OID is not one of ovaregen's."""
    parts = oid.split(".", 2)
    if len(parts) < 3 or parts[0] != "IT":
        return None
    table = _table(parts[1])
    if table is None:
        return None
    if parts[2].startswith(EXTRA + "."):
        return table, None
    return table, parts[2]


def _table(name: str) -> DatasetFile | None:
    try:
        return DatasetFile(name)
    except ValueError:
        return None
