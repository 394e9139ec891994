"""Oestradiol and follow-up FSH read from a dataset folder (issue 15): pmol/L converted into
pg/mL by the dictionary's alternative unit, limits quoted in the written unit, and the visits'
values carried into participants.csv's follow-up columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.variables import OESTRADIOL_PMOL_L_PER_PG_ML
from ovaregen.io.findings import render_finding
from ovaregen.io.reader import validate_dataset
from tests.io.helpers import assert_located, errors, only_error


def _folder(tmp_path: Path, participants: str, visits: str | None = None) -> Path:
    (tmp_path / "participants.csv").write_text(participants, encoding="utf-8")
    if visits is not None:
        (tmp_path / "visits.csv").write_text(visits, encoding="utf-8")
    return tmp_path


def test_oestradiol_in_pmol_l_is_read_as_pg_ml(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "participant_id,oestradiol_pmol_l\nP1,100\nP2,\nP3,3671\n")
    report = validate_dataset(folder)
    assert report.dataset is not None, [render_finding(f) for f in report.findings]
    assert not errors(report)
    frame = report.dataset.participants
    values = frame.get_column("oestradiol_pg_ml").to_list()
    assert values[0] == pytest.approx(27.24, abs=0.005)  # 100 pmol/L × 0.2724
    assert values[0] == pytest.approx(100 / OESTRADIOL_PMOL_L_PER_PG_ML)
    assert values[1] is None  # empty stays unknown
    assert values[2] == pytest.approx(1000.0)
    assert "oestradiol_pmol_l" not in frame.columns
    assert "oestradiol_pg_ml" in report.dataset.supplied["participants"]


def test_oestradiol_beyond_the_hard_limit_is_quoted_in_pmol_l(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "participant_id,oestradiol_pmol_l\nP1,40000\n")
    assert_located(
        only_error(validate_dataset(folder)),
        "participants.csv",
        2,
        "oestradiol_pmol_l",
        'value "40000" is outside 0–36710 pmol/L',
    )


def test_oestradiol_columns_in_both_units_must_agree(tmp_path: Path) -> None:
    text = "participant_id,oestradiol_pg_ml,oestradiol_pmol_l\nP1,50,183.6\nP2,50,367\n"
    finding = only_error(validate_dataset(_folder(tmp_path, text)))
    assert (finding.line, finding.column) == (3, "oestradiol_pg_ml")
    assert "disagrees with column oestradiol_pmol_l" in finding.message


def test_follow_up_fsh_and_oestradiol_come_from_the_visit(tmp_path: Path) -> None:
    """ucmsc-rct records both at month_3, its primary follow-up visit: visits.csv's values
    (oestradiol in pmol/L) fill participants.csv's follow-up columns."""
    folder = _folder(
        tmp_path,
        "participant_id,treatment_date\nP1,2021-01-04\n",
        "participant_id,visit,visit_date,fsh_post_iu_l,oestradiol_post_pmol_l\n"
        "P1,month_3,2021-04-05,31.5,183.55\n",
    )
    report = validate_dataset(folder, load_protocol("ucmsc-rct"))
    assert report.dataset is not None, [render_finding(f) for f in report.findings]
    visit = report.dataset.visits.row(0, named=True)
    assert visit["fsh_post_iu_l"] == 31.5
    assert visit["oestradiol_post_pg_ml"] == pytest.approx(50.0)
    woman = report.dataset.participants.row(0, named=True)
    assert woman["fsh_post_iu_l"] == 31.5
    assert woman["oestradiol_post_pg_ml"] == pytest.approx(50.0)
