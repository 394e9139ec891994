"""Outcomes at each follow-up visit of the schedule (visits.csv), and the baseline-adjusted
comparison of the primary outcome (ICH E9 §2.2.2, §5.7; EMA guideline on adjustment for
baseline covariates, 2015).

``at_visit`` gives each analysed woman the values measured at one visit (unknown where she has
no row for it), so that every outcome is analysed at every visit that records it and has data,
not only at the primary follow-up visit participants.csv holds. ``adjusted_difference`` is the
ANCOVA of a continuous outcome on arm and its baseline value (``ovaregen.stats.ancova``): a
"mean difference" effect in the outcome's unit, on the complete cases, the women without the
outcome or without the baseline value counted by arm in ``left_out``.
"""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.left_out import unit_of
from ovaregen.analysis.measures import Split
from ovaregen.analysis.result import Population, Result
from ovaregen.analysis.ucmsc_left_out import by_arm
from ovaregen.domain.protocols import Protocol, Visit
from ovaregen.stats.ancova import ancova


def at_visit(
    frame: pl.DataFrame, visits: pl.DataFrame, visit: Visit, protocol: Protocol
) -> pl.DataFrame:
    """``frame`` with the columns ``visit`` records replaced by their values at that visit.

    For a measurement whose participants.csv column is this visit's (``summary_visit``), a
    value participants.csv gives and visits.csv leaves empty (or a dataset without visits.csv)
    is the visit's value: INTERCHANGE.md, the column holds that visit's value."""
    measured = [name for name in visit.records if name in visits.columns]
    values = (
        visits.filter(pl.col("visit") == visit.id)
        .select("participant_id", *(pl.col(name).alias(_AT + name) for name in measured))
        .unique("participant_id", keep="first")
    )
    joined = frame.join(values, on="participant_id", how="left", maintain_order="left")
    return joined.with_columns(
        (
            pl.coalesce(_AT + name, name)
            if protocol.summary_visit(name) == visit.id and name in frame.columns
            else pl.col(_AT + name)
        ).alias(name)
        for name in measured
    ).drop([_AT + name for name in measured])


def has_values(frame: pl.DataFrame, visit: Visit) -> bool:
    """Whether any woman of ``frame`` has a value of ``visit``'s measurements."""
    names = [name for name in visit.records if name in frame.columns]
    return bool(names) and frame.select(pl.any_horizontal(pl.col(names).is_not_null()).any()).item()


_AT = "\x00at:"


def adjusted_difference(
    id: str,
    title: str,
    frame: pl.DataFrame,
    split: Split,
    outcome: str,
    baseline: str,
    population: Population,
    visit: str,
    when: str = "",
) -> Result:
    """ANCOVA of ``outcome`` on the two groups of ``split`` and ``baseline`` (first − second),
    on the women known on all three; the others are left out, by arm (``when``: the visit's
    timing, for their reason)."""
    first, second = (group.label for group in split.groups)
    labelled = frame.with_columns(split.labels(frame).alias("\x00group"))
    rows = labelled.drop_nulls(["\x00group", outcome, baseline])
    fit = ancova(
        rows.get_column(outcome).cast(pl.Float64).to_numpy(),
        rows.get_column("\x00group"),
        rows.get_column(baseline).cast(pl.Float64).to_numpy(),
        groups=(first, second),
        baseline_name=baseline,
    )
    term = fit.baseline
    return Result.of(
        id,
        title,
        fit,
        population.id,
        left_out=by_arm(frame, split, (outcome, baseline), when),
        outcome=outcome,
        visit=visit,
        baseline=baseline,
        kind="adjusted",
        estimate_label=f"adjusted difference in means ({first} − {second})",
        effect="mean difference",
        effect_unit=unit_of(outcome),
        std_error=fit.std_error,
        baseline_coefficient=term.coefficient if term else None,
        baseline_std_error=term.std_error if term else None,
        baseline_p_value=term.p_value if term else None,
        residual_std_error=fit.residual_std_error,
        r_squared=fit.r_squared,
        mean_baseline=fit.mean_baseline,
        groups=[
            {
                "group": means.arm,
                "n": means.n,
                "mean": means.mean_outcome,
                "sd": means.sd_outcome,
                "mean_baseline": means.mean_baseline,
                "adjusted_mean": means.adjusted_mean,
                "adjusted_ci_low": means.adjusted_ci_low,
                "adjusted_ci_high": means.adjusted_ci_high,
            }
            for means in fit.arm_means
        ],
    )
