"""The reproduction targets of Study A, "Stem Cell Regenera" (STUDIES.md), read off the plan.

Every published figure of STUDIES.md's Study A is one :class:`Target`: the flow, the cohort's
age and ethnicity, activation and pregnancies, Table 1 (both groups' centre and range, and
p), Table 2 (day 5), the correlation, the ROC cut-offs and AUC, the age-group finding, every
cell of Table 3, the worst grade per woman and the absence of severe adverse events.

Units are the paper's: leukocytes and platelets per mm³ (our data hold 10⁹/L; 1 × 10⁹/L =
1000 /mm³, converted in the reader), percentages in %, counts as counts. A figure the paper
states in words ("p < 0.001", "women < 38 activated more often") is a yes/no target: the
reader returns 1 when the reproduction says the same, 0 when not.

Where the paper contradicts itself the target says why (``inconsistent``): Table 3's day +1
counts sum to 86, not 145; its 53.1% "never symptomatic" contradicts day +4's 43 (29.66%)
without symptoms, and 32.8% and 14.1% fit no count out of 145; the CD34+
cut-off "5248.8 /mm³" lies outside every CD34+ value the paper reports (2–140 /µL, and 1 mm³
= 1 µL). A tolerance is given only where the synthetic cohort
(``ovaregen.synth.regenera``) is known to be drawn approximately, with the reason.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ovaregen.analysis.reproduction import Reader, Target
from ovaregen.analysis.result import Analysis

PER_MM3 = 1000.0
"""/mm³ per 10⁹/L (1 mm³ = 1 µL = 10⁻⁶ L)."""


# --- readers -------------------------------------------------------------------------------


def _cell(table: str, column: str, scale: float = 1.0, **where: object) -> Reader:
    """The value of ``column`` in the one row of ``table`` matching ``where`` (× ``scale``)."""

    def read(analysis: Analysis) -> float | None:
        frame = analysis.table(table).frame
        for key, value in where.items():
            frame = frame.filter(frame.get_column(key) == value)
        values = frame.get_column(column).to_list()
        if len(values) != 1 or values[0] is None:
            return None
        return float(values[0]) * scale

    return read


def _flow(stage: str) -> Reader:
    return _cell("flow", "n", stage=stage)


def _estimate(id: str, scale: float = 1.0) -> Reader:
    def read(analysis: Analysis) -> float | None:
        value = analysis.result(id).estimate
        return None if value is None else value * scale

    return read


def _extra(id: str, key: str, scale: float = 1.0) -> Reader:
    def read(analysis: Analysis) -> float | None:
        value = analysis.result(id).extra[key]
        return None if value is None else float(value) * scale

    return read


def _p_value(id: str) -> Reader:
    return lambda analysis: analysis.result(id).p_value


def _not_activated(percent: bool) -> Reader:
    """Women analysed with activation known who were not activated (n, or % of them)."""

    def read(analysis: Analysis) -> float | None:
        extra = analysis.result("activation_rate").extra
        count, known = extra["denominator"] - extra["numerator"], extra["denominator"]
        if not percent:
            return float(count)
        return 100.0 * count / known if known else None

    return read


def _p_below_0_001(analysis: Analysis) -> float | None:
    p = analysis.result("wbc_cd34_correlation").p_value
    return None if p is None else float(p < 0.001)


def _younger_activated_more(analysis: Analysis) -> float | None:
    groups = analysis.result("activation_by_age_group").extra["groups"]
    young, older = (group["percent"] for group in groups)
    return None if young is None or older is None else float(young > older)


def _worst(*grades: str) -> Reader:
    def read(analysis: Analysis) -> float | None:
        frame = analysis.table("gcsf_worst_symptom").frame
        chosen = frame.filter(frame.get_column("grade").is_in(list(grades)))
        if chosen.height != len(grades):
            return None
        return float(chosen.get_column("percent").sum())

    return read


# --- targets -------------------------------------------------------------------------------

SYNTH_HAEMOGLOBIN = (
    "the synthetic cohort caps the activated women's haemoglobin at 18.0 g/dL, the top of "
    "the dictionary's usual range, so that no row warns (ovaregen.synth ASSUMPTIONS)"
)
SYNTH_CORRELATION = (
    "the synthetic cohort pairs the day-5 values to r = 0.465 within about 0.001 (a "
    "bisection in ovaregen.synth.regenera)"
)
AGE_CENTRE = (
    "median: the age row names no summary, and 40 in both groups cannot be means with an "
    "overall mean of 39.1"
)
DAY_1 = (
    "day +1's counts sum to 86 (12 + 0 + 74), not 145: the paper leaves 59 women without a "
    "day +1 grade"
)
WORST = (
    "53.1% never symptomatic contradicts Table 3's day +4, where only 43 of 145 (29.66%) had "
    "no symptoms; 32.8% and 14.1% fit no count out of 145 (47 or 48 give 32.4 or 33.1%, 20 "
    "or 21 give 13.8 or 14.5%); the three fit 68 / 42 / 18 of 128, not 145"
)
CD34_CUTOFF = (
    "a unit slip: 5248.8 CD34+/mm³ lies far above every CD34+ value the paper reports "
    "(2–140 /µL in Table 2; 1 mm³ = 1 µL)"
)


def _table(
    id: str,
    label: str,
    column: str,
    published: tuple[float, ...],
    unit: str,
    decimals: tuple[int, int],
    scale: float = 1.0,
    centre: str = "mean",
    table: str = "table1_baseline",
) -> list[Target]:
    """A Table 1 / Table 2 row: ``published`` = (centre, minimum, maximum) not activated, then
    activated; ``decimals`` = (centre, range) as printed; ``scale`` converts to the unit."""
    section = "Table 1" if table == "table1_baseline" else "Table 2"
    centre_name = "mean" if centre == "mean" else AGE_CENTRE
    targets = []
    for group, values in (("not_activated", published[0:3]), ("activated", published[3:6])):
        words = group.replace("_", " ")
        for field, value, places, what in (
            (centre, values[0], decimals[0], centre_name),
            ("minimum", values[1], decimals[1], "minimum"),
            ("maximum", values[2], decimals[1], "maximum"),
        ):
            targets.append(
                Target(
                    f"{id}_{group}_{field}",
                    section,
                    f"{label}, {words}: {what}",
                    value,
                    unit,
                    places,
                    _cell(table, f"{group}_{field}", scale, variable=column),
                    source=section,
                )
            )
    return targets


def _with(targets: list[Target], id: str, **changes: Any) -> list[Target]:
    """``targets`` with the one called ``id`` changed (a tolerance, a reason)."""
    return [replace(t, **changes) if t.id == id else t for t in targets]


FLOW = [
    Target("recruited", "Flow", "women recruited", 265, "women", 0, _flow("recruited"),
           source="Results, flow"),
    Target("eligible", "Flow", "met the inclusion criteria", 182, "women", 0, _flow("eligible"),
           source="Results, flow"),
    Target("lost_to_follow_up", "Flow", "lost to follow-up", 37, "women", 0,
           _flow("lost_to_follow_up"), source="Results, flow"),
    Target("analysed", "Flow", "analysed", 145, "women", 0, _flow("analysed"),
           source="Results, flow"),
]  # fmt: skip

COHORT = [
    Target("age_mean", "Cohort", "age, mean", 39.1, "years", 1,
           _cell("table1_baseline", "overall_mean", variable="age_years"),
           published_text="39,1", source="Results, demographics"),
    Target("age_minimum", "Cohort", "age, minimum", 26, "years", 0,
           _cell("table1_baseline", "overall_minimum", variable="age_years"),
           source="Results, demographics"),
    Target("age_maximum", "Cohort", "age, maximum", 44, "years", 0,
           _cell("table1_baseline", "overall_maximum", variable="age_years"),
           source="Results, demographics"),
    *(
        Target(f"ethnicity_{level.lower()}", "Cohort", f"{level} ethnicity", value, "%", 1,
               _cell("table1_baseline", "overall_percent", variable="ethnicity", level=level),
               source="Results, demographics")
        for level, value in (("Caucasian", 77.2), ("Arab", 15.2), ("Hispanic", 4.8))
    ),
]  # fmt: skip

ACTIVATION = [
    Target("activated", "Activation", "women with oocyte activation", 99, "women", 0,
           _extra("activation_rate", "numerator"), source="Results; Table 2"),
    Target("activated_percent", "Activation", "oocyte activation, % of the women analysed",
           68.28, "%", 2, _estimate("activation_rate", 100.0), source="Results; Table 2"),
    Target("not_activated", "Activation", "women without oocyte activation", 46, "women", 0,
           _not_activated(percent=False), source="Table 2"),
    Target("not_activated_percent", "Activation", "no activation, % of the women analysed",
           31.72, "%", 2, _not_activated(percent=True), source="Table 2"),
    Target("younger_activated_more", "Activation",
           "women < 38 years activated more often than ≥ 38 (1 = yes)", 1, "yes/no", 0,
           _younger_activated_more, published_text="women under 38 exhibited a higher rate",
           source="Results, ROC paragraph"),
]  # fmt: skip

PREGNANCIES = [
    Target("spontaneous", "Pregnancies", "spontaneous gestation among the activated", 7,
           "women", 0, _extra("spontaneous_pregnancy_rate_activated", "numerator"),
           source="Results; Table 2"),
    Target("spontaneous_percent", "Pregnancies", "spontaneous gestation, % of the activated",
           7.07, "%", 2, _estimate("spontaneous_pregnancy_rate_activated", 100.0),
           published_text="7.07% (of 99 activated; the abstract prints it without its "
           "denominator)", source="Results; Table 2"),
    Target("ivf", "Pregnancies", "gestation after IVF among the activated", 14, "women", 0,
           _extra("ivf_pregnancy_rate_activated", "numerator"), source="Results; Table 2"),
    Target("ivf_percent", "Pregnancies", "gestation after IVF, % of the activated", 14.14, "%",
           2, _estimate("ivf_pregnancy_rate_activated", 100.0), source="Results; Table 2"),
    Target("spontaneous_not_activated", "Pregnancies",
           "spontaneous gestation among the not activated", 0, "women", 0,
           _extra("spontaneous_pregnancy_rate_not_activated", "numerator"), source="Table 2"),
    Target("ivf_not_activated", "Pregnancies", "gestation after IVF among the not activated",
           0, "women", 0, _extra("ivf_pregnancy_rate_not_activated", "numerator"),
           source="Table 2"),
]  # fmt: skip

TABLE_1 = [
    *_table("t1_age", "Age", "age_years", (40, 26, 44, 40, 31, 44), "years", (0, 0),
            centre="median"),
    *_with(
        _table("t1_haemoglobin", "Haemoglobin", "hemoglobin_g_dl",
               (13.1, 7.6, 15.8, 13.6, 10.4, 18.2), "g/dL", (1, 1)),
        "t1_haemoglobin_activated_maximum", tolerance=0.2, tolerance_reason=SYNTH_HAEMOGLOBIN,
    ),
    *_table("t1_leukocytes", "Leukocytes", "wbc_10e9_l", (5752, 3290, 9900, 6151, 3010, 10220),
            "/mm³", (0, 0), scale=PER_MM3),
    *_table("t1_platelets", "Platelets", "platelets_10e9_l",
            (252522, 107000, 455000, 245768, 150000, 403000), "/mm³", (0, 0), scale=PER_MM3),
    *(
        Target(f"t1_{name}_p", "Table 1", f"{label}, activated vs not: p (Welch t-test)", p, "",
               1, _p_value(id), published_text=f"p = {p}", source="Table 1")
        for name, label, id, p in (
            ("age", "age", "age_by_activation", 0.9),
            ("haemoglobin", "haemoglobin", "hemoglobin_by_activation", 0.2),
            ("leukocytes", "leukocytes", "wbc_by_activation", 0.2),
            ("platelets", "platelets", "platelets_by_activation", 0.5),
        )
    ),
]  # fmt: skip

TABLE_2 = [
    *_table("t2_leukocytes_d5", "Leukocytes on day 5", "wbc_d5_10e9_l",
            (37666, 20660, 58250, 36359, 14470, 59670), "/mm³", (0, 0), scale=PER_MM3,
            table="table2_day5"),
    *_table("t2_cd34_d5", "CD34+ on day 5", "cd34_d5_per_ul", (26.5, 9, 73, 33.1, 2, 140),
            "cells/µL", (1, 0), table="table2_day5"),
    Target("t2_cd34_d5_p", "Table 2", "CD34+ on day 5, activated vs not: p (Welch t-test)",
           0.05, "", 2, _p_value("cd34_by_activation"), published_text="p = 0.05",
           source="Results; Table 2"),
]  # fmt: skip

MARKERS = [
    Target("wbc_cd34_r", "Markers", "Pearson r, day-5 leukocytes vs CD34+", 0.465, "", 3,
           _estimate("wbc_cd34_correlation"), tolerance=0.001,
           tolerance_reason=SYNTH_CORRELATION, source="Results, correlation"),
    Target("wbc_cd34_p_below_0_001", "Markers", "Pearson r: p < 0.001 (1 = yes)", 1, "yes/no",
           0, _p_below_0_001, published_text="p < 0.001", source="Results, correlation"),
    Target("roc_wbc_cutoff", "Markers", "Youden cut-off, day-5 leukocytes", 33340, "/mm³", 0,
           _extra("roc_wbc_activation", "cutoff", PER_MM3), published_text="33,340 / mm3",
           source="Results, ROC"),
    Target("roc_cd34_cutoff", "Markers", "Youden cut-off, day-5 CD34+", 5248.8, "cells/µL", 1,
           _extra("roc_cd34_activation", "cutoff"), inconsistent=CD34_CUTOFF,
           published_text="5248.8 / mm3", source="Results, ROC"),
    Target("roc_cd34_auc", "Markers", "ROC AUC of day-5 CD34+ for activation", 0.487, "", 3,
           _estimate("roc_cd34_activation"), source="Results, ROC"),
]  # fmt: skip

TABLE_3_PUBLISHED: dict[int, dict[str, tuple[int, float | None]]] = {
    # day: {grade: (n, percent as printed or None where the paper prints only "0")}
    1: {"mild": (12, 8.28), "moderate": (0, None), "none": (74, 51.03)},
    2: {"mild": (59, 40.69), "moderate": (12, 8.28), "none": (74, 51.03)},
    3: {"mild": (72, 49.66), "moderate": (20, 13.79), "none": (53, 36.55)},
    4: {"mild": (85, 58.62), "moderate": (17, 11.72), "none": (43, 29.66)},
}
TABLE_3 = [
    target
    for day, grades in TABLE_3_PUBLISHED.items()
    for grade, (count, percent) in grades.items()
    for target in (
        Target(f"t3_day{day}_{grade}", "Table 3", f"day +{day}, {grade} symptoms", count,
               "women", 0, _cell("table3_gcsf_symptoms_by_day", "n", day=day, grade=grade),
               inconsistent=DAY_1 if day == 1 else "", source="Table 3"),
        *(
            ()
            if percent is None
            else (
                Target(f"t3_day{day}_{grade}_percent", "Table 3",
                       f"day +{day}, {grade} symptoms, % of 145", percent, "%", 2,
                       _cell("table3_gcsf_symptoms_by_day", "percent", day=day, grade=grade),
                       inconsistent=DAY_1 if day == 1 else "", source="Table 3"),
            )
        ),
    )
]  # fmt: skip

SAFETY = [
    Target("worst_none", "Safety", "never had symptoms (worst grade none), %", 53.1, "%", 1,
           _worst("none"), inconsistent=WORST, source="Results, adverse effects"),
    Target("worst_mild", "Safety", "mild symptoms at worst, %", 32.8, "%", 1, _worst("mild"),
           inconsistent=WORST, source="Results, adverse effects"),
    Target("worst_moderate_or_severe", "Safety", "moderate to severe symptoms at worst, %",
           14.1, "%", 1, _worst("moderate", "severe"), inconsistent=WORST,
           source="Results, adverse effects"),
    Target("severe", "Safety", "women with a severe G-CSF symptom", 0, "women", 0,
           _cell("gcsf_worst_symptom", "n", grade="severe"),
           published_text="no serious adverse effects", source="Results, adverse effects"),
]  # fmt: skip

TARGETS: tuple[Target, ...] = (
    *FLOW,
    *COHORT,
    *ACTIVATION,
    *PREGNANCIES,
    *TABLE_1,
    *TABLE_2,
    *MARKERS,
    *TABLE_3,
    *SAFETY,
)
