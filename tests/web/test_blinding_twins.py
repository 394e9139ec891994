"""The blind holds in the data itself (issue 10): for every blinded role, no page, API answer,
export, query, dashboard, audit entry or error differs between two women who differ only in
their arm.

Two women of study C with the same data are randomised to different arms; the unblinded
treatment team records the cell injection of the one in the cell arm (the only values that
differ, because only that arm is injected). Then, as every blinded role:

* **twins**: every GET route about a woman answers the same for both, once their codes
  (participant and allocation) are masked;
* **swapped worlds**: a second clinic holds the same women with the arms swapped; every GET
  route of the application — lists, dashboards, queries, the audit trail, exports — answers
  the same in both clinics (times and session tokens masked).

This replaces searching responses for arm names: it also catches what reveals an arm without
naming it (a cell count, a missing-value query, an audit entry, a version number).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ovaregen.clinic import ecrf, enrolment
from ovaregen.clinic.data_queries import raise_query
from ovaregen.clinic.followup import add_event, add_pregnancy
from ovaregen.clinic.roles import Role, is_blinded
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.clinic.studies import add_participant, site_coded, study_named
from ovaregen.clinic.views import Reader
from ovaregen.store.database import Database
from ovaregen.store.models import AllocationSlot, Participant, Site, Study, utc_now
from tests.clinic_fixtures import SITE, Browser, ClinicTemplates, Postgres, app_for
from tests.web.route_walk import application_routes

STUDY = "ucmsc-rct"
BLINDED = [role for role in Role if is_blinded(role)]
CODES = ("R-4QX7ZD", "R-K2M9WT")
"""The neutral allocation codes of the first and second woman (the same in both clinics)."""
SCREENING = {
    "screening_date": "2024-03-01",
    "age_years": 31.0,
    "married": True,
    "consent": True,
    "amh_ng_ml": 0.4,
    "afc": 2,
    "fsh_1_iu_l": 60.0,
    "fsh_1_date": "2024-01-02",
    "fsh_2_iu_l": 70.0,
    "fsh_2_date": "2024-02-20",
    "amenorrhea_months": 8.0,
    "menses": "amenorrhea",
    "spontaneous_follicular_activity": False,
    "ovary_left_mm": 15.0,
    "ovary_right_mm": 16.0,
    **{
        flag: False
        for flag in (
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
    },
}
TREATMENT = {"treatment_date": "2024-03-20", "hrt_regimen": "estradiol valerate 2 mg days 1–21"}
MONTH_3 = {"visit_date": "2024-06-19", "afc_post": 4, "amh_post_ng_ml": 0.6}
INJECTION = {"injections": "1", "cells_injected_millions": "10"}


@dataclass
class Clinic:
    database: Database
    app: object
    women: tuple[str, str]


def _women(database: Database, cell_arm: int) -> tuple[str, str]:
    """Two women with the same data; woman ``cell_arm`` (0 or 1) is in the cell arm."""
    with database.transaction() as session:
        study = study_named(session, STUDY)
        site = site_coded(session, SITE)
        first, second = (add_twin(session, study, site, i, cell_arm) for i in range(2))
        return first.code, second.code


def add_twin(session: Session, study: Study, site: Site, index: int, cell_arm: int) -> Participant:
    """Twin ``index`` (0 or 1) of the swapped worlds: screened, enrolled, allocated by
    ``CODES[index]`` (the cell arm when ``index == cell_arm``), treatment and month-3 forms, a
    pregnancy, an adverse event and a data query, all alike for both."""
    woman = add_participant(session, study, site, username="coordinator")
    enrolment.save_visit(
        session,
        woman,
        "screening",
        SCREENING,
        username="coordinator",
        expected_version=None,
    )
    enrolment.enrol(session, woman, username="coordinator")
    session.add(
        AllocationSlot(
            study_id=study.id,
            stratum="imported",
            sequence=index + 1,
            block=0,
            arm="ucmsc_hrt" if index == cell_arm else "hrt",
            code=CODES[index],
            participant_id=woman.id,
            allocated_at=utc_now(),
            allocated_by="coordinator",
        )
    )
    for visit, values in (("treatment", TREATMENT), ("month_3", MONTH_3)):
        ecrf.save_form(session, woman, visit, values, username="coordinator", expected_version=None)
    add_pregnancy(
        session,
        woman,
        {"conception": "spontaneous", "months_after_treatment": "2", "outcome": "ongoing"},
        username="coordinator",
    )
    add_event(
        session,
        woman,
        {
            "term": "headache",
            "grade": "1",
            "serious": "no",
            "related": "possible",
            "outcome": "recovered",
        },
        username="coordinator",
    )
    raise_query(  # the same query on both: its list, count, age and marker alike
        session,
        woman,
        visit="month_3",
        variable="afc_post",
        message="AFC after treatment: check against the scan report",
        reader=Reader("monitor", Role.MONITOR.value, EVERYWHERE),
    )
    return woman


def _inject(app: object, code: str) -> None:
    """The treatment team records the cell injection (through the page, as it would)."""
    with TestClient(app) as client:
        team = Browser(client, Role.TREATMENT.value).login()
        url = f"/studies/{STUDY}/participants/{code}/visits/cell_injection"
        saved = team.post_form(url, {**INJECTION, "version": ""})
        assert saved.status_code == 200, saved.text


def _clinic(database: Database, tmp_path: Path, cell_arm: int) -> Clinic:
    women = _women(database, cell_arm)
    app = app_for(database, tmp_path)
    _inject(app, women[cell_arm])
    return Clinic(database, app, women)


@pytest.fixture(params=["sqlite", "postgresql"])
def worlds(
    request: pytest.FixtureRequest, tmp_path: Path, clinic_templates: ClinicTemplates
) -> Iterator[tuple[Clinic, Clinic]]:
    """Two clinics with the same women, the arms swapped."""
    made: list[Database] = []
    servers: list[Postgres] = []
    try:
        for name in ("one", "two"):
            if request.param == "sqlite":
                folder = tmp_path / name
                folder.mkdir()
                made.append(clinic_templates.sqlite(folder))
            else:
                database, server = clinic_templates.postgres("ovaregen_twins")
                servers.append(server)
                made.append(database)
        yield (
            _clinic(made[0], tmp_path / "one", cell_arm=0),
            _clinic(made[1], tmp_path / "two", cell_arm=1),
        )
    finally:
        for database in made:
            database.dispose()
        for server in servers:
            server.drop()


_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?( UTC)?")
_TOKEN = re.compile(r'(csrf[_-]token"?\s*(content|value)?[=:]\s*")[^"]+"', re.IGNORECASE)
_PLACEHOLDER = re.compile(r'placeholder="[^"]*"')
_EXPORTED = re.compile(r"exported [0-9TZ:.\-]+")
_RECORD_ID = re.compile(
    r'("(?:id|entity_id)":\s*"?|/(?:pregnancies|adverse-events|queries/raised)/'
    r"|\b(?:event|pregnancy|row)-(?:form-)?|query #)\d+"
)
"""Row ids of a woman's own records (her pregnancy, her event, a query on her form):
identifiers, not data."""


def masked(text: str, *codes: str, ids: bool = False) -> str:
    """A response without what legitimately differs: times, session tokens, the given
    participant codes, and (``ids``) the row ids of the women's own records."""
    if ids:
        text = _RECORD_ID.sub(lambda m: m.group(1) + "<ID>", text)
    text = _PLACEHOLDER.sub('placeholder=""', text)  # "e.g. MAD1-0001" is a hint, not her
    for code in codes:
        text = text.replace(code, "<WOMAN>")
    for code in CODES:
        text = text.replace(code, "<ALLOCATION>")
    text = _TIME.sub("<TIME>", text)
    text = _EXPORTED.sub("exported <TIME>", text)
    return _TOKEN.sub(r"\1<TOKEN>", text)


def _body(response: object) -> str:
    """Text of a response; a zip's members one by one (their timestamps are not data)."""
    content = response.content  # type: ignore[attr-defined]
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                f"== {name}\n" + archive.read(name).decode("utf-8")
                for name in sorted(archive.namelist())
            )
    return f"{response.status_code}\n{response.text}"  # type: ignore[attr-defined]


def _get_routes() -> list[str]:
    return sorted(route.path for route in application_routes() if "GET" in route.methods)


def _urls(path: str, code: str) -> list[str]:
    """The URLs of a route for one woman (each visit for a visit route)."""
    if "{code}" not in path:
        return []
    visits = ["screening", "treatment", "cell_injection", "month_3", "month_12", "nowhere"]
    filled = path.replace("{study}", STUDY).replace("{code}", code)
    if "{visit}" in filled:
        return [filled.replace("{visit}", visit) for visit in visits]
    return [filled]


def _study_urls(women: tuple[str, str]) -> list[str]:
    urls = [p.replace("{study}", STUDY) for p in _get_routes() if "{code}" not in p]
    urls += [f"/audit?participant={code}" for code in women]
    urls += [f"/api/audit?participant={code}&limit=1000" for code in women]
    urls += [f"/audit/export.csv?participant={code}" for code in women]
    urls += ["/api/audit?limit=1000", "/audit/export.csv"]
    return [u for u in urls if "{" not in u and u not in ("/logout",)]


@pytest.mark.parametrize("role", BLINDED, ids=[r.value for r in BLINDED])
def test_two_women_differing_only_in_arm_look_the_same(
    worlds: tuple[Clinic, Clinic], role: Role
) -> None:
    clinic = worlds[0]
    first, second = clinic.women
    with TestClient(clinic.app) as client:
        browser = Browser(client, role.value).login()
        compared = 0
        for path in _get_routes():
            for a, b in zip(_urls(path, first), _urls(path, second), strict=True):
                one = masked(_body(browser.client.get(a, follow_redirects=False)), first, ids=True)
                two = masked(_body(browser.client.get(b, follow_redirects=False)), second, ids=True)
                assert one == two, f"{role.value}: {a} and {b} differ"
                compared += 1
        # her trail through the API (the page's entry numbers are the chain's, compared in the
        # swapped-worlds test)
        audit = [f"/api/audit?participant={code}" for code in clinic.women]
        for a, b in (audit,):
            one = masked(_body(browser.client.get(a)), first, ids=True)
            two = masked(_body(browser.client.get(b)), second, ids=True)
            assert one == two, f"{role.value}: {a} and {b} differ"
    assert compared > 15


@pytest.mark.parametrize("role", BLINDED, ids=[r.value for r in BLINDED])
def test_swapping_the_arms_changes_no_view(worlds: tuple[Clinic, Clinic], role: Role) -> None:
    one, two = worlds
    assert one.women == two.women
    urls = _study_urls(one.women)
    for path in _get_routes():
        for code in one.women:
            urls += _urls(path, code)
    with TestClient(one.app) as first, TestClient(two.app) as second:
        browsers = (Browser(first, role.value).login(), Browser(second, role.value).login())
        for url in urls:
            seen = [masked(_body(b.client.get(url, follow_redirects=False))) for b in browsers]
            assert seen[0] == seen[1], f"{role.value}: {url} differs when the arms are swapped"


def test_the_unblinded_see_what_the_blinded_do_not(worlds: tuple[Clinic, Clinic]) -> None:
    """The test above would pass if nobody saw anything: the treatment team and the
    statistician do see the injection, and blinded roles get 'no such visit'."""
    clinic = worlds[0]
    injected = clinic.women[0]
    url = f"/api/studies/{STUDY}/participants/{injected}/visits/cell_injection"
    for role in (Role.TREATMENT, Role.STATISTICIAN):
        with TestClient(clinic.app) as client:
            values = Browser(client, role.value).login().api("GET", url).json()["values"]
            assert values == {"injections": 1, "cells_injected_millions": 10.0}
    with TestClient(clinic.app) as client:
        coordinator = Browser(client, Role.COORDINATOR.value).login()
        assert coordinator.api("GET", url).status_code == 404
        saved = coordinator.api("PUT", url, json={"values": {"injections": 1}})
        assert saved.status_code == 403


def _token(clinic: Clinic, role: Role) -> dict[str, str]:
    """The headers of a script holding a read token of ``role``'s user in ``clinic``."""
    from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
    from ovaregen.clinic.tokens import create_token  # noqa: PLC0415

    with clinic.database.transaction() as session:
        user = user_named(session, role.value)
        secret = create_token(session, user, name="script", by="test").secret
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("role", BLINDED, ids=[r.value for r in BLINDED])
def test_the_blind_holds_through_an_api_token(worlds: tuple[Clinic, Clinic], role: Role) -> None:
    """A script with a blinded user's token sees what she sees: every API answer is the same
    for the twins, and the same when the arms are swapped."""
    one, two = worlds
    first, second = one.women
    api = [p for p in _get_routes() if p.startswith("/api/")]
    with TestClient(one.app) as script_one, TestClient(two.app) as script_two:
        headers = (_token(one, role), _token(two, role))
        assert script_one.get("/api/me", headers=headers[0]).json()["via"] == "api_token"
        compared = 0
        for path in api:
            for a, b in zip(_urls(path, first), _urls(path, second), strict=True):
                seen_a = masked(_body(script_one.get(a, headers=headers[0])), first, ids=True)
                seen_b = masked(_body(script_one.get(b, headers=headers[0])), second, ids=True)
                assert seen_a == seen_b, f"{role.value} by token: {a} and {b} differ"
                compared += 1
        urls = [u for u in _study_urls(one.women) if u.startswith("/api/")]
        urls += [u for path in api for code in one.women for u in _urls(path, code)]
        for url in urls:
            seen = [
                masked(_body(script.get(url, headers=h)))
                for script, h in ((script_one, headers[0]), (script_two, headers[1]))
            ]
            assert seen[0] == seen[1], f"{role.value} by token: {url} differs, arms swapped"
    assert compared > 8
