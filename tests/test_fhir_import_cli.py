"""``ovaregen fhir import``: a hospital's Bundle of laboratory results into a clinic's forms —
mixed units converted, duplicates merged, unknown codes and wrong patients refused with their
reasons, ``--review`` storing nothing, each stored value audited with its source, and the values
landing on the right visits in the dictionary's units when the study is exported."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.domain.variables import AMH_PMOL_L_PER_NG_ML, OESTRADIOL_PMOL_L_PER_PG_ML
from ovaregen.store.database import SQLITE_FILE
from tests.formats.fhir.lab_bundles import LOCAL, LabBundle, system_of

STUDY = "ucmsc-rct"
SYSTEM = system_of(STUDY)
PASSWORD = "a long test password"
runner = CliRunner()
FOLLOW_UP = [
    "afc_post",
    "amh_post_ng_ml",
    "menses_followup",
    "followup_months",
    *(f"comp_{c}" for c in ("ovarian_cyst", "ovarian_torsion", "endometrioma", "endometriosis")),
    *(f"comp_{c}" for c in ("ovarian_malignancy", "pid", "ectopic", "autoimmune")),
]


def invoke(*args: object, input: str | None = None):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output
    return result


def ok(*args: object, input: str | None = None) -> str:
    result = invoke(*args, input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six women of study C, enrolled and treated, with no follow-up yet and no second FSH."""
    folder = tmp_path_factory.mktemp("dataset")
    ok("synth", "--study", STUDY, "--n", 6, "--out", folder)
    (folder / "visits.csv").unlink()
    (folder / "pregnancies.csv").unlink()
    (folder / "adverse_events.csv").unlink()
    women = pl.read_csv(folder / "participants.csv", infer_schema=False)
    women = women.with_columns(
        pl.lit("ongoing").alias("status"),
        *(pl.lit(None, pl.String).alias(c) for c in FOLLOW_UP if c in women.columns),
        pl.lit(None, pl.String).alias("fsh_2_iu_l"),
        pl.lit(None, pl.String).alias("fsh_2_date"),
    )
    women.write_csv(folder / "participants.csv")
    return folder


@pytest.fixture
def clinic(tmp_path: Path, dataset: Path) -> Path:
    data = tmp_path / "clinic"
    ok("site", "add", "--data", data, "--code", "MAD1", "--name", "Madrid")
    ok("import", "--data", data, "--study", STUDY, dataset, "--site", "MAD1")
    ok(
        "user", "add", "--data", data, "--username", "dm", "--role", "data_manager",
        "--site", "all", "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    return data


def treated(dataset: Path, code: str) -> date:
    women = pl.read_csv(dataset / "participants.csv", infer_schema=False)
    return date.fromisoformat(women.filter(pl.col("participant_id") == code)["treatment_date"][0])


def write(bundle: LabBundle, path: Path) -> Path:
    path.write_text(json.dumps(bundle.json()), encoding="utf-8")
    return path


def audit_rows(data: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(data / SQLITE_FILE) as connection:
        return connection.execute(
            "SELECT entity, participant, changes, reason FROM audit_entry ORDER BY id"
        ).fetchall()


def exported(data: Path, out: Path) -> dict[str, list[dict[str, str]]]:
    ok("export", "--data", data, "--study", STUDY, "--out", out, "--by", "dm")
    tables = {}
    for name in ("participants", "visits"):
        path = out / f"{name}.csv"
        with path.open(encoding="utf-8") as handle:
            tables[name] = list(csv.DictReader(handle)) if path.exists() else []
    return tables


def lab_bundle(dataset: Path) -> tuple[LabBundle, dict[str, str]]:
    """UC-001's results: AMH at month 3 twice (pmol/L and ng/mL), her second FSH at screening,
    AFC by the local code at month 6; plus one of each kind that must be refused."""
    day0 = treated(dataset, "UC-001")
    bundle = LabBundle(kind="searchset")
    her = bundle.patient("UC-001", system=SYSTEM)
    stranger = bundle.patient("UC-404", system=SYSTEM)
    hospital = bundle.patient("UC-002", system="https://hospital.example.org/mrn")
    ids = {
        "amh_pmol": bundle.result(her, "48377-6", 14.3, "pmol/L", str(day0 + timedelta(days=90))),
        "amh_ng": bundle.result(her, "38476-8", 2.0, "ng/mL", str(day0 + timedelta(days=90))),
        "fsh": bundle.result(her, "15067-2", 71.5, "m[IU]/mL", str(day0 - timedelta(days=20))),
        "afc": bundle.result(
            her, "afc", 4, "{follicles}", str(day0 + timedelta(days=185)), system=LOCAL
        ),
        "unknown": bundle.result(her, "2160-0", 0.7, "mg/dL", str(day0 + timedelta(days=90))),
        "stranger": bundle.result(stranger, "38476-8", 1.0, "ng/mL", str(day0)),
        "hospital": bundle.result(hospital, "38476-8", 1.0, "ng/mL", str(day0)),
        "no_window": bundle.result(her, "38476-8", 1.0, "ng/mL", str(day0 + timedelta(days=40))),
    }
    return bundle, ids


def test_results_land_on_their_visits_in_the_dictionary_units(
    clinic: Path, dataset: Path, tmp_path: Path
) -> None:
    bundle, ids = lab_bundle(dataset)
    before = len(audit_rows(clinic))
    result = invoke(
        "fhir", "import", write(bundle, tmp_path / "labs.json"), "--data", clinic, "--study", STUDY
    )
    assert result.exit_code == 1, result.output  # some results were not stored: attention
    assert (
        "ucmsc-rct: 8 observations in labs.json; 3 values stored, 0 already on the forms, "
        in result.stdout
    )
    assert "4 not stored" in result.stdout
    errors = result.stderr
    assert (
        f"Observation {ids['unknown']} (Patient/pat-UC-001): its code http://loinc.org|2160-0"
        in errors
    )
    assert (
        f"Observation {ids['stranger']} (Patient/pat-UC-404): no participant of this study"
        in errors
    )
    assert (
        f"Observation {ids['hospital']} (Patient/pat-UC-002): the patient matches no participant"
        in errors
    )
    assert f"Observation {ids['no_window']} (participant UC-001): the specimen date" in errors
    assert "outside every visit window" in errors

    tables = exported(clinic, tmp_path / "out")
    visits = {(v["participant_id"], v["visit"]): v for v in tables["visits"]}
    assert float(visits[("UC-001", "month_3")]["amh_post_ng_ml"]) == 2.0
    assert visits[("UC-001", "month_6")]["afc_post"] == "4"
    her = next(p for p in tables["participants"] if p["participant_id"] == "UC-001")
    assert float(her["fsh_2_iu_l"]) == 71.5
    assert her["fsh_2_date"] == str(treated(dataset, "UC-001") - timedelta(days=20))
    assert float(her["amh_post_ng_ml"]) == 2.0  # the primary follow-up visit, month 3

    stored = [r for r in audit_rows(clinic)[before:] if r[0].startswith("form:")]
    assert len(stored) == 3
    amh = next(r for r in stored if "amh_post_ng_ml" in r[2])
    assert amh[1] == "UC-001"
    assert (
        f"FHIR Observation {ids['amh_pmol']} (issued 2024-06-01T09:30:00+02:00) from labs.json"
        in amh[3]
    )
    assert f"FHIR Observation {ids['amh_ng']} (issued 2024-06-01T09:30:00+02:00)" in amh[3]


def test_each_analyte_lands_converted_on_its_visit(
    clinic: Path, dataset: Path, tmp_path: Path
) -> None:
    day0 = treated(dataset, "UC-002")
    bundle = LabBundle()
    her = bundle.patient("UC-002", system=SYSTEM)
    bundle.result(her, "48377-6", 5.0, "pmol/L", str(day0 + timedelta(days=80)))
    bundle.result(her, "14715-7", 550.0, "pmol/L", str(day0 + timedelta(days=80)))
    bundle.result(her, "15067-2", 33.0, "m[IU]/mL", str(day0 + timedelta(days=180)))
    bundle.result(her, "2243-4", 61.0, "ng/L", str(day0 - timedelta(days=3)))
    ok("fhir", "import", write(bundle, tmp_path / "labs.json"), "--data", clinic, "--study", STUDY)
    tables = exported(clinic, tmp_path / "o")
    visits = {(v["participant_id"], v["visit"]): v for v in tables["visits"]}
    month_3, month_6 = visits[("UC-002", "month_3")], visits[("UC-002", "month_6")]
    assert float(month_3["amh_post_ng_ml"]) == pytest.approx(5.0 / AMH_PMOL_L_PER_NG_ML)
    assert float(month_3["oestradiol_post_pg_ml"]) == pytest.approx(
        550.0 / OESTRADIOL_PMOL_L_PER_PG_ML
    )
    assert float(month_6["fsh_post_iu_l"]) == 33.0
    her_row = next(p for p in tables["participants"] if p["participant_id"] == "UC-002")
    assert float(her_row["oestradiol_pg_ml"]) == 61.0


def test_review_stores_nothing_and_a_second_import_finds_the_values_saved(
    clinic: Path, dataset: Path, tmp_path: Path
) -> None:
    day0 = treated(dataset, "UC-003")
    bundle = LabBundle()
    her = bundle.patient("UC-003", system=SYSTEM)
    bundle.result(her, "38476-8", 0.8, "ng/mL", str(day0 + timedelta(days=183)))
    labs = write(bundle, tmp_path / "labs.json")
    before = audit_rows(clinic)
    shown = ok("fhir", "import", labs, "--data", clinic, "--study", STUDY, "--review")
    assert "UC-003  month_6  amh_post_ng_ml = 0.8 ng/mL" in shown and "to store" in shown
    assert "1 values would be stored (--review: nothing stored)" in shown
    assert audit_rows(clinic) == before
    ok("fhir", "import", labs, "--data", clinic, "--study", STUDY)
    after_first = audit_rows(clinic)
    again = ok("fhir", "import", labs, "--data", clinic, "--study", STUDY)
    assert "0 values stored, 1 already on the forms, 0 not stored" in again
    assert audit_rows(clinic) == after_first


def test_a_saved_value_is_not_replaced(clinic: Path, dataset: Path, tmp_path: Path) -> None:
    """Her first FSH was typed at screening; a laboratory value of that date that differs is
    refused, and her form keeps what was typed."""
    women = pl.read_csv(dataset / "participants.csv", infer_schema=False)
    typed = women.filter(pl.col("participant_id") == "UC-004").row(0, named=True)
    bundle = LabBundle()
    her = bundle.patient("UC-004", system=SYSTEM)
    bundle.result(her, "15067-2", float(typed["fsh_1_iu_l"]) + 10, "[IU]/L", typed["fsh_1_date"])
    result = invoke(
        "fhir", "import", write(bundle, tmp_path / "l.json"), "--data", clinic, "--study", STUDY
    )
    assert result.exit_code == 1
    assert f"holds fsh_1_iu_l = {float(typed['fsh_1_iu_l'])} IU/L" in result.stderr
    her_row = next(
        p
        for p in exported(clinic, tmp_path / "o")["participants"]
        if p["participant_id"] == "UC-004"
    )
    assert float(her_row["fsh_1_iu_l"]) == float(typed["fsh_1_iu_l"])


def test_an_invalid_bundle_stores_nothing(clinic: Path, dataset: Path, tmp_path: Path) -> None:
    bundle, _ids = lab_bundle(dataset)
    data = bundle.json()
    data["entry"][3]["resource"]["valueQuantity"]["value"] = "fourteen"
    labs = tmp_path / "labs.json"
    labs.write_text(json.dumps(data), encoding="utf-8")
    before = audit_rows(clinic)
    result = invoke("fhir", "import", labs, "--data", clinic, "--study", STUDY)
    assert result.exit_code == 1
    assert "labs.json is not a valid FHIR R4 Bundle: entry 4 (Observation" in result.stderr
    assert "field valueQuantity.value" in result.stderr and "nothing was stored" in result.stderr
    assert audit_rows(clinic) == before


def test_the_study_s_own_fhir_export_reads_back_as_saved(clinic: Path, tmp_path: Path) -> None:
    """``export --format fhir`` then ``fhir import``: every dated value is found on its form
    already; values without a date (the participant-level copies) are refused for want of one."""
    bundle = tmp_path / "study.json"
    ok(
        "export",
        "--data",
        clinic,
        "--study",
        STUDY,
        "--format",
        "fhir",
        "--out",
        bundle,
        "--by",
        "dm",
    )
    result = invoke("fhir", "import", bundle, "--data", clinic, "--study", STUDY, "--review")
    assert "0 values would be stored" in result.stdout
    assert "to store" not in result.stdout
    refused = [line for line in result.stderr.splitlines() if line.startswith("not stored:")]
    assert all(
        ("no specimen date" in line) or ("none that ovaregen takes" in line) for line in refused
    )


def test_by_names_the_person_and_matches_only_the_women_of_her_sites(
    clinic: Path, dataset: Path, tmp_path: Path
) -> None:
    ok("site", "add", "--data", clinic, "--code", "BCN2", "--name", "Barcelona")
    for name, role, site in (
        ("ana", "coordinator", "MAD1"),
        ("bea", "coordinator", "BCN2"),
        ("mon", "monitor", "all"),
    ):
        ok(
            "user", "add", "--data", clinic, "--username", name, "--role", role,
            "--site", site, "--password-stdin", input=PASSWORD + "\n",
        )  # fmt: skip
    day0 = treated(dataset, "UC-005")
    bundle = LabBundle()
    her = bundle.patient("UC-005", system=SYSTEM)
    bundle.result(her, "38476-8", 1.25, "ng/mL", str(day0 + timedelta(days=91)))
    labs = write(bundle, tmp_path / "labs.json")
    before = audit_rows(clinic)

    monitor = invoke("fhir", "import", labs, "--data", clinic, "--study", STUDY, "--by", "mon")
    assert monitor.exit_code == 1
    assert (
        "--by: mon holds" in monitor.stderr and "no role that may enter data in" in monitor.stderr
    )
    elsewhere = invoke("fhir", "import", labs, "--data", clinic, "--study", STUDY, "--by", "bea")
    assert elsewhere.exit_code == 1
    assert "no participant of this study has the id of" in elsewhere.stderr
    assert audit_rows(clinic) == before

    ok("fhir", "import", labs, "--data", clinic, "--study", STUDY, "--by", "ana")
    with sqlite3.connect(clinic / SQLITE_FILE) as connection:
        (who,) = connection.execute(
            "SELECT username FROM audit_entry WHERE entity LIKE 'form:%' ORDER BY id DESC"
        ).fetchone()
    assert who == "ana"


def test_the_configured_server_s_identifier_system_matches_her(
    clinic: Path, dataset: Path, tmp_path: Path
) -> None:
    """A central laboratory that knows the women by participant id under its own system: once
    the administrator configures it with the study's FHIR server, its Bundles match."""
    lab_system = "https://central-lab.example.org/study-subject"
    day0 = treated(dataset, "UC-006")
    bundle = LabBundle()
    her = bundle.patient("UC-006", system=lab_system)
    bundle.result(her, "38476-8", 0.9, "ng/mL", str(day0 + timedelta(days=91)))
    labs = write(bundle, tmp_path / "labs.json")
    before = invoke("fhir", "import", labs, "--data", clinic, "--study", STUDY, "--review")
    assert before.exit_code == 1 and "the patient matches no participant" in before.stderr
    ok(
        "user", "add", "--data", clinic, "--username", "root_admin", "--role", "admin",
        "--site", "all", "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    ok(
        "fhir", "server", "--data", clinic, "--study", STUDY,
        "--url", "https://lab.example.org/fhir", "--identifier-system", lab_system,
        "--by", "root_admin",
    )  # fmt: skip
    after = ok("fhir", "import", labs, "--data", clinic, "--study", STUDY, "--review")
    assert "UC-006  month_3  amh_post_ng_ml = 0.9 ng/mL" in after
