"""eCRF numbers are ASCII decimals (issue 11): Python's ``float`` accepted ``1_0``, Arabic-Indic
``١٢`` and mathematical ``𝟓`` digits, and ``1e1`` as a whole-number AFC. Each refusal names the
field, quotes the value and says what is expected; nothing of a refused form is kept."""

from __future__ import annotations

import pytest

from ovaregen.clinic import ecrf
from ovaregen.clinic.studies import protocol_of
from ovaregen.domain.variables import variable

AMH = ecrf.Field(variable("amh_ng_ml"))
AFC = ecrf.Field(variable("afc"))


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        (AMH, "1.5", 1.5),
        (AMH, "+1.5", 1.5),
        (AMH, "-0", 0.0),
        (AMH, ".5", 0.5),
        (AMH, "2.", 2.0),
        (AMH, " 3 ", 3.0),
        (AFC, "12", 12),
        (AFC, "+7", 7),
    ],
)
def test_ascii_decimal_numbers_are_accepted(field: ecrf.Field, text: str, value: float) -> None:
    assert ecrf.parse_value(field, text) == (value, None)


@pytest.mark.parametrize(
    ("field", "text", "why"),
    [
        (AMH, "1_0", 'value "1_0" is not a number'),
        (AFC, "1_0", 'value "1_0" is not a number'),
        (
            AMH,
            "١٢",
            "has digits other than 0–9 (arabic-indic digit one, arabic-indic digit two): "
            'type it as "12"',
        ),
        (AFC, "١٢", 'type it as "12"'),
        (AMH, "𝟓", 'has digits other than 0–9 (mathematical bold digit five): type it as "5"'),
        (AFC, "1e1", 'value "1e1" has an exponent: type the number in full (10)'),
        (AMH, "1e1", "has an exponent"),
        (AMH, "1e999", 'value "1e999" is not a finite number'),
        (AFC, "3.0", 'value "3.0" has a decimal point: type the whole number without it ("3")'),
        (AFC, "2.5", 'value "2.5" is not a whole number'),
        (AMH, "1,5", "decimal comma"),
        (AMH, "inf", 'value "inf" is not a finite number'),
        (AMH, "nan", "is not a finite number"),
        (AMH, "0x10", "is not a number"),
        (AMH, "9" * 400, "is too large"),
    ],
)
def test_other_numbers_are_refused_saying_why_and_what_is_expected(
    field: ecrf.Field, text: str, why: str
) -> None:
    with pytest.raises(ValueError) as refused:
        ecrf.parse_value(field, text)
    message = str(refused.value)
    assert why in message
    if field is AFC and "too large" not in message:
        assert message.endswith("expected a whole number written with the digits 0–9 (e.g. 12)")
    elif "too large" not in message:
        assert "expected a number written with the digits 0–9" in message


def test_a_refused_form_names_the_field_and_the_value() -> None:
    fields = ecrf.visit_fields(ecrf.visit_of(protocol_of("ucmsc-rct"), "screening"))
    with pytest.raises(ecrf.FormRefusedError) as refused:
        ecrf.parse_entry(fields, {"afc": "1e1", "amh_ng_ml": "١", "age_years": "33"})
    errors = refused.value.errors
    assert set(errors) == {"afc", "amh_ng_ml"}
    assert errors["afc"].startswith(variable("afc").description + ': value "1e1"')
    assert errors["amh_ng_ml"].startswith(variable("amh_ng_ml").description + ': value "١"')
