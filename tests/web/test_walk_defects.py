"""Smaller defects of the issue-13 walk, each as the web shows it (docs/gcp-defects.md)."""

from __future__ import annotations

from sqlalchemy import select

from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, FormEntry
from tests.web.test_gcsf import LOG, day, enrolled
from tests.web.test_screening import new_participant

STUDY = "ucmsc-rct"


def test_leukocytes_typed_per_mm3_in_the_10e9_l_unit_get_the_readers_unit_hint(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator, code = enrolled(login, clinic_database)
    refused = coordinator.post_form(LOG.format(code=code), day(1, "60", "10", "25000", "none"))
    assert refused.status_code == 422
    assert "25000 10⁹/L is outside the accepted range" in refused.text
    assert "looks like /mm³ (25000 /mm³ = 25 10⁹/L): choose /mm³ as its unit" in refused.text
    with clinic_database.transaction() as session:
        assert session.execute(select(FormEntry)).first() is None, "nothing is saved"


def test_a_first_entry_into_a_saved_form_needs_no_reason_a_change_does(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/studies/{STUDY}/participants/{code}/visits/screening"
    assert coordinator.post_form(url, {"age_years": "33", "version": ""}).status_code == 200
    # The form row exists now; afc is entered for the first time (empty → 4): no reason.
    first = coordinator.post_form(url, {"age_years": "33", "afc": "4", "version": "1"})
    assert first.status_code == 200, first.text
    assert "saved (version 2)" in first.text
    with clinic_database.transaction() as session:
        entry = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "form:screening", AuditEntry.participant == code)
                .order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
        assert entry is not None and entry.changes == {"afc": [None, 4]}
    changed = coordinator.post_form(url, {"age_years": "34", "afc": "4", "version": "2"})
    assert changed.status_code == 422
    assert "give a reason for the change (age_years)" in changed.text
