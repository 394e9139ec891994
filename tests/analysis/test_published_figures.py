"""The plans reproduce the published figures of studies A and B from patient-level data.

The datasets are the reconstructions of ``tests/reconstructions`` (every published count, built
independently of the plans), written to disk and analysed by the real command, as an outside
check does: ``ovaregen analyze DATASET --plan NAME --out DIR``, then ``DIR/results.json``.
Figures: shared/spec/STUDIES.md.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.reconstructions.study_a import write_study_a
from tests.reconstructions.study_b import write_study_b


def analyze(dataset: Path, plan: str, out: Path) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ovaregen",
            "analyze",
            str(dataset),
            "--plan",
            plan,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {r["id"]: r for r in document["results"]}


def table(out: Path, name: str) -> list[dict[str, str]]:
    with (out / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def study_b(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict[str, Any]], Path]:
    root = tmp_path_factory.mktemp("b")
    out = root / "analysis"
    return analyze(write_study_b(root / "dataset"), "mensc", out), out


@pytest.fixture(scope="module")
def study_a(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict[str, Any]], Path]:
    root = tmp_path_factory.mktemp("a")
    out = root / "analysis"
    return analyze(write_study_a(root / "dataset"), "regenera", out), out


# --- Study B ---------------------------------------------------------------------------------


def test_b_table_2_chi_squares_with_yates(study_b: tuple[dict[str, dict[str, Any]], Path]) -> None:
    results, _ = study_b
    age = results["pregnancy_by_age_group"]
    assert "Yates" in age["method"]
    assert (round(age["statistic"], 4), round(age["p_value"], 4), age["df"]) == (2.4321, 0.1189, 1)
    assert [(g["events"], g["n"]) for g in age["groups"]] == [(12, 23), (26, 82)]
    menses = results["pregnancy_by_menses"]
    assert menses["p_value"] == pytest.approx(1.0)
    assert menses["statistic"] == pytest.approx(0, abs=1e-12)  # published 6.0062e-31
    assert [(g["events"], g["n"]) for g in menses["groups"]] == [(33, 91), (5, 14)]
    injections = results["pregnancy_by_injections"]
    assert [(g["events"], g["n"]) for g in injections["groups"]] == [(29, 70), (9, 35)]


def test_b_pregnancy_and_live_birth_measures(
    study_b: tuple[dict[str, dict[str, Any]], Path],
) -> None:
    results, _ = study_b

    def ratio(id: str) -> tuple[int, int, float]:
        r = results[id]
        return r["numerator"], r["denominator"], round(100 * r["estimate"], 2)

    assert ratio("pregnancy_rate") == (38, 105, 36.19)
    assert ratio("spontaneous_pregnancy_rate") == (27, 105, 25.71)
    assert ratio("ivf_pregnancy_rate") == (13, 54, 24.07)
    assert ratio("infants_per_woman") == (32, 105, 30.48)  # the paper's "per treatment cycle"
    assert ratio("infants_per_pregnancy") == (32, 43, 74.42)  # the paper's "per pregnancy"
    assert ratio("live_birth_rate_per_pregnancy") == (31, 43, 72.09)  # conventional
    assert results["live_birth_rate_per_woman"]["denominator"] == 105
    assert ratio("miscarriage_rate_per_pregnancy") == (12, 43, 27.91)
    assert "Poisson" in results["infants_per_woman"]["method"]
    for id in ("pregnancy_rate", "live_birth_rate_per_woman", "infants_per_woman"):
        r = results[id]
        assert r["ci_low"] < r["estimate"] < r["ci_high"]


def test_b_time_to_pregnancy(study_b: tuple[dict[str, dict[str, Any]], Path]) -> None:
    results, _ = study_b
    spontaneous = results["months_to_pregnancy_spontaneous"]
    assert (spontaneous["estimate"], spontaneous["minimum"], spontaneous["maximum"]) == (3, 1, 24)
    assert spontaneous["n"] == 27
    ivf = results["months_to_pregnancy_ivf"]
    assert (ivf["estimate"], ivf["minimum"], ivf["maximum"], ivf["n"]) == (5.5, 2, 13, 13)
    km = results["time_to_pregnancy_km"]
    assert km["n"] == 105 and km["n_events"] == 38
    assert km["estimate"] is None  # 38 of 105 pregnant: the Kaplan–Meier median is not reached
    assert results["age_of_pregnant_women"]["estimate"] == 36


def test_b_tables(study_b: tuple[dict[str, dict[str, Any]], Path]) -> None:
    _, out = study_b
    transition = {
        (r["at_injection"], r["at_followup"]): int(r["n"]) for r in table(out, "menses_transition")
    }
    assert transition == {
        ("regular", "regular"): 78,
        ("regular", "irregular"): 12,
        ("regular", "menopause"): 1,
        ("irregular", "regular"): 6,
        ("irregular", "irregular"): 4,
        ("irregular", "menopause"): 4,
    }
    complications = {
        r["item"]: (int(r["n"]), int(r["total"])) for r in table(out, "table3_complications")
    }
    assert complications["ovarian cyst"] == (1, 105)
    assert complications["miscarriage"] == (12, 43)
    assert complications["congenital anomaly"] == (0, 32)  # over the 32 infants born alive
    assert complications["infant died within the first year"] == (0, 32)
    assert sum(n for n, _ in complications.values()) == 13
    rows = table(out, "table2_pregnancy_by_factor")
    assert rows[0]["level"] == "all women treated"
    assert rows[2]["chi_square"] and float(rows[2]["chi_square"]) == pytest.approx(2.4321, abs=5e-5)
    demographics = {r["variable"]: r for r in table(out, "table1_demographics") if not r["level"]}
    age = demographics["age_years"]
    assert not any(c.startswith("all_women_treated_") for c in age)  # one group: Overall only
    assert (
        round(float(age["overall_mean"]), 2),
        round(float(age["overall_sd"]), 2),
    ) == (
        37.91,
        4.98,
    )


# --- Study A ---------------------------------------------------------------------------------


def test_a_flow_and_activation(study_a: tuple[dict[str, dict[str, Any]], Path]) -> None:
    results, out = study_a
    flow = {r["stage"]: int(r["n"]) for r in table(out, "flow")}
    assert (flow["recruited"], flow["eligible"], flow["lost_to_follow_up"], flow["analysed"]) == (
        265,
        182,
        37,
        145,
    )
    activation = results["activation_rate"]
    assert (activation["numerator"], activation["denominator"]) == (99, 145)
    assert round(100 * activation["estimate"], 2) == 68.28


def test_a_pregnancies_with_their_denominators(
    study_a: tuple[dict[str, dict[str, Any]], Path],
) -> None:
    results, _ = study_a

    def ratio(id: str) -> tuple[int, int, float]:
        r = results[id]
        return r["numerator"], r["denominator"], round(100 * r["estimate"], 2)

    assert ratio("spontaneous_pregnancy_rate_activated") == (7, 99, 7.07)
    assert ratio("ivf_pregnancy_rate_activated") == (14, 99, 14.14)
    assert ratio("pregnancy_rate_not_activated") == (0, 46, 0.0)
    assert ratio("spontaneous_pregnancy_rate") == (7, 145, 4.83)  # not the abstract's 7.07%


def test_a_table_3_days_2_to_4(study_a: tuple[dict[str, dict[str, Any]], Path]) -> None:
    _, out = study_a
    counts = {
        (int(r["day"]), r["grade"]): (int(r["n"]), float(r["percent"]))
        for r in table(out, "table3_gcsf_symptoms_by_day")
    }
    published = {
        2: {"mild": (59, 40.69), "moderate": (12, 8.28), "none": (74, 51.03)},
        3: {"mild": (72, 49.66), "moderate": (20, 13.79), "none": (53, 36.55)},
        4: {"mild": (85, 58.62), "moderate": (17, 11.72), "none": (43, 29.66)},
    }
    for day, grades in published.items():
        for grade, (n, percent) in grades.items():
            assert counts[(day, grade)][0] == n
            assert round(counts[(day, grade)][1], 2) == percent
        assert counts[(day, "severe")][0] == 0
    assert counts[(1, "mild")][0] == 12 and counts[(1, "none")][0] == 74  # day +1 as printed


def test_a_correlation_roc_and_regression(study_a: tuple[dict[str, dict[str, Any]], Path]) -> None:
    results, _ = study_a
    assert results["wbc_cd34_correlation"]["estimate"] == pytest.approx(0.465, abs=0.03)
    assert results["wbc_cd34_correlation"]["p_value"] < 0.001
    roc = results["roc_cd34_activation"]
    assert roc["estimate"] < 0.5  # reported as it is, never flipped (published 0.487)
    assert roc["ci_low"] < roc["estimate"] < roc["ci_high"] and roc["cutoff"] is not None
    assert results["age_by_activation"]["p_value"] > 0.05  # published p = 0.9
    terms = {t["name"] for t in results["logistic_activation"]["terms"]}
    assert terms == {"age_years", "wbc_d5_10e9_l", "cd34_d5_per_ul"}
    equality = results["roc_age_groups_equality"]
    assert equality["df"] is not None and 0 <= equality["p_value"] <= 1
