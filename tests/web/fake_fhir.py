"""A small FHIR R4 server for the tests: a real HTTP server on 127.0.0.1 (a random port), in a
thread, holding the Patients, Observations and Specimens a test loads and changes.

It answers what ``formats.fhir.server.fetch_results`` asks (FHIR R4 §3.1.0 search), as
``application/fhir+json``:
- ``GET /fhir/Patient?identifier=SYSTEM|VALUE``: a searchset of the Patients holding that
  identifier (``VALUE`` alone: any system);
- ``GET /fhir/Observation?patient=ID&code=S|C,…&_include=Observation:specimen&_count=N``: a
  searchset of her Observations of those codes, ``N`` a page, with a ``next`` link to the
  following page and, with ``_include``, the Specimens the page's Observations refer to;
  (``filters_codes`` False: of any code);
- anything else: 404 with an OperationOutcome; ``fail_with`` makes every answer that status.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

FHIR_JSON = "application/fhir+json"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
Resource = dict[str, Any]


def outcome(text: str) -> Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "diagnostics": text}],
    }


def observation(
    ident: str,
    patient: str,
    code: tuple[str, str],
    value: float,
    unit: str,
    *,
    effective: str | None = None,
    specimen: str | None = None,
    issued: str = "2024-06-01T10:00:00Z",
    status: str = "final",
) -> Resource:
    """An Observation of ``patient`` (a Patient id): ``code`` is (system, code); ``unit`` a
    UCUM code."""
    resource: Resource = {
        "resourceType": "Observation",
        "id": ident,
        "status": status,
        "code": {"coding": [{"system": code[0], "code": code[1]}]},
        "subject": {"reference": f"Patient/{patient}"},
        "issued": issued,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    if effective is not None:
        resource["effectiveDateTime"] = effective
    if specimen is not None:
        resource["specimen"] = {"reference": f"Specimen/{specimen}"}
    return resource


class FakeFhir:
    """The server's resources (tests change them freely between requests) and its address."""

    def __init__(self) -> None:
        self.patients: dict[str, Resource] = {}
        self.observations: dict[str, Resource] = {}
        self.specimens: dict[str, Resource] = {}
        self.requests: list[str] = []
        self.fail_with: int | None = None
        self.filters_codes = True
        """False: answer every Observation of hers, whatever ``code`` asks (a server may ignore
        a search parameter it does not support, FHIR R4 §3.1.1.4.1)."""
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    def add_patient(self, ident: str, *identifiers: tuple[str, str]) -> None:
        """A Patient with ``identifiers`` (system, value)."""
        self.patients[ident] = {
            "resourceType": "Patient",
            "id": ident,
            "identifier": [{"system": s, "value": v} for s, v in identifiers],
        }

    def add(self, resource: Resource) -> None:
        """An Observation or a Specimen (by its id)."""
        kind = resource["resourceType"]
        held = self.observations if kind == "Observation" else self.specimens
        held[resource["id"]] = resource

    def add_specimen(self, ident: str, collected: str) -> None:
        """A Specimen collected at ``collected`` (a FHIR dateTime)."""
        self.add(
            {
                "resourceType": "Specimen",
                "id": ident,
                "collection": {"collectedDateTime": collected},
            }
        )

    # ---- answering ----------------------------------------------------------------------

    def answer(self, path: str, query: Mapping[str, list[str]]) -> tuple[int, Resource]:
        if self.fail_with is not None:
            return self.fail_with, outcome("the laboratory system is down for maintenance")
        if path == "/fhir/Patient" and "identifier" in query:
            return 200, self._patients(query["identifier"][0])
        if path == "/fhir/Observation" and "patient" in query:
            return 200, self._observations(query)
        return 404, outcome(f"no such resource or search: {path}")

    def _searchset(self, entries: list[Resource], links: list[Resource]) -> Resource:
        return {"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries}

    def _entry(self, resource: Resource, mode: str) -> Resource:
        return {
            "fullUrl": f"{self.base_url}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": mode},
        }

    def _patients(self, token: str) -> Resource:
        system, bar, value = token.rpartition("|")
        found = [
            p
            for p in self.patients.values()
            if any(
                i["value"] == value and (not bar or i.get("system") == system)
                for i in p["identifier"]
            )
        ]
        return self._searchset([self._entry(p, "match") for p in found], [])

    def _observations(self, query: Mapping[str, list[str]]) -> Resource:
        patient = query["patient"][0]
        codes = set(query.get("code", [""])[0].split(",")) if "code" in query else None
        count = int(query.get("_count", ["100"])[0])
        offset = int(query.get("_offset", ["0"])[0])

        def wanted(resource: Resource) -> bool:
            if resource["subject"]["reference"] != f"Patient/{patient}":
                return False
            sent = {f"{c['system']}|{c['code']}" for c in resource["code"]["coding"]}
            return codes is None or not self.filters_codes or bool(sent & codes)

        found = sorted((o for o in self.observations.values() if wanted(o)), key=lambda o: o["id"])
        page = found[offset : offset + count]
        entries = [self._entry(o, "match") for o in page]
        if query.get("_include") == ["Observation:specimen"]:
            referred = {
                o["specimen"]["reference"].removeprefix("Specimen/")
                for o in page
                if "specimen" in o
            }
            entries += [
                self._entry(self.specimens[s], "include")
                for s in sorted(referred)
                if s in self.specimens
            ]
        links = []
        if offset + count < len(found):
            following = {k: v[0] for k, v in query.items()} | {"_offset": str(offset + count)}
            links.append(
                {"relation": "next", "url": f"{self.base_url}/Observation?{urlencode(following)}"}
            )
        return self._searchset(entries, links)


def _handler(fake: FakeFhir) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            fake.requests.append(self.path)
            status, body = fake.answer(parts.path, parse_qs(parts.query))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", FHIR_JSON)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests' output is theirs."""

    return Handler


@contextmanager
def running_fhir() -> Iterator[FakeFhir]:
    """A FakeFhir serving on 127.0.0.1 (a random free port) until the block ends."""
    fake = FakeFhir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
