"""Study protocols as versioned data files (``ovaregen/protocols/*.yaml``).

A protocol names its POI edition, its inclusion and exclusion criteria by stable id, its arms,
its schedule of assessments (visits and the variables each records) and its endpoints. The
criteria are built from a small, checked vocabulary (a diagnosis, a range on a variable, a
flag), so that a protocol version is data, not a code path.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from ovaregen.domain.criteria import Criterion, Role, RuleSet, all_of, any_of
from ovaregen.domain.diagnoses import (
    DiagnosisSettings,
    PoiEdition,
    ReserveLogic,
    bologna_rules,
    dor_rule,
    poi_rules,
    poseidon_group,
)
from ovaregen.domain.variables import EXCLUSION_CONDITIONS, DatasetFile, Kind, variable
from ovaregen.domain.visit_windows import Window, window_from_mapping

PROTOCOL_NAMES = ("regenera", "mensc", "ucmsc-rct")
DEFAULT_POI_EDITION = PoiEdition.ESHRE_2024
"""CRITERIA.md: default edition for stand-alone classification (and for ``mensc``)."""


class ProtocolError(ValueError):
    """A protocol file that cannot be used, with the place and the reason."""


@dataclass(frozen=True)
class Arm:
    id: str
    label: str
    description: str


@dataclass(frozen=True)
class Visit:
    """One visit of the schedule of assessments and the variables it records."""

    id: str
    label: str
    timing: str
    records: tuple[str, ...]
    pregnancies: bool = False
    """Whether pregnancies (pregnancies.csv rows) are recorded at this visit."""
    follow_up: bool = False
    """A follow-up visit: it records follow-up measurements (dictionary variables marked
    ``repeated``), one row of visits.csv per participant; other visits record values held
    once per woman (participants.csv)."""
    arm_revealing: bool = False
    """It records only arm-revealing variables (``Protocol.arm_revealing``): recorded by the
    unblinded treatment team and never shown to a blinded reader."""
    window: Window | None = None
    """Target day and tolerance from the treatment date (``domain.visit_windows``)."""


@dataclass(frozen=True)
class PrimaryOutcome:
    """The protocol's primary outcome and its time point (ICH E9 §2.2.2).

    ``measure`` is a dictionary variable or an endpoint id of the protocol; ``visit`` the
    follow-up visit it is measured at; ``baseline`` the variable it is adjusted for, if any.
    """

    measure: str
    visit: str
    baseline: str | None
    rationale: str


@dataclass(frozen=True)
class Endpoint:
    id: str
    label: str
    definition: str
    primary: bool = False


@dataclass(frozen=True)
class CriterionSpec:
    """An inclusion criterion as written in a protocol file (see the module docstring)."""

    id: str
    description: str
    source: str
    rule: Mapping[str, Any]


@dataclass(frozen=True)
class Protocol:
    """One study protocol, one version."""

    name: str
    title: str
    version: str
    design: str
    registry: str
    source: str
    poi_edition: PoiEdition | None
    settings: DiagnosisSettings
    inclusion: tuple[CriterionSpec, ...]
    exclusion: tuple[str, ...]
    arms: tuple[Arm, ...]
    schedule: tuple[Visit, ...]
    endpoints: tuple[Endpoint, ...]
    target_enrolment: int | None = None
    gcsf_titration: str | None = None
    primary_followup_visit: str | None = None
    """The follow-up visit whose values participants.csv's follow-up columns hold."""
    primary_outcome: PrimaryOutcome | None = None
    arm_revealing: tuple[str, ...] = ()
    """Variables that reveal the allocated arm without naming it (INTERCHANGE.md
    "Blinding"): never shown to a blinded reader."""
    window_source: str = ""
    """Where the visit windows come from (a published schedule, or a protocol setting)."""

    @property
    def windowed_visits(self) -> tuple[Visit, ...]:
        """The visits that have a window, in schedule order."""
        return tuple(v for v in self.schedule if v.window is not None)

    @property
    def followup_visits(self) -> tuple[Visit, ...]:
        """The follow-up visits, in schedule order (the rows of visits.csv)."""
        return tuple(v for v in self.schedule if v.follow_up)

    def summary_visit(self, name: str) -> str | None:
        """The follow-up visit whose value of ``name`` participants.csv holds: the primary
        follow-up visit when it records ``name``, else the last follow-up visit that does
        (ovaregen's rule where INTERCHANGE.md names only the primary visit)."""
        recording = [v.id for v in self.followup_visits if name in v.records]
        if not recording:
            return None
        if self.primary_followup_visit in recording:
            return self.primary_followup_visit
        return recording[-1]

    def reveals_arm(self, name: str) -> bool:
        """Whether a variable is arm-revealing in this protocol."""
        return name in self.arm_revealing

    @property
    def label_poi_edition(self) -> PoiEdition:
        """The edition of the ``poi`` screening column: the protocol's, else the default."""
        return self.poi_edition or DEFAULT_POI_EDITION

    def with_settings(self, settings: DiagnosisSettings) -> Protocol:
        """The same protocol screened with other guideline cut-offs."""
        return replace(self, settings=settings)

    def rules(self) -> ProtocolRules:
        """Every criterion this protocol's screening evaluates, built for its settings."""
        return build_rules(self)


@dataclass(frozen=True)
class ProtocolRules:
    """The evaluated criteria of a protocol: diagnoses, then inclusion, then exclusion."""

    protocol: Protocol
    rule_set: RuleSet
    inclusion: tuple[Criterion, ...]
    exclusion: tuple[Criterion, ...]
    poseidon_group: pl.Expr

    @property
    def judged(self) -> tuple[Criterion, ...]:
        """The criteria that decide eligibility, in protocol order."""
        return self.inclusion + self.exclusion


def _diagnoses(protocol: Protocol) -> dict[str, Criterion]:
    """Diagnosis criteria a protocol can name, by id."""
    edition = protocol.label_poi_edition
    found: dict[str, Criterion] = {}
    for rule_set in (poi_rules(edition), bologna_rules(protocol.settings)):
        found.update({c.id: c for c in rule_set.criteria})
    found["dor"] = dor_rule(protocol.settings)
    return found


def _range_rule(spec: CriterionSpec) -> tuple[pl.Expr, tuple[str, ...]]:
    rule = spec.rule
    names = rule.get("variables") or [rule["variable"]]
    bounds: dict[str, Callable[[pl.Expr, float], pl.Expr]] = {
        "at_least": operator.ge,
        "above": operator.gt,
        "below": operator.lt,
        "at_most": operator.le,
    }
    conditions = [
        test(pl.col(name), rule[key])
        for name in names
        for key, test in bounds.items()
        if key in rule
    ]
    if not conditions:
        raise ProtocolError(f"criterion {spec.id}: a range needs at_least/above/below/at_most")
    return all_of(conditions), tuple(names)


def _inclusion(spec: CriterionSpec, diagnoses: Mapping[str, Criterion]) -> Criterion:
    rule = spec.rule
    parts: tuple[str, ...] = ()
    if "any_of" in rule or "diagnosis" in rule:
        named = rule.get("any_of") or [rule["diagnosis"]]
        unknown = [n for n in named if n not in diagnoses]
        if unknown:
            raise ProtocolError(
                f"criterion {spec.id}: unknown diagnosis {', '.join(unknown)}; "
                f"known: {', '.join(sorted(diagnoses))}"
            )
        chosen = [diagnoses[n] for n in named]
        expression = any_of(c.expression for c in chosen)
        inputs = tuple(dict.fromkeys(i for c in chosen for i in c.inputs))
        parts = tuple(named)
    elif "flag" in rule:
        expected = rule.get("equals", True)
        if not isinstance(expected, bool):
            raise ProtocolError(f"criterion {spec.id}: 'equals' must be true or false")
        flag = pl.col(rule["flag"])
        expression = flag if expected else ~flag
        inputs = (rule["flag"],)
    else:
        expression, inputs = _range_rule(spec)
    return Criterion(
        spec.id, spec.description, spec.source, inputs, expression, Role.INCLUSION, parts
    )


def build_rules(protocol: Protocol) -> ProtocolRules:
    """Build the protocol's criteria for its settings and POI edition."""
    diagnoses = _diagnoses(protocol)
    inclusion = tuple(_inclusion(spec, diagnoses) for spec in protocol.inclusion)
    exclusion = tuple(
        Criterion(
            f"excl.{name}",
            EXCLUSION_CONDITIONS[name],
            protocol.source,
            (name,),
            pl.col(name),
            Role.EXCLUSION,
        )
        for name in protocol.exclusion
    )
    rule_set = RuleSet(
        f"protocol-{protocol.name}",
        protocol.version,
        protocol.source,
        (*diagnoses.values(), *inclusion, *exclusion),
    )
    return ProtocolRules(
        protocol, rule_set, inclusion, exclusion, poseidon_group(protocol.settings)
    )


# --- loading -----------------------------------------------------------------------------


def _require(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise ProtocolError(f"{where}: '{key}' is required")
    return data[key]


def _check_variable(name: str, where: str, kinds: tuple[Kind, ...] | None = None) -> None:
    try:
        found = variable(name, DatasetFile.PARTICIPANTS)
    except KeyError as error:
        raise ProtocolError(f"{where}: {error.args[0]}") from None
    if kinds and found.kind not in kinds:
        raise ProtocolError(f"{where}: {name} is a {found.kind} variable, expected {kinds[0]}")


_RULE_KEYS = {"any_of", "diagnosis", "flag", "equals", "variable", "variables"} | {
    "at_least",
    "above",
    "below",
    "at_most",
}


def _criterion_spec(data: Mapping[str, Any], where: str, default_source: str) -> CriterionSpec:
    cid = _require(data, "id", where)
    where = f"{where} {cid}"
    if not str(cid).startswith("incl."):
        raise ProtocolError(f"{where}: inclusion criterion ids start with 'incl.'")
    rule = {k: v for k, v in data.items() if k in _RULE_KEYS}
    extra = set(data) - _RULE_KEYS - {"id", "description", "source"}
    if extra:
        raise ProtocolError(f"{where}: unknown keys {', '.join(sorted(extra))}")
    if "flag" in rule:
        _check_variable(rule["flag"], where, (Kind.BOOLEAN,))
    for name in rule.get("variables") or ([rule["variable"]] if "variable" in rule else []):
        _check_variable(name, where, (Kind.NUMBER, Kind.INTEGER))
    if not rule:
        raise ProtocolError(f"{where}: no rule (any_of, diagnosis, flag or a range)")
    return CriterionSpec(
        str(cid),
        str(_require(data, "description", where)),
        str(data.get("source", default_source)),
        rule,
    )


def protocol_from_mapping(data: Mapping[str, Any], origin: str = "protocol") -> Protocol:
    """Build and check a :class:`Protocol` from a parsed protocol file."""
    name = str(_require(data, "name", origin))
    where = f"{origin} ({name})"
    source = str(_require(data, "source", where))
    edition_value = data.get("poi_edition")
    try:
        edition = PoiEdition(edition_value) if edition_value else None
        settings_data = dict(data.get("settings") or {})
        if "poseidon_reserve" in settings_data:
            settings_data["poseidon_reserve"] = ReserveLogic(settings_data["poseidon_reserve"])
        settings = DiagnosisSettings(**settings_data)
    except (ValueError, TypeError) as error:
        raise ProtocolError(f"{where}: {error}") from None
    exclusion = tuple(str(e) for e in data.get("exclusion") or ())
    for flag in exclusion:
        if flag not in EXCLUSION_CONDITIONS:
            raise ProtocolError(f"{where}: exclusion {flag!r} is not an exclusion condition")
    schedule = tuple(_visits(data.get("schedule") or (), where))
    protocol = Protocol(
        name=name,
        title=str(_require(data, "title", where)),
        version=str(_require(data, "version", where)),
        design=str(_require(data, "design", where)),
        registry=str(data.get("registry", "")),
        source=source,
        poi_edition=edition,
        settings=settings,
        inclusion=tuple(
            _criterion_spec(c, f"{where} inclusion", source) for c in data.get("inclusion") or ()
        ),
        exclusion=exclusion,
        arms=tuple(
            Arm(str(a["id"]), str(a["label"]), str(a.get("description", "")))
            for a in data.get("arms") or ()
        ),
        schedule=tuple(schedule),
        endpoints=tuple(
            Endpoint(
                str(e["id"]), str(e["label"]), str(e["definition"]), bool(e.get("primary", False))
            )
            for e in data.get("endpoints") or ()
        ),
        target_enrolment=data.get("target_enrolment"),
        gcsf_titration=data.get("gcsf_titration"),
        primary_followup_visit=_primary_followup_visit(data, schedule, where),
        arm_revealing=_arm_revealing(data, where),
        window_source=_window_source(data, schedule, where),
    )
    protocol = replace(
        protocol,
        primary_outcome=_primary_outcome(data, protocol, where),
        schedule=_blinded_schedule(protocol, where),
    )
    build_rules(protocol)  # every named diagnosis and variable resolves
    return protocol


def _visits(entries: Any, where: str) -> list[Visit]:
    """The schedule: each visit records either follow-up measurements (``repeated``
    variables, a follow-up visit) or values held once per woman; such a value is recorded
    at one visit only, so that it is stored once."""
    visits: list[Visit] = []
    home: dict[str, str] = {}
    for entry in entries:
        vid = str(_require(entry, "id", f"{where} schedule"))
        here = f"{where} visit {vid}"
        if any(v.id == vid for v in visits):
            raise ProtocolError(f"{here}: the visit id is used twice")
        records = tuple(str(r) for r in entry.get("records") or ())
        for record in records:
            _check_variable(record, here)
        repeated = {r for r in records if variable(r).repeated}
        if repeated and len(repeated) < len(records):
            once = ", ".join(r for r in records if r not in repeated)
            raise ProtocolError(
                f"{here}: mixes follow-up measurements with values held once per woman "
                f"({once}); put them in separate visits"
            )
        for record in records:
            if record not in repeated and record in home:
                raise ProtocolError(
                    f"{here}: {record} is recorded at visit {home[record]} already; a value "
                    "held once per woman is recorded at one visit"
                )
            home.setdefault(record, vid)
        visits.append(
            Visit(
                vid,
                str(_require(entry, "label", here)),
                str(entry.get("timing", "")),
                records,
                bool(entry.get("pregnancies", False)),
                follow_up=bool(repeated),
                window=_window(entry, bool(repeated), visits, here),
            )
        )
    return visits


def _window(
    entry: Mapping[str, Any], follow_up: bool, earlier: list[Visit], here: str
) -> Window | None:
    """A visit's window (``domain.visit_windows`` rules): only on a follow-up visit, whose form
    has a visit date, and later than the windows of the visits before it."""
    if entry.get("window") is None:
        return None
    if not follow_up:
        raise ProtocolError(
            f"{here}: only a follow-up visit (one whose form records the visit date) has a "
            "window; this visit records no visit date"
        )
    try:
        window = window_from_mapping(entry["window"])
    except ValueError as error:
        raise ProtocolError(f"{here}: {error}") from None
    windows = [(v.id, v.window) for v in earlier if v.window is not None]
    if windows and window.day <= windows[-1][1].day:
        raise ProtocolError(
            f"{here}: window target day {window.day} is not after the target day "
            f"{windows[-1][1].day} of the earlier visit {windows[-1][0]}"
        )
    return window


def _window_source(data: Mapping[str, Any], schedule: Sequence[Visit], where: str) -> str:
    source = str(data.get("window_source") or "")
    if any(v.window is not None for v in schedule) and not source:
        raise ProtocolError(
            f"{where}: 'window_source' is required with visit windows (the published "
            "schedule, or 'protocol setting' with the reason)"
        )
    return source


def _blinded_schedule(protocol: Protocol, where: str) -> tuple[Visit, ...]:
    """Each visit marked arm-revealing when it records arm-revealing variables, which then are
    all it records: a blinded reader sees a visit whole or not at all."""
    visits = []
    for visit in protocol.schedule:
        revealing = [r for r in visit.records if protocol.reveals_arm(r)]
        if revealing and len(revealing) < len(visit.records):
            others = ", ".join(r for r in visit.records if not protocol.reveals_arm(r))
            raise ProtocolError(
                f"{where} visit {visit.id}: records arm-revealing variables "
                f"({', '.join(revealing)}) beside others ({others}); put them in a visit of "
                "their own, recorded by the unblinded treatment team"
            )
        if revealing and visit.follow_up:
            raise ProtocolError(
                f"{where} visit {visit.id}: a follow-up visit cannot reveal the arm"
            )
        visits.append(replace(visit, arm_revealing=bool(revealing)))
    return tuple(visits)


def _primary_followup_visit(
    data: Mapping[str, Any], schedule: tuple[Visit, ...], where: str
) -> str | None:
    followup = [v.id for v in schedule if v.follow_up]
    named = data.get("primary_followup_visit")
    if named is None:
        if followup:
            raise ProtocolError(
                f"{where}: 'primary_followup_visit' is required (one of {', '.join(followup)})"
            )
        return None
    if str(named) not in followup:
        raise ProtocolError(
            f"{where}: primary_followup_visit {named!r} is not a follow-up visit of the "
            f"schedule (expected one of {', '.join(followup) or 'none'})"
        )
    return str(named)


def _arm_revealing(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    names = tuple(str(n) for n in data.get("arm_revealing") or ())
    for name in names:
        _check_variable(name, f"{where} arm_revealing")
    if names and len(data.get("arms") or ()) < 2:
        raise ProtocolError(f"{where}: arm_revealing variables need a study with several arms")
    return names


def _primary_outcome(
    data: Mapping[str, Any], protocol: Protocol, where: str
) -> PrimaryOutcome | None:
    entry = data.get("primary_outcome")
    if entry is None:
        return None
    here = f"{where} primary_outcome"
    measure = str(_require(entry, "measure", here))
    visit_id = str(_require(entry, "visit", here))
    visit = next((v for v in protocol.followup_visits if v.id == visit_id), None)
    if visit is None:
        raise ProtocolError(f"{here}: visit {visit_id!r} is not a follow-up visit")
    endpoints = {e.id for e in protocol.endpoints}
    if measure not in endpoints and measure not in visit.records:
        raise ProtocolError(
            f"{here}: {measure!r} is neither an endpoint of the protocol nor recorded at "
            f"visit {visit_id}"
        )
    baseline = entry.get("baseline")
    if baseline is not None:
        _check_variable(str(baseline), here, (Kind.NUMBER, Kind.INTEGER))
    return PrimaryOutcome(
        measure,
        visit_id,
        None if baseline is None else str(baseline),
        str(_require(entry, "rationale", here)),
    )


def load_protocol(name_or_path: str) -> Protocol:
    """A shipped protocol by name (``regenera``, ``mensc``, ``ucmsc-rct``) or a YAML file."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"}:
        if not path.is_file():
            raise ProtocolError(f"protocol file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        origin = str(path)
    else:
        if name_or_path not in PROTOCOL_NAMES:
            raise ProtocolError(
                f"unknown protocol {name_or_path!r}; choose one of {', '.join(PROTOCOL_NAMES)}"
            )
        resource = resources.files("ovaregen.protocols") / f"{name_or_path}.yaml"
        text = resource.read_text(encoding="utf-8")
        origin = f"{name_or_path}.yaml"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProtocolError(f"{origin}: not valid YAML ({error})") from None
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{origin}: expected a mapping at the top level")
    return protocol_from_mapping(data, origin)


def shipped_protocols() -> tuple[Protocol, ...]:
    """The three shipped protocols, in the order of STUDIES.md."""
    return tuple(load_protocol(name) for name in PROTOCOL_NAMES)
