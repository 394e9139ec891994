"""Adverse events of the Study C synthetic cohort (adverse_events.csv): assumed rates by arm.

NCT05308342 publishes no safety results; the rates below are assumptions, stated in every
report built from the cohort (``ovaregen.synth.ASSUMPTIONS``). Two kinds of event:

* **HRT-related** (both arms, the same rates: both receive the same cyclic oestrogen–progestogen
  replacement): breast tenderness, headache, breakthrough bleeding, nausea; grade 1–2.
* **Procedure-related** (the UC-MSC + HRT arm only: the transvaginal intra-ovarian injection):
  pelvic pain after the injection, vaginal bleeding at the puncture site (mostly grade 1, a few
  grade 2) and one ovarian haematoma of grade 3, serious (hospitalised for observation),
  recovered.

:data:`ADVERSE_EVENTS` gives, per term, the women with the event among 33 women of each arm
(the published size's arm) and how they split by CTCAE grade and outcome. For an arm of ``m``
women the number with the event is the largest-remainder apportionment of ``m`` at that rate
(``ovaregen.synth.counts.apportion``), so at n = 66 the counts are these and at any n
proportional; grades and outcomes are apportioned within the term the same way. A woman has
at most one event of a term (she may have several terms). Onset is a whole number of days
after the start of treatment, within the term's window (all within the 12-month follow-up).
CTCAE v5.0; no event is fatal (no grade 5), serious ⇔ grade 3 here; relatedness and outcome
from the INTERCHANGE.md vocabularies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ovaregen.domain.record_variables import AE_OUTCOMES, AE_RELATEDNESS
from ovaregen.domain.variables import DatasetFile
from ovaregen.synth.counts import Columns, IntArray, apportion, canonical_order, to_frame

__all__ = [
    "ADVERSE_EVENTS",
    "ARM_SIZE",
    "CTCAE_VERSION",
    "AdverseEventRule",
    "adverse_events",
    "expected_counts",
]

ARM_SIZE = 33
"""The arm size the counts of :data:`ADVERSE_EVENTS` are given for (66 randomised 1:1)."""
CTCAE_VERSION = "5.0"
SERIOUS_FROM_GRADE = 3
"""Serious here: the grade-3 ovarian haematoma (hospitalisation); no lesser event is."""


@dataclass(frozen=True)
class AdverseEventRule:
    """One term: women with it per :data:`ARM_SIZE` of each arm, and how they split.

    ``cause``: ``hrt`` (both arms) or ``procedure`` (the injection: the cell arm only);
    ``grades``: women with grade 1, 2, 3 (summing to the largest arm count); ``ongoing``:
    of them, still ongoing at the 12-month visit (the others recovered); ``onset_days``:
    first and last day after the start of treatment the event may begin.
    """

    term: str
    cause: str
    women: dict[str, int]
    grades: tuple[int, int, int]
    related: str
    onset_days: tuple[int, int]
    ongoing: int = 0

    def __post_init__(self) -> None:
        if sum(self.grades) != max(self.women.values()):
            raise ValueError(f"{self.term}: the grades must split {max(self.women.values())}")
        if self.related not in AE_RELATEDNESS:
            raise ValueError(f"{self.term}: relatedness {self.related!r} is not in the vocabulary")


ADVERSE_EVENTS: tuple[AdverseEventRule, ...] = (
    AdverseEventRule(
        "breast tenderness", "hrt", {"ucmsc_hrt": 6, "hrt": 6}, (5, 1, 0), "probable", (7, 90), 1
    ),
    AdverseEventRule(
        "headache", "hrt", {"ucmsc_hrt": 4, "hrt": 4}, (3, 1, 0), "possible", (3, 120)
    ),
    AdverseEventRule(
        "breakthrough bleeding", "hrt", {"ucmsc_hrt": 3, "hrt": 3}, (2, 1, 0), "probable", (20, 180)
    ),
    AdverseEventRule("nausea", "hrt", {"ucmsc_hrt": 2, "hrt": 2}, (2, 0, 0), "possible", (1, 30)),
    AdverseEventRule(
        "pelvic pain after injection",
        "procedure",
        {"ucmsc_hrt": 8, "hrt": 0},
        (6, 2, 0),
        "definite",
        (0, 2),
    ),
    AdverseEventRule(
        "vaginal bleeding at the puncture site",
        "procedure",
        {"ucmsc_hrt": 4, "hrt": 0},
        (3, 1, 0),
        "definite",
        (0, 1),
    ),
    AdverseEventRule(
        "ovarian haematoma", "procedure", {"ucmsc_hrt": 1, "hrt": 0}, (0, 0, 1), "probable", (1, 4)
    ),
)
"""The assumed events (women per 33 of each arm): 15 HRT-related events per arm; 13 more,
procedure-related, in the cell arm (28 in all)."""

CATEGORIES: dict[str, Sequence[str]] = {
    "term": tuple(rule.term for rule in ADVERSE_EVENTS),
    "ctcae_version": (CTCAE_VERSION,),
    "related": AE_RELATEDNESS,
    "outcome": AE_OUTCOMES,
}
_RECOVERED, _ONGOING = AE_OUTCOMES.index("recovered"), AE_OUTCOMES.index("ongoing")


def expected_counts(arm_size: int, rule: AdverseEventRule, arm: str) -> int:
    """Women of an arm of ``arm_size`` with the event (the apportioned assumed rate)."""
    per_33 = rule.women.get(arm, 0)
    if arm_size == 0 or per_33 == 0:
        return 0
    return int(apportion(arm_size, [per_33, ARM_SIZE - per_33])[0])


def _split(k: int, weights: Sequence[int], rng: np.random.Generator) -> IntArray:
    """``k`` category codes apportioned by ``weights``, in random order."""
    if k == 0 or sum(weights) == 0:
        return np.zeros(k, dtype=np.int64)
    return rng.permutation(np.repeat(np.arange(len(weights)), apportion(k, weights)))


def adverse_events(
    participant_ids: pl.Series,
    arm: IntArray,
    arms: Sequence[str],
    treatment_days: IntArray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """adverse_events.csv: one row per event, sorted by participant, onset and term."""
    groups: list[Columns] = []
    owners: list[IntArray] = []
    for code, rule in enumerate(ADVERSE_EVENTS):
        for arm_code, arm_name in enumerate(arms):
            members = np.flatnonzero(arm == arm_code)
            k = expected_counts(members.size, rule, arm_name)
            women = np.sort(rng.permutation(members)[:k])
            grade = 1 + _split(k, rule.grades, rng)
            ongoing = _split(k, [rule.ongoing, max(rule.women.values()) - rule.ongoing], rng)
            low, high = rule.onset_days
            rows = Columns(k)
            rows.set("term", code)
            rows.set("onset_date", treatment_days[women] + rng.integers(low, high + 1, k))
            rows.set("grade", grade.astype(np.float64))
            rows.set("ctcae_version", 0)
            rows.set("serious", (grade >= SERIOUS_FROM_GRADE).astype(np.int8))
            rows.set("related", AE_RELATEDNESS.index(rule.related))
            rows.set("outcome", np.where(ongoing == 0, _ONGOING, _RECOVERED))
            groups.append(rows)
            owners.append(women)
    frame = to_frame(groups, DatasetFile.ADVERSE_EVENTS, CATEGORIES)
    frame = frame.with_columns(
        participant_ids.gather(np.concatenate(owners)).alias("participant_id")
    )
    frame = canonical_order(frame, DatasetFile.ADVERSE_EVENTS)
    return frame.sort("participant_id", "onset_date", "term", maintain_order=True)
