"""The participant flow (what a CONSORT-style diagram draws) and exclusions by criterion.

Source: INTERCHANGE.md ``status`` drives the flow (empty = ``completed``); STUDIES.md, Study A:
265 recruited → 182 met the inclusion criteria → 37 lost to follow-up → 145 analysed. The
reasons for exclusion are counted from the protocol's own criteria, evaluated on the data: a
screen failure may fail several criteria, and one whose data show no failed criterion is
counted apart (her reason is not in the dataset).
"""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.populations import EVERY_ROW, STATUS
from ovaregen.analysis.result import Table
from ovaregen.domain.criteria import Role
from ovaregen.domain.protocols import Protocol

FLOW_STAGES: tuple[tuple[str, str, pl.Expr], ...] = (
    ("recruited", "recruited (assessed for eligibility)", EVERY_ROW),
    ("in_screening", "still in screening (not yet decided)", STATUS == "screening"),
    ("screen_failed", "did not meet the inclusion criteria", STATUS == "screen_failed"),
    ("eligible", "met the inclusion criteria", ~STATUS.is_in(["screen_failed", "screening"])),
    ("ongoing", "in follow-up (not yet completed)", STATUS == "ongoing"),
    ("withdrawn", "withdrew", STATUS == "withdrawn"),
    ("lost_to_follow_up", "lost to follow-up", STATUS == "lost_to_follow_up"),
    ("analysed", "analysed (completed)", STATUS == "completed"),
)


def flow_table(participants: pl.DataFrame) -> Table:
    """Counts at each stage of the flow, from ``status``."""
    counts = participants.select(
        expression.sum().cast(pl.Int64).alias(stage) for stage, _, expression in FLOW_STAGES
    ).row(0)
    frame = pl.DataFrame(
        {
            "stage": [stage for stage, _, _ in FLOW_STAGES],
            "label": [label for _, label, _ in FLOW_STAGES],
            "n": list(counts),
        },
        schema={"stage": pl.String, "label": pl.String, "n": pl.Int64},
    )
    return Table(
        "flow",
        "Participant flow",
        frame,
        ("counted from status; an empty status means completed (INTERCHANGE.md)",),
    )


def _failed(expression: pl.Expr, role: Role) -> pl.Expr:
    return expression if role is Role.EXCLUSION else ~expression


def exclusions_table(participants: pl.DataFrame, protocol: Protocol) -> Table:
    """For each inclusion/exclusion criterion: screen failures who fail it, or are unknown on it.

    ``participants`` is the canonical participant frame (every column present).
    """
    rules = protocol.rules()
    failures = participants.filter(STATUS == "screen_failed")
    judged = rules.judged
    if judged:
        evaluated = failures.select(
            *(
                _failed(c.expression, c.role).fill_null(False).alias(f"f{i}")
                for i, c in enumerate(judged)
            ),
            *(c.expression.is_null().alias(f"u{i}") for i, c in enumerate(judged)),
        )
        failed = [int(evaluated.get_column(f"f{i}").sum()) for i in range(len(judged))]
        unknown = [int(evaluated.get_column(f"u{i}").sum()) for i in range(len(judged))]
        none_failed = (
            evaluated.select(~pl.any_horizontal(f"f{i}" for i in range(len(judged))))
            .to_series()
            .sum()
        )
    else:
        failed, unknown, none_failed = [], [], failures.height
    frame = pl.DataFrame(
        {
            "criterion": [c.id for c in judged] + ["(no failed criterion in the data)"],
            "role": [c.role.value for c in judged] + [""],
            "description": [c.description for c in judged] + [""],
            "failed": [*failed, int(none_failed)],
            "unknown": [*unknown, 0],
            "screen_failed": [failures.height] * (len(judged) + 1),
        },
        schema={
            "criterion": pl.String,
            "role": pl.String,
            "description": pl.String,
            "failed": pl.Int64,
            "unknown": pl.Int64,
            "screen_failed": pl.Int64,
        },
    )
    return Table(
        "exclusions",
        f"Reasons for exclusion among screen failures ({protocol.name} criteria)",
        frame,
        (
            "a participant may fail several criteria; 'unknown' counts screen failures whose "
            "data leave the criterion undecided",
        ),
    )
