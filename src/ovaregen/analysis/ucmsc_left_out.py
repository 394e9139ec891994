"""The women of a randomised arm that a between-arm comparison could not use, named by arm.

CONSORT 2010 item 16 asks, for each group, the number of participants included in each analysis;
the randomised women a comparison leaves out are therefore counted per arm, each once, under the
first of the values it needs that is unknown, in the order the comparison names them:
"UC-MSC + HRT: AMH after treatment at 3 months unknown". A woman without an arm is counted
apart ("allocated arm unknown"). The words come from the data dictionary
(:func:`ovaregen.analysis.left_out.readable`) or, for a derived outcome, from :data:`PHRASES`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ovaregen.analysis.left_out import readable, unknown
from ovaregen.analysis.measures import Split
from ovaregen.analysis.result import LeftOut

PHRASES: dict[str, str] = {
    "oocyte_activation": (
        "oocyte activation undecided (neither its AFC nor its AMH criterion met, one unknown)"
    ),
    "any_complication": (
        "complication checklist incomplete (no complication recorded, an item unknown)"
    ),
    "has_live_birth": "whether she had a live birth unknown (a pregnancy's outcome not recorded)",
}
"""What an unknown derived outcome means, in words (complete phrases)."""

AT_A_VISIT: dict[str, str] = {
    "afc_post": "antral follicle count after treatment",
    "amh_post_ng_ml": "AMH after treatment",
    "menses_followup": "menstrual status",
}
"""The follow-up measurements whose phrase names the visit ("AMH after treatment at 3 months")."""


def phrase(column: str, when: str = "") -> str:
    """Why a woman whose ``column`` is unknown is left out, in words (``when``: "3 months")."""
    if column in PHRASES:
        return PHRASES[column]
    if when and column in AT_A_VISIT:
        return f"{AT_A_VISIT[column]} at {when} unknown"
    return f"{readable(column)} unknown"


def by_arm(
    frame: pl.DataFrame, split: Split, needs: Sequence[str], when: str = ""
) -> tuple[LeftOut, ...]:
    """The women of ``frame`` left out by a comparison of ``split``'s groups needing the
    columns ``needs``: per group, each woman once under the first unknown column (docstring)."""
    labels = split.labels(frame)
    left = list(unknown(labels.null_count(), split.name))
    grouped = frame.select(*needs).with_columns(labels.alias("\x00group"))
    for group in split.groups:
        remaining = grouped.filter(pl.col("\x00group") == group.label)
        for column in needs:
            missing = remaining.get_column(column).is_null()
            count = int(missing.sum())
            if count:
                left.append(LeftOut(count, f"{group.label}: {phrase(column, when)}"))
            remaining = remaining.filter(~missing)
    return tuple(left)
