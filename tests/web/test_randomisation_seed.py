"""The list's seed over HTTP: shown once to the administrator who makes the list (API answer or
page, never cached), never in any later answer, and the stored list verified against it."""

from __future__ import annotations

import html
import json
from typing import Any

from ovaregen.store.database import Database
from tests.web.test_randomisation import LIST_API, LIST_PAGE, assert_blind

VERIFY = f"{LIST_API}/verify"


def test_the_api_gives_the_seed_once_and_verifies_the_list_with_it(
    login: Any, clinic_database: Database
) -> None:
    admin = login("admin")
    made = admin.api("POST", LIST_API, json={"slots_per_stratum": 8})
    assert made.status_code == 201, made.text
    body = made.json()
    receipt = json.loads(body["seed_receipt"])
    assert body["seed_receipt_name"] == "ucmsc-rct-randomisation-seed.json"
    assert receipt["seed_sha256"] == body["seed_sha256"]
    seed = receipt["seed_hex"]
    for role in ("admin", "statistician", "coordinator"):
        later = login(role).client.get(LIST_API).text
        assert seed not in later and "seed_receipt" not in later
        assert seed not in login(role).client.get(LIST_PAGE).text
    verified = admin.api("POST", VERIFY, json={"seed": body["seed_receipt"]})
    assert verified.status_code == 200, verified.text
    answer = verified.json()
    assert answer["verified"] is True and answer["seed_matches"] is True
    assert answer["strata"] == [
        {"stratum": "MAD1", "slots": 8, "derived_from": "seed", "first_difference": None}
    ]
    assert_blind(verified.text)
    wrong = admin.api("POST", VERIFY, json={"seed": "ab" * 32})
    assert wrong.status_code == 200 and wrong.json()["verified"] is False
    garbage = admin.api("POST", VERIFY, json={"seed": "my seed"})
    assert garbage.status_code == 422
    assert "expected the 64 hexadecimal digits" in garbage.json()["errors"]["seed"]
    assert login("coordinator").api("POST", VERIFY, json={"seed": seed}).status_code == 403


def test_the_page_shows_the_seed_once_and_never_from_a_cache(
    login: Any, clinic_database: Database
) -> None:
    admin = login("admin")
    shown = admin.post_form(LIST_PAGE, {"factors": "married", "slots_per_stratum": "6"})
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert "shows the list's seed <strong>once</strong>" in shown.text
    assert 'download="ucmsc-rct-randomisation-seed.json"' in shown.text
    start = shown.text.index('<pre id="receipt">') + len('<pre id="receipt">')
    receipt = json.loads(html.unescape(shown.text[start : shown.text.index("</pre>", start)]))
    assert receipt["strata"] == ["MAD1|married=false", "MAD1|married=true"]
    assert_blind(shown.text)
    assert receipt["seed_hex"] not in admin.client.get(LIST_PAGE).text
    checked = admin.api("POST", VERIFY, json={"seed": receipt["seed_hex"]}).json()
    assert checked["verified"] is True
