"""Pregnancy endpoints per woman, and time to pregnancy for Kaplan–Meier.

Sources: CRITERIA.md "Endpoints" (pregnancy; live birth; time to pregnancy) and INTERCHANGE.md
``pregnancies.csv`` ("a participant with a pregnancy row is 'pregnant' for the rates; a
participant with none is not").

Unknowns. A woman with no pregnancy row is definitely not pregnant, so all her pregnancy
flags are false and her counts 0. Within her pregnancy rows a missing value makes exactly
the answers it could change unknown (null), never false or zero:

* flags (``pregnancy_spontaneous``, ``pregnancy_ivf``, ``has_live_birth``) are Kleene ``any``
  over her pregnancies: true if one row is definitely of that kind, false if every row is
  definitely not, null otherwise;
* counts (``live_births``, ``infants_live_born``, ``miscarriages``) are null when any of her
  rows has an unknown contribution (a count that may be too low is not reported as exact);
* months to first pregnancy are null when a pregnancy with unknown timing could be the first.

Per pregnancy row: it *ends in a live birth* when ``outcome`` is ``live_birth`` or it has
``infants_live_born ≥ 1``. Its infants born alive are ``infants_live_born``; when that is
empty, 0 for an outcome that produces no live infant (``ongoing``, ``miscarriage``,
``ectopic``, ``stillbirth``, ``termination``) and unknown for ``live_birth`` or an unknown
outcome.
"""

from __future__ import annotations

import polars as pl

NO_LIVE_INFANT_OUTCOMES = ("ongoing", "miscarriage", "ectopic", "stillbirth", "termination")
"""Outcomes after which an empty ``infants_live_born`` means 0 (no infant born alive yet)."""

SPONTANEOUS = "spontaneous"
IVF = "ivf"


def pregnancy_facts(pregnancies: pl.DataFrame) -> pl.DataFrame:
    """One row per pregnancy with its three-valued facts.

    Columns: ``participant_id``; ``is_spontaneous``, ``is_ivf`` (null when ``conception`` is
    missing); ``ends_in_live_birth``; ``infants`` (infants born alive, rules in the module
    docstring); ``is_miscarriage`` (null when ``outcome`` is missing); ``months``
    (``months_after_treatment``). Source: INTERCHANGE.md ``pregnancies.csv``.
    """
    outcome = pl.col("outcome")
    recorded = pl.col("infants_live_born")
    infants = (
        pl.when(recorded.is_not_null())
        .then(recorded)
        .when(outcome.is_in(NO_LIVE_INFANT_OUTCOMES))
        .then(pl.lit(0, pl.Int64))
        .otherwise(pl.lit(None, pl.Int64))
    )
    return pregnancies.select(
        pl.col("participant_id"),
        (pl.col("conception") == SPONTANEOUS).alias("is_spontaneous"),
        (pl.col("conception") == IVF).alias("is_ivf"),
        ((outcome == "live_birth") | (infants >= 1)).alias("ends_in_live_birth"),
        infants.cast(pl.Int64).alias("infants"),
        (outcome == "miscarriage").alias("is_miscarriage"),
        pl.col("months_after_treatment").cast(pl.Float64).alias("months"),
    )


def _exact_sum(column: str) -> pl.Expr:
    """Sum over a woman's pregnancies, null when any contribution is unknown."""
    values = pl.col(column)
    return (
        pl.when(values.null_count() == 0)
        .then(values.cast(pl.Int64).sum())
        .otherwise(pl.lit(None, pl.Int64))
    )


def _months_to_first(kind: str | None) -> pl.Expr:
    """Months to a woman's first pregnancy (of one conception ``kind``, or of any kind).

    Null when she has none of that kind, or when a pregnancy that might be of that kind (its
    conception unknown) has unknown timing or is earlier than the first definite one.
    """
    months = pl.col("months")
    if kind is None:
        return (
            pl.when(months.null_count() == 0).then(months.min()).otherwise(pl.lit(None, pl.Float64))
        )
    definite = pl.col(kind).fill_null(False)
    possible = pl.col(kind).is_null()
    first = months.filter(definite).min()
    undecided = (definite & months.is_null()).any() | (
        possible & (months.is_null() | (months < first))
    ).any()
    return pl.when(undecided).then(pl.lit(None, pl.Float64)).otherwise(first)


def pregnancy_summary(pregnancies: pl.DataFrame) -> pl.DataFrame:
    """Per-woman pregnancy endpoints, one row per ``participant_id`` with a pregnancy row.

    Columns (types): ``pregnancies`` (Int64), ``pregnancy_spontaneous``, ``pregnancy_ivf``,
    ``pregnancy_both``, ``has_live_birth`` (Boolean), ``live_births`` (pregnancies ending in
    live birth), ``infants_live_born``, ``miscarriages`` (Int64), ``months_to_first_pregnancy``,
    ``months_to_first_spontaneous_pregnancy``, ``months_to_first_ivf_pregnancy`` (Float64).
    Women without a row are added (as not pregnant) by :func:`pregnancy_columns_for`.
    Source: CRITERIA.md "Endpoints" (pregnancy, spontaneous / IVF split, "both" when a woman
    has each kind; live birth).
    """
    facts = pregnancy_facts(pregnancies)
    return (
        facts.group_by("participant_id")
        .agg(
            pl.len().cast(pl.Int64).alias("pregnancies"),
            pl.col("is_spontaneous").any(ignore_nulls=False).alias("pregnancy_spontaneous"),
            pl.col("is_ivf").any(ignore_nulls=False).alias("pregnancy_ivf"),
            _exact_sum("ends_in_live_birth").alias("live_births"),
            _exact_sum("infants").alias("infants_live_born"),
            pl.col("ends_in_live_birth").any(ignore_nulls=False).alias("has_live_birth"),
            _exact_sum("is_miscarriage").alias("miscarriages"),
            _months_to_first(None).alias("months_to_first_pregnancy"),
            _months_to_first("is_spontaneous").alias("months_to_first_spontaneous_pregnancy"),
            _months_to_first("is_ivf").alias("months_to_first_ivf_pregnancy"),
        )
        .with_columns(
            (pl.col("pregnancy_spontaneous") & pl.col("pregnancy_ivf")).alias("pregnancy_both")
        )
    )


_NOT_PREGNANT_DEFAULTS: dict[str, object] = {
    "pregnancies": 0,
    "pregnancy_spontaneous": False,
    "pregnancy_ivf": False,
    "pregnancy_both": False,
    "live_births": 0,
    "infants_live_born": 0,
    "has_live_birth": False,
    "miscarriages": 0,
}
"""What a woman without any pregnancy row has (INTERCHANGE.md: she is not pregnant)."""

PREGNANCY_COLUMNS = (
    "pregnant",
    "pregnancies",
    "pregnancy_spontaneous",
    "pregnancy_ivf",
    "pregnancy_both",
    "live_births",
    "infants_live_born",
    "has_live_birth",
    "miscarriages",
    "months_to_first_pregnancy",
    "months_to_first_spontaneous_pregnancy",
    "months_to_first_ivf_pregnancy",
)


def pregnancy_columns_for(participant_ids: pl.DataFrame, pregnancies: pl.DataFrame) -> pl.DataFrame:
    """The pregnancy endpoints of every participant in ``participant_ids``, in its row order.

    ``participant_ids`` has a ``participant_id`` column; the result has it followed by
    :data:`PREGNANCY_COLUMNS`. ``pregnant`` is true for a woman with any pregnancy row and
    false otherwise (never null). Pregnancy rows of unknown participants are ignored.
    """
    summary = pregnancy_summary(pregnancies)
    joined = participant_ids.select("participant_id").join(
        summary, on="participant_id", how="left", maintain_order="left"
    )
    pregnant = pl.col("pregnancies").is_not_null()
    defaults = [
        pl.when(pregnant).then(pl.col(name)).otherwise(pl.lit(value)).alias(name)
        for name, value in _NOT_PREGNANT_DEFAULTS.items()
    ]
    return joined.with_columns(*defaults, pregnant.alias("pregnant")).select(
        "participant_id", *PREGNANCY_COLUMNS
    )


def time_to_event(event: pl.Expr, months_to_event: pl.Expr, followup: pl.Expr) -> pl.Expr:
    """Kaplan–Meier time: months to the event when it happened, else follow-up (censored).

    Null when the event is unknown, or when the needed time (months to the event, or
    ``followup_months`` for a censored woman) is missing.
    """
    return (
        pl.when(event)
        .then(months_to_event)
        .when(event.not_())
        .then(followup)
        .otherwise(pl.lit(None, pl.Float64))
        .cast(pl.Float64)
    )


TIME_TO_PREGNANCY_COLUMNS = (
    "time_to_pregnancy_months",
    "pregnancy_event",
    "time_to_spontaneous_pregnancy_months",
    "spontaneous_pregnancy_event",
    "time_to_ivf_pregnancy_months",
    "ivf_pregnancy_event",
)


def time_to_pregnancy_columns() -> list[pl.Expr]:
    """Time to pregnancy for Kaplan–Meier: overall, first spontaneous, first IVF.

    Source: CRITERIA.md "Endpoints", time to pregnancy: months from (last) injection to first
    pregnancy, by conception; women without pregnancy are censored at ``followup_months``.

    Needs the columns of :func:`pregnancy_columns_for` and ``followup_months``. For each of the
    three analyses: ``…_event`` is the pregnancy flag (``pregnant``, ``pregnancy_spontaneous``,
    ``pregnancy_ivf``; the latter two are null when a pregnancy's conception is unknown and
    could decide it); ``time_…_months`` is the months to that first pregnancy for an event,
    ``followup_months`` otherwise (censored), null when the needed value is missing. A woman
    whose only pregnancies are of the other kind is censored at ``followup_months`` for this
    kind (she had no pregnancy of this kind during her follow-up). A consumer drops rows with a
    null time or event and reports how many.
    """
    followup = pl.col("followup_months")
    analyses = (
        ("time_to_pregnancy_months", "pregnancy_event", "pregnant", "months_to_first_pregnancy"),
        (
            "time_to_spontaneous_pregnancy_months",
            "spontaneous_pregnancy_event",
            "pregnancy_spontaneous",
            "months_to_first_spontaneous_pregnancy",
        ),
        (
            "time_to_ivf_pregnancy_months",
            "ivf_pregnancy_event",
            "pregnancy_ivf",
            "months_to_first_ivf_pregnancy",
        ),
    )
    columns: list[pl.Expr] = []
    for time_name, event_name, flag, months in analyses:
        event = pl.col(flag)
        columns.append(time_to_event(event, pl.col(months), followup).alias(time_name))
        columns.append(event.alias(event_name))
    return columns
