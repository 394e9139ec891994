"""Participant codes are pseudonyms: names and identity numbers are refused
(``domain.pseudonym``)."""

from __future__ import annotations

import pytest

from ovaregen.domain.pseudonym import pseudonym_problem


@pytest.mark.parametrize(
    "code", ["MAD1-0001", "C042", "A-17", "UC001", "R.12", "site_3-0007", "MS105"]
)
def test_pseudonymous_codes_are_accepted(code: str) -> None:
    assert pseudonym_problem(code) is None


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("Maria Garcia", "no spaces"),
        ("garcia", "like a name"),
        ("ana.lopez@example.org", "e-mail"),
        ("+34 612 345 678", "telephone"),
        ("12345678Z", "DNI/NIE"),
        ("X1234567L", "DNI/NIE"),
        ("HC-00123456", "seven or more digits"),
        ("", "empty"),
    ],
)
def test_names_and_identity_numbers_are_refused_with_the_reason(code: str, why: str) -> None:
    problem = pseudonym_problem(code)
    assert problem is not None and why in problem
