"""What Stata, SPSS and SAS transport cannot hold is refused by ``ovaregen convert`` naming
file, column, row and value, and a bad folder of theirs is refused on reading; either way
nothing is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pyreadstat

from ovaregen.domain.protocols import Protocol
from ovaregen.io.dataset import Dataset
from ovaregen.io.writer import write_dataset
from tests.formats.cohorts import synthetic_cohort
from tests.formats.convert_cli import convert

_convert = convert


def _participants(tmp_path: Path, text: str) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    (source / "participants.csv").write_text(text)
    return source


def test_a_text_over_200_bytes_is_refused_by_sas_transport(tmp_path: Path) -> None:
    """Study A's mobilisation reasons (up to 321 bytes) do not fit transport v5's 200."""
    dataset, _ = synthetic_cohort("regenera")
    write_dataset(dataset, tmp_path / "regenera")
    out = tmp_path / "xpt"
    code, output = _convert(tmp_path / "regenera", "regenera", out, "--to", "xpt")
    assert code == 1, output
    assert "mobilisation.xpt" in output and "'proposal_reason'" in output
    assert "row " in output and "200 bytes" in output
    assert not out.exists()


def test_a_number_ibm_floating_point_cannot_hold_is_refused(tmp_path: Path) -> None:
    source = _participants(tmp_path, "participant_id,amh_ng_ml\nP1,1\nP2,1e-80\n")
    out = tmp_path / "xpt"
    code, output = _convert(source, "ucmsc-rct", out, "--to", "xpt")
    assert code == 1, output
    assert "participants.xpt" in output and "'amh_ng_ml'" in output and "row 2" in output
    assert "1e-80" in output and "IBM floating point" in output
    assert not out.exists()


def test_a_name_stata_cannot_hold_nor_its_label_keep_is_refused(tmp_path: Path) -> None:
    long = "a note " * 12  # 84 characters with spaces: neither a name nor an 80-character label
    source = _participants(tmp_path, f"participant_id,{long.strip()}\nP1,x\n")
    out = tmp_path / "stata"
    code, output = _convert(source, "ucmsc-rct", out, "--to", "stata")
    assert code == 1, output
    assert "participants.dta" in output and "a note a note" in output and "80" in output
    assert not out.exists()


def _written(tmp_path: Path, study: str, format: str) -> tuple[Dataset, Protocol, Path]:
    dataset, protocol = synthetic_cohort(study)
    write_dataset(dataset, tmp_path / "interchange")
    out = tmp_path / format
    code, output = _convert(tmp_path / "interchange", study, out, "--to", format)
    assert code == 0, output
    return dataset, protocol, out


def test_a_code_without_a_word_is_refused_naming_file_row_column_value(tmp_path: Path) -> None:
    _, _, folder = _written(tmp_path, "ucmsc-rct", "stata")
    frame, meta = pyreadstat.read_dta(folder / "participants.dta", output_format="polars")
    status = frame.get_column("status")
    frame = frame.with_columns(status.scatter(2, 9))
    pyreadstat.write_dta(
        frame,
        folder / "participants.dta",
        column_labels=meta.column_names_to_labels,
        variable_value_labels=meta.variable_value_labels,
        variable_format={c: f for c, f in meta.original_variable_types.items() if f == "%td"},
    )
    out = tmp_path / "back"
    code, output = _convert(folder, "ucmsc-rct", out, "--from", "stata")
    assert code == 1, output
    assert 'participants.dta row 3, column status: value "9"' in output
    assert not out.exists()


def test_a_transport_folder_without_its_alias_table_is_refused(tmp_path: Path) -> None:
    _, _, folder = _written(tmp_path, "ucmsc-rct", "xpt")
    (folder / "aliases.csv").unlink()
    out = tmp_path / "back"
    code, output = _convert(folder, "ucmsc-rct", out, "--from", "xpt")
    assert code == 1, output
    assert "aliases.csv" in output and "missing" in output
    assert not out.exists()


def test_a_transport_column_the_alias_table_does_not_list_is_refused(tmp_path: Path) -> None:
    _, _, folder = _written(tmp_path, "ucmsc-rct", "xpt")
    aliases = pl.read_csv(folder / "aliases.csv", infer_schema=False)
    aliases.filter(pl.col("alias") != "AGE_YEAR").write_csv(folder / "aliases.csv")
    out = tmp_path / "back"
    code, output = _convert(folder, "ucmsc-rct", out, "--from", "xpt")
    assert code == 1, output
    assert "participants.xpt" in output and "AGE_YEAR" in output and "aliases.csv" in output
    assert not out.exists()


def test_a_folder_without_participants_is_refused(tmp_path: Path) -> None:
    _, _, folder = _written(tmp_path, "ucmsc-rct", "spss")
    shutil.move(folder / "participants.sav", tmp_path / "elsewhere.sav")
    out = tmp_path / "back"
    code, output = _convert(folder, "ucmsc-rct", out, "--from", "spss")
    assert code == 1, output
    assert "participants.sav" in output and "missing" in output
    assert not out.exists()


def test_a_file_that_is_not_stata_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "stata"
    folder.mkdir()
    (folder / "participants.dta").write_text("participant_id\nP1\n")
    out = tmp_path / "back"
    code, output = _convert(folder, "ucmsc-rct", out, "--from", "stata")
    assert code == 1, output
    assert "participants.dta" in output and "cannot be read" in output
    assert not out.exists()
