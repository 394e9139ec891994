"""The participant page's "Fetch laboratory results" against a fake FHIR server (issue 15,
item 1; ``web.routes.laboratory``): fetching shows each result converted and placed and stores
nothing; accepting stores exactly the selected results, on the right visits, in the
dictionary's units, audited with their sources; a result changed at the laboratory since the
review is not stored; every refusal and failure is a message, never a server error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ovaregen.clinic import ecrf, enrolment
from ovaregen.clinic.fhir_settings import set_fhir_server
from ovaregen.clinic.roles import Role
from ovaregen.clinic.scope import Grant
from ovaregen.clinic.site_access import give
from ovaregen.clinic.studies import StudyError, add_site, participant_coded, study_named
from ovaregen.clinic.users import add_user
from ovaregen.domain.variables import variable
from ovaregen.formats.fhir import loinc
from ovaregen.io.units import measured_text
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, FormEntry
from tests.clinic_fixtures import PASSWORD, Browser
from tests.web.fake_fhir import FakeFhir, observation, running_fhir
from tests.web.test_gcsf import enrolled

SYSTEM = "urn:oid:2.16.724.4.9.20.90.1"
"""The identifier system under which the fake hospital knows the women by participant id."""
ISSUED = "2024-06-01T10:00:00Z"
KEY = re.compile(r'name="key" value="([^"]+)"')
AMH = (loinc.AMH.system, loinc.AMH.code)
AMH_PMOL = (loinc.AMH_PMOL.system, loinc.AMH_PMOL.code)
FSH = (loinc.FSH.system, loinc.FSH.code)
WBC = (loinc.LEUKOCYTES.system, loinc.LEUKOCYTES.code)
AFC = (loinc.AFC.system, loinc.AFC.code)
CREATININE = ("http://loinc.org", "2160-0")


@pytest.fixture
def fhir() -> Iterator[FakeFhir]:
    with running_fhir() as fake:
        yield fake


def _configure(database: Database, base_url: str, study: str = "regenera") -> None:
    with database.transaction() as session:
        set_fhir_server(
            session,
            study_named(session, study),
            base_url=base_url,
            identifier_system=SYSTEM,
            username="admin",
        )


def _treated(database: Database, code: str, on: str, study: str = "regenera") -> None:
    with database.transaction() as session:
        woman = participant_coded(session, study_named(session, study), code)
        ecrf.save_form(
            session, woman, "injection", {"treatment_date": on}, username="t", expected_version=None
        )


def _state(database: Database) -> tuple[int, list[tuple[str, dict[str, Any], int]]]:
    """The audit trail's length and every form's visit, values and version."""
    with database.read() as session:
        entries = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        forms = [
            (f.visit, dict(f.data), f.version)
            for f in session.execute(select(FormEntry).order_by(FormEntry.visit)).scalars()
        ]
    return int(entries), forms


def _form(database: Database, code: str, visit: str, study: str = "regenera") -> dict[str, Any]:
    with database.read() as session:
        woman = participant_coded(session, study_named(session, study), code)
        entry = ecrf.form_entry(session, woman, visit)
        return dict(entry.data) if entry else {}


def _screening_results(fhir: FakeFhir, code: str) -> None:
    fhir.add_patient("pat-1", ("urn:other-hospital:mrn", "123456"), (SYSTEM, code))
    fhir.add_specimen("spec-amh", "2024-03-01T08:10:00+01:00")
    fhir.add(observation("obs-amh", "pat-1", AMH_PMOL, 14.3, "pmol/L", specimen="spec-amh"))
    fhir.add(observation("obs-fsh1", "pat-1", FSH, 40, "m[IU]/mL", effective="2024-01-10"))
    fhir.add(observation("obs-fsh2", "pat-1", FSH, 45, "[IU]/L", effective="2024-02-20"))
    fhir.add(observation("obs-wbc", "pat-1", WBC, 7.5, "10*3/uL", effective="2024-03-01"))
    fhir.add(observation("obs-afc", "pat-1", AFC, 6, "{follicles}", effective="2024-03-01"))


def _fetch(browser: Browser, code: str, study: str = "regenera"):  # type: ignore[no-untyped-def]
    return browser.post_form(f"/studies/{study}/participants/{code}/laboratory/fetch", {})


def _accept(browser: Browser, code: str, keys: list[str], study: str = "regenera"):  # type: ignore[no-untyped-def]
    return browser.client.post(
        f"/studies/{study}/participants/{code}/laboratory/accept",
        data={"key": keys, "csrf_token": browser.csrf},
        follow_redirects=False,
    )


def test_fetch_shows_each_result_converted_and_stores_nothing(
    login, clinic_database: Database, fhir: FakeFhir
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    _configure(clinic_database, fhir.base_url)
    _screening_results(fhir, code)
    hub = coordinator.client.get(f"/studies/regenera/participants/{code}")
    assert 'id="fetch-results"' in hub.text
    before = _state(clinic_database)
    page = _fetch(coordinator, code)
    assert page.status_code == 200, page.text
    amh = 14.3 * variable("amh_ng_ml").alternatives[0].factor
    assert f"{measured_text(amh)} ng/mL" in page.text
    assert "14.3 pmol/L" in page.text  # as sent
    assert "2024-03-01" in page.text  # the specimen's collection day, not the issued time
    assert f"FHIR Observation obs-amh (issued {ISSUED}) from {fhir.base_url}" in page.text
    assert "40 IU/L" in page.text and "40 m[IU]/mL" in page.text
    assert "7.5 10⁹/L" in page.text
    assert len(KEY.findall(page.text)) == 5  # AMH, FSH twice, leukocytes, AFC
    assert _state(clinic_database) == before, "fetching stores nothing, audits nothing"
    # The server was asked for her by the configured system, never by value alone.
    assert any(f"identifier={SYSTEM}" in r.replace("%3A", ":") for r in fhir.requests)


def test_accept_stores_exactly_the_selected_values_audited_with_their_source(
    login, clinic_database: Database, fhir: FakeFhir
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    _configure(clinic_database, fhir.base_url)
    _screening_results(fhir, code)
    keys = KEY.findall(_fetch(coordinator, code).text)
    chosen = [k for k in keys if "|afc|" not in k]
    stored = _accept(coordinator, code, chosen)
    assert stored.status_code == 303, stored.text
    hub = coordinator.client.get(stored.headers["location"])
    assert "4 laboratory values stored" in hub.text
    form = _form(clinic_database, code, "screening")
    assert form["amh_ng_ml"] == pytest.approx(14.3 * variable("amh_ng_ml").alternatives[0].factor)
    assert (form["fsh_1_iu_l"], form["fsh_1_date"]) == (40.0, "2024-01-10")
    assert (form["fsh_2_iu_l"], form["fsh_2_date"]) == (45.0, "2024-02-20")
    assert form["wbc_10e9_l"] == 7.5
    assert "afc" not in form, "a result left unselected is not stored"
    with clinic_database.read() as session:
        reasons = session.execute(
            select(AuditEntry.reason).where(AuditEntry.entity == "form:screening")
        ).scalars()
        amh_reasons = [r for r in reasons if "obs-amh" in r]
    assert amh_reasons == [
        f"laboratory result: FHIR Observation obs-amh (issued {ISSUED}) from {fhir.base_url}"
    ]
    again = _fetch(coordinator, code)
    left = KEY.findall(again.text)
    assert len(left) == 1 and "|afc|" in left[0]  # the others are on the form now
    assert 'id="laboratory-saved"' in again.text
    assert _accept(coordinator, code, left).status_code == 303
    afc = _form(clinic_database, code, "screening")["afc"]
    assert (afc, type(afc)) == (6, int), "a count is stored as the whole number it is"


def test_a_result_changed_at_the_laboratory_since_the_review_is_not_stored(
    login, clinic_database: Database, fhir: FakeFhir
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    _configure(clinic_database, fhir.base_url)
    _screening_results(fhir, code)
    keys = KEY.findall(_fetch(coordinator, code).text)
    fhir.observations["obs-wbc"]["valueQuantity"]["value"] = 9.1  # amended, same Observation id
    fhir.observations["obs-wbc"]["status"] = "amended"
    del fhir.observations["obs-afc"]  # withdrawn
    stored = _accept(coordinator, code, keys)
    assert stored.status_code == 303, stored.text
    hub = coordinator.client.get(stored.headers["location"])
    assert "3 laboratory values stored" in hub.text
    assert "2 of those selected changed since the review" in hub.text
    form = _form(clinic_database, code, "screening")
    assert "wbc_10e9_l" not in form and "afc" not in form
    assert form["fsh_1_iu_l"] == 40.0


def test_follow_up_results_go_to_the_visit_whose_window_holds_the_specimen_date(
    login, clinic_database: Database, fhir: FakeFhir
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    _configure(clinic_database, fhir.base_url)
    _treated(clinic_database, code, "2024-01-01")
    fhir.add_patient("pat-1", (SYSTEM, code))
    fhir.add(observation("obs-post", "pat-1", AMH, 1.2, "ug/L", effective="2024-05-20"))
    fhir.add(observation("obs-early", "pat-1", AMH, 1.5, "ng/mL", effective="2024-01-31"))
    fhir.add(observation("obs-creat", "pat-1", CREATININE, 0.8, "mg/dL", effective="2024-05-20"))
    fhir.filters_codes = False  # a server that ignores ``code`` sends her creatinine too
    page = _fetch(coordinator, code)
    assert page.status_code == 200, page.text
    refusals = page.text.split('id="laboratory-refusals"')[1]
    assert "Observation obs-early" in refusals and "outside every visit window" in refusals
    assert "Observation obs-creat" in refusals and "none that ovaregen takes" in refusals
    keys = KEY.findall(page.text)
    assert [k.split("|")[1:3] for k in keys] == [["followup", "amh_post_ng_ml"]]
    assert _accept(coordinator, code, keys).status_code == 303
    assert _form(clinic_database, code, "followup")["amh_post_ng_ml"] == 1.2


def test_a_woman_the_server_does_not_know_is_a_message(
    login, clinic_database: Database, fhir: FakeFhir
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    _configure(clinic_database, fhir.base_url)
    fhir.add_patient("pat-9", ("urn:other-hospital:mrn", code))  # her code in another system
    before = _state(clinic_database)
    page = _fetch(coordinator, code)
    assert page.status_code == 502
    assert f"knows no patient {SYSTEM}|{code}" in page.text
    assert "nothing was stored" in page.text
    assert "Traceback" not in page.text
    assert _state(clinic_database) == before


def test_a_server_that_is_down_or_unreachable_is_a_message(
    login, clinic_database: Database, fhir: FakeFhir
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    _configure(clinic_database, fhir.base_url)
    fhir.fail_with = 503
    down = _fetch(coordinator, code)
    assert down.status_code == 502
    assert "answered 503" in down.text and "down for maintenance" in down.text
    with running_fhir() as other:
        closed = other.base_url
    _configure(clinic_database, closed)  # a port nobody listens on any more
    gone = _fetch(coordinator, code)
    assert gone.status_code == 502
    assert "cannot reach the FHIR server" in gone.text
    assert _accept(coordinator, code, ["x"]).status_code == 502


def test_without_a_server_there_is_no_button_and_the_route_says_why(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    hub = coordinator.client.get(f"/studies/regenera/participants/{code}")
    assert 'id="fetch-results"' not in hub.text
    refused = _fetch(coordinator, code)
    assert refused.status_code == 409
    assert "no FHIR server configured" in refused.text


def test_roles_without_data_entry_and_other_sites_are_refused(
    login, clinic_app, clinic_database: Database, fhir: FakeFhir
) -> None:  # type: ignore[no-untyped-def]
    _, code = enrolled(login, clinic_database)
    _configure(clinic_database, fhir.base_url)
    _screening_results(fhir, code)
    monitor = login("monitor")
    hub = monitor.client.get(f"/studies/regenera/participants/{code}")
    assert 'id="fetch-results"' not in hub.text
    assert _fetch(monitor, code).status_code == 403
    assert _accept(monitor, code, ["x"]).status_code == 403
    with clinic_database.transaction() as session:
        add_site(session, code="BCN2", name="Barcelona", username="test")
        user = add_user(session, username="coordinator.bcn", password=PASSWORD, by="test")
        give(session, user, [Grant(None, "BCN2", Role.COORDINATOR.value)], by="test")
    with TestClient(clinic_app) as client:
        elsewhere = Browser(client, "coordinator.bcn")
        elsewhere.login()
        assert _fetch(elsewhere, code).status_code == 404
        assert _accept(elsewhere, code, ["x"]).status_code == 404
    assert fhir.requests == [], "nobody refused made the server be asked"


def test_a_locked_casebook_is_refused_before_the_server_is_asked(
    login, clinic_database: Database, fhir: FakeFhir
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    _configure(clinic_database, fhir.base_url)
    _screening_results(fhir, code)
    keys = KEY.findall(_fetch(coordinator, code).text)
    manager = login("data_manager")
    locked = manager.post_form(
        f"/studies/regenera/participants/{code}/lock", {"reason": "casebook clean"}
    )
    assert locked.status_code == 303, locked.text
    asked = len(fhir.requests)
    refused = _accept(coordinator, code, keys)
    assert refused.status_code == 423
    assert "casebook clean" in refused.text
    assert len(fhir.requests) == asked
    assert _form(clinic_database, code, "screening") == {}


def test_the_administrator_sets_and_clears_the_server_on_the_study_page(
    login, clinic_database: Database, fhir: FakeFhir
) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    study = admin.client.get("/studies/regenera")
    assert 'id="fhir-server"' in study.text and "None: the participant pages" in study.text
    setting = {"base_url": f"{fhir.base_url}/", "identifier_system": SYSTEM}
    done = admin.post_form("/studies/regenera/fhir-server", setting)
    assert done.status_code == 303, done.text
    assert f"{fhir.base_url} · identifier system" in admin.client.get("/studies/regenera").text
    refused = admin.post_form("/studies/regenera/fhir-server", setting | {"base_url": "ftp://x"})
    assert refused.status_code == 409 and "only http and https" in refused.text
    coordinator, code = enrolled(login, clinic_database)
    assert 'id="fhir-server"' not in coordinator.client.get("/studies/regenera").text
    assert coordinator.post_form("/studies/regenera/fhir-server", setting).status_code == 403
    hub = coordinator.client.get(f"/studies/regenera/participants/{code}")
    assert 'id="fetch-results"' in hub.text
    assert admin.post_form("/studies/regenera/fhir-server/clear", {}).status_code == 303
    hub = coordinator.client.get(f"/studies/regenera/participants/{code}")
    assert 'id="fetch-results"' not in hub.text


def test_an_acceptance_refused_midway_stores_nothing_of_it(
    login, clinic_database: Database, fhir: FakeFhir, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    _configure(clinic_database, fhir.base_url)
    _screening_results(fhir, code)
    keys = KEY.findall(_fetch(coordinator, code).text)
    saves = {"count": 0}
    real_save = enrolment.save_visit

    def save_then_refuse(*args: Any, **kwargs: Any) -> Any:
        saves["count"] += 1
        if saves["count"] == 3:
            raise StudyError("the form changed meanwhile (refused by the test)")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(enrolment, "save_visit", save_then_refuse)
    before = _state(clinic_database)
    refused = _accept(coordinator, code, keys)
    assert refused.status_code == 409
    assert "(refused by the test): nothing of this acceptance was stored" in refused.text
    assert saves["count"] == 3, "two values were saved before the refusal"
    assert _state(clinic_database) == before, "and both were rolled back with it"
