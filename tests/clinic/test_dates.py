"""Dates that contradict each other are queried (``clinic.dates``): the future, treatment
before screening, visits before treatment or out of order, a pregnancy after the last contact."""

from __future__ import annotations

from datetime import date

from ovaregen.clinic.dates import contradictions
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.record import home_visit
from ovaregen.domain.variables import DatasetFile, variables_of

PROTOCOL = load_protocol("ucmsc-rct")
HOME = {v.name: home_visit(PROTOCOL, v.name) for v in variables_of(DatasetFile.PARTICIPANTS)}
TODAY = date(2025, 1, 15)


def problems(forms: dict[str, dict[str, object]], months: list[float] | None = None) -> set[str]:
    found = contradictions(PROTOCOL, forms, HOME, months or [], TODAY)
    return {f"{p.visit}.{p.variable}: {p.problem}" for p in found}


def test_a_coherent_record_has_no_query() -> None:
    forms = {
        "screening": {"screening_date": "2024-03-01"},
        "treatment": {"treatment_date": "2024-03-20"},
        "month_3": {"visit_date": "2024-06-19"},
        "month_12": {"visit_date": "2025-01-10", "followup_months": 9.7},
    }
    assert problems(forms, [3.0, 9.0]) == set()


def test_each_contradiction_is_named_where_it_is() -> None:
    forms = {
        "screening": {"screening_date": "2024-03-01"},
        "treatment": {"treatment_date": "2024-02-20"},
        "month_3": {"visit_date": "2024-06-19"},
        "month_6": {"visit_date": "2024-02-01"},
        "month_12": {"visit_date": "2025-03-01"},
    }
    found = problems(forms, [16.0])
    assert "treatment.treatment_date: treatment before screening (2024-03-01)" in found
    assert "month_6.visit_date: visit before the treatment (2024-02-20)" in found
    assert "month_6.visit_date: before the earlier visit month_3 (2024-06-19)" in found
    assert "month_12.visit_date: a date in the future" in found
    assert any("a pregnancy 16 months after treatment" in f for f in found)


def test_unknown_dates_contradict_nothing() -> None:
    assert problems({"month_3": {"afc_post": 3}}, [30.0]) == set()
