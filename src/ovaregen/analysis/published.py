"""The published figures of the three studies, by plan and result id (STUDIES.md).

A report prints each beside the figure reproduced from the data, so that a reader sees at a
glance whether a synthetic (or re-entered) cohort gives the paper's numbers. Texts are quoted as
the papers print them, slips included, with a note where a slip is known.
"""

from __future__ import annotations

PUBLISHED: dict[str, dict[str, str]] = {
    "regenera": {
        "activation_rate": "99/145 (68.28%)",
        "age_by_activation": "p = 0.9 (age 40 (26–44) vs 40 (31–44))",
        "cd34_by_activation": "p = 0.05 (26.5 (9–73) vs 33.1 (2–140) /µL)",
        "wbc_d5_by_activation": "37,666 vs 36,359 /mm³",
        "wbc_cd34_correlation": "r = 0.465, p < 0.001",
        "roc_cd34_activation": "AUC 0.487 (cut-off printed as 5248.8 CD34+/mm³, a unit slip)",
        "roc_wbc_activation": "Youden cut-off 33,340 leukocytes/mm³",
        "activation_by_age_group": "women < 38 activated more often than ≥ 38",
        "spontaneous_pregnancy_rate_activated": "7/99 (7.07%)",
        "ivf_pregnancy_rate_activated": "14/99 (14.14%)",
        "pregnancy_rate_not_activated": "0/46",
    },
    "mensc": {
        "pregnancy_rate": "38/105 (36.19%)",
        "spontaneous_pregnancy_rate": "27/105 (25.7%)",
        "ivf_pregnancy_rate": "13/54 (24%)",
        "pregnancy_by_age_group": "12/23 vs 26/82; χ² 2.4321, p 0.1189",
        "pregnancy_by_menses": "33/91 vs 5/14; χ² 6.0062e-31, p 1",
        "pregnancy_by_injections": "29/70 vs 9/35 (not tested)",
        "infants_per_woman": '32/105 = 30.48% ("live birth rate per treatment cycle")',
        "infants_per_pregnancy": '32/43 = 74.42% ("live birth rate per pregnancy")',
        "live_birth_rate_per_pregnancy": "31/43 = 72.09% (conventional; not printed)",
        "miscarriage_rate_per_pregnancy": "12/43",
        "months_to_pregnancy_spontaneous": "median 3 (1–24) months",
        "months_to_pregnancy_ivf": "median 5.5 (2–13) months",
        "age_of_pregnant_women": "median 36 (24–42/43)",
    },
    "ucmsc-rct": {},
}
"""Plan → result id → the published figure as printed. Study C has posted no results."""
