"""The forest plot's rows, from a plan's effect results.

Every result with ``extra["effect"]`` is a row of the panel of its (effect, unit)
(``extra["effect_unit"]``); a risk difference's relative risk (``extra["relative_risk"]``) is a
row of the relative-risk panel; the plan's primary outcome (``extra["primary"] is True``) is
marked and comes first in its panel — an adjusted (ANCOVA) primary result without an ``effect``
joins the mean-difference panel of its outcome's unit. Risk differences are printed in
percentage points (the estimate itself is a proportion difference). Selection only: nothing here
computes a statistic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ovaregen.analysis.left_out import unit_of
from ovaregen.analysis.result import Analysis, Result
from ovaregen.domain.protocols import ProtocolError, load_protocol
from ovaregen.report.figure_view import Figure, Tally
from ovaregen.report.forest_plot import ForestPanel, ForestRow, forest
from ovaregen.report.numbers import number
from ovaregen.report.primary import outcome_words

EFFECTS = (
    "mean difference",
    "median difference",
    "risk difference",
    "relative risk",
    "odds ratio",
    "hazard ratio",
)
"""The effect measures drawn, in panel order."""
RATIOS = frozenset({"relative risk", "odds ratio", "hazard ratio"})
HARMS = "adverse_events"
"""Results of the harms table (by arm, grade, term): shown there, not in the forest plot."""
_SNAKE_ID = re.compile(r"\s*\((?:[a-z0-9]+_)+[a-z0-9]+\)$")


def _label(text: str) -> str:
    """A result title without a trailing identifier in brackets ("… (month_3)")."""
    return _SNAKE_ID.sub("", text)


def _ratio_label(title: str) -> str:
    """A risk difference's title for its relative risk ("risk difference, a − b" becomes
    "relative risk, a / b")."""
    if "risk difference" not in title:
        return f"{title}: relative risk"
    return title.replace("risk difference", "relative risk").replace(" − ", " / ")


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def _estimate_text(estimate: float | None, low: float | None, high: float | None) -> str:
    if estimate is None:
        return "not estimable"
    if low is None or high is None:
        return f"{number(estimate)} (no interval)"
    return f"{number(estimate)} ({number(low)} to {number(high)})"


def _counts(result: Result) -> tuple[str, str]:
    """The numbers per arm ("2/33 · 1/33" events of women, or "33 · 33") and their header."""
    groups = [g for g in result.extra.get("groups", ()) if isinstance(g, Mapping)]
    if not groups or any("n" not in g for g in groups):
        return "", ""
    if all("events" in g for g in groups):
        return " · ".join(f"{g['events']}/{g['n']}" for g in groups), "events/n per arm"
    return " · ".join(str(g["n"]) for g in groups), "n per arm"


def _row(
    label: str, estimate: float | None, low: float | None, high: float | None, **kw: Any
) -> ForestRow:
    return ForestRow(label, estimate, low, high, _estimate_text(estimate, low, high), **kw)


def _adjusted_primary(
    analysis: Analysis, result: Result, units: Mapping[str, str]
) -> tuple[tuple[str, str], ForestRow]:
    outcome = str(result.extra.get("outcome", ""))
    unit = units.get(outcome) or unit_of(outcome) or "units of the outcome"
    counts, _ = _counts(result)
    row = _row(
        f"{outcome_words(analysis, result)}, adjusted for baseline (ANCOVA)",
        result.estimate,
        result.ci_low,
        result.ci_high,
        counts=counts,
        primary=True,
    )
    return ("mean difference", unit), row


def _visit_suffixes(analysis: Analysis) -> tuple[str, ...]:
    """Id endings of the by-visit repeats of a result ("…_month_3"): the forest plot draws each
    outcome once, at its summary visit; the by-visit estimates are in the tables."""
    try:
        schedule = load_protocol(analysis.protocol_name).followup_visits
    except (ProtocolError, OSError, KeyError, ValueError):
        return ()
    return tuple(f"_{visit.id}" for visit in schedule)


def _panels(analysis: Analysis) -> tuple[dict[tuple[str, str], list[ForestRow]], dict[str, str]]:
    panels: dict[tuple[str, str], list[ForestRow]] = {}
    headers: dict[str, str] = {}
    units: dict[str, str] = {}
    methods: dict[str, list[str]] = {}
    by_visit = _visit_suffixes(analysis)
    ratios_apart = any(r.extra.get("effect") == "relative risk" for r in analysis.results)
    for result in analysis.results:
        effect = result.extra.get("effect")
        if effect not in EFFECTS or result.id.endswith(by_visit) or result.id.startswith(HARMS):
            continue
        unit = str(result.extra.get("effect_unit") or "")
        units.setdefault(str(result.extra.get("outcome", "")), unit)
        scale = 100.0 if unit == "percentage points" else 1.0
        primary = result.extra.get("primary") is True
        counts, header = _counts(result)
        row = _row(
            _label(result.title),
            _scaled(result.estimate, scale),
            _scaled(result.ci_low, scale),
            _scaled(result.ci_high, scale),
            counts=counts,
            primary=primary,
        )
        rows = panels.setdefault((str(effect), unit), [])
        rows.insert(0, row) if primary else rows.append(row)
        headers.setdefault(str(effect), header)
        methods.setdefault(str(effect), []).append(result.method)
        if "relative_risk" in result.extra and not ratios_apart:
            extra = result.extra
            panels.setdefault(("relative risk", "ratio"), []).append(
                _row(
                    _ratio_label(_label(result.title)),
                    extra.get("relative_risk"),
                    extra.get("relative_risk_ci_low"),
                    extra.get("relative_risk_ci_high"),
                    counts=counts,
                    primary=primary,
                )
            )
            headers.setdefault("relative risk", header)
            methods.setdefault("relative risk", []).append(str(extra.get("relative_risk_method")))
    for result in analysis.results:
        adjusted = result.extra.get("kind") == "adjusted" and result.estimate is not None
        if result.extra.get("primary") is True and result.extra.get("effect") not in EFFECTS:
            if not adjusted:
                continue
            key, row = _adjusted_primary(analysis, result, units)
            panels.setdefault(key, []).insert(0, row)
            methods.setdefault("primary outcome", []).append(result.method.split(";")[0])
    names = {k: "; ".join(dict.fromkeys(v)) for k, v in methods.items()}
    return panels, {**{f"header:{k}": v for k, v in headers.items()}, **names}


def _title(effect: str, unit: str) -> str:
    named = effect[0].upper() + effect[1:]
    return f"{named} ({unit})" if unit and unit != "ratio" else named


def _who(analysis: Analysis) -> str:
    """ "arm" for a randomised trial (the plan has a CONSORT table), else "group"."""
    return "arm" if any(t.id == "consort" for t in analysis.tables) else "group"


def forest_figure(analysis: Analysis, stem: str) -> Figure | None:
    """The forest plot of the plan's effect estimates (module docstring), or None."""
    panels, words = _panels(analysis)
    if not panels:
        return None
    order = sorted(panels, key=lambda k: (EFFECTS.index(k[0]), k[1]))
    drawn = [
        ForestPanel(
            title=_title(effect, unit),
            axis_label=(
                f"{_title(effect, unit)}, log scale" if effect in RATIOS else _title(effect, unit)
            ),
            ratio=effect in RATIOS,
            rows=tuple(panels[(effect, unit)]),
            counts_header=(words.get(f"header:{effect}") or "n per arm").replace(
                "per arm", f"per {_who(analysis)}"
            ),
        )
        for effect, unit in order
    ]
    svg = forest(f"{stem}-forest", drawn)
    total = sum(len(p.rows) for p in drawn)
    primary = any(row.primary for p in drawn for row in p.rows)
    arms = _arms(analysis)
    who = _who(analysis)
    comparison = (
        f"{arms[0]} − {arms[1]} for differences, {arms[0]} / {arms[1]} for ratios; "
        if len(arms) == 2
        else f"each row's first {who} against its second, in the order of the numbers per {who}; "
    )
    methods = "; ".join(
        f"{key}s: {value}" if key != "primary outcome" else f"primary outcome: {value}"
        for key, value in words.items()
        if not key.startswith("header:")
    )
    caption = (
        f"Effect estimates with 95% confidence intervals, n = {total} estimates in "
        f"{len(drawn)} panels, one per measure and unit ({comparison}numbers per {who} on the "
        f"right). Methods — {methods}. The dashed line is no effect: 0 for differences, 1 for "
        "ratios (log scale)."
        + (" The primary outcome is in bold." if primary else "")
        + (
            " Harms are in the harms table."
            if any(r.id.startswith(HARMS) for r in analysis.results)
            else ""
        )
    )
    tally = Tally("estimates", {p.title: len(p.rows) for p in drawn}, total)
    return Figure(f"{stem}-forest", caption, svg, (tally,))


def _arms(analysis: Analysis) -> list[str]:
    """The two groups every effect result compares, in order; [] when they differ by row."""
    pairs = {
        tuple(str(g.get("group")) for g in groups if isinstance(g, Mapping))
        for r in analysis.results
        if r.extra.get("effect") in EFFECTS and len(groups := r.extra.get("groups", ())) == 2
    }
    return list(pairs.pop()) if len(pairs) == 1 else []
