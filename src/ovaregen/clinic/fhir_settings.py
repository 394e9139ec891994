"""The FHIR server a study's laboratory results are fetched from (issue 15, item 1).

Rules:
- one server per study, set and cleared by an administrator (``Permission.SET_UP``: the web
  dependency or the command line checks it), audited as other set-up changes are;
- its base URL is http or https with a host, and holds no credentials, query or fragment
  (FHIR R4 §3.1.0: ``[base]/[type]?…``; a password in a URL ends up in logs and in the audit
  trail); it is kept without a trailing slash, the scheme and host in lower case;
- the identifier system is required: the server is asked for
  ``Patient?identifier=SYSTEM|CODE`` (FHIR R4 token search), and matching by value alone
  across systems would take a hospital number for a pseudonym. It is an absolute URI
  (FHIR ``Identifier.system``: ``http…`` or ``urn:…``) without ``|`` or ``,``, which a token
  search reads as separators.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic.studies import StudyError
from ovaregen.store import audit
from ovaregen.store.models import FhirServer, Study, utc_now

MAX_LENGTH = 500
"""The longest base URL or identifier system kept (the columns' length)."""
_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_BLANK_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


class FhirSettingError(StudyError):
    """A FHIR server setting that cannot be kept (the message says why and what is expected)."""


def fhir_server_of(session: Session, study: Study) -> FhirServer | None:
    """The study's FHIR server, or None when none is configured."""
    return session.execute(
        select(FhirServer).where(FhirServer.study_id == study.id)
    ).scalar_one_or_none()


def _shown(given: str) -> str:
    """A value as a message quotes it: at most 80 characters."""
    return given if len(given) <= 80 else given[:77] + "..."


def normalised_base_url(text: str) -> str:
    """The base URL as kept (module rules), or ``FhirSettingError`` naming what is wrong."""
    given = text.strip()
    shown = _shown(given)
    expected = "expected http(s)://HOST[:PORT]/PATH, e.g. https://lab.example.org/fhir"
    if not given:
        raise FhirSettingError(f"the FHIR server's base URL is empty: {expected}")
    if len(given) > MAX_LENGTH:
        raise FhirSettingError(
            f"the FHIR server's base URL has {len(given)} characters: at most {MAX_LENGTH}"
        )
    if _BLANK_OR_CONTROL.search(given):
        raise FhirSettingError(
            f"the FHIR server's base URL {shown!r} holds a space or a control character: {expected}"
        )
    try:
        parts = urlsplit(given)
        port = parts.port
    except ValueError as error:
        raise FhirSettingError(
            f"the FHIR server's base URL {shown!r} is not a URL ({error}): {expected}"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FhirSettingError(
            f"the FHIR server's base URL {shown!r} has the scheme {parts.scheme or 'none'!r}: "
            f"only http and https are asked; {expected}"
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise FhirSettingError(
            "the FHIR server's base URL holds a user name or password: credentials are never "
            f"kept in the URL (they would reach logs and the audit trail); {expected}"
        )
    if not parts.hostname:
        raise FhirSettingError(f"the FHIR server's base URL {shown!r} names no host: {expected}")
    if parts.query or parts.fragment or given.endswith(("?", "#")):
        raise FhirSettingError(
            f"the FHIR server's base URL {shown!r} holds a query or fragment: the base is "
            f"what comes before /Patient and /Observation; {expected}"
        )
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    netloc = f"{host}:{port}" if port is not None else host
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def checked_identifier_system(text: str) -> str:
    """The identifier system as kept (module rules), or ``FhirSettingError``."""
    given = text.strip()
    expected = (
        "expected the URI under which the laboratory records the women's participant ids, "
        "e.g. urn:oid:1.2.3.4 or https://hospital.example.org/ids/ovaregen"
    )
    if not given:
        raise FhirSettingError(
            "the identifier system is required: matching by value alone would take a hospital "
            f"number for a participant id; {expected}"
        )
    if len(given) > MAX_LENGTH:
        raise FhirSettingError(
            f"the identifier system has {len(given)} characters: at most {MAX_LENGTH}"
        )
    if "|" in given or "," in given or not _URI_SCHEME.match(given):
        raise FhirSettingError(
            f"the identifier system {_shown(given)!r} is not an absolute URI without '|' or "
            f"',': {expected}"
        )
    return given


def set_fhir_server(
    session: Session, study: Study, *, base_url: str, identifier_system: str, username: str
) -> FhirServer:
    """Set (or change) the study's FHIR server; validated (module rules) and audited."""
    url = normalised_base_url(base_url)
    system = checked_identifier_system(identifier_system)
    found = fhir_server_of(session, study)
    before = _setting(found)
    if found is None:
        found = FhirServer(study_id=study.id, base_url=url, identifier_system=system)
        session.add(found)
    found.base_url, found.identifier_system = url, system
    found.set_by, found.set_at = username, utc_now()
    session.flush()
    _audit(session, study, username, audit.differences(before, _setting(found)))
    return found


def _setting(server: FhirServer | None) -> dict[str, str | None]:
    """What the audit trail records of the setting (nothing when none is configured)."""
    if server is None:
        return {}
    return {"base_url": server.base_url, "identifier_system": server.identifier_system}


def _audit(session: Session, study: Study, username: str, changes: dict[str, list[Any]]) -> None:
    """A set-up entry for a change of the study's FHIR server (none when nothing changed)."""
    if changes:
        audit.record(
            session,
            username=username,
            action=audit.Action.SETUP,
            entity="fhir_server",
            entity_id=study.id,
            study=study.name,
            changes=changes,
        )


def clear_fhir_server(session: Session, study: Study, *, username: str) -> FhirServer:
    """Remove the study's FHIR server (the participant page stops offering to fetch);
    audited. ``FhirSettingError`` when none is configured."""
    found = fhir_server_of(session, study)
    if found is None:
        raise FhirSettingError(f"study {study.name} has no FHIR server configured: none to clear")
    _audit(session, study, username, audit.differences(_setting(found), {}))
    session.delete(found)
    session.flush()
    return found
