"""``results.json``: an analysis as a JSON document (INTERCHANGE.md "Outputs").

An object with the plan, protocol, rules version, dataset, populations, the ``"results"`` list
and the list of tables (each written beside it as ``<id>.csv``). Every result carries ``id``,
``title``, ``method``, ``population`` and the numbers ``statistic``, ``df``, ``p_value``,
``estimate``, ``ci_low``, ``ci_high``, ``conf_level``, ``n`` (null where they do not apply),
its ``options`` and ``warnings``, then its own fields (``cutoff``, ``terms``, ``numerator``…).
JSON has no NaN or Infinity: such values are written as null.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from ovaregen.analysis.result import Analysis, Result

NUMBERS = ("statistic", "df", "p_value", "estimate", "ci_low", "ci_high", "conf_level")


def plain(value: Any) -> Any:
    """``value`` as JSON-ready Python: non-finite floats → None, numpy → Python, tuples → lists."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [plain(v) for v in value]
    return str(value)


def result_document(result: Result) -> dict[str, Any]:
    """One result as a JSON object (module docstring)."""
    document: dict[str, Any] = {
        "id": result.id,
        "title": result.title,
        "method": result.method,
        "population": result.population,
        "n": result.n,
    }
    for name in NUMBERS:
        document[name] = getattr(result, name)
    for key, value in result.extra.items():
        if key in document:
            raise ValueError(f"result {result.id}: extra field {key!r} shadows a standard one")
        document[key] = value
    document["options"] = dict(result.options)
    document["warnings"] = list(result.warnings)
    document["left_out"] = [{"count": o.count, "reason": o.reason} for o in result.left_out]
    plain_document: dict[str, Any] = plain(document)
    return plain_document


def _version() -> str:
    try:
        return version("ovaregen")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def analysis_document(analysis: Analysis) -> dict[str, Any]:
    """The whole ``results.json`` object."""
    document: dict[str, Any] = plain(
        {
            "plan": analysis.plan,
            "protocol": {"name": analysis.protocol_name, "version": analysis.protocol_version},
            "rules_version": analysis.rules_version,
            "ovaregen_version": _version(),
            "dataset": analysis.dataset,
            "dataset_checksum": analysis.dataset_checksum,
            "synthetic": analysis.synthetic,
            "populations": [
                {"id": p.id, "definition": p.definition, "n": p.n} for p in analysis.populations
            ],
            "warnings": list(analysis.warnings),
            "results": [result_document(r) for r in analysis.results],
            "tables": [
                {"id": t.id, "title": t.title, "file": f"{t.id}.csv", "notes": list(t.notes)}
                for t in analysis.tables
            ],
        }
    )
    return document


def render_results_json(analysis: Analysis) -> str:
    """``results.json`` text: UTF-8, indented, strict JSON (no NaN/Infinity)."""
    return (
        json.dumps(analysis_document(analysis), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n"
    )
