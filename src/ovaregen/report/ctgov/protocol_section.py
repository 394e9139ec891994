"""``protocolSection`` of a ClinicalTrials.gov API v2 study from the protocol file.

Rules (ClinicalTrials.gov data element definitions, as named in the OpenAPI ``Study`` schema):
the NCT number is the protocol's registry id of the form ``NCT`` + 8 digits; the study is
interventional and randomised when its design says "randomised"; masking is read from the
design's "single/double/triple/quadruple-blind (roles…)"; ages are "N Years" strings; the
eligibility text lists inclusion then exclusion criteria as the registry's markdown bullets.
What the protocol does not hold (phase, dates, sponsor, locations) is left for the sponsor.
"""

from __future__ import annotations

import re
from typing import Any

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import variable

_NCT = re.compile(r"NCT\d{8}")
_MASKING = {"single": "SINGLE", "double": "DOUBLE", "triple": "TRIPLE", "quadruple": "QUADRUPLE"}
_ROLES = {
    "participant": "PARTICIPANT",
    "care provider": "CARE_PROVIDER",
    "investigator": "INVESTIGATOR",
    "outcomes assessor": "OUTCOMES_ASSESSOR",
}

Json = dict[str, Any]


def randomised(protocol: Protocol) -> bool:
    """A randomised study: its design says so (the ``design`` line of the protocol file)."""
    design = protocol.design.lower()
    return "randomised" in design or "randomized" in design


def nct_id(protocol: Protocol) -> str | None:
    """The protocol's ClinicalTrials.gov number, if its registry ids hold one."""
    found = _NCT.search(protocol.registry)
    return found.group(0) if found else None


def _masking(design: str) -> Json:
    blind = re.search(r"(single|double|triple|quadruple)-blind(?:[^(,]*\(([^)]*)\))?", design)
    if blind is None:
        return {"masking": "NONE"}
    roles = [r.strip() for r in (blind.group(2) or "").split(",")]
    who = [_ROLES[r] for r in roles if r in _ROLES]
    return {"masking": _MASKING[blind.group(1)], **({"whoMasked": who} if who else {})}


def _design(protocol: Protocol, enrolled: int | None) -> Json:
    design = protocol.design.lower()
    enrollment: Json = (
        {"count": enrolled, "type": "ACTUAL"}
        if enrolled is not None
        else {"count": protocol.target_enrolment or 0, "type": "ESTIMATED"}
    )
    if randomised(protocol):
        info: Json = {
            "allocation": "RANDOMIZED",
            "interventionModel": "CROSSOVER" if "crossover" in design else "PARALLEL",
            "maskingInfo": _masking(design),
        }
        return {"studyType": "INTERVENTIONAL", "designInfo": info, "enrollmentInfo": enrollment}
    perspective = "RETROSPECTIVE" if "retrospective" in design else "PROSPECTIVE"
    info = {"observationalModel": "COHORT", "timePerspective": perspective}
    return {"studyType": "OBSERVATIONAL", "designInfo": info, "enrollmentInfo": enrollment}


def _arm_type(index: int, description: str) -> str:
    if "comparator" in description.lower():
        return "ACTIVE_COMPARATOR"
    return "EXPERIMENTAL" if index == 0 else "OTHER"


def _intervention_type(description: str) -> str:
    text = description.lower()
    return "BIOLOGICAL" if "cell" in text or "msc" in text else "DRUG"


def _arms(protocol: Protocol) -> Json:
    groups = [
        {
            "label": arm.label,
            "type": _arm_type(i, arm.description),
            "description": arm.description,
            "interventionNames": [arm.label],
        }
        for i, arm in enumerate(protocol.arms)
    ]
    interventions = [
        {
            "type": _intervention_type(arm.description),
            "name": arm.label,
            "description": arm.description,
            "armGroupLabels": [arm.label],
        }
        for arm in protocol.arms
    ]
    return {"armGroups": groups, "interventions": interventions}


def _ages(protocol: Protocol) -> Json:
    """Minimum and maximum age from the inclusion rule on ``age_years`` ("below 40" → 39)."""
    ages: Json = {}
    for criterion in protocol.inclusion:
        rule = criterion.rule
        if rule.get("variable") != "age_years":
            continue
        if "at_least" in rule:
            ages["minimumAge"] = f"{int(rule['at_least'])} Years"
        elif "above" in rule:
            ages["minimumAge"] = f"{int(rule['above']) + 1} Years"
        if "below" in rule:
            ages["maximumAge"] = f"{int(rule['below']) - 1} Years"
        elif "at_most" in rule:
            ages["maximumAge"] = f"{int(rule['at_most'])} Years"
    return ages


def _words(name: str) -> str:
    """A variable's dictionary description (a derived one has none: its name in words)."""
    try:
        return variable(name).description
    except KeyError:
        return name.replace("_", " ")


def eligibility_text(protocol: Protocol) -> str:
    """The registry's criteria text: inclusion, then exclusion, one bullet each."""
    inclusion = "\n".join(f"* {c.description}" for c in protocol.inclusion)
    exclusion = "\n".join(f"* {variable(name).description}" for name in protocol.exclusion)
    return f"Inclusion Criteria:\n\n{inclusion}\n\nExclusion Criteria:\n\n{exclusion}"


def _eligibility(protocol: Protocol) -> Json:
    return {
        "eligibilityCriteria": eligibility_text(protocol),
        "healthyVolunteers": False,
        "sex": "FEMALE",
        **_ages(protocol),
    }


def _time_frame(protocol: Protocol, visit_id: str | None) -> str:
    for visit in protocol.schedule:
        if visit.id == visit_id:
            return f"{visit.timing} after the start of treatment"
    follow_up = [v.timing for v in protocol.schedule if v.window is not None or v.follow_up]
    return ", ".join(follow_up) if follow_up else "end of follow-up"


def _outcomes(protocol: Protocol) -> Json:
    primary: list[Json] = []
    if protocol.primary_outcome is not None:
        chosen = protocol.primary_outcome
        measure = _words(chosen.measure)
        adjusted = f", adjusted for baseline {_words(chosen.baseline)}" if chosen.baseline else ""
        primary.append(
            {
                "measure": measure,
                "description": f"{measure}, compared between arms{adjusted}",
                "timeFrame": _time_frame(protocol, chosen.visit),
            }
        )
    endpoints = [e for e in protocol.endpoints if not (e.primary and primary)]
    listed = [{"measure": e.label, "description": e.definition} for e in endpoints]
    for outcome in listed:
        outcome["timeFrame"] = _time_frame(protocol, None)
    if not primary:
        return {"primaryOutcomes": listed[:1], "secondaryOutcomes": listed[1:]}
    return {"primaryOutcomes": primary, "secondaryOutcomes": listed}


def protocol_section(
    protocol: Protocol, enrolled: int | None = None, status: str = "NOT_YET_RECRUITING"
) -> Json:
    """``protocolSection`` of the study; ``enrolled`` the women actually enrolled (or None),
    ``status`` its ``overallStatus`` (``document.overall_status``)."""
    identification: Json = {
        "orgStudyIdInfo": {"id": protocol.name},
        "briefTitle": protocol.title,
        "officialTitle": f"{protocol.title}: {protocol.design}",
    }
    number = nct_id(protocol)
    if number is not None:
        identification = {"nctId": number, **identification}
    section: Json = {
        "identificationModule": identification,
        "statusModule": {"overallStatus": status},
        "designModule": _design(protocol, enrolled),
        "armsInterventionsModule": _arms(protocol),
        "eligibilityModule": _eligibility(protocol),
        "outcomesModule": _outcomes(protocol),
    }
    return section
