"""Writing the report with its table files (``write_report``), and the women left out of a
cohort with missing values in key columns: every one listed with its reason, every count
adding up (issue 12, item 4)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import polars as pl
import pytest

from ovaregen.analysis.left_out import total
from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis, LeftOut, Population, Result
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.report.document import tables_folder, write_report
from ovaregen.report.html import build_report
from ovaregen.report.left_out_view import accounting, left_out_view
from ovaregen.synth import PUBLISHED_SIZE, synthesize

GENERATED = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
BLANKED = {
    "regenera": ("cd34_d5_per_ul", "wbc_d5_10e9_l"),
    "mensc": ("menses", "injections"),
    "ucmsc-rct": ("afc_post", "amh_post_ng_ml"),
}
"""Key columns blanked for some women of each synthetic cohort."""


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _with_missing(study: str, folder: Path) -> Analysis:
    """The study's synthetic cohort with the ``BLANKED`` columns unknown for every fifth and
    every seventh woman, analysed."""
    write_dataset(synthesize(study, PUBLISHED_SIZE[study], 2026), folder)
    path = folder / "participants.csv"
    frame = pl.read_csv(path, infer_schema_length=0)
    first, second = BLANKED[study]
    index = pl.int_range(pl.len())
    frame = frame.with_columns(
        pl.when(index % 5 == 1).then(None).otherwise(pl.col(first)).alias(first),
        pl.when(index % 7 == 3).then(None).otherwise(pl.col(second)).alias(second),
    )
    frame.write_csv(path)
    report = validate_dataset(folder)
    assert report.dataset is not None
    return run_plan(study, report.dataset)


@pytest.fixture(scope="module")
def with_missing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, ...]:
    root = tmp_path_factory.mktemp("missing")
    return tuple(_with_missing(study, root / study) for study in BLANKED)


@pytest.fixture(scope="module")
def written(
    tmp_path_factory: pytest.TempPathFactory, with_missing: tuple[Analysis, ...]
) -> tuple[Path, list[Path]]:
    out_file = tmp_path_factory.mktemp("report") / "study report.html"
    previous = os.umask(0o022)
    try:
        paths = write_report(with_missing, out_file, generated=GENERATED)
    finally:
        os.umask(previous)
    return out_file, paths


def test_missing_values_leave_women_out_of_results(with_missing: tuple[Analysis, ...]) -> None:
    for analysis in with_missing:
        assert any(total(r.left_out) for r in analysis.results), analysis.plan


def test_every_result_with_women_left_out_is_listed_with_counts_that_add_up(
    with_missing: tuple[Analysis, ...],
) -> None:
    for analysis in with_missing:
        view = left_out_view(analysis)
        rows = {row[0].text: row for row in view.rows}
        sizes = {p.id: p.n for p in analysis.populations}
        for result in analysis.results:
            left = total(result.left_out)
            if not left:
                assert result.title not in rows
                continue
            row = rows[result.title]
            assert [cell.text for cell in row[1:5]] == [
                result.population,
                str(sizes[result.population]),
                str(result.n),
                str(left),
            ]
            reasons = row[5].text.split("; ")
            assert reasons == [f"{i.count} {i.reason}" for i in result.left_out if i.count]
            assert sum(int(reason.split(" ", 1)[0]) for reason in reasons) == left


def test_the_accounting_names_every_result_that_does_not_add_up() -> None:
    def result(id: str, n: int, left: int, population: str = "all") -> Result:
        lost = (LeftOut(left, "baseline AMH unknown"),) if left else ()
        return Result(id, f"title {id}", "method", n, population, left_out=lost)

    analysis = Analysis(
        "plan",
        "protocol",
        "1",
        "1",
        "dataset",
        (Population("all", "every woman", 10),),
        (
            result("a", 8, 2),
            result("b", 10, 0),
            result("c", 4, 1),
            result("d", 14, 0),
            result("e", 3, 0, "elsewhere"),
        ),
        (),
    )
    counted = accounting(analysis)
    assert (counted.results, counted.accounted, counted.left_out) == (5, 2, 3)
    assert not counted.all_accounted
    assert [m.text for m in counted.subsets] == ["title c (4 + 1 of 10)"]
    assert [m.text for m in counted.larger] == ["title d (14 + 0 of 10)"]
    assert [m.title for m in counted.unknown] == ["title e"]
    line = counted.line
    assert line.startswith("For 2 of 5 results")
    for text in ("title c (4 + 1 of 10)", "title d (14 + 0 of 10)", "title e"):
        assert text in line
    complete = accounting(
        Analysis("p", "p", "1", "1", "d", analysis.populations, analysis.results[:2], ())
    )
    assert complete.all_accounted and complete.line.startswith("All accounted for")


def test_the_left_out_section_is_open_and_names_each_reason(
    written: tuple[Path, list[Path]], with_missing: tuple[Analysis, ...]
) -> None:
    html = written[0].read_text(encoding="utf-8")
    for index, analysis in enumerate(with_missing, start=1):
        section = html.split(f'id="s{index}-{analysis.plan}-left-out"', 1)[1]
        section = section.split("</section>", 1)[0]
        assert '<details class="left-out" open>' in section
        expected = sum(total(r.left_out) for r in analysis.results)
        assert f"Women left out: {expected}," in section
        for result in analysis.results:
            for item in result.left_out:
                assert f"{item.count} {item.reason}" in section


def test_table_links_point_to_files_that_exist(
    written: tuple[Path, list[Path]], with_missing: tuple[Analysis, ...]
) -> None:
    out_file, paths = written
    assert paths[-1] == out_file
    html = out_file.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"#][^"]*)"', html)
    files = [link for link in links if not link.endswith("/")]
    assert len(files) > 20
    folder = tables_folder(out_file)
    for link in files:
        target = out_file.parent / unquote(link)
        assert target.is_file(), link
        assert target.parent == folder
    assert {p.suffix for p in folder.iterdir()} == {".csv", ".docx"}
    report = build_report(with_missing, generated=GENERATED)
    for study in report.studies:
        for table in [*study.printed_tables(), *study.machine_tables]:
            for suffix in (".csv", ".docx"):
                assert (folder / f"{study.anchor}-{table.id}{suffix}").is_file()
        assert (folder / f"{study.anchor}-tables.docx").is_file()


def test_files_are_readable_by_others(written: tuple[Path, list[Path]]) -> None:
    for path in written[1]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_the_html_is_replaced_whole(tmp_path: Path, with_missing: tuple[Analysis, ...]) -> None:
    out_file = tmp_path / "r.html"
    out_file.write_text("old", encoding="utf-8")
    write_report(with_missing[:1], out_file, generated=GENERATED)
    text = out_file.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_earlier_reports_stale_tables_are_removed(
    tmp_path: Path, with_missing: tuple[Analysis, ...]
) -> None:
    out_file = tmp_path / "r.html"
    folder = tables_folder(out_file)
    folder.mkdir()
    stale = folder / "s1-regenera-a_table_no_longer_made.csv"
    stale.write_text("old", encoding="utf-8")
    mine = folder / "notes.txt"
    mine.write_text("the user's", encoding="utf-8")
    written = write_report(with_missing[:1], out_file, generated=GENERATED)
    assert not stale.exists() and mine.exists()
    assert {p.name for p in folder.iterdir()} == {p.name for p in written[:-1]} | {"notes.txt"}
