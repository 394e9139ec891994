"""The ``ovaregen`` command as users and outside checks run it: a real process, real files."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ovaregen.demo import example_dataset
from ovaregen.domain.screening import SCREEN_COLUMNS

OVAREGEN = [sys.executable, "-m", "ovaregen"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OVAREGEN, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def write(folder: Path, name: str, rows: list[list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


HEADER = ["participant_id", "age_years", "afc", "amh_ng_ml", "platelets_10e9_l", "menses"]
GOOD = ["P1", "38", "4", "0.9", "250", "regular"]


def participants(folder: Path, *rows: list[str], header: list[str] = HEADER) -> None:
    write(folder, "participants.csv", [header, GOOD, *rows])


def no_participants(folder: Path) -> None:
    folder.mkdir()
    write(folder, "pregnancies.csv", [["participant_id"], ["P1"]])


def not_utf8(folder: Path) -> None:
    folder.mkdir()
    (folder / "participants.csv").write_bytes(
        b"participant_id,ethnicity\nP1,caucasian\nP2,europ\xe9enne\n"
    )


def disagreeing_amh(folder: Path) -> None:
    write(
        folder,
        "participants.csv",
        [["participant_id", "amh_ng_ml", "amh_pmol_l"], ["P1", "1.0", "7.14"], ["P2", "1.0", "20"]],
    )


def unknown_pregnant_participant(folder: Path) -> None:
    participants(folder)
    write(folder, "pregnancies.csv", [["participant_id", "conception"], ["P9", "ivf"]])


def ragged(folder: Path) -> None:
    folder.mkdir()
    (folder / "participants.csv").write_text(
        "participant_id,age_years\nP1,30\nP2,31,extra\n", encoding="utf-8"
    )


def empty(folder: Path) -> None:
    folder.mkdir()
    (folder / "participants.csv").write_text("", encoding="utf-8")


def corrupt_workbook(folder: Path) -> None:
    folder.mkdir()
    (folder / "study.xlsx").write_bytes(b"this is not a workbook")


MALFORMED: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "text in a number column": (
        lambda f: participants(f, ["P2", "thirty", "4", "0.9", "250", "regular"]),
        ["age_years", "thirty"],
    ),
    "platelets in /mm³": (
        lambda f: participants(f, ["P2", "38", "4", "0.9", "247910", "regular"]),
        ["platelets_10e9_l", "247910", "/mm³"],
    ),
    "AMH out of range": (
        lambda f: participants(f, ["P2", "38", "4", "45", "250", "regular"]),
        ["amh_ng_ml", "45"],
    ),
    "unknown choice": (
        lambda f: participants(f, ["P2", "38", "4", "0.9", "250", "sometimes"]),
        ["menses", "sometimes"],
    ),
    "fractional count": (
        lambda f: participants(f, ["P2", "38", "4.5", "0.9", "250", "regular"]),
        ["afc", "4.5"],
    ),
    "duplicate id": (
        lambda f: participants(f, ["P1", "39", "4", "0.9", "250", "regular"]),
        ["participant_id", "P1"],
    ),
    "impossible date": (
        lambda f: write(
            f, "participants.csv", [["participant_id", "treatment_date"], ["P2", "2024-02-30"]]
        ),
        ["treatment_date", "2024-02-30"],
    ),
    "bad boolean": (
        lambda f: write(f, "participants.csv", [["participant_id", "consent"], ["P2", "maybe"]]),
        ["consent", "maybe"],
    ),
    "missing participant_id column": (
        lambda f: write(f, "participants.csv", [["age_years"], ["30"]]),
        ["participant_id"],
    ),
    "no participants.csv": (no_participants, ["participants.csv"]),
    "not UTF-8": (not_utf8, ["participants.csv", "UTF-8"]),
    "two AMH columns disagree": (disagreeing_amh, ["amh_ng_ml", "amh_pmol_l"]),
    "pregnancy of an unknown participant": (
        unknown_pregnant_participant,
        ["pregnancies.csv", "P9"],
    ),
    "ragged row": (ragged, ["participants.csv", "line 3"]),
    "empty file": (empty, ["participants.csv"]),
    "corrupt workbook": (corrupt_workbook, ["study.xlsx"]),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_datasets_are_refused_by_validate_and_screen(case: str, tmp_path: Path) -> None:
    make, expected = MALFORMED[case]
    dataset = tmp_path / "dataset"
    make(dataset)
    validate = run("validate", dataset)
    out_file = tmp_path / "screen.csv"
    screened = run("screen", dataset, "--protocol", "regenera", "--out", out_file)
    analysed = run("analyze", dataset, "--plan", "regenera", "--out", tmp_path / "analysis")
    for result in (validate, screened, analysed):
        text = result.stdout + result.stderr
        assert result.returncode == 1, text
        assert "Traceback" not in text
        for word in expected:
            assert word in text, f"{word!r} not in:\n{text}"
    assert not out_file.exists()
    assert not (tmp_path / "analysis").exists()


def test_a_missing_dataset_is_refused_without_traceback(tmp_path: Path) -> None:
    result = run("screen", tmp_path / "nowhere", "--protocol", "mensc", "--out", tmp_path / "x.csv")
    assert result.returncode != 0
    assert "nowhere" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["screen", "DATASET", "--protocol", "nope", "--out", "x.csv"],
        ["screen", "DATASET", "--protocol", "regenera"],
        ["screen", "DATASET", "--protocol", "regenera", "--out", "x.csv", "--bologna-afc", "9"],
        ["frobnicate"],
        ["analyze", "DATASET", "--plan", "nope", "--out", "out"],
        ["analyze", "DATASET", "--plan", "regenera"],
    ],
)
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    args = [str(example_dataset()) if a == "DATASET" else a for a in args]
    result = run(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("sample") / "clinic-sample"
    shutil.copytree(example_dataset(), target)
    return target


@pytest.mark.parametrize("protocol", ["regenera", "mensc", "ucmsc-rct"])
def test_screen_writes_the_interchange_columns(protocol: str, sample: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "screen.csv"
    result = run("screen", sample, "--protocol", protocol, "--out", out_file)
    assert result.returncode == 0, result.stderr
    with out_file.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == SCREEN_COLUMNS
    assert len(rows) == 48
    assert {r["eligible"] for r in rows} <= {"true", "false", "unknown"}
    assert "Bologna reserve test: AFC < 7" in result.stdout


def test_explain_prints_each_criterion_with_inputs_and_source(sample: Path) -> None:
    result = run("screen", sample, "--protocol", "regenera", "--explain", "RG-004")
    assert result.returncode == 0, result.stderr
    assert "excl.endometriosis = true" in result.stdout
    assert "eligible: false" in result.stdout
    assert "source: " in result.stdout
    missing = run("screen", sample, "--protocol", "regenera", "--explain", "RG-999")
    assert missing.returncode == 1
    assert "RG-999" in missing.stderr


def test_derive_writes_the_participant_table_and_cohort_tables(
    sample: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "derived.csv"
    result = run(
        "derive", sample, "--protocol", "regenera", "--out", out_file, "--tables", tmp_path / "t"
    )
    assert result.returncode == 0, result.stderr
    with out_file.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 48
    for column in ("oocyte_activation", "eligible", "poseidon_group", "time_to_pregnancy_months"):
        assert column in rows[0]
    assert (tmp_path / "t" / "live_birth_measures.csv").exists()
    assert (tmp_path / "t" / "gcsf_symptoms_by_day.csv").exists()


@pytest.mark.parametrize("plan", ["regenera", "mensc", "ucmsc-rct"])
def test_analyze_writes_strict_json_and_every_table(
    plan: str, sample: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "analysis"
    result = run("analyze", sample, "--plan", plan, "--out", out_dir)
    assert result.returncode == 0, result.stderr
    text = (out_dir / "results.json").read_text(encoding="utf-8")

    def refuse_constant(name: str) -> None:
        raise AssertionError(f"{name} in results.json")

    document = json.loads(text, parse_constant=refuse_constant)
    assert document["plan"] == plan and document["protocol"]["name"] == plan
    ids = [r["id"] for r in document["results"]]
    assert len(ids) == len(set(ids))
    for entry in document["results"]:
        for key in ("id", "method", "n", "statistic", "df", "p_value", "estimate", "ci_low"):
            assert key in entry, (entry["id"], key)
    for table in document["tables"]:
        with (out_dir / table["file"]).open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)), table["file"]
    assert f"{len(ids)} results" in result.stdout


def test_protocol_commands() -> None:
    listed = run("protocols")
    assert listed.returncode == 0
    assert all(name in listed.stdout for name in ("regenera", "mensc", "ucmsc-rct"))
    shown = run("protocol", "show", "ucmsc-rct")
    assert shown.returncode == 0
    assert "incl.ovary_diameter" in shown.stdout and "NCT05308342" in shown.stdout


def test_gcsf_proposal_and_refusals() -> None:
    ok = run("gcsf", "propose", "--day", "2", "--dose", "10", "--wbc", "72.4", "--symptom", "mild")
    assert ok.returncode == 0 and "reduce" in ok.stdout and "Anderlini" in ok.stdout
    mg = run("gcsf", "propose", "--day", "1", "--dose", "10", "--unit", "mg/kg", "--wbc", "20")
    assert mg.returncode == 1 and "thousand-fold" in mg.stderr
    high = run("gcsf", "propose", "--day", "1", "--dose", "25", "--wbc", "20")
    assert high.returncode == 1 and "20 µg/kg/day is the maximum" in high.stderr


def test_demo_writes_one_combined_report_and_prints_its_path_last(tmp_path: Path) -> None:
    result = run("demo", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    report = (tmp_path / "ovaregen-report.html").resolve()
    assert Path(last) == report and report.exists()
    for study in ("regenera", "mensc", "ucmsc-rct"):
        assert (tmp_path / study / "analysis" / "results.json").exists()
        assert (tmp_path / study / "screening.csv").exists()
    html = report.read_text(encoding="utf-8")
    for name in ("Regenera", "MenSC", "NCT05308342"):
        assert name in html
    assert "Traceback" not in result.stdout + result.stderr


def test_synth_writes_a_valid_dataset_and_refuses_bad_sizes(tmp_path: Path) -> None:
    out_dir = tmp_path / "cohort"
    made = run("synth", "--study", "mensc", "--seed", "7", "--out", out_dir)
    assert made.returncode == 0, made.stderr
    assert run("validate", out_dir).returncode == 0
    with (out_dir / "participants.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == 106  # header + the published 105 women
    again = tmp_path / "again"
    assert run("synth", "--study", "mensc", "--seed", "7", "--out", again).returncode == 0
    for name in ("participants.csv", "pregnancies.csv"):
        assert (out_dir / name).read_bytes() == (again / name).read_bytes()
    refused = run("synth", "--study", "regenera", "--n", "0", "--out", tmp_path / "none")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert not (tmp_path / "none").exists()


def test_report_of_one_study_and_a_combined_report(sample: Path, tmp_path: Path) -> None:
    single = tmp_path / "single.html"
    done = run("report", sample, "--plan", "regenera", "--out", single)
    assert done.returncode == 0, done.stderr
    assert "<svg" in single.read_text(encoding="utf-8")
    combined = tmp_path / "combined.html"
    both = run(
        "report", "--study", f"regenera={sample}", "--study", f"mensc={sample}", "--out", combined
    )
    assert both.returncode == 0, both.stderr
    refused = run("report", "--study", "regenera", "--out", tmp_path / "x.html")
    assert refused.returncode == 2 and not (tmp_path / "x.html").exists()


def test_report_pdf_is_printed_by_chromium(sample: Path, tmp_path: Path) -> None:
    html = tmp_path / "mensc.html"
    done = run("report", sample, "--plan", "mensc", "--out", html, "--pdf")
    assert done.returncode == 0, done.stderr
    pdf = html.with_suffix(".pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert f"PDF written to {pdf}" in done.stdout
