"""``ovaregen export --format F`` hands the format's writer the audit records and signatures
of the exported women (``clinic.exchange_records``), blinded as the export is: a fake writer
registered for the test captures what it is given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ovaregen.domain.protocols import Protocol, load_protocol
from ovaregen.formats import registry
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.registry import Codec, Format
from ovaregen.io.dataset import Dataset
from tests.test_clinic_cli import PASSWORD, clinic, ok

STUDY = "ucmsc-rct"


class Captured:
    def __init__(self) -> None:
        self.given: list[tuple[Dataset, ClinicRecords]] = []

    def write(
        self, dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
    ) -> list[Path]:
        del protocol
        self.given.append((dataset, records))
        out.mkdir(parents=True)
        written = out / "records.json"
        written.write_text(json.dumps({"audit": len(records.audit)}))
        return [written]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    fake = Captured()
    monkeypatch.setitem(
        registry.CODECS, Format.ODM, Codec(Format.ODM, "a fake ODM writer", write=fake.write)
    )
    return fake


def _revealing(protocol: Protocol) -> set[str]:
    """The names under which an audit entry records an arm-revealing value."""
    names = set(protocol.arm_revealing)
    for visit in protocol.schedule:
        if visit.arm_revealing:
            names |= {f"{visit.id}.{record}" for record in visit.records}
    return names


def test_export_format_passes_the_clinic_records_blinded_as_the_export(
    tmp_path: Path, captured: Captured
) -> None:
    data = clinic(tmp_path)
    ok("synth", "--study", STUDY, "--n", "12", "--out", tmp_path / "synthetic")
    ok("import", "--data", data, "--study", STUDY, tmp_path / "synthetic", "--site", "MAD1")
    ok("export", "--data", data, "--study", STUDY, "--out", tmp_path / "blinded",
       "--by", "stat", "--format", "odm")  # fmt: skip
    ok("export", "--data", data, "--study", STUDY, "--out", tmp_path / "unblinded",
       "--unblinded-as", "stat", "--format", "odm", input=PASSWORD + "\n")  # fmt: skip
    assert json.loads((tmp_path / "blinded" / "records.json").read_text())["audit"] > 0
    (blinded_data, blinded), (_, unblinded) = captured.given
    codes = set(blinded_data.participants.get_column("participant_id"))
    assert len(codes) == 12
    assert {r.participant for r in blinded.audit} == codes, "each woman's import is recorded"
    assert all(r.username and r.action and r.at.tzinfo is not None for r in blinded.audit)
    assert [r.entry_id for r in blinded.audit] == sorted(r.entry_id for r in blinded.audit)
    revealing = _revealing(load_protocol(STUDY))
    blinded_names = {name for r in blinded.audit for name in r.changes}
    unblinded_names = {name for r in unblinded.audit for name in r.changes}
    assert blinded_names and not blinded_names & revealing
    assert unblinded_names & revealing, "the unblinded export's import entries keep them"
    assert blinded.signatures == unblinded.signatures == ()
