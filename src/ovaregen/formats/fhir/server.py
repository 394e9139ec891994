"""Fetching a woman's laboratory results from a FHIR R4 server (the participant page's "fetch
results"; the administrator configures the server, ``clinic.fhir_settings``).

Rules (FHIR R4 RESTful API §3.1.0 search; issue 15):
- her Patient is found by identifier: ``GET [base]/Patient?identifier=system|value``; none, or
  more than one, is refused with the reason;
- her results: ``GET [base]/Observation?patient=ID&code=…`` with the codes ovaregen takes
  (``loinc.INCOMING``) and their Specimens (``_include=Observation:specimen``), following the
  ``next`` links of the searchset (at most :data:`MAX_PAGES` pages, only on the same server: a
  link elsewhere is refused, so a server cannot send ovaregen to another address);
- the answer is one Bundle (type collection) of her Patient, the Observations and Specimens, read
  as a Bundle file is (``formats.fhir.observations``);
- the server is asked for JSON (``application/fhir+json``) within :data:`TIMEOUT` seconds; a
  failure says what the server answered (status, OperationOutcome text) and stores nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from ovaregen.formats.fhir import loinc

TIMEOUT = 10.0
MAX_PAGES = 20
FHIR_JSON = "application/fhir+json"


class FhirServerError(RuntimeError):
    """The server could not be asked, or did not answer with what FHIR promises."""


def _same_server(base: str, url: str) -> bool:
    a, b = urlsplit(base), urlsplit(url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc) and b.path.startswith(a.path.rstrip("/"))


def _get(client: httpx.Client, base: str, url: str, params: dict[str, str] | None) -> Any:
    if not _same_server(base, url):
        raise FhirServerError(f"the server sent a link to another address ({url}): refused")
    try:
        response = client.get(url, params=params, headers={"Accept": FHIR_JSON})
    except httpx.HTTPError as error:
        raise FhirServerError(f"cannot reach the FHIR server {base}: {error}") from None
    if response.status_code != 200:
        raise FhirServerError(
            f"the FHIR server answered {response.status_code} to {response.request.url}"
            + _outcome_text(response)
        )
    try:
        return response.json()
    except ValueError:
        raise FhirServerError(f"the FHIR server answered {url} with no JSON") from None


def _outcome_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    issues = body.get("issue", []) if isinstance(body, dict) else []
    texts = [i.get("diagnostics") or (i.get("details") or {}).get("text") for i in issues]
    shown = "; ".join(t for t in texts if t)
    return f": {shown}" if shown else ""


def _entries(bundle: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirServerError(f"the FHIR server answered the {what} search with no Bundle")
    return [e for e in bundle.get("entry") or [] if isinstance(e.get("resource"), dict)]


def _next(bundle: dict[str, Any]) -> str | None:
    return next(
        (link.get("url") for link in bundle.get("link") or [] if link.get("relation") == "next"),
        None,
    )


def fetch_results(
    base_url: str, identifier_system: str, participant: str, *, timeout: float = TIMEOUT
) -> dict[str, Any]:
    """Her Patient, results and their specimens, as one collection Bundle (module rules)."""
    base = base_url.rstrip("/")
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        found = _entries(
            _get(
                client,
                base,
                f"{base}/Patient",
                {"identifier": f"{identifier_system}|{participant}"},
            ),
            "Patient",
        )
        patients = [e for e in found if e["resource"].get("resourceType") == "Patient"]
        if not patients:
            raise FhirServerError(
                f"the FHIR server {base} knows no patient {identifier_system}|{participant}"
            )
        if len(patients) > 1:
            raise FhirServerError(
                f"the FHIR server {base} holds {len(patients)} patients with the identifier "
                f"{identifier_system}|{participant}: which one is hers is for the hospital to "
                "settle; nothing was fetched"
            )
        patient = patients[0]["resource"]
        codes = ",".join(f"{i.code.system}|{i.code.code}" for i in loinc.INCOMING)
        params: dict[str, str] | None = {
            "patient": str(patient.get("id", "")),
            "code": codes,
            "_include": "Observation:specimen",
            "_count": "100",
        }
        url: str | None = f"{base}/Observation"
        entries: list[dict[str, Any]] = [
            {"fullUrl": f"{base}/Patient/{patient.get('id')}", "resource": patient}
        ]
        seen: set[str] = set()
        for _page in range(MAX_PAGES):
            if url is None:
                break
            page = _get(client, base, url, params)
            for entry in _entries(page, "Observation"):
                resource = entry["resource"]
                key = f"{resource.get('resourceType')}/{resource.get('id')}"
                if key in seen:
                    continue
                seen.add(key)
                entries.append(
                    {"fullUrl": entry.get("fullUrl") or f"{base}/{key}", "resource": resource}
                )
            url, params = _next(page), None
        else:
            if url is not None:
                raise FhirServerError(
                    f"the FHIR server {base} has more than {MAX_PAGES} pages of results for "
                    f"{participant}: nothing was fetched"
                )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
