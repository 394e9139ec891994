"""Export and import lose nothing, as a property: for any clinic contents hypothesis makes up —
women in any flow status, any subset of values at any visit, visits, adverse events,
pregnancies, G-CSF days with decisions — what the clinic stores → export → import into an empty
data folder → export again gives identical files, blinded and unblinded (issue 10); free text
that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab; issue 11) included."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovaregen.clinic.exchange import dataset_files, study_dataset
from ovaregen.clinic.importing import import_dataset
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.clinic.studies import add_site, prepare_database, protocol_of, study_named
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.record_variables import AE_OUTCOMES, AE_RELATEDNESS, DECISIONS
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import STATUSES, DatasetFile, Kind, Variable, variable
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.store.database import Database, connect, sqlite_url

SITE = "MAD1"
START = date(2024, 1, 1)
FORMULA_LIKE = (
    "=1+1",
    "\t=1+1",
    '=HYPERLINK("http://x.example","y")',
    "+34 600",
    "-2 weeks",
    "@home",
)
"""Text that the CSV writers quote (``io.spreadsheet_safe``) and the reader unquotes."""
QUOTED = ("'=already quoted", "''-twice", "'\ttab after a quote", "-5")


def _value(draw: st.DrawFn, v: Variable) -> Any:
    if v.kind is Kind.BOOLEAN:
        return draw(st.booleans())
    if v.kind is Kind.CHOICE:
        return draw(st.sampled_from(v.choices))
    if v.kind is Kind.DATE:
        return START + timedelta(days=draw(st.integers(0, 700)))
    if v.kind is Kind.TEXT:
        return draw(
            st.sampled_from(
                ["estradiol 2 mg", "ethnicity, with comma", "x", *FORMULA_LIKE, *QUOTED]
            )
        )
    low, high = (v.hard.low, v.hard.high) if v.hard else (0.0, 100.0)
    if v.kind is Kind.INTEGER:
        return draw(st.integers(int(low), int(min(high, low + 30))))
    return round(draw(st.floats(low, min(high, low + 50), allow_nan=False)), 2)


def _maybe(draw: st.DrawFn, v: Variable) -> Any:
    return _value(draw, v) if draw(st.booleans()) else None


@st.composite
def clinic_contents(draw: st.DrawFn, study: str) -> Dataset:
    protocol = protocol_of(study)
    people: list[dict[str, Any]] = []
    visits: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    days: list[dict[str, Any]] = []
    pregnancies: list[dict[str, Any]] = []
    once = [n for v in protocol.schedule if not v.follow_up for n in v.records]
    for i in range(draw(st.integers(1, 5))):
        code = f"P{i:03d}"
        row: dict[str, Any] = {"participant_id": code, "site": SITE}
        row["status"] = draw(st.sampled_from(STATUSES))
        if len(protocol.arms) > 1 and row["status"] not in ("screening", "screen_failed"):
            row["arm"] = draw(st.sampled_from([a.id for a in protocol.arms]))
        for name in once:
            if not name.startswith(("gcsf_d", "wbc_d", "symptoms_d")):
                row[name] = _maybe(draw, variable(name))
        people.append(row)
        for visit in protocol.followup_visits:
            if draw(st.booleans()):
                values = {n: _maybe(draw, variable(n, DatasetFile.VISITS)) for n in visit.records}
                visits.append({"participant_id": code, "visit": visit.id, **values})
                visits[-1]["visit_date"] = _maybe(draw, variable("visit_date", DatasetFile.VISITS))
        for _ in range(draw(st.integers(0, 2))):
            grade = draw(st.sampled_from([None, 1, 2, 3, 4]))
            events.append(
                {
                    "participant_id": code,
                    "term": draw(
                        st.sampled_from(["Headache", "pelvic pain", "Náusea", *FORMULA_LIKE])
                    ),
                    "grade": grade,
                    "serious": draw(st.sampled_from([None, True, False])),
                    "related": draw(st.sampled_from(AE_RELATEDNESS)),
                    "outcome": draw(st.sampled_from([o for o in AE_OUTCOMES if o != "fatal"])),
                    "ctcae_version": "5.0",
                }
            )
        if draw(st.booleans()):
            outcome = draw(st.sampled_from(["ongoing", "live_birth", "miscarriage"]))
            pregnancies.append(
                {
                    "participant_id": code,
                    "conception": draw(st.sampled_from(["spontaneous", "ivf"])),
                    "outcome": outcome,
                    "infants_live_born": 1 if outcome == "live_birth" else 0,
                }
            )
        days += _days(draw, protocol, code)
    return Dataset(
        participants=_table(people, DatasetFile.PARTICIPANTS),
        visits=_table(visits, DatasetFile.VISITS),
        adverse_events=_table(events, DatasetFile.ADVERSE_EVENTS),
        pregnancies=_table(pregnancies, DatasetFile.PREGNANCIES),
        mobilisation=_table(days, DatasetFile.MOBILISATION),
        source="hypothesis",
    )


def _table(rows: list[dict[str, Any]], file: DatasetFile) -> pl.DataFrame:
    """Canonical rows of ``file`` (an empty table when there are none)."""
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    return conform(frame if rows else pl.DataFrame({"participant_id": []}), file)


def _days(draw: st.DrawFn, protocol: Protocol, code: str) -> list[dict[str, Any]]:
    if protocol.gcsf_titration is None or not draw(st.booleans()):
        return []
    rows = []
    for day in range(1, draw(st.integers(1, 5)) + 1):
        row: dict[str, Any] = {"participant_id": code, "day": day}
        row["wbc_10e9_l"] = round(draw(st.floats(2, 60)), 1)
        if day <= 4:
            row |= {
                "weight_kg": round(draw(st.floats(45, 95)), 1),
                "dose_ug_kg": draw(st.sampled_from([0.0, 5.0, 7.5, 10.0])),
                "symptoms": draw(st.sampled_from(["none", "mild", "moderate"])),
            }
            decision = draw(st.sampled_from([None, *DECISIONS]))
            if decision is not None:
                row |= {
                    "proposed_action": "continue",
                    "proposed_dose_ug_kg": 10.0,
                    "proposal_reason": "leukocytes within range",
                    "table_version": "regenera-gcsf-titration 1.0",
                    "decision": decision,
                    "decided_dose_ug_kg": 7.5 if decision == "change" else 10.0,
                    "decision_reason": (
                        draw(st.sampled_from(["judgement, with a comma", *FORMULA_LIKE]))
                        if decision == "change"
                        else None
                    ),
                    "decided_by": "investigator1",
                }
        rows.append(row)
    return rows


def _empty_clinic(folder: Path) -> Database:
    folder.mkdir(parents=True)
    database = connect(sqlite_url(folder))
    prepare_database(database)
    with database.transaction() as session:
        add_site(session, code=SITE, name="Test clinic", username="test")
    return database


def _store(database: Database, study: str, dataset: Dataset) -> None:
    with database.transaction() as session:
        import_dataset(session, study_named(session, study), dataset, username="importer")


def _export(database: Database, study: str, blinded: bool) -> dict[str, str]:
    with database.transaction() as session:
        return dataset_files(
            study_dataset(session, study_named(session, study), blinded=blinded, access=EVERYWHERE)
        )


def _read(files: dict[str, str], folder: Path, study: str) -> Dataset:
    folder.mkdir(parents=True)
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    report = validate_dataset(folder, protocol_of(study))
    assert report.dataset is not None, [f.message for f in report.findings][:5]
    return report.dataset


def _round_trip(study: str, contents: Dataset, folder: Path) -> None:
    first_clinic = _empty_clinic(folder / "clinic")
    try:
        written = folder / "in"
        write_dataset(contents, written)
        report = validate_dataset(written, protocol_of(study))
        assert report.dataset is not None, [f.message for f in report.findings][:5]
        _store(first_clinic, study, report.dataset)
        _assert_every_value_exported(
            report.dataset, _read(_export(first_clinic, study, False), folder / "out", study)
        )
        for blinded in (True, False):
            exported = _export(first_clinic, study, blinded)
            again = _empty_clinic(folder / f"again-{blinded}")
            try:
                _store(again, study, _read(exported, folder / f"files-{blinded}", study))
                assert _export(again, study, blinded) == exported, f"blinded={blinded}"
            finally:
                again.dispose()
    finally:
        first_clinic.dispose()


KEYS = ("participant_id", "visit", "day", "term", "conception", "outcome")


def _assert_every_value_exported(source: Dataset, exported: Dataset) -> None:
    """Every value stored reaches the unblinded export, in its table and column."""
    for file in DatasetFile:
        given = source.table(file)
        if given.is_empty():
            continue
        nulls = given.null_count().row(0, named=True)
        columns = [c for c in given.columns if nulls[c] < given.height and c != "site"]
        keys = [c for c in KEYS if c in columns]
        left = given.select(columns).sort(keys, nulls_last=True)
        right = exported.table(file).select(columns).sort(keys, nulls_last=True)
        assert left.equals(right), f"{file.file_name}: values lost or changed\n{left}\n{right}"


SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(contents=clinic_contents("ucmsc-rct"))
def test_any_randomised_trial_round_trips(tmp_path: Path, contents: Dataset) -> None:
    _round_trip("ucmsc-rct", contents, Path(mkdtemp(dir=tmp_path)))


@SETTINGS
@given(contents=clinic_contents("regenera"))
def test_any_mobilisation_study_round_trips(tmp_path: Path, contents: Dataset) -> None:
    _round_trip("regenera", contents, Path(mkdtemp(dir=tmp_path)))


@SETTINGS
@given(contents=clinic_contents("mensc"))
def test_any_follow_up_study_round_trips(tmp_path: Path, contents: Dataset) -> None:
    _round_trip("mensc", contents, Path(mkdtemp(dir=tmp_path)))
