"""An independent, plain-Python reading of CRITERIA.md, one participant at a time.

Written from the text of ``shared/spec/CRITERIA.md``, not from the Polars engine, with
``None`` for unknown. The tests compare the vectorised screening with it on generated cohorts,
and the benchmark times it as the participant-by-participant baseline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

Row = dict[str, Any]
Tri = bool | None

REGENERA_EXCLUSIONS = (
    "genetic_poi",
    "autoimmune_poi",
    "endometriosis",
    "pelvic_adhesions",
    "ovaries_inaccessible",
    "hbsag",
    "anti_hbc",
    "hcv",
    "hiv",
    "syphilis",
    "lab_abnormality",
    "product_allergy",
)
UCMSC_EXCLUSIONS = (
    "karyotype_abnormal",
    "partner_karyotype_abnormal",
    "endometriosis",
    "adenomyosis",
    "ovarian_tumor_history",
    "uterine_dysplasia",
    "autoimmune_disease",
    "serious_illness",
    "hrt_contraindication",
    "recent_poi_trial",
    "partner_severe_male_factor",
)


def k_and(values: Iterable[Tri]) -> Tri:
    values = list(values)
    if any(v is False for v in values):
        return False
    if all(v is True for v in values):
        return True
    return None


def k_or(values: Iterable[Tri]) -> Tri:
    values = list(values)
    if any(v is True for v in values):
        return True
    if all(v is False for v in values):
        return False
    return None


def k_not(value: Tri) -> Tri:
    return None if value is None else not value


def compare(value: float | None, test: str, threshold: float) -> Tri:
    if value is None:
        return None
    return {
        "<": value < threshold,
        "<=": value <= threshold,
        ">": value > threshold,
        ">=": value >= threshold,
    }[test]


def fsh_2016(row: Row) -> Tri:
    f1, f2 = row.get("fsh_1_iu_l"), row.get("fsh_2_iu_l")
    d1, d2 = row.get("fsh_1_date"), row.get("fsh_2_date")
    gap = abs((d2 - d1).days) if isinstance(d1, date) and isinstance(d2, date) else None
    if any(f is not None and f <= 25 for f in (f1, f2)):
        return False
    if f1 is not None and f2 is not None and gap is not None and gap <= 28:
        return False
    if f1 is not None and f2 is not None and f1 > 25 and f2 > 25 and gap is not None and gap > 28:
        return True
    return None


def fsh_2024(row: Row) -> Tri:
    recorded = [f for f in (row.get("fsh_1_iu_l"), row.get("fsh_2_iu_l")) if f is not None]
    if any(f > 25 for f in recorded):
        return True
    if recorded:
        return False
    return None


def poi_parts(row: Row, edition: str) -> tuple[Tri, Tri, Tri]:
    age = compare(row.get("age_years"), "<", 40)
    cycle = compare(row.get("amenorrhea_months"), ">=", 4)
    fsh = fsh_2016(row) if edition == "2016" else fsh_2024(row)
    return age, cycle, fsh


def poi(row: Row, edition: str) -> Tri:
    return k_and(poi_parts(row, edition))


def fluctuating_poi(row: Row, edition: str) -> Tri:
    age, cycle, fsh = poi_parts(row, edition)
    if age is False:
        return False
    if cycle is not None and fsh is not None:
        exactly_one = cycle != fsh
        return exactly_one if age is True else (None if exactly_one else False)
    # one of cycle/fsh unknown: both "exactly one" and "not exactly one" stay possible
    return None


def bologna(row: Row, afc_cut: float = 7, amh_cut: float = 1.1) -> Tri:
    risk = row.get("por_risk_factor") is True
    age = compare(row.get("age_years"), ">=", 40)
    feature_i = True if risk else age
    feature_ii = compare(row.get("prior_por_cycles"), ">=", 1)
    feature_iii = k_or(
        [compare(row.get("afc"), "<", afc_cut), compare(row.get("amh_ng_ml"), "<", amh_cut)]
    )
    features = [feature_i, feature_ii, feature_iii]
    true_count = sum(f is True for f in features)
    possible = sum(f is not False for f in features)
    two = True if true_count >= 2 else (False if possible < 2 else None)
    max_stim = compare(row.get("prior_por_cycles_max_stim"), ">=", 2)
    return k_or([two, max_stim])


def poseidon(row: Row) -> str:
    afc, amh, age = row.get("afc"), row.get("amh_ng_ml"), row.get("age_years")
    oocytes = row.get("prior_oocytes_retrieved")
    if afc is None or amh is None:
        return "unknown"
    afc_low, amh_low = afc < 5, amh < 1.2
    if afc_low != amh_low:
        return "unclassified"
    if afc_low:
        if age is None:
            return "unknown"
        return "3" if age < 35 else "4"
    if oocytes is None:
        return "unknown"
    if oocytes >= 10:
        return "none"
    if age is None:
        return "unknown"
    return ("1" if age < 35 else "2") + ("a" if oocytes < 4 else "b")


def dor(row: Row) -> Tri:
    return k_and([compare(row.get("afc"), "<", 5), compare(row.get("amh_ng_ml"), "<", 1.2)])


def flag(row: Row, name: str) -> Tri:
    value = row.get(name)
    return None if value is None else bool(value)


def judged(row: Row, protocol: str) -> list[tuple[str, Tri, bool]]:
    """(criterion id, value, is_exclusion) in protocol order."""
    age = row.get("age_years")
    if protocol == "regenera":
        diagnosis = k_or([bologna(row), dor(row), poi(row, "2016"), fluctuating_poi(row, "2016")])
        criteria = [
            ("incl.ovarian_failure", diagnosis, False),
            ("incl.age", compare(age, ">=", 18), False),
        ]
        exclusions = REGENERA_EXCLUSIONS
    elif protocol == "mensc":
        criteria = [("incl.por_bologna", bologna(row), False)]
        exclusions = ()
    else:
        ovaries = k_and(
            [
                compare(row.get("ovary_left_mm"), ">", 10),
                compare(row.get("ovary_right_mm"), ">", 10),
            ]
        )
        criteria = [
            ("incl.poi", poi(row, "2016"), False),
            (
                "incl.no_spontaneous_follicular_activity",
                k_not(flag(row, "spontaneous_follicular_activity")),
                False,
            ),
            ("incl.married", flag(row, "married"), False),
            ("incl.age", k_and([compare(age, ">=", 20), compare(age, "<", 40)]), False),
            ("incl.ovary_diameter", ovaries, False),
            ("incl.consent", flag(row, "consent"), False),
        ]
        exclusions = UCMSC_EXCLUSIONS
    criteria += [(f"excl.{name}", flag(row, name), True) for name in exclusions]
    return criteria


def screen_one(row: Row, protocol: str) -> dict[str, str]:
    """One participant's screening row, as ``ovaregen screen`` writes it."""
    criteria = judged(row, protocol)
    failed = [cid for cid, v, excl in criteria if v is bool(excl)]
    unknown = [cid for cid, v, _ in criteria if v is None]
    eligible = k_and([k_not(v) if excl else v for _, v, excl in criteria])
    edition = "2024" if protocol == "mensc" else "2016"

    def label(value: Tri) -> str:
        return "unknown" if value is None else ("true" if value else "false")

    return {
        "participant_id": row["participant_id"],
        "poi": label(poi(row, edition)),
        "por_bologna": label(bologna(row)),
        "poseidon_group": poseidon(row),
        "eligible": label(eligible),
        "failed_criteria": ";".join(failed),
        "unknown_criteria": ";".join(unknown),
    }
