"""``ovaregen export --format fhir`` from a clinic: the blinded Bundle has no arm, the unblinded
one has every woman's arm, both valid R4 (fhir.resources R4B models)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from tests.test_clinic_cli import PASSWORD, clinic, ok

STUDY = "ucmsc-rct"


def _subjects(path: Path) -> list[dict[str, Any]]:
    bundle = json.loads(path.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchSubject"
    ]


def test_export_format_fhir_blinded_and_unblinded(tmp_path: Path) -> None:
    data = clinic(tmp_path)
    ok("synth", "--study", STUDY, "--n", "12", "--out", tmp_path / "synthetic")
    ok("import", "--data", data, "--study", STUDY, tmp_path / "synthetic", "--site", "MAD1")
    blinded, unblinded = tmp_path / "blinded.json", tmp_path / "unblinded.json"
    ok("export", "--data", data, "--study", STUDY, "--out", blinded,
       "--by", "stat", "--format", "fhir")  # fmt: skip
    ok("export", "--data", data, "--study", STUDY, "--out", unblinded,
       "--unblinded-as", "stat", "--format", "fhir", input=PASSWORD + "\n")  # fmt: skip
    blind = _subjects(blinded)
    assert len(blind) == 12 and not any("assignedArm" in s for s in blind)
    seen = _subjects(unblinded)
    assert len(seen) == 12
    assert {s["assignedArm"] for s in seen} <= {"ucmsc_hrt", "hrt"}
    assert all("assignedArm" in s for s in seen)
