"""The participant flow diagrams: a STROBE flow (studies A and B, item 13) and the CONSORT 2010
diagram (study C: enrolment, allocation, follow-up, analysis).

Counts come from the plan's ``flow`` or ``consort`` table, the reasons for exclusion from the
``exclusions`` table named by the protocol's own criterion text
(:func:`ovaregen.domain.protocols.load_protocol`), and the last boxes from the primary outcome
result (``extra["primary"]``) and the women it left out (``Result.left_out``). Where the dataset
holds no reason (withdrawal, loss to follow-up, treatment not received) the box says so. Each
box's branches add up to its count; the figure's tallies record it.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from ovaregen.analysis.left_out import total
from ovaregen.analysis.result import Analysis, Result
from ovaregen.domain.protocols import ProtocolError, load_protocol
from ovaregen.report.figure_view import Figure, Tally
from ovaregen.report.flow_diagram import FlowBox, FlowStage, flow_diagram
from ovaregen.report.primary import outcome_words, primary_result

NO_REASON = "reasons not recorded in the dataset"


def _frame(analysis: Analysis, id: str) -> pl.DataFrame | None:
    try:
        frame = analysis.table(id).frame
    except KeyError:
        return None
    return frame if frame.height else None


def _count(frame: pl.DataFrame, stage: str, arm: str | None = None) -> int:
    rows = frame.filter(pl.col("stage") == stage)
    if arm is not None and "arm" in rows.columns:
        rows = rows.filter(pl.col("arm") == arm)
    return int(rows.get_column("n").sum()) if rows.height else 0


def _criterion_words(analysis: Analysis) -> dict[str, str]:
    """Each criterion id of the protocol by its text in the protocol."""
    try:
        judged = load_protocol(analysis.protocol_name).rules().judged
    except (ProtocolError, OSError, KeyError, ValueError):
        return {}
    return {c.id: c.description for c in judged}


def _reasons(analysis: Analysis) -> list[str]:
    """One line per criterion failed by screen failures: its text and the count (and how many
    it leaves undecided for lack of data); criteria nobody failed are summed in one line."""
    frame = _frame(analysis, "exclusions")
    if frame is None:
        return []
    words = _criterion_words(analysis)
    lines = []
    rows = frame.filter(pl.col("failed") > 0)
    for row in rows.sort("failed", descending=True).iter_rows(named=True):
        criterion = str(row["criterion"])
        text = words.get(criterion) or str(row.get("description") or "") or criterion
        if not row.get("role"):
            text = "no criterion failed in the data (reason not recorded)"
        elif row["role"] == "inclusion":
            text = f"not met: {text}"
        unknown = f" (undecided, data unknown: {row['unknown']})" if row["unknown"] else ""
        lines.append(f"• {text}: {row['failed']}{unknown}")
    undecided = frame.filter((pl.col("failed") == 0) & (pl.col("unknown") > 0)).height
    if undecided:
        lines.append(
            f"• {undecided} further criteria undecided for lack of data (exclusions table)"
        )
    return lines


def _left_out_lines(result: Result) -> list[str]:
    return [f"• {item.reason}: {item.count}" for item in result.left_out]


def _arm_n(result: Result, arm: str) -> int | None:
    for group in result.extra.get("groups", ()):
        if isinstance(group, Mapping) and group.get("group") == arm and "n" in group:
            return int(group["n"])
    return None


def _population(analysis: Analysis, result: Result) -> tuple[int, str] | None:
    """The size and the name of the population a result was computed on."""
    return next(
        ((p.n, p.id.replace("_", " ")) for p in analysis.populations if p.id == result.population),
        None,
    )


def flow_figure(analysis: Analysis, stem: str) -> Figure | None:
    """The CONSORT diagram from the ``consort`` table (study C), else the STROBE flow from the
    ``flow`` table; None when the plan has neither."""
    consort = _frame(analysis, "consort")
    if consort is not None:
        return _consort_figure(analysis, consort, stem)
    flow = _frame(analysis, "flow")
    return None if flow is None else _strobe_figure(analysis, flow, stem)


def _primary_stages(analysis: Analysis, completed: int, tallies: list[Tally]) -> list[FlowStage]:
    primary = primary_result(analysis)
    if primary is None:
        return [FlowStage(main=(FlowBox((f"Analysed (n = {completed})", "completed follow-up")),))]
    left = total(primary.left_out)
    population = _population(analysis, primary)
    if population is not None:
        tallies.append(
            Tally(
                "primary analysis",
                {"analysed": primary.n, "excluded from analysis": left},
                population[0],
            )
        )
    of = (f"analysis population: {population[1]} (n = {population[0]})",) if population else ()
    return [
        FlowStage(main=(FlowBox((f"Completed follow-up (n = {completed})",)),)),
        FlowStage(
            side=FlowBox(
                (f"Excluded from analysis (n = {left})", *_left_out_lines(primary))
                if left
                else ("Excluded from analysis (n = 0)", "every woman's primary outcome known")
            )
        ),
        FlowStage(
            main=(
                FlowBox(
                    (
                        f"Analysed for the primary outcome (n = {primary.n})",
                        outcome_words(analysis, primary),
                        *of,
                    )
                ),
            )
        ),
    ]


def _strobe_figure(analysis: Analysis, flow: pl.DataFrame, stem: str) -> Figure:
    recruited, failed = _count(flow, "recruited"), _count(flow, "screen_failed")
    screening, eligible = _count(flow, "in_screening"), _count(flow, "eligible")
    ongoing, withdrawn = _count(flow, "ongoing"), _count(flow, "withdrawn")
    lost, completed = _count(flow, "lost_to_follow_up"), _count(flow, "analysed")
    reasons = _reasons(analysis)
    tallies = [
        Tally(
            "recruited",
            {"excluded": failed, "still in screening": screening, "eligible": eligible},
            recruited,
        ),
        Tally(
            "eligible",
            {
                "lost to follow-up": lost,
                "withdrew": withdrawn,
                "in follow-up": ongoing,
                "completed follow-up": completed,
            },
            eligible,
        ),
    ]
    excluded = (
        f"Excluded (n = {failed})",
        "did not meet the eligibility criteria",
        *(("reasons (a woman may fail several):", *reasons) if reasons else ()),
        *((f"still in screening, not yet decided: {screening}",) if screening else ()),
    )
    left = withdrawn + lost + ongoing
    stages = [
        FlowStage(main=(FlowBox((f"Recruited and assessed for eligibility (n = {recruited})",)),)),
        FlowStage(side=FlowBox(excluded)),
        FlowStage(main=(FlowBox((f"Met the eligibility criteria (n = {eligible})",)),)),
        FlowStage(
            side=FlowBox(
                (
                    f"Did not complete follow-up (n = {left})",
                    f"lost to follow-up: {lost}",
                    f"withdrew: {withdrawn}",
                    *((f"follow-up not yet completed: {ongoing}",) if ongoing else ()),
                    *((NO_REASON,) if withdrawn + lost else ()),
                )
            )
        ),
        *_primary_stages(analysis, completed, tallies),
    ]
    caption = (
        "Participant flow (STROBE): counted from each woman's status; reasons for exclusion "
        "by the protocol's criteria; the last boxes from the primary outcome's analysis."
    )
    svg = flow_diagram(f"{stem}-flow", stages)
    return Figure(f"{stem}-flow", caption, svg, tuple(tallies))


def _consort_arm_stages(
    analysis: Analysis, consort: pl.DataFrame, arms: list[str], tallies: list[Tally]
) -> list[FlowStage]:
    primary = primary_result(analysis)
    allocation, follow_up, analysed = [], [], []
    for arm in arms:
        allocated, received = _count(consort, "allocated", arm), _count(consort, "received", arm)
        lost, withdrawn = (
            _count(consort, "lost_to_follow_up", arm),
            _count(consort, "withdrawn", arm),
        )
        completed = _count(consort, "analysed", arm)
        other = allocated - completed - lost - withdrawn
        allocation.append(
            FlowBox(
                (
                    f"Allocated to {arm} (n = {allocated})",
                    f"received the allocated intervention: {received}",
                    f"did not receive it: {allocated - received}"
                    + (f" ({NO_REASON})" if allocated > received else ""),
                )
            )
        )
        follow_up.append(
            FlowBox(
                (
                    f"Follow-up, {arm}",
                    f"lost to follow-up: {lost}",
                    f"discontinued (withdrew): {withdrawn}",
                    *((f"follow-up not yet completed: {other}",) if other else ()),
                    *((NO_REASON,) if lost + withdrawn else ()),
                )
            )
        )
        tallies += [
            Tally(
                f"treatment, {arm}",
                {"received": received, "not received": allocated - received},
                allocated,
            ),
            Tally(
                f"follow-up, {arm}",
                {"completed": completed, "lost": lost, "withdrew": withdrawn, "other": other},
                allocated,
            ),
        ]
        n = _arm_n(primary, arm) if primary is not None else None
        if primary is None or n is None:
            analysed.append(
                FlowBox((f"Completed follow-up (n = {completed})", "analysed as allocated"))
            )
            continue
        tallies.append(
            Tally(f"analysis, {arm}", {"analysed": n, "excluded": allocated - n}, allocated)
        )
        analysed.append(
            FlowBox(
                (
                    f"Analysed for the primary outcome (n = {n})",
                    f"excluded from analysis: {allocated - n}",
                    f"completed follow-up: {completed}",
                )
            )
        )
    stages = [
        FlowStage(heading="Allocation", main=tuple(allocation)),
        FlowStage(heading="Follow-up", main=tuple(follow_up)),
        FlowStage(heading="Analysis", main=tuple(analysed)),
    ]
    if primary is not None:
        reasons = _left_out_lines(primary)
        stages.append(
            FlowStage(
                note=FlowBox(
                    (
                        f"Primary outcome: {outcome_words(analysis, primary)}",
                        f"excluded from its analysis, both arms (n = {total(primary.left_out)})"
                        + (":" if reasons else ": none, every outcome known"),
                        *reasons,
                    )
                )
            )
        )
    return stages


def _consort_figure(analysis: Analysis, consort: pl.DataFrame, stem: str) -> Figure:
    arms = [a for a in dict.fromkeys(consort.get_column("arm").to_list()) if a is not None]
    assessed, failed = _count(consort, "assessed"), _count(consort, "excluded")
    randomised = _count(consort, "randomised")
    target = consort.filter(pl.col("stage") == "target")
    other = assessed - failed - randomised
    reasons = _reasons(analysis)
    excluded = (
        f"Excluded (n = {failed + other})",
        f"did not meet the eligibility criteria: {failed}",
        *(("reasons (a woman may fail several):", *reasons) if reasons else ()),
        *(
            (f"not randomised for other reasons (not yet decided or not allocated): {other}",)
            if other
            else ()
        ),
    )
    tallies = [
        Tally("assessed", {"excluded": failed + other, "randomised": randomised}, assessed),
        Tally("randomised", {arm: _count(consort, "allocated", arm) for arm in arms}, randomised),
    ]
    stages = [
        FlowStage(
            heading="Enrolment",
            main=(FlowBox((f"Assessed for eligibility (n = {assessed})",)),),
        ),
        FlowStage(side=FlowBox(excluded)),
        FlowStage(
            main=(
                FlowBox(
                    (
                        f"Randomised (n = {randomised})",
                        *(
                            (f"enrolment target of the protocol: {target.get_column('n').item()}",)
                            if target.height
                            else ()
                        ),
                    )
                ),
            )
        ),
    ]
    if arms:
        stages += _consort_arm_stages(analysis, consort, arms, tallies)
    caption = (
        "CONSORT 2010 flow diagram: enrolment, allocation, follow-up and analysis by arm; "
        "reasons for exclusion by the protocol's criteria; analysis counts from the primary "
        "outcome's analysis."
    )
    svg = flow_diagram(f"{stem}-flow", stages)
    return Figure(f"{stem}-flow", caption, svg, tuple(tallies))
