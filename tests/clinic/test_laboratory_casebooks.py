"""The casebooks laboratory results are placed against (``clinic.laboratory.casebooks_of``),
read in bulk: their locked forms are exactly the forms the form's own save refuses
(``locks.refuse_form_change``), for form, casebook and study locks; and their treatment dates
and saved values are the forms'."""

from __future__ import annotations

from pathlib import Path

from ovaregen.clinic import locks
from ovaregen.clinic.deviations import treatment_date
from ovaregen.clinic.importing import import_dataset
from ovaregen.clinic.laboratory import casebooks_of
from ovaregen.clinic.scope import EVERYWHERE, participants_seen
from ovaregen.clinic.studies import protocol_of, study_named
from ovaregen.store.database import Database
from ovaregen.store.models import Participant, Study
from tests.clinic.test_exchange import SITE, synthetic


def _refused(session, study: Study, woman: Participant) -> frozenset[str]:  # type: ignore[no-untyped-def]
    refused = set()
    for form in locks.form_names(study):
        try:
            locks.refuse_form_change(session, woman, form)
        except locks.LockedError:
            refused.add(form)
    return frozenset(refused)


def test_locked_forms_are_the_forms_a_save_refuses(
    clinic_database: Database, tmp_path: Path
) -> None:
    source = synthetic("ucmsc-rct", tmp_path, 4)
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        import_dataset(session, study, source, username="importer", default_site=SITE)
        women = participants_seen(session, study, EVERYWHERE)
        locks.lock(session, study, women[0], "month_3", username="dm", reason="query closed")
        locks.lock(session, study, women[0], "screening", username="dm", reason="verified")
        locks.lock(session, study, women[1], username="dm", reason="casebook signed")
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        women = participants_seen(session, study, EVERYWHERE)
        books = casebooks_of(session, study, women)
        protocol = protocol_of(study.name)
        for woman in women:
            assert books[woman.code].locked == _refused(session, study, woman), woman.code
            assert books[woman.code].treated == treatment_date(session, protocol, woman)
        assert books[women[0].code].locked == {"month_3", "screening"}
        assert not books[women[2].code].locked
        assert books[women[2].code].forms["screening"]["age_years"] is not None
        locks.lock(session, study, username="dm", reason="database lock")
        books = casebooks_of(session, study, women)
        for woman in women:
            assert books[woman.code].locked == _refused(session, study, woman)
            assert books[woman.code].locked == frozenset(locks.form_names(study))
