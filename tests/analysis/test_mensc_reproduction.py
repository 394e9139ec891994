"""Every Study B figure of STUDIES.md is a reproduction target with a status (issue 12, item 2).

On the demo cohort (``synthesize("mensc", 105, 2026)``, written and read back as a user's
dataset), every target of ``ovaregen.analysis.targets_mensc`` is read off the plan's analysis:
each must be reproduced (none "not reproduced"), none may differ, and the three places where
the paper contradicts itself are flagged with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.reproduction import Status, reproduce
from ovaregen.analysis.result import Analysis
from ovaregen.analysis.targets_mensc import TARGETS
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.synth import PUBLISHED_SIZE, synthesize

INCONSISTENT = {"table2_age_group_1_percent", "menses_irregular_text", "pregnant_age_max"}
STUDIES_MD = {
    # STUDIES.md, Study B, "Published figures", in its order
    "women_treated": 105,
    "age_mean": 37.91,
    "age_sd": 4.98,
    "age_min": 24,
    "age_max": 45,
    "one_injection": 70,
    "two_injections": 35,
    "pregnant_women": 38,
    "pregnancy_rate": 36.19,
    "pregnant_spontaneously": 27,
    "pregnant_through_ivf": 13,
    "pregnant_both_ways": 2,
    "pregnant_twice": 1,
    "pregnant_three_times": 1,
    "pregnancies": 43,
    "underwent_ivf": 54,
    "ivf_pregnancy_rate": 24,
    "months_spontaneous_median": 3,
    "months_spontaneous_min": 1,
    "months_spontaneous_max": 24,
    "months_ivf_median": 5.5,
    "months_ivf_min": 2,
    "months_ivf_max": 13,
    "miscarriages": 12,
    "live_birth_pregnancies": 31,
    "twin_births": 1,
    "infants": 32,
    "infants_per_woman": 30.48,
    "infants_per_pregnancy": 74.42,
    "live_birth_rate_per_pregnancy": 72.09,
    "table2_age_chi_square": 2.4321,
    "table2_age_p": 0.1189,
    "table2_menses_chi_square": 6.0062e-31,
    "table2_menses_p": 1,
    "menses_regular": 91,
    "menses_irregular": 14,
    "menses_irregular_text": 24,
    "followup_regular": 84,
    "followup_irregular": 16,
    "followup_menopause": 5,
    "regular_to_irregular": 12,
    "regular_to_menopause": 1,
    "irregular_to_regular": 6,
    "irregular_to_menopause": 4,
    "ovarian_cyst": 1,
    "other_complications": 0,
    "infant_deaths": 0,
    "congenital_anomalies": 0,
    "pregnant_age_median": 36,
    "pregnant_age_min": 24,
    "pregnant_age_max": 43,
}
TABLE_2 = {  # factor: rows (pregnant, total, %)
    "age_group": ((12, 23, 52.17), (26, 82, 31.70)),
    "menses": ((33, 91, 36.26), (5, 14, 35.71)),
    "injections": ((29, 70, 41.43), (9, 35, 25.71)),
}


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    folder: Path = tmp_path_factory.mktemp("mensc-demo")
    write_dataset(synthesize("mensc", PUBLISHED_SIZE["mensc"], 2026), folder)
    report = validate_dataset(folder, load_protocol("mensc"))
    assert report.errors == 0 and report.dataset is not None
    return run_plan("mensc", report.dataset)


def test_every_studies_md_figure_is_a_target_as_printed() -> None:
    published = {t.id: t.published for t in TARGETS}
    assert len(published) == len(TARGETS)  # ids are unique
    for id, value in STUDIES_MD.items():
        assert published[id] == value, id
    for factor, rows in TABLE_2.items():
        for index, (pregnant, total, percent) in enumerate(rows):
            stem = f"table2_{factor}_{index}"
            assert (published[f"{stem}_pregnant"], published[f"{stem}_total"]) == (pregnant, total)
            assert published[f"{stem}_percent"] == percent


def test_targets_state_units_sources_and_no_unexplained_tolerance() -> None:
    for target in TARGETS:
        assert target.source and target.label, target.id
        assert target.unit or "chi_square" in target.id or target.id.endswith("_p"), target.id
        assert target.tolerance == 0.0 and not target.tolerance_reason, target.id
        if target.unit in ("women", "pregnancies", "infants"):
            assert target.decimals == 0 and float(target.published).is_integer(), target.id


def test_the_demo_cohort_reproduces_every_target(analysis: Analysis) -> None:
    rows = reproduce(analysis, TARGETS)
    statuses = {row.target.id: row.status for row in rows}
    assert len(statuses) == len(TARGETS)
    differing = {
        id: s for id, s in statuses.items() if s in (Status.DIFFERS, Status.NOT_REPRODUCED)
    }
    assert differing == {}
    assert {id for id, s in statuses.items() if s is Status.INCONSISTENT} == INCONSISTENT
    assert all(row.reproduced is not None for row in rows)
    flagged = {row.target.id: row for row in rows if row.status is Status.INCONSISTENT}
    assert flagged["table2_age_group_1_percent"].reproduced == pytest.approx(100 * 26 / 82)
    assert flagged["menses_irregular_text"].reproduced == 14
    assert all(row.note for row in flagged.values())


def test_the_reproduction_table_joins_the_plan(analysis: Analysis) -> None:
    frame = analysis.table("reproduction").frame
    assert frame.get_column("target").to_list() == [t.id for t in TARGETS]
    assert frame.get_column("status").null_count() == 0
    assert frame.filter(frame.get_column("unit") == "").height == 4  # the four test statistics
