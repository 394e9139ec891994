"""The analysis populations: who is in each denominator, by a rule stated in words.

Source: STUDIES.md flows (A: 265 recruited → 182 eligible → 37 lost → 145 analysed; B: 105
treated women; C: randomised participants by arm) and INTERCHANGE.md ``status`` (empty means
``completed``). Each rule is a Polars expression over the derived participant table
(``ovaregen.domain.derivation``), evaluated once for the whole cohort.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ovaregen.analysis.result import Population

STATUS = pl.col("status").fill_null("completed")
EVERY_ROW = pl.col("participant_id").is_not_null()
"""True on every row: ``participant_id`` is required (an expression, so that it sums to n)."""


@dataclass(frozen=True)
class PopulationRule:
    """A population's id, its definition in words and its membership expression."""

    id: str
    definition: str
    member: pl.Expr

    def select(self, derived: pl.DataFrame) -> tuple[pl.DataFrame, Population]:
        """The members of ``derived`` and the :class:`Population` record (with its size)."""
        members = derived.filter(self.member)
        return members, Population(self.id, self.definition, members.height)


ANALYSED = PopulationRule(
    id="analysed",
    definition=(
        "analysed: participants whose status is completed (an empty status means completed); "
        "screen failures, withdrawals and women lost to follow-up are counted in the flow only"
    ),
    member=STATUS == "completed",
)

TREATED = PopulationRule(
    id="treated",
    definition=(
        "women treated: status not screen_failed and recorded evidence of treatment "
        "(see the live-birth measures' note for the rule)"
    ),
    member=pl.col("treated"),
)

RANDOMISED = PopulationRule(
    id="randomised",
    definition=(
        "randomised (intention to treat): status not screen_failed and an allocated arm; "
        "each participant analysed in the arm she was allocated to"
    ),
    member=(STATUS != "screen_failed") & pl.col("arm").is_not_null(),
)
