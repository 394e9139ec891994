"""What the clinic adds to an ODM file (ODM 1.3.2 §3.1.2 AdminData, §3.1.4 ClinicalData):

- AdminData: a User per person in the audit trail or a signature (LoginName; DisplayName,
  the printed name of her signatures when she signed), a Location per site of the women
  (``LOC.<site>``) and the exporting system's (``LOC.ovaregen``), each with its
  MetaDataVersionRef; a SignatureDef per meaning of the signatures (Meaning, LegalReason:
  21 CFR 11.50, Methodology="Electronic").
- ClinicalData's ``AuditRecords`` collection: one AuditRecord per audit-trail entry, in time
  order (UserRef, LocationRef — the woman's site where known, else the system —, DateTimeStamp
  in UTC, ReasonForChange, SourceID = the entry id). An element of ClinicalData holds at most
  one AuditRecord of its own (§3.1.4: SubjectData, FormData, ItemData …), so a trail of many
  entries goes to the collection, where ODM 1.3.2 added it for that purpose.
- ClinicalData's ``Signatures`` collection: one Signature per signature (UserRef, LocationRef,
  SignatureRef to its meaning's SignatureDef, DateTimeStamp), in time order.

A file dataset has no clinic records (``NO_CLINIC_RECORDS``): AdminData holds only the
Locations, and ClinicalData no collections.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from lxml import etree

from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.odm import oids
from ovaregen.formats.odm.metadata import E

LEGAL_REASON = (
    "Electronic signature under 21 CFR 11.50: the signer's printed name, the date and time of "
    "signing and its meaning, bound to the values signed"
)
SYSTEM_NAME = "ovaregen (the exporting system)"


def locations(sites: list[str]) -> dict[str, str]:
    """Each site → its LocationOID."""
    return {site: oids.location(site) for site in sites}


def admin_data(
    records: ClinicRecords,
    sites: Mapping[str, str],
    study_oid: str,
    version_oid: str,
    effective: str,
) -> etree._Element:
    """The AdminData element (module docstring)."""
    names: dict[str, str] = {}
    for a in records.audit:
        names.setdefault(a.username, a.username)
    for s in records.signatures:
        names[s.username] = s.printed_name or s.username
    admin = E.AdminData(StudyOID=study_oid)
    for login, display in names.items():
        admin.append(E.User(E.LoginName(login), E.DisplayName(display), OID=oids.user(login)))
    reference = {"StudyOID": study_oid, "MetaDataVersionOID": version_oid}
    for site, oid in sites.items():
        admin.append(
            E.Location(
                E.MetaDataVersionRef(**reference, EffectiveDate=effective),
                OID=oid,
                Name=site,
                LocationType="Site",
            )
        )
    admin.append(
        E.Location(
            E.MetaDataVersionRef(**reference, EffectiveDate=effective),
            OID=oids.SYSTEM_LOCATION,
            Name=SYSTEM_NAME,
            LocationType="Other",
        )
    )
    for meaning, oid in meanings(records).items():
        admin.append(
            E.SignatureDef(
                E.Meaning(meaning), E.LegalReason(LEGAL_REASON), OID=oid, Methodology="Electronic"
            )
        )
    return admin


def meanings(records: ClinicRecords) -> dict[str, str]:
    """Each signature meaning → its SignatureDef OID, in order of first use."""
    found: dict[str, str] = {}
    for s in records.signatures:
        if s.meaning not in found:
            found[s.meaning] = oids.signature_def(len(found) + 1)
    return found


def timestamp(at: datetime) -> str:
    """An ODM DateTimeStamp (xs:dateTime) in UTC; a naive time is taken as UTC."""
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def collections(records: ClinicRecords, site_of: Mapping[str, str]) -> list[etree._Element]:
    """ClinicalData's AuditRecords and Signatures (module docstring); ``site_of`` maps a
    woman to her LocationOID."""
    found: list[etree._Element] = []
    if records.audit:
        audit = E.AuditRecords()
        for a in sorted(records.audit, key=lambda a: (timestamp(a.at), a.entry_id)):
            record = E.AuditRecord(
                E.UserRef(UserOID=oids.user(a.username)),
                E.LocationRef(LocationOID=site_of.get(a.participant, oids.SYSTEM_LOCATION)),
                E.DateTimeStamp(timestamp(a.at)),
                ID=oids.audit_record(a.entry_id),
            )
            if a.reason:
                record.append(E.ReasonForChange(a.reason))
            record.append(E.SourceID(str(a.entry_id)))
            audit.append(record)
        found.append(audit)
    if records.signatures:
        defs = meanings(records)
        signatures = E.Signatures()
        for s in sorted(records.signatures, key=lambda s: (timestamp(s.at), s.signature_id)):
            signatures.append(
                E.Signature(
                    E.UserRef(UserOID=oids.user(s.username)),
                    E.LocationRef(LocationOID=site_of.get(s.participant, oids.SYSTEM_LOCATION)),
                    E.SignatureRef(SignatureOID=defs[s.meaning]),
                    E.DateTimeStamp(timestamp(s.at)),
                    ID=oids.signature(s.signature_id),
                )
            )
        found.append(signatures)
    return found
