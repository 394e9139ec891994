"""The ClinicalTrials.gov API v2 study document: ``protocolSection``, and for a randomised
study with data the ``resultsSection`` and ``hasResults`` (OpenAPI 2.0.5 ``Study``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ovaregen.analysis.result import Analysis
from ovaregen.domain.protocols import Protocol
from ovaregen.formats.folder import write_file
from ovaregen.io.dataset import Dataset
from ovaregen.report.ctgov.protocol_section import protocol_section, randomised
from ovaregen.report.ctgov.results_section import results_section


def study_document(
    protocol: Protocol, dataset: Dataset, analysis: Analysis | None
) -> dict[str, Any]:
    """The study record; results only for a randomised study with data and its analysis.
    Enrolment is the randomised population (or, for a cohort, the women in the dataset)."""
    enrolled: int | None = dataset.participants.height or None
    with_results = randomised(protocol) and enrolled is not None and analysis is not None
    if with_results and analysis is not None:
        population = next(p for p in analysis.populations if p.id == "randomised")
        enrolled = population.n
    document: dict[str, Any] = {
        "protocolSection": protocol_section(protocol, enrolled, overall_status(dataset))
    }
    if with_results and analysis is not None:
        arm_ids = {arm.id: arm.label for arm in protocol.arms}
        document["resultsSection"] = results_section(analysis, dataset, arm_ids)
    document["hasResults"] = with_results
    return document


def overall_status(dataset: Dataset) -> str:
    """The record's ``overallStatus`` from the women's flow (INTERCHANGE.md ``status``): none
    yet → NOT_YET_RECRUITING; a woman still in screening → RECRUITING; one enrolled and still
    followed → ACTIVE_NOT_RECRUITING; every woman at the end of her flow (completed, withdrawn,
    lost, screen-failed) → COMPLETED; statuses not known → UNKNOWN."""
    women = dataset.participants
    if women.is_empty():
        return "NOT_YET_RECRUITING"
    if "status" not in women.columns or women.get_column("status").null_count():
        return "UNKNOWN"
    statuses = set(women.get_column("status").to_list())
    if "screening" in statuses:
        return "RECRUITING"
    if "ongoing" in statuses:
        return "ACTIVE_NOT_RECRUITING"
    return "COMPLETED"


def write_study_document(document: dict[str, Any], out: Path) -> Path:
    """Write the document as UTF-8 JSON, atomically."""
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"

    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    write_file(out, write)
    return out
