"""The study dashboard: funnel counts, enrolment against target, live outcomes from the plan,
and the blind (a blinded reader never gets a result split by arm)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ovaregen.clinic import ecrf, studies
from ovaregen.clinic.dashboard import BLINDED, NO_DATA, dashboard_of
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.store.database import Database
from ovaregen.store.models import AllocationSlot, Participant, Pregnancy, Study

ARM_WORDS = ("ucmsc_hrt", '"hrt"', "UC-MSC + HRT", "HRT alone")


def enrol(
    session: Session,
    study: Study,
    code: str,
    visits: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    status: str = "ongoing",
    eligible: str | None = "true",
    enrolled_at: datetime | None = datetime(2025, 3, 14, tzinfo=UTC),
) -> Participant:
    """A participant with saved forms, her status and verdict set directly."""
    site = studies.site_coded(session, "MAD1")
    person = studies.add_participant(session, study, site, username="coordinator", code=code)
    for visit, values in (visits or {}).items():
        ecrf.save_form(
            session, person, visit, values, username="coordinator", expected_version=None
        )
    person.status = status
    person.eligible = eligible
    person.enrolled_at = enrolled_at if status != "screen_failed" else None
    session.flush()
    return person


def allocate(session: Session, person: Participant, arm: str) -> None:
    """An allocation slot taken by ``person`` (as the randomisation service would leave it)."""
    session.add(
        AllocationSlot(
            study_id=person.study_id,
            stratum="all",
            sequence=person.id,
            block=1,
            arm=arm,
            code=f"R-{person.id:04d}",
            participant_id=person.id,
            allocated_at=datetime(2025, 3, 15, tzinfo=UTC),
            allocated_by="investigator",
        )
    )
    session.flush()


def test_funnel_counts_each_stage_exactly(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "ucmsc-rct")
        enrol(session, study, "S1", status="screening", eligible=None, enrolled_at=None)
        enrol(session, study, "S2", status="screening", eligible="unknown", enrolled_at=None)
        enrol(session, study, "F1", status="screen_failed", eligible="false")
        allocate(session, enrol(session, study, "E1"), "ucmsc_hrt")
        allocate(session, enrol(session, study, "E2", status="withdrawn"), "hrt")
        enrol(session, study, "E3", status="lost_to_follow_up")
        enrol(session, study, "E4", status="completed")
        board = dashboard_of(session, study, blinded=True, access=EVERYWHERE)
    assert {key: n for key, _, n in board.funnel.stages()} == {
        "registered": 7,
        "screened": 6,
        "eligible": 4,
        "not_eligible": 1,
        "eligibility_unknown": 1,
        "in_screening": 2,
        "screen_failed": 1,
        "enrolled": 4,
        "randomised": 2,
        "ongoing": 1,
        "withdrawn": 1,
        "lost_to_follow_up": 1,
        "completed": 1,
    }
    assert board.enrolment.enrolled == 4
    assert board.enrolment.target == 66
    assert round(board.enrolment.percent or 0, 2) == round(400 / 66, 2)
    assert board.enrolment.by_month == [("2025-03", 4)]
    assert board.enrolment.by_site == [("MAD1", 4)]


def test_a_single_arm_study_has_no_randomised_stage(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "mensc")
        enrol(session, study, "A1")
        enrol(session, study, "A2", enrolled_at=datetime(2025, 4, 2, tzinfo=UTC))
        enrol(session, study, "A3", enrolled_at=None)
        board = dashboard_of(session, study, blinded=True, access=EVERYWHERE)
    assert "randomised" not in {key for key, _, _ in board.funnel.stages()}
    assert board.enrolment.by_month == [("2025-03", 1), ("2025-04", 1), ("not recorded", 1)]


def test_mensc_pregnancy_rate_comes_from_the_plan_with_its_numerator_and_denominator(
    clinic_database: Database,
) -> None:
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "mensc")
        women = [
            enrol(
                session,
                study,
                f"B{i}",
                {
                    "baseline": {
                        "age_years": 35 + i,
                        "treatment_date": "2024-01-10",
                        "injections": 1,
                    }
                },
            )
            for i in range(4)
        ]
        for woman, outcome in ((women[0], "live_birth"), (women[2], "miscarriage")):
            session.add(
                Pregnancy(
                    participant_id=woman.id,
                    conception="spontaneous",
                    months_after_treatment=5.0,
                    outcome=outcome,
                    infants_live_born=1 if outcome == "live_birth" else 0,
                )
            )
        session.flush()
        outcomes = dashboard_of(session, study, blinded=True, access=EVERYWHERE).outcomes
    by_id = {r.id: r for r in outcomes.results}
    assert outcomes.message is None
    assert outcomes.results[0].id == "pregnancy_rate", "headlines in plan order"
    rate = by_id["pregnancy_rate"]
    assert (rate.numerator, rate.denominator, rate.n) == (2, 4, 4)
    assert rate.estimate == 0.5
    assert rate.ci_low is not None and rate.ci_low < 0.5 < (rate.ci_high or 0)
    assert (
        by_id["live_birth_rate_per_woman"].numerator,
        by_id["live_birth_rate_per_woman"].denominator,
    ) == (1, 4)
    assert "infants_per_woman" in by_id


def test_an_empty_study_says_there_are_not_enough_data(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        for name in ("regenera", "mensc", "ucmsc-rct"):
            board = dashboard_of(
                session, studies.study_named(session, name), blinded=True, access=EVERYWHERE
            )
            assert board.funnel.registered == 0
            assert board.enrolment.enrolled == 0
            assert board.outcomes.results == ()
            assert board.outcomes.message is not None and NO_DATA in board.outcomes.message
            json.dumps(board.as_json())


def _randomised_trial(session: Session) -> Study:
    study = studies.study_named(session, "ucmsc-rct")
    for i in range(8):
        arm = "ucmsc_hrt" if i % 2 == 0 else "hrt"
        person = enrol(
            session,
            study,
            f"C{i}",
            {
                "screening": {"age_years": 30 + i, "afc": 2 + i % 3, "amh_ng_ml": 0.3},
                "month_3": {"afc_post": 4 + i, "amh_post_ng_ml": 0.4 + i / 10},
            },
            status="completed",
        )
        allocate(session, person, arm)
    return study


def test_blinded_readers_get_no_result_split_by_arm(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        study = _randomised_trial(session)
        blinded = dashboard_of(session, study, blinded=True, access=EVERYWHERE)
        unblinded = dashboard_of(session, study, blinded=False, access=EVERYWHERE)
    assert blinded.outcomes.arm_results_withheld
    assert blinded.outcomes.results == ()
    assert blinded.outcomes.message == BLINDED
    text = json.dumps(blinded.as_json())
    assert not any(word in text for word in ARM_WORDS)
    assert blinded.funnel.randomised == 8
    assert not unblinded.outcomes.arm_results_withheld
    afc = {r.id: r for r in unblinded.outcomes.results}["arm_difference_afc_post"]
    assert afc.n == 8
    assert afc.estimate == -1.0  # mean AFC after: 7 (UC-MSC + HRT) − 8 (HRT alone)


def test_the_flow_of_an_export_equals_the_dashboard_funnel(clinic_database: Database) -> None:
    """Issue 10: the report's flow diagram (from the exported dataset) and the dashboard's
    funnel count the same women at each stage; none still screening or in follow-up is
    counted as completed."""
    from ovaregen.analysis.plans import run_plan  # noqa: PLC0415
    from ovaregen.clinic.exchange import study_dataset  # noqa: PLC0415

    with clinic_database.transaction() as session:
        study = studies.study_named(session, "regenera")
        enrol(session, study, "S1", status="screening", eligible=None, enrolled_at=None)
        enrol(session, study, "S2", status="screening", eligible="unknown", enrolled_at=None)
        enrol(session, study, "F1", status="screen_failed", eligible="false")
        enrol(session, study, "O1")
        enrol(session, study, "O2")
        enrol(session, study, "W1", status="withdrawn")
        enrol(session, study, "L1", status="lost_to_follow_up")
        enrol(session, study, "C1", status="completed")
        funnel = dict(
            (k, n)
            for k, _, n in dashboard_of(
                session, study, blinded=True, access=EVERYWHERE
            ).funnel.stages()
        )
        exported = study_dataset(session, study, blinded=True, access=EVERYWHERE)
    assert exported.participants.height == 8
    report_flow = run_plan("regenera", exported).table("flow").frame
    stages = dict(zip(report_flow.get_column("stage"), report_flow.get_column("n"), strict=True))
    assert stages == {
        "recruited": funnel["registered"],
        "in_screening": funnel["in_screening"],
        "screen_failed": funnel["screen_failed"],
        "eligible": funnel["enrolled"],
        "ongoing": funnel["ongoing"],
        "withdrawn": funnel["withdrawn"],
        "lost_to_follow_up": funnel["lost_to_follow_up"],
        "analysed": funnel["completed"],
    }
    assert stages["analysed"] == 1 and stages["ongoing"] == 2 and stages["in_screening"] == 2
