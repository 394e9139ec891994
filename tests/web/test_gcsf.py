"""The G-CSF mobilisation log of Study A: four days, proposals, the investigator's decision."""

from __future__ import annotations

from sqlalchemy import select

from ovaregen.clinic.studies import participant_coded, study_named
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, FormEntry
from tests.clinic_fixtures import Browser

LOG = "/studies/regenera/participants/{code}/gcsf"


def enrolled(login, database: Database, study: str = "regenera") -> tuple[Browser, str]:  # type: ignore[no-untyped-def]
    """A coordinator and a participant created through the API, then set enrolled directly."""
    coordinator = login("coordinator")
    created = coordinator.api("POST", f"/api/studies/{study}/participants", json={"site": "MAD1"})
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    with database.transaction() as session:
        participant_coded(session, study_named(session, study), code).status = "ongoing"
    return coordinator, code


def day(
    number: int, weight: str, dose: str, wbc: str, symptoms: str, **extra: str
) -> dict[str, str]:
    return {
        "day": str(number),
        "weight_kg": weight,
        f"gcsf_d{number}_ug_kg": dose,
        f"wbc_d{number}_10e9_l": wbc,
        f"symptoms_d{number}": symptoms,
        **extra,
    }


def record_four_days(coordinator: Browser, code: str) -> None:
    url = LOG.format(code=code)
    for form in (
        day(1, "60", "10", "25", "none"),
        day(2, "60", "10", "75000", "mild", wbc_d2_10e9_l_unit="/mm³"),
        day(3, "60", "5", "40", "moderate"),
        day(4, "60", "0", "30", "none"),
    ):
        saved = coordinator.post_form(url, form)
        assert saved.status_code == 303, saved.text


def test_four_days_are_recorded_with_a_proposal_and_its_reason_per_day(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    record_four_days(coordinator, code)
    log = coordinator.client.get(f"/api{LOG.format(code=code)}").json()
    assert log["table"] == {"id": "regenera-gcsf-titration", "version": "1.0"}
    days = {d["day"]: d for d in log["days"]}
    # Canonical units: 75000 /mm³ is stored as 75 × 10⁹/L; total dose = 60 kg × 10 µg/kg.
    assert days[2]["values"]["wbc_d2_10e9_l"] == 75.0
    assert days[1]["total_dose_ug"] == 600.0
    assert days[1]["proposal"]["action"] == "continue"
    assert days[1]["proposal"]["next_dose_ug_kg"] == 10.0
    assert days[2]["proposal"]["action"] == "reduce"
    assert days[2]["proposal"]["next_dose_ug_kg"] == 5.0
    assert "Anderlini" in days[2]["proposal"]["rules"][0]["source"]
    assert days[3]["proposal"]["action"] == "hold_24h"
    assert "hold 24 h" in days[3]["proposal"]["reason"]
    # Day 4 was held (dose 0): the dose in force is day 3's; after day 4 nothing more is given.
    assert days[4]["proposal"]["action"] == "complete"
    assert days[5]["proposal"] is None
    with clinic_database.transaction() as session:
        visits = set(session.execute(select(FormEntry.visit)).scalars())
    assert {"mobilisation_d1", "mobilisation_d2", "mobilisation_d3", "mobilisation_d4"} <= visits
    page = coordinator.client.get(LOG.format(code=code))
    assert page.status_code == 200
    assert "reduce to 5 µg/kg/day on day 3" in page.text
    assert "Table regenera-gcsf-titration version 1.0" in page.text
    # The coordinator sees the proposal but is not offered the decision form.
    assert "/gcsf/decision" not in page.text


def test_day_five_round_trips_in_canonical_units(login, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    saved = coordinator.api(
        "PUT",
        f"/api{LOG.format(code=code)}/days/5",
        json={
            "values": {
                "wbc_d5_10e9_l": "32500",
                "cd34_d5_per_ul": 48,
                "prp_volume_ml": "6",
                "prp_platelets_10e9_l": "1200000",
            },
            "units": {"wbc_d5_10e9_l": "/mm³", "prp_platelets_10e9_l": "/mm³"},
        },
    )
    assert saved.status_code == 200, saved.text
    values = saved.json()["days"][4]["values"]
    assert values == {
        "wbc_d5_10e9_l": 32.5,
        "cd34_d5_per_ul": 48.0,
        "prp_volume_ml": 6.0,
        "prp_platelets_10e9_l": 1200.0,
    }
    with clinic_database.transaction() as session:
        entry = session.execute(
            select(FormEntry).where(FormEntry.visit == "injection")
        ).scalar_one()
        assert entry.data["prp_platelets_10e9_l"] == 1200.0


def test_the_investigator_decides_and_a_changed_decision_needs_a_reason(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    record_four_days(coordinator, code)
    url = LOG.format(code=code) + "/decision"
    refused = coordinator.post_form(url, {"day": "1", "decision": "accept"})
    assert refused.status_code == 403
    investigator = login("investigator")
    accepted = investigator.post_form(url, {"day": "1", "decision": "accept"})
    assert accepted.status_code == 303, accepted.text
    log = investigator.client.get(f"/api{LOG.format(code=code)}").json()
    decision = log["days"][0]["decision"]
    assert decision["decision"] == "accept" and decision["decided_dose_ug_kg"] == 10.0
    assert decision["decided_by"] == "investigator"
    assert log["days"][1]["decided_dose_hint_ug_kg"] == 10.0
    assert (
        "decided after day 1: 10.0 µg/kg/day" in investigator.client.get(LOG.format(code=code)).text
    )

    # Deciding otherwise than the proposal needs a reason.
    without = investigator.post_form(url, {"day": "2", "decision": "change", "dose_ug_kg": "7.5"})
    assert without.status_code == 422
    assert "reason" in without.text
    # Changing a recorded decision needs a reason and the version opened.
    api = f"/api{url}"
    again = investigator.api(
        "POST", api, json={"day": 1, "decision": "change", "dose_ug_kg": 8, "version": 1}
    )
    assert again.status_code == 422
    stale = investigator.api(
        "POST",
        api,
        json={"day": 1, "decision": "change", "dose_ug_kg": 8, "version": 7, "reason": "x"},
    )
    assert stale.status_code == 409
    changed = investigator.api(
        "POST",
        api,
        json={
            "day": 1,
            "decision": "change",
            "dose_ug_kg": 8,
            "version": 1,
            "reason": "bone pain overnight",
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["decided_dose_ug_kg"] == 8.0
    assert changed.json()["version"] == 2
    with clinic_database.transaction() as session:
        entries = (
            session.execute(select(AuditEntry).where(AuditEntry.entity == "gcsf_decision"))
            .scalars()
            .all()
        )
        assert [e.action for e in entries] == ["create", "update"]
        assert entries[1].changes["decided_dose_ug_kg"] == [10.0, 8.0]
        assert entries[1].changes["decision"] == ["accept", "change"]
        assert entries[1].reason == "bone pain overnight"
        assert entries[1].participant == code


def test_a_dose_beyond_the_hard_limit_is_refused(login, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    page = coordinator.post_form(LOG.format(code=code), day(1, "60", "25", "20", "none"))
    assert page.status_code == 422
    assert "outside the accepted range 0–20" in page.text
    record_four_days(coordinator, code)
    investigator = login("investigator")
    refused = investigator.api(
        "POST",
        f"/api{LOG.format(code=code)}/decision",
        json={"day": 1, "decision": "change", "dose_ug_kg": 25, "reason": "asked"},
    )
    assert refused.status_code == 422
    assert "hard limits 0–20" in refused.json()["errors"]["dose_ug_kg"]
    # Day 4 was the last G-CSF day: no dose can be decided after it.
    after = investigator.api(
        "POST",
        f"/api{LOG.format(code=code)}/decision",
        json={"day": 4, "decision": "change", "dose_ug_kg": 5, "reason": "asked"},
    )
    assert after.status_code == 422
    assert "last G-CSF day" in after.json()["errors"]["dose_ug_kg"]
    log = investigator.client.get(f"/api{LOG.format(code=code)}").json()
    assert all(d["decision"] is None for d in log["days"])


def test_a_saved_day_changes_only_with_a_reason(login, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    url = LOG.format(code=code)
    assert coordinator.post_form(url, day(1, "60", "10", "25", "none")).status_code == 303
    change = day(1, "62", "10", "25", "none", version="1")
    refused = coordinator.post_form(url, change)
    assert refused.status_code == 422
    assert "reason" in refused.text
    assert coordinator.post_form(url, {**change, "reason": "weighed again"}).status_code == 303
    log = coordinator.client.get(f"/api{url}").json()
    assert log["days"][0]["values"]["weight_kg"] == 62.0
    assert log["days"][0]["version"] == 2


def test_other_studies_have_no_log_and_only_enrolled_women_have_one(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database, study="mensc")
    assert coordinator.client.get(f"/studies/mensc/participants/{code}/gcsf").status_code == 404
    created = coordinator.api("POST", "/api/studies/regenera/participants", json={"site": "MAD1"})
    screening = created.json()["code"]
    assert coordinator.client.get(LOG.format(code=screening)).status_code == 409
    assert coordinator.client.get(f"/api{LOG.format(code=screening)}").status_code == 409


def test_the_monitor_may_read_but_not_post(login, clinic_database: Database) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    record_four_days(coordinator, code)
    monitor = login("monitor")
    assert monitor.client.get(LOG.format(code=code)).status_code == 200
    assert (
        monitor.post_form(LOG.format(code=code), day(1, "61", "10", "25", "none")).status_code
        == 403
    )
    assert (
        monitor.post_form(LOG.format(code=code) + "/decision", {"day": "1", "decision": "accept"})
    ).status_code == 403
    assert (
        monitor.api("PUT", f"/api{LOG.format(code=code)}/days/1", json={"values": {}}).status_code
        == 403
    )
    assert (
        monitor.api(
            "POST", f"/api{LOG.format(code=code)}/decision", json={"day": 1, "decision": "accept"}
        ).status_code
        == 403
    )
