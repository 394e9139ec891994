"""No participant code can start a spreadsheet formula (issue 11, item 4): a code must begin
with a letter or a digit, so ``=``, ``+``, ``-``, ``@`` (and ``.``, ``_``) first are refused at
entry and at import, with the character named (``domain.pseudonym``)."""

from __future__ import annotations

import pytest

from ovaregen.domain.pseudonym import pseudonym_problem


@pytest.mark.parametrize("code", ["=1+1", "+A1", "-A1", "@A1", "=HYPERLINK(1)", ".A1", "_A1"])
def test_a_code_beginning_with_a_formula_character_is_refused_naming_it(code: str) -> None:
    problem = pseudonym_problem(code)
    assert problem is not None
    assert problem.startswith(f"begins with {code[0]!r}; a code begins with a letter or a digit")


@pytest.mark.parametrize("code", ["\t=1+1", "\r-A1"])
def test_a_tab_or_return_before_it_does_not_hide_it(code: str) -> None:
    problem = pseudonym_problem(code)
    assert problem is not None and "begins with" in problem


def test_a_dash_inside_a_code_stays_allowed() -> None:
    assert pseudonym_problem("MAD1-0001") is None
