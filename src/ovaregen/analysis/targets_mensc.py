"""The reproduction targets of Study B, MenSC long-term follow-up (STUDIES.md, Study B).

Every published figure of STUDIES.md's Study B section, as the paper prints it (decimals as
printed; percentages in %), read off the ``mensc`` plan's analysis. Counts must be exact; no
target needs a tolerance (the synthetic cohort reproduces each figure at n = 105:
``ovaregen.synth.mensc``). Where the paper contradicts itself the target says how
(``inconsistent``): 26/82 is 31.71%, not the printed 31.70; the text's "24" irregular women
against its own table's 14; the pregnant women's oldest age printed as 42 and as 43.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ovaregen.analysis.reproduction import Reader, Target
from ovaregen.analysis.result import Analysis

# --- readers ---------------------------------------------------------------------------------


def _extra(result: str, key: str) -> Reader:
    def read(analysis: Analysis) -> float | None:
        value = analysis.result(result).extra.get(key)
        return None if value is None else float(value)

    return read


def _estimate(result: str, scale: float = 1.0) -> Reader:
    def read(analysis: Analysis) -> float | None:
        value = analysis.result(result).estimate
        return None if value is None else scale * value

    return read


def _field(result: str, name: str) -> Reader:
    def read(analysis: Analysis) -> float | None:
        value = getattr(analysis.result(result), name)
        return None if value is None else float(value)

    return read


def _group(result: str, index: int, key: str) -> Reader:
    def read(analysis: Analysis) -> float | None:
        value = analysis.result(result).extra["groups"][index][key]
        return None if value is None else float(value)

    return read


def _population(id: str) -> Reader:
    def read(analysis: Analysis) -> float | None:
        return float(next(p.n for p in analysis.populations if p.id == id))

    return read


def _rows(
    table: str,
    where: Callable[[dict[str, Any]], bool],
    column: str,
    absent: float | None = None,
) -> Reader:
    """The sum of ``column`` over the rows of ``table`` that ``where`` selects; ``absent``
    when there are none (0 for a count: a level nobody has is a count of 0)."""

    def read(analysis: Analysis) -> float | None:
        rows = [r for r in analysis.table(table).frame.iter_rows(named=True) if where(r)]
        values = [r[column] for r in rows if r[column] is not None]
        return float(sum(values)) if values else absent

    return read


def _table_1(variable: str, column: str, level: str | None = None) -> Reader:
    return _rows(
        "table1_demographics",
        lambda r: r["variable"] == variable and r["level"] == level,
        f"overall_{column}",
        0.0 if column == "count" else None,
    )


def _transition(at_injection: str, at_followup: str) -> Reader:
    return _rows(
        "menses_transition",
        lambda r: (r["at_injection"], r["at_followup"]) == (at_injection, at_followup),
        "n",
        0.0,
    )


def _table_3(item: str) -> Reader:
    return _rows("table3_complications", lambda r: r["item"] == item, "n")


def _other_complications(analysis: Analysis) -> float | None:
    return _rows(
        "table3_complications",
        lambda r: r["group"] == "women" and r["item"] != "ovarian cyst",
        "n",
    )(analysis)


def _women_with(pregnancies: int) -> Reader:
    """Women with ``pregnancies`` pregnancies, the ones pregnant both ways aside (the paper's
    "one woman was pregnant twice and another three times": 38 + 1 + 2 + 2 = 43)."""

    def read(analysis: Analysis) -> float | None:
        rows = analysis.table("women_by_pregnancies").frame.iter_rows(named=True)
        found = [r["women"] - r["both_ways"] for r in rows if r["pregnancies"] == pregnancies]
        return float(sum(found))

    return read


# --- targets ---------------------------------------------------------------------------------


def _t(
    id: str,
    section: str,
    label: str,
    published: float,
    unit: str,
    decimals: int,
    read: Reader,
    source: str,
    **more: Any,
) -> Target:
    return Target(id, section, label, published, unit, decimals, read, source=source, **more)


def _table_2_row(
    factor: str, index: int, level: str, pregnant: int, total: int, percent: float, **more: Any
) -> tuple[Target, ...]:
    result = f"pregnancy_by_{factor}"
    where = "Table 2"
    return (
        _t(f"table2_{factor}_{index}_pregnant", "Table 2", f"{level}: pregnant", pregnant,
           "women", 0, _group(result, index, "events"), where),
        _t(f"table2_{factor}_{index}_total", "Table 2", f"{level}: women", total, "women", 0,
           _group(result, index, "n"), where),
        _t(f"table2_{factor}_{index}_percent", "Table 2", f"{level}: pregnant", percent, "%", 2,
           _group(result, index, "percent"), where, **more),
    )  # fmt: skip


PARTICIPANTS = (
    _t("women_treated", "Participants", "women treated", 105, "women", 0,
       _population("treated"), "Abstract; Methods"),
    _t("age_mean", "Table 1", "age at first injection, mean", 37.91, "years", 2,
       _table_1("age_years", "mean"), "Results, Table 1"),
    _t("age_sd", "Table 1", "age at first injection, SD", 4.98, "years", 2,
       _table_1("age_years", "sd"), "Results, Table 1"),
    _t("age_min", "Table 1", "age at first injection, minimum", 24, "years", 0,
       _table_1("age_years", "minimum"), "Results, Table 1"),
    _t("age_max", "Table 1", "age at first injection, maximum", 45, "years", 0,
       _table_1("age_years", "maximum"), "Results, Table 1"),
    _t("one_injection", "Table 1", "one injection", 70, "women", 0,
       _table_1("injections", "count", "1"), "Results, Table 1"),
    _t("two_injections", "Table 1", "two injections", 35, "women", 0,
       _table_1("injections", "count", "2"), "Results, Table 1"),
    _t("followup_mean", "Table 1", "follow-up after the last injection, mean", 3.72, "years", 2,
       _table_1("followup_years", "mean"), "Abstract; Methods"),
    _t("followup_min", "Table 1", "follow-up after the last injection, at least", 2.5, "years",
       1, _table_1("followup_years", "minimum"), "Methods (followed ≥ 2.5 years)"),
)  # fmt: skip

PREGNANCY = (
    _t("pregnant_women", "Pregnancy", "women who became pregnant", 38, "women", 0,
       _extra("pregnancy_rate", "numerator"), "Abstract; Results"),
    _t("pregnancy_rate", "Pregnancy", "women who became pregnant", 36.19, "%", 2,
       _estimate("pregnancy_rate", 100), "Abstract; Results"),
    _t("pregnant_spontaneously", "Pregnancy", "pregnant spontaneously", 27, "women", 0,
       _extra("spontaneous_pregnancy_rate", "numerator"), "Results"),
    _t("pregnant_through_ivf", "Pregnancy", "pregnant through IVF", 13, "women", 0,
       _extra("ivf_pregnancy_rate", "numerator"), "Results"),
    _t("pregnant_both_ways", "Pregnancy", "pregnant both ways", 2, "women", 0,
       _extra("pregnancy_both_ways_rate", "numerator"), "Results"),
    _t("pregnant_twice", "Pregnancy", "women pregnant twice (both-ways women aside)", 1,
       "women", 0, _women_with(2), "Results"),
    _t("pregnant_three_times", "Pregnancy", "women pregnant three times (both-ways women "
       "aside)", 1, "women", 0, _women_with(3), "Results"),
    _t("pregnancies", "Pregnancy", "pregnancies", 43, "pregnancies", 0,
       _population("pregnancies"), "Results"),
    _t("underwent_ivf", "Pregnancy", "women who underwent IVF after injection", 54, "women", 0,
       _extra("ivf_pregnancy_rate", "underwent_ivf"), "Results"),
    _t("ivf_pregnancy_rate", "Pregnancy", "pregnant through IVF, of the women with IVF", 24,
       "%", 0, _estimate("ivf_pregnancy_rate", 100), "Results",
       published_text="13 (24%)"),
    _t("months_spontaneous_median", "Time to pregnancy", "months to a spontaneous pregnancy, "
       "median", 3, "months", 0, _field("months_to_pregnancy_spontaneous", "estimate"),
       "Results"),
    _t("months_spontaneous_min", "Time to pregnancy", "months to a spontaneous pregnancy, "
       "minimum", 1, "months", 0, _extra("months_to_pregnancy_spontaneous", "minimum"),
       "Results"),
    _t("months_spontaneous_max", "Time to pregnancy", "months to a spontaneous pregnancy, "
       "maximum", 24, "months", 0, _extra("months_to_pregnancy_spontaneous", "maximum"),
       "Results"),
    _t("months_ivf_median", "Time to pregnancy", "months to an IVF pregnancy, median", 5.5,
       "months", 1, _field("months_to_pregnancy_ivf", "estimate"), "Results"),
    _t("months_ivf_min", "Time to pregnancy", "months to an IVF pregnancy, minimum", 2,
       "months", 0, _extra("months_to_pregnancy_ivf", "minimum"), "Results"),
    _t("months_ivf_max", "Time to pregnancy", "months to an IVF pregnancy, maximum", 13,
       "months", 0, _extra("months_to_pregnancy_ivf", "maximum"), "Results"),
)  # fmt: skip

LIVE_BIRTH = (
    _t("miscarriages", "Live birth", "miscarriages", 12, "pregnancies", 0,
       _extra("miscarriage_rate_per_pregnancy", "numerator"), "Results"),
    _t("live_birth_pregnancies", "Live birth", "pregnancies ending in live birth", 31,
       "pregnancies", 0, _extra("live_birth_rate_per_pregnancy", "numerator"), "Results"),
    _t("twin_births", "Live birth", "pregnancies with twins", 1, "pregnancies", 0,
       _rows("pregnancies_by_conception", lambda r: True, "multiple_births"), "Results"),
    _t("infants", "Live birth", "infants born alive", 32, "infants", 0,
       _extra("infants_per_woman", "numerator"), "Results"),
    _t("infants_per_woman", "Live birth", "infants born alive per 100 women treated (the "
       "paper's 'live birth rate per treatment cycle')", 30.48, "per 100 women", 2,
       _estimate("infants_per_woman", 100), "Results",
       published_text="live birth rate per treatment cycle 30.48% (32 infants / 105 women)"),
    _t("infants_per_pregnancy", "Live birth", "infants born alive per 100 pregnancies (the "
       "paper's 'live birth rate per pregnancy')", 74.42, "per 100 pregnancies", 2,
       _estimate("infants_per_pregnancy", 100), "Results",
       published_text="live birth rate per pregnancy 74.42% (32 infants / 43 pregnancies)"),
    _t("live_birth_rate_per_pregnancy", "Live birth", "pregnancies ending in live birth "
       "(conventional)", 72.09, "%", 2, _estimate("live_birth_rate_per_pregnancy", 100),
       "STUDIES.md: the conventional measure, 31/43 (not printed in the paper)"),
)  # fmt: skip

TABLE_2 = (
    *_table_2_row("age_group", 0, "age < 35", 12, 23, 52.17),
    *_table_2_row(
        "age_group", 1, "age ≥ 35", 26, 82, 31.70,
        inconsistent="26/82 is 31.707%, 31.71 rounded: the paper prints 31.70",
        published_text="31.70",
    ),
    _t("table2_age_chi_square", "Table 2", "age: chi-square (Yates)", 2.4321, "", 4,
       _field("pregnancy_by_age_group", "statistic"), "Table 2"),
    _t("table2_age_p", "Table 2", "age: p", 0.1189, "", 4,
       _field("pregnancy_by_age_group", "p_value"), "Table 2"),
    *_table_2_row("menses", 0, "regular menses", 33, 91, 36.26),
    *_table_2_row("menses", 1, "irregular menses", 5, 14, 35.71),
    _t("table2_menses_chi_square", "Table 2", "menses: chi-square (Yates)", 6.0062e-31, "", 4,
       _field("pregnancy_by_menses", "statistic"), "Table 2",
       published_text="6.0062e-31 (0 up to floating-point error)"),
    _t("table2_menses_p", "Table 2", "menses: p", 1, "", 0,
       _field("pregnancy_by_menses", "p_value"), "Table 2"),
    *_table_2_row("injections", 0, "single injection", 29, 70, 41.43),
    *_table_2_row("injections", 1, "two injections", 9, 35, 25.71),
)  # fmt: skip

MENSES = (
    _t("menses_regular", "Menses", "regular menses at injection", 91, "women", 0,
       _table_1("menses", "count", "regular"), "Results, Table 1"),
    _t("menses_irregular", "Menses", "irregular menses at injection", 14, "women", 0,
       _table_1("menses", "count", "irregular"), "Results, Table 1"),
    _t("menses_irregular_text", "Menses", "irregular menses at injection (the text)", 24,
       "women", 0, _table_1("menses", "count", "irregular"), "Results (text)",
       inconsistent="the text says 24 irregular women; its table (91 regular + 14 irregular = "
       "105) and the transitions (6 + 4 + 4) give 14"),
    _t("followup_regular", "Menses", "regular menses at follow-up", 84, "women", 0,
       _table_1("menses_followup", "count", "regular"), "Results"),
    _t("followup_irregular", "Menses", "irregular menses at follow-up", 16, "women", 0,
       _table_1("menses_followup", "count", "irregular"), "Results"),
    _t("followup_menopause", "Menses", "menopause at follow-up", 5, "women", 0,
       _table_1("menses_followup", "count", "menopause"), "Results"),
    _t("regular_to_irregular", "Menses", "regular at injection, irregular at follow-up", 12,
       "women", 0, _transition("regular", "irregular"), "Results"),
    _t("regular_to_menopause", "Menses", "regular at injection, menopause at follow-up", 1,
       "women", 0, _transition("regular", "menopause"), "Results"),
    _t("irregular_to_regular", "Menses", "irregular at injection, regular at follow-up", 6,
       "women", 0, _transition("irregular", "regular"), "Results"),
    _t("irregular_to_menopause", "Menses", "irregular at injection, menopause at follow-up", 4,
       "women", 0, _transition("irregular", "menopause"), "Results"),
)  # fmt: skip

SAFETY = (
    _t("ovarian_cyst", "Complications", "ovarian cyst (during pregnancy)", 1, "women", 0,
       _table_3("ovarian cyst"), "Results, Table 3"),
    _t("other_complications", "Complications", "any other complication", 0, "women", 0,
       _other_complications, "Results, Table 3", published_text="nothing else"),
    _t("infant_deaths", "Complications", "infants who died in their first year", 0, "infants",
       0, _table_3("infant died within the first year"), "Results, Table 3"),
    _t("congenital_anomalies", "Complications", "infants with a congenital anomaly", 0,
       "infants", 0, _table_3("congenital anomaly"), "Results, Table 3"),
)  # fmt: skip

FIGURES = (
    _t("pregnant_age_median", "Figures", "age of the women who became pregnant, median", 36,
       "years", 0, _field("age_of_pregnant_women", "estimate"), "Fig. 2 (box plot)"),
    _t("pregnant_age_min", "Figures", "age of the women who became pregnant, minimum", 24,
       "years", 0, _extra("age_of_pregnant_women", "minimum"), "Fig. 2 (box plot)"),
    _t("pregnant_age_max", "Figures", "age of the women who became pregnant, maximum", 43,
       "years", 0, _extra("age_of_pregnant_women", "maximum"), "Fig. 2 (box plot); text",
       published_text="42 / 43",
       inconsistent="the paper prints the oldest pregnant woman's age both as 42 and as 43"),
    _t("pregnancies_in_figure", "Figures", "pregnancies in the histogram by month", 43,
       "pregnancies", 0, _rows("pregnancies_by_month", lambda r: True, "pregnancies"),
       "Fig. 1 (histogram)"),
)  # fmt: skip

TARGETS: tuple[Target, ...] = (
    *PARTICIPANTS,
    *PREGNANCY,
    *LIVE_BIRTH,
    *TABLE_2,
    *MENSES,
    *SAFETY,
    *FIGURES,
)
"""Every Study B figure of STUDIES.md, in the paper's order."""
