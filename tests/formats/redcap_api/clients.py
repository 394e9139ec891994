"""PyCap 2.7.0 as a REDCap user runs it, against the clinic's REDCap API.

PyCap's ``Project`` asserts that a token is 32 characters (REDCap's are 32 hexadecimal ones);
ovaregen's are ``ovr_`` and 43 more. ``Client`` replaces that one check (the address must
still end in ``/api/``) and nothing else: every request and every answer goes through PyCap's
own code. ``tests/formats/redcap_api/test_pycap_reads_the_clinic.py`` also runs the plain
``redcap.Project`` with assertions off (``python -O``)."""

from __future__ import annotations

import redcap


class Client(redcap.Project):  # type: ignore[misc]
    @staticmethod
    def _validate_url_and_token(url: str, token: str) -> None:
        if not url.endswith("/api/") or not token:
            raise ValueError(f"not a REDCap API address and token: {url}")
