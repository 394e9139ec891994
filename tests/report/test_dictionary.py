"""docs/data-dictionary.md is generated from the data dictionary and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from ovaregen.domain.variables import VARIABLES
from ovaregen.report.dictionary import render_data_dictionary

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


def test_committed_data_dictionary_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render_data_dictionary(), (
        "docs/data-dictionary.md is out of date: run `make dictionary`"
    )


def test_every_variable_and_alternative_unit_is_documented() -> None:
    text = render_data_dictionary()
    for v in VARIABLES:
        assert f"`{v.name}`" in text
        for alternative in v.alternatives:
            assert f"`{alternative.column}`" in text
