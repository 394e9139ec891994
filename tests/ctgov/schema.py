"""ClinicalTrials.gov's OpenAPI document (2.0.5) as a JSON Schema for ``jsonschema``.

The ``Study`` schema is taken from ``components.schemas`` with its ``#/components/schemas/…``
``$ref``s left in place (the root carries ``components``, so they resolve). OpenAPI 3.0's own
keywords (``nullable``, ``example``) are not JSON Schema keywords and are ignored by
``jsonschema``; the document uses neither on the fields we write. Because the OpenAPI schemas
declare properties but forbid none, ``strict`` adds ``additionalProperties: false`` to every
object schema, so that a misspelt field name fails instead of passing unseen.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

OPENAPI = Path(__file__).with_name("ctg-oas-v2.yaml")


@cache
def openapi() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return loaded


def _closed(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _closed(v) for k, v in node.items()}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


def study_schema(strict: bool = True) -> dict[str, Any]:
    """The JSON Schema of one ``Study`` (strict: no undeclared field)."""
    components = copy.deepcopy(openapi()["components"])
    if strict:
        components = _closed(components)
    return {"$ref": "#/components/schemas/Study", "components": components}
