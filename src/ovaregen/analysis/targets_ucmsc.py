"""The reproduction targets of Study C, NCT05308342 (STUDIES.md), read off the plan's analysis.

The study is a registry record, not a paper: it states 66 participants (the actual enrolment),
two parallel arms (UC-MSC + HRT; HRT alone) assigned at random, and posts no results. What a
dataset can reproduce of it is therefore its design, from the CONSORT count table
(``consort``): the women randomised, the protocol's enrolment target, the number of arms and
the share allocated to each (1:1). No outcome has a published figure to compare with — the
targets say so (``published_text``), rather than invent one. Study period (Nov 2019 – Dec 2023)
and masking (triple-blind) are not held by an analysis and are not targets.
"""

from __future__ import annotations

from ovaregen.analysis.reproduction import Reader, Target
from ovaregen.analysis.result import Analysis

REGISTRY = "NCT05308342 registry record (STUDIES.md, Study C)"
NOT_POSTED = "results not posted: no outcome figure to reproduce"


def _consort(stage: str) -> Reader:
    """The count of the one whole-trial row of ``stage`` in the CONSORT table."""

    def read(analysis: Analysis) -> float | None:
        frame = analysis.table("consort").frame
        rows = frame.filter((frame.get_column("stage") == stage) & frame["arm"].is_null())
        return float(rows.get_column("n")[0]) if rows.height == 1 else None

    return read


def _allocated(analysis: Analysis) -> list[int]:
    frame = analysis.table("consort").frame
    return [int(n) for n in frame.filter(frame.get_column("stage") == "allocated")["n"]]


def _arms(analysis: Analysis) -> float | None:
    """The arms women were allocated to."""
    allocated = _allocated(analysis)
    return float(sum(1 for n in allocated if n > 0)) if allocated else None


def _first_arm_share(analysis: Analysis) -> float | None:
    """The percentage of the randomised women allocated to the first (experimental) arm."""
    allocated = _allocated(analysis)
    if len(allocated) != 2 or not sum(allocated):
        return None
    return 100.0 * allocated[0] / sum(allocated)


TARGETS: tuple[Target, ...] = (
    Target(
        id="enrolment",
        section="Enrolment",
        label="Participants enrolled (randomised)",
        published=66,
        unit="women",
        decimals=0,
        read=_consort("randomised"),
        published_text=f"66 participants (actual enrolment); {NOT_POSTED}",
        source=REGISTRY,
    ),
    Target(
        id="enrolment_target",
        section="Enrolment",
        label="Enrolment target of the protocol",
        published=66,
        unit="women",
        decimals=0,
        read=_consort("target"),
        published_text="66 participants",
        source=f"{REGISTRY}; the protocol file's target_enrolment",
    ),
    Target(
        id="arms",
        section="Allocation",
        label="Arms (UC-MSC + HRT; HRT alone)",
        published=2,
        unit="arms",
        decimals=0,
        read=_arms,
        published_text="2 parallel arms: HRT + UC-MSC transplantation; HRT alone",
        source=REGISTRY,
    ),
    Target(
        id="allocation_first_arm",
        section="Allocation",
        label="Women allocated to UC-MSC + HRT",
        published=50,
        unit="%",
        decimals=0,
        read=_first_arm_share,
        published_text=(
            "randomised parallel assignment to two arms, 1:1 (the protocol's randomisation "
            f"list); {NOT_POSTED}"
        ),
        source=f"{REGISTRY}; 1:1 allocation of the protocol's randomisation list",
    ),
)
"""Study C's registry figures that a dataset can reproduce (module docstring)."""
