"""Regenerate the small example dataset shipped with ovaregen (used by ``make demo``).

A Regenera-like clinic sample of 48 women: a mix of POR, DOR and POI, some with missing values
(so that screening shows ``unknown``), some screen failures and losses to follow-up, baseline
counts in /mm³ as Study A's clinic records them. Fictional data; seeded, so the file is stable.

    .venv/bin/python scripts/make_example_dataset.py
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from ovaregen.domain.protocols import load_protocol

OUT = Path(__file__).resolve().parent.parent / "src/ovaregen/examples/clinic-sample"
EXCLUSIONS = load_protocol("regenera").exclusion
GRADES = ("none", "mild", "moderate")


def woman(rng: random.Random, number: int) -> tuple[dict[str, object], list[dict[str, object]]]:
    kind = rng.choice(("por", "por", "dor", "poi"))
    age = round(rng.uniform(36, 44) if kind != "poi" else rng.uniform(26, 39), 1)
    afc = rng.randint(0, 4) if kind in ("dor", "poi") else rng.randint(3, 9)
    amh = round(rng.uniform(0.05, 1.15) if kind != "por" else rng.uniform(0.4, 2.0), 2)
    start = date(2023, 1, 9) + timedelta(days=7 * number)
    row: dict[str, object] = {
        "participant_id": f"RG-{number:03d}",
        "site": rng.choice(("Madrid", "Valencia")),
        "status": "completed",
        "age_years": age,
        "ethnicity": rng.choice(("caucasian",) * 7 + ("arab", "arab", "hispanic")),
        "amh_ng_ml": amh,
        "afc": afc,
        "amenorrhea_months": rng.choice((0, 0, 2, 6, 12)) if kind != "poi" else rng.randint(4, 30),
        "menses": "amenorrhea" if kind == "poi" else rng.choice(("regular", "irregular")),
        "prior_oocytes_retrieved": rng.randint(0, 3) if kind == "por" else rng.choice(("", 2, 5)),
        "prior_por_cycles": rng.randint(1, 3) if kind == "por" else rng.randint(0, 1),
        "prior_por_cycles_max_stim": rng.choice((0, 0, 1, 2)),
        "por_risk_factor": rng.choice(("", "", "false", "true")),
        "hemoglobin_g_dl": round(rng.uniform(11.0, 15.5), 1),
        "wbc_per_mm3": rng.randint(3300, 9800),
        "platelets_per_mm3": rng.randint(150_000, 400_000),
    }
    if kind == "poi":
        fsh_date = start - timedelta(days=rng.randint(60, 120))
        row |= {
            "fsh_1_iu_l": round(rng.uniform(30, 90), 1),
            "fsh_1_date": fsh_date.isoformat(),
            "fsh_2_iu_l": round(rng.uniform(26, 90), 1),
            "fsh_2_date": (fsh_date + timedelta(days=rng.choice((21, 35, 42)))).isoformat(),
        }
    for name in EXCLUSIONS:
        row[name] = "false"
    if number % 11 == 4:
        row["endometriosis"] = "true"
        row["status"] = "screen_failed"
        return row, []
    if number % 13 == 6:  # serology not back yet: eligibility unknown
        for name in ("hbsag", "anti_hbc", "hcv"):
            row[name] = ""
    dose = 10.0
    symptoms = []
    for day in (1, 2, 3, 4):
        wbc = round(rng.uniform(8, 16) * day * 0.9 + rng.uniform(0, 20), 1)
        symptom = rng.choices(GRADES, weights=(5, 4, 1))[0] if day > 1 else "none"
        row[f"gcsf_d{day}_ug_kg"] = dose
        row[f"wbc_d{day}_10e9_l"] = wbc
        row[f"symptoms_d{day}"] = symptom
        symptoms.append(symptom)
        if wbc >= 70 or symptom == "moderate":
            dose = 5.0
    row["wbc_d5_per_mm3"] = rng.randint(20_000, 58_000)
    row["cd34_d5_per_ul"] = rng.randint(5, 90)
    row["prp_volume_ml"] = round(rng.uniform(3.6, 8.0), 1)
    row["treatment_date"] = (start + timedelta(days=4)).isoformat()
    row["injections"] = 1
    if number % 9 == 3:
        row["status"] = "lost_to_follow_up"
        return row, []
    activated = rng.random() < 0.68
    row["afc_post"] = afc + (rng.randint(3, 6) if activated else rng.randint(0, 2))
    row["amh_post_ng_ml"] = round(amh * (rng.uniform(1.25, 2.0) if activated else 1.0), 2)
    row["ivf_after_treatment"] = rng.choice(("true", "false"))
    row["followup_months"] = rng.randint(3, 6)
    pregnancies = []
    if activated and rng.random() < 0.3:
        conception = "ivf" if row["ivf_after_treatment"] == "true" else "spontaneous"
        outcome = rng.choice(("live_birth", "ongoing", "miscarriage"))
        pregnancies.append(
            {
                "participant_id": row["participant_id"],
                "conception": conception,
                "months_after_treatment": rng.randint(1, 5),
                "outcome": outcome,
                "infants_live_born": 1 if outcome == "live_birth" else 0,
                "infant_death_first_year": 0,
                "congenital_anomaly": 0,
            }
        )
    return row, pregnancies


def main() -> None:
    rng = random.Random(20230109)
    rows, pregnancies = [], []
    for number in range(1, 49):
        row, own = woman(rng, number)
        rows.append(row)
        pregnancies += own
    rows[7]["age_years"] = ""  # a missing age: POI and eligibility become unknown
    OUT.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for name, data, header in (
        ("participants.csv", rows, columns),
        ("pregnancies.csv", pregnancies, list(pregnancies[0])),
    ):
        with (OUT / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(data)


if __name__ == "__main__":
    main()
