"""``docs/data-dictionary.md``, generated from the data dictionary in code.

Regenerate with ``make dictionary``; a test fails when the committed file is out of date.
"""

from __future__ import annotations

from itertools import groupby

from ovaregen.domain.variables import DatasetFile, Kind, Variable, variables_of


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _type(v: Variable) -> str:
    if v.kind is Kind.CHOICE:
        return "one of " + ", ".join(f"`{c}`" for c in v.choices)
    if v.kind is Kind.BOOLEAN:
        return "boolean (`true`/`false`, `yes`/`no`, `1`/`0`)"
    if v.kind is Kind.DATE:
        return "date (`YYYY-MM-DD`)"
    return v.kind.value


def _row(v: Variable) -> str:
    notes = []
    if v.required:
        notes.append("required")
    if v.unique:
        notes.append("unique")
    if v.default:
        notes.append(f"empty means `{v.default}`")
    notes += [f"`{a.column}` ({a.unit}) accepted: × {a.factor:.6g}" for a in v.alternatives]
    cells = (
        f"`{v.name}`",
        _type(v),
        v.unit or "",
        str(v.hard) if v.hard else "",
        str(v.soft) if v.soft else "",
        "; ".join(notes),
        v.description,
    )
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render_data_dictionary() -> str:
    """The data dictionary as Markdown, one table per file and group."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `src/ovaregen/domain/variables.py` by `make dictionary`; do not edit.",
        "",
        "An empty cell is an unknown value (never zero, never false). A value outside the hard",
        "limits is an error and the whole import is refused; a value outside the soft limits is",
        "accepted with a warning. Limits are inclusive and in the canonical unit; values given",
        "in an accepted alternative unit are converted first (canonical = value × factor).",
    ]
    header = [
        "| column | type | unit | hard limits | soft limits | notes | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for file in DatasetFile:
        lines += ["", f"## {file.value}.csv", ""]
        for group, members in groupby(variables_of(file), key=lambda v: v.group):
            lines += [f"### {group}", "", *header, *(_row(v) for v in members), ""]
    return "\n".join(lines).rstrip() + "\n"
