"""Study protocols as versioned data files (``ovaregen/protocols/*.yaml``).

A protocol names its POI edition, its inclusion and exclusion criteria by stable id, its arms,
its schedule of assessments (visits and the variables each records) and its endpoints. The
criteria are built from a small, checked vocabulary (a diagnosis, a range on a variable, a
flag), so that a protocol version is data, not a code path.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
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
    schedule = []
    for visit in data.get("schedule") or ():
        vid = str(_require(visit, "id", f"{where} schedule"))
        records = tuple(str(r) for r in visit.get("records") or ())
        for record in records:
            _check_variable(record, f"{where} visit {vid}")
        schedule.append(
            Visit(
                vid,
                str(_require(visit, "label", f"{where} visit {vid}")),
                str(visit.get("timing", "")),
                records,
                bool(visit.get("pregnancies", False)),
            )
        )
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
    )
    build_rules(protocol)  # every named diagnosis and variable resolves
    return protocol


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
