"""eCRF parsing and saving: units, limits, unknowns, reasons for change, versions, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ovaregen.clinic import ecrf
from ovaregen.clinic.studies import add_participant, protocol_of, site_coded, study_named
from ovaregen.domain.variables import AMH_PMOL_L_PER_NG_ML, variable
from ovaregen.store.models import AuditEntry

AMH = ecrf.Field(variable("amh_ng_ml"))


def test_a_value_in_an_alternative_unit_is_stored_in_the_canonical_one() -> None:
    value, warning = ecrf.parse_value(AMH, "10", "pmol/L")
    assert value == pytest.approx(10 / AMH_PMOL_L_PER_NG_ML)
    assert warning is None
    assert [u.unit for u in AMH.units] == ["ng/mL", "pmol/L"]


@pytest.mark.parametrize(
    ("protocol", "visit", "name"),
    [
        ("ucmsc-rct", "screening", "oestradiol_pg_ml"),
        ("mensc", "baseline", "oestradiol_pg_ml"),
        ("regenera", "followup", "oestradiol_post_pg_ml"),
        ("ucmsc-rct", "month_12", "oestradiol_post_pg_ml"),
    ],
)
def test_oestradiol_forms_take_pmol_l_and_store_pg_ml(protocol: str, visit: str, name: str) -> None:
    fields = {f.name: f for f in ecrf.visit_fields(ecrf.visit_of(protocol_of(protocol), visit))}
    field = fields[name]
    assert [u.unit for u in field.units] == ["pg/mL", "pmol/L"]
    value, warning = ecrf.parse_value(field, "100", "pmol/L")
    assert value == pytest.approx(27.24, abs=0.005) and warning is None
    with pytest.raises(ValueError, match=r"outside the accepted range 0–10000 pg/mL"):
        ecrf.parse_value(field, "12000")
    _, warning = ecrf.parse_value(field, "5000")
    assert warning is not None and "usual range 0–4000 pg/mL" in warning
    if visit not in ("screening", "baseline"):
        assert fields["fsh_post_iu_l"].units[0].unit == "IU/L"


def test_empty_is_unknown_and_words_are_parsed() -> None:
    assert ecrf.parse_value(AMH, "  ") == (None, None)
    consent = ecrf.Field(variable("consent"))
    assert ecrf.parse_value(consent, "yes") == (True, None)
    assert ecrf.parse_value(consent, "no") == (False, None)
    menses = ecrf.Field(variable("menses"))
    assert ecrf.parse_value(menses, "Amenorrhea") == ("amenorrhea", None)


def test_hard_limits_refuse_with_the_range_in_the_unit_used() -> None:
    with pytest.raises(ValueError, match=r"outside the accepted range 0–214\.2 pmol/L"):
        ecrf.parse_value(AMH, "300", "pmol/L")
    _, warning = ecrf.parse_value(AMH, "20")
    assert warning is not None and "usual range 0–15 ng/mL" in warning


def test_parse_entry_names_every_bad_field() -> None:
    fields = ecrf.visit_fields(ecrf.visit_of(protocol_of("ucmsc-rct"), "screening"))
    with pytest.raises(ecrf.FormRefusedError) as refused:
        ecrf.parse_entry(fields, {"afc": "2,5", "fsh_1_date": "10/01/2024", "married": "perhaps"})
    errors = refused.value.errors
    assert set(errors) == {"afc", "fsh_1_date", "married"}
    assert "decimal comma" in errors["afc"]
    assert "YYYY-MM-DD" in errors["fsh_1_date"]
    assert errors["married"].startswith("married (Study C inclusion): ")


def test_saving_a_form_audits_and_versions_it(clinic_database) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        woman = add_participant(session, study, site_coded(session, "MAD1"), username="t")
        entry = ecrf.save_form(
            session, woman, "screening", {"age_years": 30.0}, username="t", expected_version=None
        )
        assert entry.version == 1
        with pytest.raises(ecrf.ReasonRequiredError):
            ecrf.save_form(
                session, woman, "screening", {"age_years": 31.0}, username="t", expected_version=1
            )
        with pytest.raises(ecrf.VersionConflictError) as conflict:
            ecrf.save_form(
                session,
                woman,
                "screening",
                {"age_years": 31.0},
                username="u",
                expected_version=7,
                reason="x",
            )
        assert conflict.value.current.data == {"age_years": 30.0}
        changed = ecrf.save_form(
            session,
            woman,
            "screening",
            {"age_years": 31.0},
            username="u",
            expected_version=1,
            reason="re-checked",
        )
        assert changed.version == 2 and changed.data == {"age_years": 31.0}
        trail = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "form:screening")
                .order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
        assert [e.changes for e in trail] == [
            {"age_years": [None, 30.0]},
            {"age_years": [30.0, 31.0]},
        ]
        count = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        unchanged = ecrf.save_form(
            session, woman, "screening", {"age_years": 31.0}, username="u", expected_version=2
        )
        assert unchanged.version == 2
        assert session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == count
