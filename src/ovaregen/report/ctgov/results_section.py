"""``resultsSection`` of a ClinicalTrials.gov API v2 study from ``ovaregen analyze``'s analysis.

Every number is the analysis's own (the ``consort``, ``table1_baseline_by_arm`` and
``adverse_events_by_arm`` tables and the between-arm results); nothing is re-estimated. The
adverse events by term are counted from the dataset's adverse-events table, serious and other
(non-serious) apart, as the registry asks (42 CFR 11.48(a)(4)). Counts in flow, denominators
and measurements are strings, event counts integers, as the OpenAPI ``Study`` schema types them.
"""

from __future__ import annotations

import math
import re
from typing import Any

import polars as pl

from ovaregen.analysis.result import Analysis, Result
from ovaregen.io.dataset import Dataset

Json = dict[str, Any]


def _text(value: float | int | None) -> str:
    """A number as the registry's string: integers plain, others to 6 significant digits."""
    if value is None:
        return "NA"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def arm_labels(analysis: Analysis) -> list[str]:
    """The arms in the analysis' order (the ``consort`` table's allocated rows)."""
    frame = analysis.table("consort").frame.filter(pl.col("stage") == "allocated")
    return [str(arm) for arm in frame["arm"].to_list()]


def _groups(prefix: str, arms: list[str]) -> list[Json]:
    return [{"id": f"{prefix}{i:03d}", "title": arm} for i, arm in enumerate(arms)]


def _ids(prefix: str, arms: list[str]) -> dict[str, str]:
    return {arm: f"{prefix}{i:03d}" for i, arm in enumerate(arms)}


def participant_flow(analysis: Analysis) -> Json:
    """Groups FG…, one period: STARTED = allocated, COMPLETED = completed follow-up, NOT
    COMPLETED the rest; drop-outs by the consort table's reasons (withdrew, lost), and
    "Other" for women not completed for neither reason, so that the reasons add up."""
    arms = arm_labels(analysis)
    ids = _ids("FG", arms)
    consort = analysis.table("consort").frame.filter(pl.col("arm").is_not_null())
    count = {(r["stage"], r["arm"]): int(r["n"]) for r in consort.iter_rows(named=True)}

    def stats(stage: str) -> list[Json]:
        return [{"groupId": ids[a], "numSubjects": str(count.get((stage, a), 0))} for a in arms]

    not_completed = [
        {
            "groupId": ids[a],
            "numSubjects": str(count.get(("allocated", a), 0) - count.get(("analysed", a), 0)),
        }
        for a in arms
    ]
    milestones = [
        {"type": "STARTED", "achievements": stats("allocated")},
        {"type": "COMPLETED", "achievements": stats("analysed")},
        {"type": "NOT COMPLETED", "achievements": not_completed},
    ]
    drops = [
        {"type": "Withdrawal by Subject", "reasons": stats("withdrawn")},
        {"type": "Lost to Follow-up", "reasons": stats("lost_to_follow_up")},
    ]
    other = [
        count.get(("allocated", a), 0)
        - count.get(("analysed", a), 0)
        - count.get(("withdrawn", a), 0)
        - count.get(("lost_to_follow_up", a), 0)
        for a in arms
    ]
    if any(other):
        reasons = [
            {"groupId": ids[a], "numSubjects": str(n)} for a, n in zip(arms, other, strict=True)
        ]
        drops.append({"type": "Other", "reasons": reasons})
    period = {"title": "Overall Study", "milestones": milestones, "dropWithdraws": drops}
    return {"groups": _groups("FG", arms), "periods": [period]}


def _unit(label: str) -> str:
    found = re.search(r"\(([^)]*)\)\s*$", label)
    return found.group(1) if found else "participants"


def _prefix(arm: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", arm.lower()).strip("_")


TOTAL = "Total"
"""The registry's total baseline group, beside the arms (42 CFR 11.48(a)(2))."""


def pooled(sizes: list[int], means: list[float], sds: list[float]) -> tuple[float, float]:
    """Mean and SD of the groups taken together, exactly from each group's n, mean and SD:
    ``M = Σ nᵢmᵢ / N`` and ``S² = (Σ (nᵢ−1)sᵢ² + Σ nᵢ(mᵢ−M)²) / (N−1)`` (the sums of squares
    about the total mean split within and between groups): no value is re-estimated."""
    total = sum(sizes)
    mean = sum(n * m for n, m in zip(sizes, means, strict=True)) / total
    within = sum((n - 1) * sd * sd for n, sd in zip(sizes, sds, strict=True) if n > 1)
    between = sum(n * (m - mean) ** 2 for n, m in zip(sizes, means, strict=True))
    return mean, ((within + between) / (total - 1)) ** 0.5 if total > 1 else float("nan")


def _continuous_total(head: dict[str, Any], columns: dict[str, str]) -> Json:
    """The Total group's mean and SD of a continuous variable (:func:`pooled`)."""
    present = [c for c in columns.values() if int(head[f"{c}_n"] or 0) > 0]
    sizes = [int(head[f"{c}_n"]) for c in present]
    means = [head[f"{c}_mean"] for c in present]
    sds = [head[f"{c}_sd"] if head[f"{c}_sd"] is not None else 0.0 for c in present]
    if not present or any(m is None for m in means):
        return {"value": "NA", "spread": "NA"}
    mean, sd = pooled(sizes, [float(m) for m in means], [float(x) for x in sds])
    return {"value": _text(mean), "spread": "NA" if math.isnan(sd) else _text(sd)}


def baseline_characteristics(analysis: Analysis) -> Json:
    """Groups BG… (the arms, then the registry's Total), the overall denominators, then one
    measure per Table 1 variable: mean and SD of a continuous one (the Total's pooled exactly
    from the arms', :func:`pooled`), the number of women per level of a categorical one (the
    Total's the arms' sum)."""
    arms = arm_labels(analysis)
    ids = _ids("BG", arms)
    total_id = f"BG{len(arms):03d}"
    table = analysis.table("table1_baseline_by_arm").frame
    columns = {arm: _prefix(arm) for arm in arms}
    first = table.row(0, named=True)

    def counts(row: dict[str, Any], suffix: str) -> list[Json]:
        values = [int(row[f"{columns[a]}_{suffix}"] or 0) for a in arms]
        found = [{"groupId": ids[a], "value": str(v)} for a, v in zip(arms, values, strict=True)]
        return [*found, {"groupId": total_id, "value": str(sum(values))}]

    denoms = [{"units": "Participants", "counts": counts(first, "size")}]
    measures: list[Json] = []
    for _, rows in table.group_by("variable", maintain_order=True):
        head = rows.row(0, named=True)
        denom = [{"units": "Participants", "counts": counts(head, "n")}]
        if head["type"] == "continuous":
            measurement = [
                {
                    "groupId": ids[a],
                    "value": _text(head[f"{columns[a]}_mean"]),
                    "spread": _text(head[f"{columns[a]}_sd"]),
                }
                for a in arms
            ]
            measurement.append({"groupId": total_id, **_continuous_total(head, columns)})
            measures.append(
                {
                    "title": str(head["label"]),
                    "paramType": "MEAN",
                    "dispersionType": "STANDARD_DEVIATION",
                    "unitOfMeasure": _unit(str(head["label"])),
                    "denoms": denom,
                    "classes": [{"categories": [{"measurements": measurement}]}],
                }
            )
            continue
        categories = [
            {"title": str(row["level"]), "measurements": counts(row, "count")}
            for row in rows.iter_rows(named=True)
        ]
        measures.append(
            {
                "title": str(head["label"]),
                "paramType": "COUNT_OF_PARTICIPANTS",
                "unitOfMeasure": "Participants",
                "denoms": denom,
                "classes": [{"categories": categories}],
            }
        )
    groups = [
        *_groups("BG", arms),
        {"id": total_id, "title": TOTAL, "description": "All randomised participants"},
    ]
    return {"groups": groups, "denoms": denoms, "measures": measures}


_PARAMETER = {
    "mean difference": "Mean Difference (Net)",
    "risk difference": "Risk Difference (RD)",
    "relative risk": "Risk Ratio (RR)",
}


def _analysis(result: Result, ids: dict[str, str]) -> Json:
    """One statistical analysis of an outcome (the result's estimate, CI and p as computed)."""
    found: Json = {
        "groupIds": list(ids.values()),
        "statisticalMethod": result.method,
        "paramType": _PARAMETER.get(str(result.extra.get("effect")), "Other"),
        "paramValue": _text(result.estimate),
        "ciNumSides": "TWO_SIDED",
        "ciPctValue": _text((result.conf_level or 0.95) * 100),
        "ciLowerLimit": _text(result.ci_low),
        "ciUpperLimit": _text(result.ci_high),
        "nonInferiorityType": "SUPERIORITY",
        "estimateComment": str(result.extra.get("estimate_label", "")),
    }
    if result.p_value is not None:
        found["pValue"] = _text(result.p_value)
    return found


def outcome_results(analysis: Analysis) -> list[Result]:
    """The between-arm results reported as outcome measures: each ``arm_difference_…`` once
    (its per-visit results when it has them), the primary ANCOVA first."""
    ids = {r.id for r in analysis.results}
    chosen = [r for r in analysis.results if r.id == "primary_outcome_ancova"]
    for result in analysis.results:
        if not result.id.startswith("arm_difference_"):
            continue
        if any(other.startswith(result.id + "_month") for other in ids):
            continue
        chosen.append(result)
    return chosen


def _matching(analysis: Analysis, result: Result) -> Result | None:
    """The unadjusted by-arm result of an ANCOVA (same outcome and visit), for its means."""
    wanted = f"arm_difference_{result.extra.get('outcome')}_{result.extra.get('visit')}"
    return next((r for r in analysis.results if r.id == wanted), None)


def _measure(analysis: Analysis, result: Result, arms: list[str]) -> Json:
    ids = _ids("OG", arms)
    groups_of = _matching(analysis, result) if result.id == "primary_outcome_ancova" else result
    by_arm = {g["group"]: g for g in (groups_of.extra.get("groups", []) if groups_of else [])}
    denoms = [
        {
            "units": "Participants",
            "counts": [{"groupId": ids[a], "value": str(by_arm[a]["n"])} for a in arms],
        }
    ]
    continuous = result.extra.get("kind") in ("continuous", "adjusted")
    if continuous:
        measurements = [
            {
                "groupId": ids[a],
                "value": _text(by_arm[a]["mean"]),
                "spread": _text(by_arm[a]["sd"]),
            }
            for a in arms
        ]
    else:
        measurements = [{"groupId": ids[a], "value": str(by_arm[a]["events"])} for a in arms]
    analyses = [_analysis(result, ids)]
    ratio = next(
        (
            r
            for r in analysis.results
            if r.extra.get("risk_difference_id") == result.id and r.estimate is not None
        ),
        None,
    )
    if ratio is not None:
        analyses.append(_analysis(ratio, ids))
    return {
        "type": "PRIMARY" if str(result.extra.get("role")) == "primary" else "SECONDARY",
        "title": result.title,
        "populationDescription": f"{result.population} (n = {result.n})",
        "paramType": "MEAN" if continuous else "COUNT_OF_PARTICIPANTS",
        **({"dispersionType": "STANDARD_DEVIATION"} if continuous else {}),
        "unitOfMeasure": str(result.extra.get("effect_unit", "")) if continuous else "Participants",
        "groups": _groups("OG", arms),
        "denoms": denoms,
        "classes": [{"categories": [{"measurements": measurements}]}],
        "analyses": analyses,
    }


def outcome_measures(analysis: Analysis) -> Json:
    arms = arm_labels(analysis)
    measures = [_measure(analysis, r, arms) for r in outcome_results(analysis)]
    return {"outcomeMeasures": measures}


def _allocated_events(dataset: Dataset, label_of: dict[str, str]) -> pl.DataFrame:
    """The adverse events of the allocated women, each with her arm's label as ``group``."""
    allocated = dataset.participants.select("participant_id", "arm").filter(
        pl.col("arm").is_in(list(label_of))
    )
    return dataset.adverse_events.join(allocated, on="participant_id", how="inner").with_columns(
        pl.col("arm").replace_strict(label_of).alias("group")
    )


def adverse_events(analysis: Analysis, dataset: Dataset, label_of: dict[str, str]) -> Json:
    """Event groups EG… (numbers at risk = the randomised women of each arm, from the
    analysis), women with a serious and with an other (non-serious) event, women who died (an
    event with outcome fatal or CTCAE grade 5: the deaths the dataset records), then serious
    and other events by term: events and women affected per group."""
    arms = arm_labels(analysis)
    ids = _ids("EG", arms)
    table = analysis.table("adverse_events_by_arm").frame
    any_row = table.filter(pl.col("measure") == "any").row(0, named=True)
    at_risk = {any_row["first_arm"]: any_row["first_n"], any_row["second_arm"]: any_row["second_n"]}
    events_of = _allocated_events(dataset, label_of)
    counts = events_of.group_by("term", "serious", "group").agg(
        pl.len().alias("events"), pl.col("participant_id").n_unique().alias("women")
    )
    women = events_of.group_by("group", "serious").agg(
        pl.col("participant_id").n_unique().alias("women")
    )
    affected = {(r["group"], r["serious"]): r["women"] for r in women.iter_rows(named=True)}
    fatal = events_of.filter((pl.col("outcome") == "fatal") | (pl.col("grade") == 5))
    deaths = fatal.group_by("group").agg(pl.col("participant_id").n_unique().alias("women"))
    died = {r["group"]: r["women"] for r in deaths.iter_rows(named=True)}
    groups = [
        {
            "id": ids[a],
            "title": a,
            "seriousNumAffected": int(affected.get((a, True), 0)),
            "seriousNumAtRisk": int(at_risk[a]),
            "otherNumAffected": int(affected.get((a, False), 0)),
            "otherNumAtRisk": int(at_risk[a]),
            "deathsNumAffected": int(died.get(a, 0)),
            "deathsNumAtRisk": int(at_risk[a]),
        }
        for a in arms
    ]

    def events(serious: bool) -> list[Json]:
        chosen = counts.filter(pl.col("serious") == serious)
        by = {(r["term"], r["group"]): r for r in chosen.iter_rows(named=True)}
        terms = sorted({str(t) for t in chosen["term"].to_list()})
        return [
            {
                "term": term,
                "assessmentType": "SYSTEMATIC_ASSESSMENT",
                "stats": [
                    {
                        "groupId": ids[a],
                        "numEvents": int(by[(term, a)]["events"]) if (term, a) in by else 0,
                        "numAffected": int(by[(term, a)]["women"]) if (term, a) in by else 0,
                        "numAtRisk": int(at_risk[a]),
                    }
                    for a in arms
                ],
            }
            for term in terms
        ]

    return {
        "frequencyThreshold": "0",
        "eventGroups": groups,
        "seriousEvents": events(True),
        "otherEvents": events(False),
    }


def results_section(analysis: Analysis, dataset: Dataset, arm_ids: dict[str, str]) -> Json:
    """``resultsSection``: flow, baseline, outcome measures and adverse events.
    ``arm_ids`` maps the dataset's arm ids to the arm labels the analysis uses."""
    return {
        "participantFlowModule": participant_flow(analysis),
        "baselineCharacteristicsModule": baseline_characteristics(analysis),
        "outcomeMeasuresModule": outcome_measures(analysis),
        "adverseEventsModule": adverse_events(analysis, dataset, arm_ids),
    }
