"""The sub-populations of Study B's results, and the words for the women each leaves out.

Every result of the MenSC plan is computed on one population, and its ``n`` plus the women it
leaves out (:class:`~ovaregen.analysis.result.LeftOut`) is that population's size (STROBE items
12c and 13). A denominator that is a subset by definition — the women who underwent IVF, the
women who became pregnant, the pregnancies — is its own population; a woman who *may* belong
to it (her IVF after injection, or how her pregnancy was conceived, is unknown) is counted in it
and left out of the result, with the reason, so that no woman goes missing unsaid.

Membership follows ``ovaregen.domain.pregnancy`` (three-valued: a flag is null when an unknown
conception or timing could decide it).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ovaregen.analysis.result import LeftOut, Population

CONCEPTION_UNKNOWN = "how a pregnancy was conceived (spontaneous or IVF) unknown"
MONTHS_UNKNOWN = "months from injection to the first such pregnancy unknown"
FOLLOWUP_UNKNOWN = "follow-up time (last injection to last contact) unknown: cannot be censored"
IVF_UNKNOWN = "whether she underwent IVF after injection unknown"
AGE_UNKNOWN = "age at first injection unknown"
OUTCOME_UNKNOWN = "outcome of the pregnancy unknown"


UNDERWENT_IVF = pl.col("ivf_after_treatment").fill_null(False) | pl.col("pregnancy_ivf").fill_null(
    False
)
"""Known to have undergone IVF after injection: recorded, or shown by a pregnancy through IVF."""


@dataclass(frozen=True)
class Members:
    """A population's members (rows of the derived frame), its record, and who may belong."""

    frame: pl.DataFrame
    population: Population
    possible: int = 0
    """Members whose membership is unknown (counted in ``population.n``, left out of results)."""


def left(count: int, reason: str) -> tuple[LeftOut, ...]:
    """``count`` women (or pregnancies) left out for ``reason`` (nothing when 0)."""
    return (LeftOut(count, reason),) if count else ()


def pregnant_women(frame: pl.DataFrame) -> Members:
    """The women treated who became pregnant (``pregnant`` is never unknown)."""
    members = frame.filter(pl.col("pregnant"))
    return Members(
        members,
        Population(
            "pregnant", "women treated who became pregnant (≥ 1 pregnancy row)", members.height
        ),
    )


def pregnant_by(frame: pl.DataFrame, flag: str, kind: str) -> Members:
    """Women treated with a pregnancy of ``kind`` (``flag`` true), and those who may have one
    (``flag`` unknown: a pregnancy's conception is unknown)."""
    members = frame.filter(pl.col(flag).is_null() | pl.col(flag))
    possible = int(members.get_column(flag).null_count())
    definition = (
        f"women treated with a {kind} pregnancy, and those whose pregnancy may be one "
        "(its conception unknown)"
    )
    return Members(
        members, Population(f"pregnant_{kind.lower()}", definition, members.height), possible
    )


def underwent_ivf(frame: pl.DataFrame) -> Members:
    """Women treated who underwent IVF after injection (recorded, or shown by a pregnancy
    through IVF), and those for whom it is unknown (no IVF pregnancy, IVF not recorded)."""
    unknown = ~UNDERWENT_IVF & pl.col("ivf_after_treatment").is_null()
    members = frame.filter(UNDERWENT_IVF | unknown)
    possible = members.filter(unknown).height
    definition = (
        "women treated who underwent IVF after injection (recorded, or a pregnancy through "
        "IVF), and those for whom it is not recorded"
    )
    return Members(members, Population("underwent_ivf", definition, members.height), possible)


def pregnancies_of(pregnancies: pl.DataFrame) -> Population:
    """The pregnancies of the women treated: the unit of the per-pregnancy measures."""
    definition = "pregnancies of the women treated (one woman may have several)"
    return Population("pregnancies", definition, pregnancies.height)
