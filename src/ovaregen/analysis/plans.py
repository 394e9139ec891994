"""The analysis plans, by name (the protocol names), and running one on a dataset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ovaregen.analysis import mensc, regenera, ucmsc_rct
from ovaregen.analysis.cohort import Cohort, build_cohort
from ovaregen.analysis.reproduction import reproduction_table, targets_for
from ovaregen.analysis.result import Analysis, Population, Result, Table
from ovaregen.domain.diagnoses import RULES_VERSION
from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.io.dataset import Dataset

PlanFunction = Callable[
    [Cohort], tuple[tuple[Population, ...], tuple[Result, ...], tuple[Table, ...]]
]

PLANS: dict[str, PlanFunction] = {
    "regenera": regenera.analyse,
    "mensc": mensc.analyse,
    "ucmsc-rct": ucmsc_rct.analyse,
}
"""Plan name → plan; each plan analyses the study of the protocol of the same name."""


def run_plan(name: str, dataset: Dataset, protocol: Protocol | None = None) -> Analysis:
    """Run plan ``name`` on ``dataset`` under ``protocol`` (default: the shipped one)."""
    if name not in PLANS:
        raise KeyError(f"no analysis plan {name!r}: choose {', '.join(PLANS)}")
    chosen = protocol or load_protocol(name)
    cohort = build_cohort(dataset, chosen)
    populations, results, tables = PLANS[name](cohort)
    ids = [r.id for r in results]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise AssertionError(f"plan {name} gives duplicate result ids: {duplicated}")
    warnings = tuple(f"dataset: {finding.message}" for finding in dataset.warnings)
    analysis = Analysis(
        plan=name,
        protocol_name=chosen.name,
        protocol_version=chosen.version,
        rules_version=RULES_VERSION,
        dataset=dataset.source,
        populations=populations,
        results=results,
        tables=tables,
        warnings=warnings,
    )
    targets = targets_for(name)
    if not targets:
        return analysis
    return replace(analysis, tables=(*analysis.tables, reproduction_table(analysis, targets)))
