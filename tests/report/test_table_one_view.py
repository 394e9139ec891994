"""Table 1 as gtsummary prints it: n in every header, Unknown rows, one row per yes/no variable,
the test's letter on the label and a footnote for a small-expected-count chi-square."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import polars as pl
import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis, Table
from ovaregen.analysis.table_frames import table_one_frame
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.report.table_one_view import table_one_view
from ovaregen.report.views import Footnotes, TableView
from ovaregen.stats.descriptive import Summary, TableOneSpec, Variable, table_one
from ovaregen.synth import PUBLISHED_SIZE, synthesize
from tests.report.test_table_views import demo_analysis

DATA = pl.DataFrame(
    {
        "group": ["a", "a", "a", "a", "b", "b", "b", "b", None, "c"],
        "age": [30.0, None, 32.0, 34.0, 40.0, 41.0, None, 45.0, 50.0, 60.0],
        "amh": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        "smoker": [
            "true",
            "false",
            "false",
            "true",
            None,
            "true",
            "true",
            "false",
            "false",
            "true",
        ],
        "menses": [
            "regular",
            "irregular",
            "regular",
            "regular",
            "regular",
            None,
            None,
            "regular",
            "regular",
            None,
        ],
    }
)
SPEC = TableOneSpec(
    "group",
    (
        Variable("age", "Age (years)", summary=Summary.MEAN_SD),
        Variable("amh", "AMH (ng/mL)", summary=Summary.MEDIAN_IQR),
        Variable("smoker", "Smoker", categorical=True, levels=("true", "false")),
        Variable("menses", "Menses", categorical=True),
    ),
    groups=("a", "b"),
)


def view(notes: Footnotes | None = None) -> TableView:
    frame = table_one_frame(table_one(DATA, SPEC))
    return table_one_view(Table("table1", "Table 1", frame), notes or Footnotes())


def texts(table: TableView) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows]


def test_headers_give_every_columns_n_overall_first() -> None:
    assert view().headers == [
        "Characteristic",
        "Overall, n = 10",
        "a, n = 4",
        "b, n = 4",
        "p-value",
        "SMD",
    ]


def test_each_variable_prints_its_summary_and_an_unknown_row_per_column() -> None:
    rows = texts(view())
    labels = [row[0] for row in rows]
    assert labels == [
        "Age (years), mean ± SD",
        "Unknown",
        "AMH (ng/mL), median (IQR)",
        "Smoker, n (%)",
        "Unknown",
        "Menses, n (%)",
        "irregular",
        "regular",
        "Unknown",
    ]
    assert rows[1][1:4] == ["2", "1", "1"]
    assert rows[2][1:4] == ["5.50 (3.25 to 7.75)", "2.50 (1.75 to 3.25)", "6.50 (5.75 to 7.25)"]
    assert rows[8][1:4] == ["3", "0", "2"]


def test_a_yes_no_variable_is_one_row_of_its_yes_count() -> None:
    rows = texts(view())
    smoker = rows[3]
    assert smoker[1:4] == ["5 (55.6%)", "2 (50.0%)", "2 (66.7%)"]
    assert all(row[0] not in ("true", "false") for row in rows)


def test_the_test_letter_is_on_the_label_and_a_small_count_warning_is_a_footnote() -> None:
    notes = Footnotes()
    table = view(notes)
    texts_by_mark = dict(notes.items)
    menses = next(row[0] for row in table.rows if row[0].text.startswith("Menses"))
    assert len(menses.marks) == 2
    method, warning = (texts_by_mark[m] for m in menses.marks)
    assert method.startswith("Pearson's Chi-squared test")
    assert "expected count below 5" in warning
    for row in table.rows:
        assert all(not cell.marks for cell in row[1:])


def test_the_women_of_unknown_group_are_said_in_a_note() -> None:
    notes = " ".join(view().notes)
    assert "2 women whose group is unknown" in notes
    assert "Overall column only" in notes


def test_a_one_group_table_shows_overall_only() -> None:
    analysis = demo_analysis("mensc")
    table = table_one_view(analysis.table("table1_demographics"), Footnotes())
    population = {p.id: p.n for p in analysis.populations}
    assert table.headers[0] == "Characteristic"
    assert table.headers[1:] == [f"Overall, n = {max(population.values())}"]


@pytest.mark.parametrize(
    ("study", "table_id"),
    [("regenera", "table1_baseline"), ("ucmsc-rct", "table1_baseline_by_arm")],
)
def test_demo_table_ones_have_n_in_every_header(study: str, table_id: str) -> None:
    analysis = demo_analysis(study)
    table = table_one_view(analysis.table(table_id), Footnotes())
    sizes = [int(h.rsplit("n = ", 1)[1]) for h in table.headers if "n = " in h]
    assert len(sizes) >= 3
    assert sizes[0] >= sum(sizes[1:])


# --- a cohort with missing values ---------------------------------------------------------------


@pytest.fixture(scope="module")
def missing() -> Analysis:
    """Study A's demo cohort with haemoglobin, ethnicity and the follow-up AFC and AMH
    (hence oocyte activation) unknown for forty women each."""
    dataset = synthesize("regenera", PUBLISHED_SIZE["regenera"], 2026)
    index = pl.int_range(pl.len())

    def blank(column: str, start: int) -> pl.Expr:
        return (
            pl.when((index >= start) & (index < start + 40))
            .then(None)
            .otherwise(pl.col(column))
            .alias(column)
        )

    people = dataset.participants.with_columns(
        blank("hemoglobin_g_dl", 0),
        blank("ethnicity", 40),
        blank("afc_post", 80),
        blank("amh_post_ng_ml", 80),
    )
    with tempfile.TemporaryDirectory() as folder:
        write_dataset(dataclasses.replace(dataset, participants=people), folder)
        protocol = load_protocol("regenera")
        report = validate_dataset(Path(folder), protocol)
        assert report.dataset is not None
        return run_plan("regenera", report.dataset, protocol)


def test_a_cohort_with_missing_values_gets_unknown_rows_with_the_frames_counts(
    missing: Analysis,
) -> None:
    source = missing.table("table1_baseline")
    table = table_one_view(source, Footnotes())
    population = next(p.n for p in missing.populations if p.id == "analysed")
    assert table.headers[1] == f"Overall, n = {population}"
    rows = table.rows
    frame = source.frame
    for variable in ("hemoglobin_g_dl", "ethnicity"):
        first = frame.filter(pl.col("variable") == variable).row(0, named=True)
        label = first["label"]
        start = next(i for i, row in enumerate(rows) if row[0].text.startswith(label))
        unknown = next(row for row in rows[start + 1 :] if row[0].text == "Unknown")
        assert int(unknown[1].text) == first["overall_missing"] > 0
        assert int(unknown[2].text) == first["not_activated_missing"]
        assert int(unknown[3].text) == first["activated_missing"]
        known = first["overall_n"]
        assert known + first["overall_missing"] == population


def test_a_cohort_with_missing_values_counts_the_unknown_group_in_overall(
    missing: Analysis,
) -> None:
    table = table_one_view(missing.table("table1_baseline"), Footnotes())
    sizes = [int(h.rsplit("n = ", 1)[1]) for h in table.headers if "n = " in h]
    unknown_group = sizes[0] - sum(sizes[1:])
    assert unknown_group > 0  # activation unknown: both its AFC and its AMH criterion blanked
    assert any(f"{unknown_group} women whose group is unknown" in n for n in table.notes)
