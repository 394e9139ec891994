"""Numbers through the eCRF API: typed text must be ASCII decimal digits (issue 11), while
JSON numbers are read as the digits a person would type (``3.0`` is the whole number 3)."""

from __future__ import annotations

from ovaregen.web.routes.forms import typed_text
from tests.web.test_screening import new_participant

STUDY = "ucmsc-rct"


def test_json_numbers_become_positional_decimal_text() -> None:
    assert typed_text(3.0) == "3"
    assert typed_text(1e-07) == "0.0000001"
    assert typed_text(14.28) == "14.28"
    assert typed_text(12) == "12"
    assert typed_text(True) == "true"
    assert typed_text(None) == ""


def test_the_api_refuses_unicode_digits_and_exponents_naming_field_and_value(login) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/api/studies/{STUDY}/participants/{code}/visits/screening"
    refused = coordinator.api("PUT", url, json={"values": {"afc": "1e1", "amh_ng_ml": "١٢"}})
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert 'value "1e1" has an exponent' in errors["afc"]
    assert "expected a whole number written with the digits 0–9" in errors["afc"]
    assert 'type it as "12"' in errors["amh_ng_ml"]
    assert coordinator.api("GET", url).json()["version"] is None, "nothing was saved"
    saved = coordinator.api("PUT", url, json={"values": {"afc": 3.0, "amh_ng_ml": 0.5}})
    assert saved.status_code == 200, saved.text
    assert saved.json()["values"] == {"afc": 3, "amh_ng_ml": 0.5}
