"""Laboratory results read from a FHIR R4 Bundle (``ovaregen fhir import``, and the results a
FHIR server returns, ``formats.fhir.server``).

Rules (FHIR R4 Observation and Bundle; issue 15):
- the Bundle must be valid FHIR (checked by ``fhir.resources``' R4B models, the same structures
  as R4 for these resources); an invalid one is refused whole, naming entry and field;
- every Observation is read; other resources serve only as what an Observation refers to (its
  Patient, its Specimen); a result is refused, with the reason, when
  - its status is not final, amended or corrected (a preliminary result may still change),
  - its code is none that ovaregen takes (``loinc.INCOMING``),
  - its value is not a Quantity with a value and a UCUM unit that its code's property allows
    (a mass code with a molar unit is a unit slip, not a conversion), or is given as a limit
    (``<0.01``): the form holds a number, which a limit is not,
  - it has no specimen date: ``Specimen.collection.collected[x]``, else ``effective[x]`` (for a
    laboratory test the specimen's collection time, FHIR R4 Observation.effective), the day as
    the laboratory wrote it (its local date);
- the patient is read from ``subject``: the Patient entry it refers to (by fullUrl, or by
  ``Patient/id``), or its logical ``identifier``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ovaregen.domain.laboratory import LabResult, PatientIdentifier, Refusal, Source
from ovaregen.formats.errors import FormatError
from ovaregen.formats.fhir import loinc
from ovaregen.formats.fhir.ucum import IN_DICTIONARY_UNITS, UCUM_SYSTEM

Resource = dict[str, Any]

FINAL_STATUSES = frozenset({"final", "amended", "corrected"})


def participant_system(study: str) -> str:
    """The identifier system of a study's pseudonymous participant ids, as ``--format fhir``
    writes it on each Patient."""
    return f"urn:ovaregen:study:{study}:participant"


@dataclass(frozen=True)
class Results:
    """What a Bundle holds: the results read, and those refused while reading."""

    results: tuple[LabResult, ...]
    refusals: tuple[Refusal, ...]
    observations: int


def read_bundle_file(path: Path) -> Results:
    """Read a Bundle file (JSON); FormatError names the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FormatError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise FormatError(f"{path} is not UTF-8 text (byte {error.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(
            f"{path} is not JSON: line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    return read_bundle(data, origin=path.name)


def _check_valid(data: Any, origin: str) -> None:
    """Refuse a document that is not a valid FHIR Bundle (``fhir.resources``)."""
    from fhir.resources.R4B.bundle import Bundle  # noqa: PLC0415  (slow import, used here only)

    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise FormatError(f"{origin}: expected a FHIR Bundle, found {kind!r}")
    try:
        Bundle.model_validate(data)
    except ValidationError as error:
        problems = [_problem(data, e) for e in error.errors()[:20]]
        more = len(error.errors()) - len(problems)
        tail = f"; and {more} more" if more > 0 else ""
        raise FormatError(
            f"{origin} is not a valid FHIR R4 Bundle: " + "; ".join(problems) + tail
        ) from None


def _problem(data: Mapping[str, Any], error: Any) -> str:
    loc = list(error["loc"])
    where = "Bundle"
    if len(loc) >= 2 and loc[0] == "entry" and isinstance(loc[1], int):
        entry = data.get("entry", [])[loc[1]] if loc[1] < len(data.get("entry", [])) else {}
        resource = entry.get("resource", {}) if isinstance(entry, dict) else {}
        kind = resource.get("resourceType", "resource") if isinstance(resource, dict) else ""
        ident = resource.get("id") if isinstance(resource, dict) else None
        where = f"entry {loc[1] + 1} ({kind}{' ' + ident if ident else ''})"
        loc = loc[3:] if len(loc) > 2 and loc[2] == "resource" else loc[2:]
    field = ".".join(str(part) for part in loc) or "(the resource)"
    value = error.get("input")
    shown = f" (value {value!r})" if isinstance(value, str | int | float) else ""
    return f"{where}, field {field}: {error['msg']}{shown}"


def read_bundle(data: Any, *, origin: str) -> Results:
    """Every Observation of a valid Bundle as a result or a refusal (module rules)."""
    _check_valid(data, origin)
    entries = [e for e in data.get("entry", []) if isinstance(e.get("resource"), dict)]
    index = _index(entries)
    results: list[LabResult] = []
    refusals: list[Refusal] = []
    observations = 0
    for number, entry in enumerate(data.get("entry", []), start=1):
        resource = entry.get("resource")
        if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
            continue
        observations += 1
        read = _result(entry, resource, number, origin, index)
        if isinstance(read, Refusal):
            refusals.append(read)
        else:
            results.append(read)
    return Results(tuple(results), tuple(refusals), observations)


def _index(entries: Sequence[Mapping[str, Any]]) -> dict[str, Resource]:
    """The Bundle's resources by fullUrl and by ``Type/id`` (FHIR R4 §2.36.4 resolving
    references in a Bundle)."""
    index: dict[str, Resource] = {}
    for entry in entries:
        resource = entry["resource"]
        if entry.get("fullUrl"):
            index[entry["fullUrl"]] = resource
        if resource.get("id"):
            index[f"{resource['resourceType']}/{resource['id']}"] = resource
    return index


def _result(
    entry: Mapping[str, Any],
    resource: Resource,
    number: int,
    origin: str,
    index: Mapping[str, Resource],
) -> LabResult | Refusal:
    source = Source(
        observation=str(resource.get("id") or entry.get("fullUrl") or f"entry {number}"),
        issued=resource.get("issued"),
        origin=origin,
        entry=number,
    )
    patient, patient_text, problem = _patient(resource, index)
    if problem:
        return Refusal(source, patient_text, problem)

    def refused(reason: str) -> Refusal:
        return Refusal(source, patient_text, reason)

    status = resource.get("status")
    if status not in FINAL_STATUSES:
        return refused(
            f"its status is {status!r}: only final results are taken (final, amended, corrected)"
        )
    known = _known_code(resource)
    if isinstance(known, str):
        return refused(known)
    quantity = resource.get("valueQuantity")
    if quantity is None:
        absent = resource.get("dataAbsentReason", {}).get("text") or _first_code(
            resource.get("dataAbsentReason", {})
        )
        if absent:
            return refused(f"it holds no value ({absent})")
        other = next((k for k in resource if k.startswith("value")), None)
        return refused(
            f"its value is {other or 'missing'}: expected valueQuantity with a UCUM unit"
        )
    value, unit, reason = _quantity(quantity, known)
    if reason:
        return refused(reason)
    assert value is not None and unit is not None
    taken = _specimen_date(resource, index)
    if isinstance(taken, str):
        return refused(taken)
    dictionary_unit, factor = IN_DICTIONARY_UNITS[unit]
    shown = quantity.get("unit") or unit
    return LabResult(
        source=source,
        patient=patient,
        patient_text=patient_text,
        analyte=known.analyte,
        value=value * factor,
        unit=dictionary_unit,
        sent=f"{quantity['value']} {shown}",
        specimen_date=taken,
    )


def _first_code(concept: Mapping[str, Any]) -> str:
    codings = concept.get("coding") or []
    return str(codings[0].get("code", "")) if codings else ""


def _known_code(resource: Resource) -> loinc.Incoming | str:
    """The code ovaregen takes, or why none is."""
    codings = resource.get("code", {}).get("coding") or []
    found = {
        i.code.code: i
        for c in codings
        if (i := loinc.incoming(c.get("system"), c.get("code"))) is not None
    }
    if len({i.analyte for i in found.values()}) > 1:
        return f"its codes name several analytes ({', '.join(sorted(found))})"
    if found:
        return next(iter(found.values()))
    sent = ", ".join(f"{c.get('system', '')}|{c.get('code', '')}" for c in codings) or "none"
    taken = ", ".join(
        f"{i.analyte.label} {i.code.code}"
        for i in loinc.INCOMING
        if i.code.system == loinc.LOINC_SYSTEM
    )
    bad_digit = [
        c.get("code", "")
        for c in codings
        if c.get("system") == loinc.LOINC_SYSTEM and not loinc.is_valid_loinc(c.get("code", ""))
    ]
    digit = f" ({', '.join(bad_digit)} fails LOINC's check digit)" if bad_digit else ""
    return (
        f"its code {sent}{digit} is none that ovaregen takes: LOINC {taken}; the antral "
        f"follicle count has no LOINC term and takes the local code {loinc.AFC.system}|"
        f"{loinc.AFC.code}"
    )


def _quantity(
    quantity: Mapping[str, Any], known: loinc.Incoming
) -> tuple[float | None, str | None, str]:
    """The value and UCUM code, or why the Quantity cannot be taken."""
    if quantity.get("comparator"):
        return (
            None,
            None,
            f"its value is a limit ({quantity['comparator']}{quantity.get('value')} "
            f"{quantity.get('unit', '')}): enter it on the form if the protocol records it",
        )
    if quantity.get("value") is None:
        return None, None, "its valueQuantity holds no value"
    system, code = quantity.get("system"), quantity.get("code")
    sent = quantity.get("unit") or code or "no unit"
    if system != UCUM_SYSTEM or not code:
        return (
            None,
            None,
            f"its unit {sent!r} is not coded in UCUM (valueQuantity.system "
            f"{UCUM_SYSTEM} and a code): ovaregen converts only coded units",
        )
    if code not in known.units:
        allowed = ", ".join(sorted(known.units))
        return (
            None,
            None,
            f"its unit {code} does not fit {known.code.code} ({known.code.display}): "
            f"expected {allowed}",
        )
    return float(quantity["value"]), code, ""


def _specimen_date(resource: Resource, index: Mapping[str, Resource]) -> date | str:
    """The day the specimen was taken (module rules), or why it is not known."""
    text: str | None = None
    reference = (resource.get("specimen") or {}).get("reference")
    specimen = index.get(reference) if reference else None
    if specimen is not None:
        collection = specimen.get("collection") or {}
        text = collection.get("collectedDateTime") or (collection.get("collectedPeriod") or {}).get(
            "start"
        )
    if text is None:
        text = (
            resource.get("effectiveDateTime")
            or (resource.get("effectivePeriod") or {}).get("start")
            or resource.get("effectiveInstant")
        )
    if not text:
        return "it has no specimen date (Specimen.collection or Observation.effective)"
    day = str(text)[:10]
    try:
        return date.fromisoformat(day)
    except ValueError:
        return f"its specimen date {text!r} is not a day (expected YYYY-MM-DD)"


def _patient(
    resource: Resource, index: Mapping[str, Resource]
) -> tuple[tuple[PatientIdentifier, ...], str, str]:
    """Her identifiers, how messages name her, and a problem (empty when none)."""
    subject = resource.get("subject") or {}
    reference = subject.get("reference")
    logical = subject.get("identifier")
    identifiers: list[PatientIdentifier] = []
    if logical and logical.get("value"):
        identifiers.append(PatientIdentifier(logical.get("system"), str(logical["value"])))
    text = reference or (str(identifiers[0]) if identifiers else "no subject")
    if reference:
        relative = reference.startswith("Patient/")
        if not (relative or reference.startswith("urn:") or "/Patient/" in reference):
            return (), text, f"its subject {reference} is not a Patient"
        tail = reference if relative else "Patient/" + reference.rsplit("/Patient/", 1)[-1]
        patient = index.get(reference) or index.get(tail)
        if patient is not None:
            identifiers += [
                PatientIdentifier(i.get("system"), str(i["value"]))
                for i in patient.get("identifier") or []
                if i.get("value")
            ]
        elif not identifiers:
            return (
                (),
                text,
                f"its subject {reference} is not in the Bundle: include her Patient entry, "
                "or give subject.identifier",
            )
    if not identifiers:
        return (), text, "it names no patient (subject with an identifier or a Patient entry)"
    return tuple(identifiers), text, ""
