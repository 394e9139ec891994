"""``--to odm``: one CDISC ODM 1.3.2 XML file (``study.xml``) holding the dataset under its
protocol — ODM root (FileType="Snapshot", Granularity="All", ODMVersion="1.3.2",
SourceSystem="ovaregen"; ODM 1.3.2 §3.1), Study (``formats.odm.metadata``), AdminData
(``formats.odm.admin``), ClinicalData (``formats.odm.clinical_data``; then the clinic's
AuditRecords and Signatures).

Streamed: the metadata and admin elements are small lxml trees serialised in turn, the
clinical data is written as Polars-built text a chunk of women at a time (an lxml element per
ItemData would cost Python work for each of millions of values). Every part is validated
against the ODM 1.3.2 XSD (``formats.odm.schema``) in memory before it is written, and the
file replaces ``out`` only once whole (``formats.folder.write_file``): a file that does not
validate is never left behind.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path

from lxml import etree

from ovaregen.domain.protocols import Protocol
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.errors import FormatError
from ovaregen.formats.folder import write_file
from ovaregen.formats.odm import admin, oids
from ovaregen.formats.odm.clinical_data import check_storable, escape, lengths, subject_data
from ovaregen.formats.odm.metadata import NS, study_element
from ovaregen.formats.odm.plan import Plan, plan
from ovaregen.formats.odm.schema import odm_schema, plain
from ovaregen.formats.redcap.naming import RECORD_ID
from ovaregen.formats.redcap.project import dataset_columns
from ovaregen.io.dataset import Dataset

ODM_VERSION = "1.3.2"
_PARSER = etree.XMLParser(huge_tree=True)


def write_odm(
    dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
) -> list[Path]:
    """Write the ODM file at ``out`` (module docstring); returns it in a list."""
    out = Path(out)
    chosen = plan(protocol, dataset_columns(dataset))
    check_storable(dataset, chosen, out.name)
    return write_file(out, lambda path: _write(path, dataset, chosen, records, out.name))


def _write(path: Path, dataset: Dataset, chosen: Plan, records: ClinicRecords, label: str) -> None:
    protocol = chosen.protocol
    now = datetime.now(UTC).replace(microsecond=0)
    study_oid = oids.study(protocol.name)
    version_oid = oids.metadata_version(protocol.name, protocol.version)
    participants = dataset.participants
    site_of: dict[str, str] = {}
    sites: dict[str, str] = {}
    if "site" in participants.columns:
        known = participants.select(RECORD_ID, "site").drop_nulls()
        sites = admin.locations(sorted(set(known.get_column("site").to_list())))
        site_of = {pid: sites[site] for pid, site in known.iter_rows()}
    try:
        study = study_element(chosen, lengths(dataset, chosen))
        administration = admin.admin_data(
            records, sites, study_oid, version_oid, now.date().isoformat()
        )
        tail = admin.collections(records, site_of)
    except ValueError as error:  # lxml refuses text XML cannot hold
        raise FormatError(f"{label}: {error}") from error
    root = (
        f'<ODM xmlns="{NS}" FileType="Snapshot" Granularity="All" '
        f'FileOID="{escape(f"ovaregen.{protocol.name}.{now:%Y%m%dT%H%M%SZ}")}" '
        f'CreationDateTime="{now.isoformat().replace("+00:00", "Z")}" '
        f'ODMVersion="{ODM_VERSION}" SourceSystem="ovaregen" '
        f'SourceSystemVersion="{escape(_version())}">\n'
    )
    header = "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            root + etree.tostring(study, encoding="unicode"),
            etree.tostring(administration, encoding="unicode"),
            f'<ClinicalData StudyOID="{escape(study_oid)}" '
            f'MetaDataVersionOID="{escape(version_oid)}">\n',
        ]
    )
    footer = "".join(etree.tostring(e, encoding="unicode") for e in tail)
    footer += "</ClinicalData>\n</ODM>\n"
    _check(header + footer, 0, label)
    line = header.count("\n") + 1
    with path.open("w", encoding="utf-8", newline="\n") as file:
        file.write(header)
        for chunk in subject_data(dataset, chosen, sites):
            _check(chunk, line, label, clinical=(study_oid, version_oid))
            file.write(chunk)
            line += chunk.count("\n")
        file.write(footer)


def _check(text: str, line: int, label: str, clinical: tuple[str, str] | None = None) -> None:
    """``FormatError`` unless the text validates against the ODM 1.3.2 XSD: the whole file
    without its women, or (``clinical``) a chunk of SubjectData within a ClinicalData of its
    own — every ODM element is declared globally, so a chunk is checked as it is in the
    file, in memory, before it is written."""
    if clinical is not None:
        study_oid, version_oid = clinical
        text = (
            f'<ClinicalData xmlns="{NS}" StudyOID="{escape(study_oid)}" '
            f'MetaDataVersionOID="{escape(version_oid)}">{text}</ClinicalData>'
        )
    schema = odm_schema()
    document = etree.fromstring(text.encode("utf-8"), _PARSER)
    if not schema.validate(document):
        first = schema.error_log[0]
        raise FormatError(
            f"{label}: the file would break the ODM 1.3.2 XSD at line {first.line + line}: "
            f"{plain(first.message)}"
        )


def _version() -> str:
    try:
        return package_version("ovaregen")
    except Exception:  # not installed as a package: the file is still valid
        return "unknown"
