"""Analysis plan of Study C, NCT05308342: UC-MSC + HRT vs HRT alone (STUDIES.md; seed 002).

Intention to treat: every randomised participant (not screen-failed, with an allocated arm) in
the arm she was allocated to; each outcome on its complete cases, n reported and the women left
out counted by arm. The registry names no specific outcome measure, so the plan compares the
natural ones (STUDIES.md): ovarian reserve after treatment (AFC, AMH and their change from
baseline), oocyte activation, resumption of menses, pregnancy, live birth and any complication
(effect sizes: ``analysis.ucmsc_effects``):

* continuous outcomes: Welch's t-test, ``estimate`` = mean(first arm) − mean(second arm) with
  its 95% CI, a "mean difference" in the outcome's unit (Mann–Whitney's p beside it);
* binary outcomes: the risk difference (first − second, Newcombe's hybrid score 95% CI) with
  Fisher's exact p, ``arm_difference_<outcome>``, and beside it the relative risk (Katz log
  CI), ``arm_ratio_<outcome>``;
* baseline table by arm without significance tests (CONSORT 2010 item 15), with standardised
  mean differences; a CONSORT count table and enrolment against the protocol's target.

Every outcome is analysed at every follow-up visit that records it (visits.csv;
``analysis.visits``): ``arm_difference_<outcome>_<visit>``, and AFC and AMH also adjusted for
their baseline value (ANCOVA, ``ancova_<outcome>_<visit>``). The protocol's primary outcome
(``primary_outcome`` in the protocol file: AMH at 3 months, adjusted for baseline AMH) is
``primary_outcome_ancova``, flagged ``extra["primary"]``: its adjusted difference with CI is the
trial's one confirmatory effect. Each comparison's ``extra["role"]`` (primary / secondary /
exploratory) and the multiplicity note on ``arm_comparisons`` follow ``analysis.ucmsc_roles``.
The unsuffixed ``arm_difference_<outcome>`` ids compare the participants.csv columns, i.e. the
values of the primary follow-up visit. Adverse events by arm (``analysis.harms``):
``adverse_events_<measure>`` and the tables ``adverse_events_by_arm`` and ``harms_by_arm``.

The first arm is the protocol's first (``ucmsc_hrt``, the experimental arm) when the data use
the protocol's arm ids or labels, else the first in sorted order. Result ids are
``arm_difference_<outcome>`` (INTERCHANGE.md).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ovaregen.analysis.cohort import Cohort
from ovaregen.analysis.flow import exclusions_table
from ovaregen.analysis.harms import harms
from ovaregen.analysis.left_out import readable
from ovaregen.analysis.measures import Split, groups_frame, results_frame, split_by_values
from ovaregen.analysis.populations import EVERY_ROW, RANDOMISED, STATUS
from ovaregen.analysis.result import Population, Result, Table
from ovaregen.analysis.table_frames import table_one_frame
from ovaregen.analysis.ucmsc_effects import binary, continuous
from ovaregen.analysis.ucmsc_roles import PRIMARY_ID, multiplicity_note, with_roles
from ovaregen.analysis.visits import adjusted_difference, at_visit, has_values
from ovaregen.domain.protocols import Protocol, Visit
from ovaregen.domain.variables import COMPLICATIONS
from ovaregen.stats.descriptive import RowTest, Summary, TableOneSpec, Variable, table_one

MENSES_RESUMED = pl.col("menses_followup").is_in(["regular", "irregular"])
CONTINUOUS_OUTCOMES: tuple[tuple[str, str, pl.Expr], ...] = (
    ("afc_post", "AFC after treatment", pl.col("afc_post")),
    ("amh_post_ng_ml", "AMH after treatment (ng/mL)", pl.col("amh_post_ng_ml")),
    ("afc_change", "Change in AFC from baseline", pl.col("afc_post") - pl.col("afc")),
    (
        "amh_change_ng_ml",
        "Change in AMH from baseline (ng/mL)",
        pl.col("amh_post_ng_ml") - pl.col("amh_ng_ml"),
    ),
)
BINARY_OUTCOMES: tuple[tuple[str, str, pl.Expr], ...] = (
    ("oocyte_activation", "Oocyte activation (AFC +3 or AMH ×1.2)", pl.col("oocyte_activation")),
    (
        "menses_resumed",
        "Menses at follow-up (regular or irregular)",
        pl.when(pl.col("menses_followup").is_null()).then(None).otherwise(MENSES_RESUMED),
    ),
    ("pregnant", "Any pregnancy", pl.col("pregnant")),
    ("has_live_birth", "Any live birth", pl.col("has_live_birth")),
)
ANY_COMPLICATION = ("any_complication", "Any complication of the checklist")


def any_complication(columns: tuple[str, ...]) -> pl.Expr:
    """Kleene OR over the complication columns the dataset records (null when it records none:
    a checklist item a dataset does not have is not asked, rather than unknown for everyone)."""
    if not columns:
        return pl.lit(None, pl.Boolean)
    return pl.any_horizontal(pl.col(c) for c in columns)


BASELINE = (
    Variable("age_years", "Age (years)", summary=Summary.MEAN_SD, test=RowTest.NONE),
    Variable("amh_ng_ml", "AMH (ng/mL)", summary=Summary.MEDIAN_IQR, test=RowTest.NONE),
    Variable("afc", "Antral follicle count", summary=Summary.MEDIAN_IQR, test=RowTest.NONE),
    Variable(
        "fsh_1_iu_l", "FSH, first measurement (IU/L)", summary=Summary.MEDIAN_IQR, test=RowTest.NONE
    ),
    Variable(
        "amenorrhea_months", "Amenorrhoea (months)", summary=Summary.MEDIAN_IQR, test=RowTest.NONE
    ),
    Variable("menses", "Menses at baseline", categorical=True, test=RowTest.NONE),
)


def arm_order(protocol: Protocol, values: list[str]) -> list[tuple[str, str]]:
    """(label, value) of each arm present, protocol order first (module docstring)."""
    present = sorted(set(values))
    by_id = {arm.id: arm.label for arm in protocol.arms}
    by_label = {arm.label: arm.label for arm in protocol.arms}
    ordered: list[tuple[str, str]] = []
    for arm in protocol.arms:
        for value in (arm.id, arm.label):
            if value in present and all(v != value for _, v in ordered):
                ordered.append((arm.label, value))
    ordered += [
        (by_id.get(v, by_label.get(v, v)), v) for v in present if all(v != o for _, o in ordered)
    ]
    return ordered


def _consort(
    people: pl.DataFrame, derived: pl.DataFrame, arms: list[tuple[str, str]], target: int | None
) -> pl.DataFrame:
    rows: list[dict[str, Any]] = [
        {"stage": "assessed", "label": "assessed for eligibility", "arm": None, "n": people.height},
        {
            "stage": "excluded",
            "label": "excluded (did not meet the criteria)",
            "arm": None,
            "n": int(people.select((STATUS == "screen_failed").sum()).item()),
        },
        {
            "stage": "randomised",
            "label": "randomised",
            "arm": None,
            "n": int(derived.select(RANDOMISED.member.sum()).item()),
        },
    ]
    if target is not None:
        rows.append(
            {"stage": "target", "label": "enrolment target (protocol)", "arm": None, "n": target}
        )
    stages = (
        ("allocated", "allocated", EVERY_ROW),
        ("received", "received treatment (recorded)", pl.col("treated")),
        ("withdrawn", "discontinued (withdrew)", STATUS == "withdrawn"),
        ("lost_to_follow_up", "lost to follow-up", STATUS == "lost_to_follow_up"),
        ("analysed", "completed follow-up", STATUS == "completed"),
    )
    randomised = derived.filter(RANDOMISED.member)
    for label, value in arms:
        members = randomised.filter(pl.col("arm") == value)
        for stage, text, expression in stages:
            rows.append(
                {
                    "stage": stage,
                    "label": text,
                    "arm": label,
                    "n": int(members.select(expression.sum()).item()),
                }
            )
    return pl.DataFrame(
        rows, schema={"stage": pl.String, "label": pl.String, "arm": pl.String, "n": pl.Int64}
    )


def analyse(cohort: Cohort) -> tuple[tuple[Population, ...], tuple[Result, ...], tuple[Table, ...]]:
    """Every result and table of Study C's plan (module docstring)."""
    frame, randomised = RANDOMISED.select(cohort.derived)
    complication = any_complication(cohort.recorded(tuple(COMPLICATIONS)))
    binary_outcomes = (*BINARY_OUTCOMES, (*ANY_COMPLICATION, complication))
    frame = _with_outcomes(frame, binary_outcomes)
    arms = arm_order(cohort.protocol, frame.get_column("arm").cast(pl.String).to_list())
    results: list[Result] = []
    notes: tuple[str, ...] = ()
    comparison_notes: tuple[str, ...] = ()
    harm_tables: tuple[Table, ...] = ()
    if len(arms) == 2:
        split = split_by_values("arm", arms)
        when = _timing(cohort.protocol, cohort.protocol.primary_followup_visit)
        results += [
            continuous(f"arm_difference_{id}", title, frame, split, randomised, id, when)
            for id, title, _ in CONTINUOUS_OUTCOMES
        ]
        for id, title, _ in binary_outcomes:
            results += binary(id, title, frame, split, randomised, id, when)
        results += _by_visit(cohort, frame, split, randomised)
        results += _primary(cohort, frame, split, randomised)
        labelled_arms = frame.with_columns(
            pl.col("arm").cast(pl.String).replace({value: label for label, value in arms})
        )
        harm_results, harm_tables = harms(
            cohort.adverse_events, labelled_arms, (arms[0][0], arms[1][0]), randomised
        )
        results += harm_results
        results = list(with_roles(results, cohort.protocol))
        primary = next((r for r in results if r.id == PRIMARY_ID), None)
        comparison_notes = (multiplicity_note(results, primary.title if primary else None),)
    else:
        notes = (
            f"{len(arms)} arms in the data ({', '.join(v for _, v in arms) or 'none'}): "
            "the arm comparisons need exactly two",
        )
    labelled = frame.with_columns(
        pl.col("arm")
        .cast(pl.String)
        .replace({value: label for label, value in arms})
        .alias("arm_label"),
        *(pl.col(v.column).cast(pl.String) for v in BASELINE if v.categorical),
    )
    baseline = table_one(
        labelled, TableOneSpec("arm_label", BASELINE, groups=tuple(label for label, _ in arms))
    )
    tables = (
        Table(
            "consort",
            "CONSORT flow counts",
            _consort(cohort.people, cohort.derived, arms, cohort.protocol.target_enrolment),
            notes,
        ),
        exclusions_table(cohort.people, cohort.protocol),
        Table(
            "table1_baseline_by_arm",
            "Baseline characteristics by arm (no significance tests; SMD)",
            table_one_frame(baseline),
        ),
        Table(
            "arm_comparisons",
            "Between-arm comparisons (first arm − second arm)",
            _with_role(results),
            comparison_notes,
        ),
        Table("arm_summaries", "Outcomes by arm", groups_frame(results)),
        *harm_tables,
    )
    return (randomised,), tuple(results), tables


def _with_outcomes(
    frame: pl.DataFrame, binary: tuple[tuple[str, str, pl.Expr], ...] = ()
) -> pl.DataFrame:
    """The outcome columns computed from the (visit's) values of ``frame``."""
    return frame.with_columns(
        *(
            expression.alias(id)
            for id, _, expression in (*CONTINUOUS_OUTCOMES, *binary)
            if id not in ("oocyte_activation", "pregnant", "has_live_birth")
        )
    )


BASELINE_OF = {"afc_post": "afc", "amh_post_ng_ml": "amh_ng_ml"}
"""The baseline value each continuous follow-up measurement is adjusted for."""
_SOURCE = {"afc_change": "afc_post", "amh_change_ng_ml": "amh_post_ng_ml"}


def _by_visit(
    cohort: Cohort, frame: pl.DataFrame, split: Split, population: Population
) -> list[Result]:
    """Every outcome at every follow-up visit that records it: ``…_<visit>`` ids; the
    continuous ones also adjusted for baseline (``ancova_<outcome>_<visit>``)."""
    results: list[Result] = []
    menses = BINARY_OUTCOMES[1]
    for visit in cohort.protocol.followup_visits:
        seen = _with_outcomes(at_visit(frame, cohort.visits, visit, cohort.protocol), (menses,))
        if not has_values(seen, visit):
            continue
        when = f"{visit.label.lower()} ({visit.id})"
        for id, title, _ in CONTINUOUS_OUTCOMES:
            if _SOURCE.get(id, id) in visit.records:
                results.append(
                    continuous(
                        f"arm_difference_{id}_{visit.id}",
                        f"{title}, {when}",
                        seen,
                        split,
                        population,
                        id,
                        visit.timing,
                    )
                )
        if "menses_followup" in visit.records:
            results += binary(
                f"{menses[0]}_{visit.id}",
                f"{menses[1]}, {when}",
                seen,
                split,
                population,
                menses[0],
                visit.timing,
            )
        for outcome, baseline in BASELINE_OF.items():
            if outcome in visit.records:
                results.append(
                    adjusted_difference(
                        f"ancova_{outcome}_{visit.id}",
                        f"{_adjusted_title(outcome, baseline)}, {when}",
                        seen,
                        split,
                        outcome,
                        baseline,
                        population,
                        visit.id,
                        visit.timing,
                    )
                )
    return results


def _adjusted_title(outcome: str, baseline: str) -> str:
    """ "AMH after treatment, adjusted for baseline anti-Müllerian hormone"."""
    words = readable(outcome)
    return f"{words[:1].upper()}{words[1:]}, adjusted for {readable(baseline)}"


def _timing(protocol: Protocol, visit_id: str | None) -> str:
    """The timing of visit ``visit_id`` ("3 months"; "" when there is none)."""
    visit: Visit | None = next((v for v in protocol.followup_visits if v.id == visit_id), None)
    return visit.timing if visit else ""


def _primary(
    cohort: Cohort, frame: pl.DataFrame, split: Split, population: Population
) -> list[Result]:
    """The protocol's primary outcome at its visit, adjusted for its baseline (ANCOVA)."""
    primary = cohort.protocol.primary_outcome
    if primary is None or primary.baseline is None:
        return []
    visit = next(v for v in cohort.protocol.followup_visits if v.id == primary.visit)
    result = adjusted_difference(
        PRIMARY_ID,
        f"Primary outcome: {_adjusted_title(primary.measure, primary.baseline)}, at {visit.timing}",
        at_visit(frame, cohort.visits, visit, cohort.protocol),
        split,
        primary.measure,
        primary.baseline,
        population,
        visit.id,
        visit.timing,
    )
    return [result]


def _with_role(results: list[Result]) -> pl.DataFrame:
    """The results as a table, with each comparison's role (``analysis.ucmsc_roles``)."""
    roles = [str(r.extra.get("role", "")) for r in results]
    return results_frame(results).with_columns(pl.Series("role", roles, dtype=pl.String))
