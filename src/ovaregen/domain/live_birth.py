"""Women treated, and the four live-birth measures with their numerators and denominators.

Source: CRITERIA.md "Endpoints", live birth: report all of — women with ≥ 1 live birth / women
treated; infants born alive / women treated (Study B's "per treatment cycle" figure);
pregnancies ending in live birth / pregnancies; infants / pregnancies (Study B's "per
pregnancy" figure), each labelled with its numerator and denominator. STUDIES.md, Study B:
32 / 105 = 30.48% and 32 / 43 = 74.42% as published; 31 / 43 = 72.09% conventionally.

**Women treated** (ovaregen's definition, stated in every result's note): a participant whose
``status`` is not ``screen_failed`` (an empty status is the default ``completed``,
INTERCHANGE.md) and who has recorded evidence of treatment — ``injections ≥ 1``, a
``treatment_date``, ``prp_volume_ml > 0``, ``cells_injected_millions > 0`` or a G-CSF dose
``> 0`` on any of days 1–4. ``treated`` is never null: no evidence is "not treated". When the
dataset records none of those columns at all (absent, or empty for every participant), every
participant whose status is not ``screen_failed`` counts as treated.

The cohort of all four measures is the women treated: numerators count only their live births
and infants, and "pregnancies" are their pregnancies.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ovaregen.domain.pregnancy import pregnancy_facts, pregnancy_summary
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import GCSF_DAYS, DatasetFile

TREATMENT_EVIDENCE_COLUMNS: tuple[str, ...] = (
    "injections",
    "treatment_date",
    "prp_volume_ml",
    "cells_injected_millions",
    *(f"gcsf_d{day}_ug_kg" for day in GCSF_DAYS),
)
"""Participant columns whose values show that a woman was treated."""

TREATED_DEFINITION = (
    "women treated: participants whose status is not screen_failed with recorded evidence of "
    "treatment (injections ≥ 1, a treatment_date, prp_volume_ml > 0, cells_injected_millions "
    "> 0, or a G-CSF dose > 0 on days 1–4)"
)
TREATED_FALLBACK = (
    "women treated: the dataset records no treatment (no injections, treatment_date, "
    "prp_volume_ml, cells_injected_millions or G-CSF dose for anyone), so every participant "
    "whose status is not screen_failed counts as treated"
)


def treatment_recorded(participants: pl.DataFrame) -> bool:
    """Whether any participant has a value in any treatment-evidence column."""
    present = [c for c in TREATMENT_EVIDENCE_COLUMNS if c in participants.columns]
    if not present or participants.height == 0:
        return False
    counts = participants.select(pl.col(c).is_not_null().any() for c in present).row(0)
    return any(counts)


def treated(participants: pl.DataFrame) -> pl.Expr:
    """The ``treated`` column (Boolean, never null) for this cohort; rule in the module doc.

    The expression depends on the cohort only through :func:`treatment_recorded` (whether the
    dataset records treatment at all); it is evaluated per participant.
    """
    not_screen_failed = pl.col("status").fill_null("completed") != "screen_failed"
    if not treatment_recorded(participants):
        return not_screen_failed.alias("treated")
    evidence: list[pl.Expr] = []
    columns = set(participants.columns)
    if "injections" in columns:
        evidence.append(pl.col("injections") >= 1)
    if "treatment_date" in columns:
        evidence.append(pl.col("treatment_date").is_not_null())
    for name in ("prp_volume_ml", "cells_injected_millions"):
        if name in columns:
            evidence.append(pl.col(name) > 0)
    evidence += [
        pl.col(f"gcsf_d{day}_ug_kg") > 0 for day in GCSF_DAYS if f"gcsf_d{day}_ug_kg" in columns
    ]
    has_evidence = pl.any_horizontal(e.fill_null(False) for e in evidence)
    return (not_screen_failed & has_evidence).alias("treated")


def treated_note(participants: pl.DataFrame) -> str:
    """Which definition of women treated applies to this cohort, in words."""
    return TREATED_DEFINITION if treatment_recorded(participants) else TREATED_FALLBACK


def _infants_at_least() -> pl.Expr:
    """Infants born alive in a pregnancy, or the least it can be when the count is unknown.

    A pregnancy known to end in live birth has at least 1 infant born alive; otherwise an
    unknown count contributes 0 to a numerator (which is then a lower bound).
    """
    return pl.coalesce(
        pl.col("infants"),
        pl.when(pl.col("ends_in_live_birth").fill_null(False)).then(1).otherwise(0),
    ).cast(pl.Int64)


@dataclass(frozen=True)
class LiveBirthMeasure:
    """One live-birth measure: numerator / denominator, each named.

    ``proportion`` is ``numerator / denominator`` as a fraction (not a percentage); None when
    the denominator is 0. ``unknown`` counts denominator units (women or pregnancies) whose
    contribution to the numerator is unknown: the numerator counts only what is recorded (a
    live birth without an infant count as 1 infant), so with ``unknown > 0`` it is a lower
    bound. ``note`` states the definition of women treated
    and anything left out.
    """

    id: str
    label: str
    numerator: int
    numerator_label: str
    denominator: int
    denominator_label: str
    proportion: float | None
    unknown: int = 0
    note: str = ""


LIVE_BIRTH_MEASURE_IDS = (
    "live_birth_rate_per_woman",
    "infants_per_woman",
    "live_birth_rate_per_pregnancy",
    "infants_per_pregnancy",
)


def _measure(
    id_: str,
    label: str,
    *,
    numerator: tuple[int, str],
    denominator: tuple[int, str],
    unknown: int,
    notes: list[str],
) -> LiveBirthMeasure:
    count, count_label = numerator
    total, total_label = denominator
    extra = list(notes)
    if unknown:
        extra.append(
            f"{count_label}: unknown for {unknown} of the {total} {total_label} (a missing "
            "outcome or infant count); the numerator counts what is recorded, a live birth "
            "without an infant count as 1 infant, so it is a lower bound"
        )
    return LiveBirthMeasure(
        id=id_,
        label=label,
        numerator=count,
        numerator_label=count_label,
        denominator=total,
        denominator_label=total_label,
        proportion=count / total if total else None,
        unknown=unknown,
        note="; ".join(extra),
    )


def live_birth_measures(
    participants: pl.DataFrame, pregnancies: pl.DataFrame
) -> tuple[LiveBirthMeasure, LiveBirthMeasure, LiveBirthMeasure, LiveBirthMeasure]:
    """The four live-birth measures of a cohort, in the order of :data:`LIVE_BIRTH_MEASURE_IDS`.

    ``participants`` and ``pregnancies`` are canonical frames (pregnancies may be empty). The
    cohort is the women treated (module docstring); pregnancies of other participants are left
    out, and the note says how many. Source: CRITERIA.md "Endpoints", live birth.
    """
    participants = conform(participants, DatasetFile.PARTICIPANTS)
    treated_ids = participants.filter(treated(participants)).select("participant_id")
    women_treated = treated_ids.height

    rows = conform(pregnancies, DatasetFile.PREGNANCIES)
    own_rows = rows.join(treated_ids, on="participant_id", how="semi")
    own = pregnancy_facts(own_rows)
    left_out = rows.height - own_rows.height
    notes = [treated_note(participants)]
    if left_out:
        notes.append(
            f"pregnancy rows left out (participant not counted as treated or not listed): "
            f"{left_out}"
        )

    per_woman = pregnancy_summary(own_rows)
    women_counts = per_woman.select(
        pl.col("has_live_birth").fill_null(False).sum().alias("with_live_birth"),
        pl.col("has_live_birth").is_null().sum().alias("live_birth_unknown"),
        pl.col("infants_live_born").is_null().sum().alias("infants_unknown"),
    ).row(0, named=True)
    pregnancy_counts = own.select(
        pl.len().alias("pregnancies"),
        pl.col("ends_in_live_birth").fill_null(False).sum().alias("live_birth"),
        pl.col("ends_in_live_birth").is_null().sum().alias("live_birth_unknown"),
        _infants_at_least().sum().alias("infants"),
        pl.col("infants").is_null().sum().alias("infants_unknown"),
    ).row(0, named=True)
    infants = int(pregnancy_counts["infants"])
    n_pregnancies = int(pregnancy_counts["pregnancies"])

    return (
        _measure(
            "live_birth_rate_per_woman",
            "Live birth rate per woman treated",
            numerator=(int(women_counts["with_live_birth"]), "women with ≥ 1 live birth"),
            denominator=(women_treated, "women treated"),
            unknown=int(women_counts["live_birth_unknown"]),
            notes=notes,
        ),
        _measure(
            "infants_per_woman",
            "Infants born alive per woman treated (Study B's 'live birth rate per treatment "
            "cycle')",
            numerator=(infants, "infants born alive"),
            denominator=(women_treated, "women treated"),
            unknown=int(women_counts["infants_unknown"]),
            notes=notes,
        ),
        _measure(
            "live_birth_rate_per_pregnancy",
            "Live birth rate per pregnancy",
            numerator=(int(pregnancy_counts["live_birth"]), "pregnancies ending in live birth"),
            denominator=(n_pregnancies, "pregnancies"),
            unknown=int(pregnancy_counts["live_birth_unknown"]),
            notes=notes,
        ),
        _measure(
            "infants_per_pregnancy",
            "Infants born alive per pregnancy (Study B's 'live birth rate per pregnancy')",
            numerator=(infants, "infants born alive"),
            denominator=(n_pregnancies, "pregnancies"),
            unknown=int(pregnancy_counts["infants_unknown"]),
            notes=notes,
        ),
    )
