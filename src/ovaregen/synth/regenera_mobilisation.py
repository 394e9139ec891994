"""G-CSF mobilisation of the Study A synthetic cohort: the course and mobilisation.csv.

The course (participants.csv, STUDIES.md Study A): filgrastim on days 1–4 starting at
10 µg/kg/day (the paper's "mg/kg" is a unit error), lowered by the haematologist for moderate
symptoms or a high day-3 leukocyte count (:func:`doses`); leukocytes on days 1–5 rising from
the baseline count to the day-5 count (:func:`wbc_course`); the Table 3 symptom grades.

mobilisation.csv (INTERCHANGE.md): one row per mobilised woman and day 1–5. Days 1–4 hold the
weight, the dose given, leukocytes and symptom grade (equal to participants.csv's
``gcsf_dN_ug_kg``, ``wbc_dN_10e9_l``, ``symptoms_dN``), the proposal of the protocol's titration
table (``ovaregen.domain.titration``) and the clinician's decision; day 5 only the leukocytes.

* The proposal is the one ``domain.mobilisation_review.evaluate_mobilisation`` gives for the
  woman's recorded days, as the clinic derives it (``clinic.mobilisation``). Every synthetic
  dose is recorded and above 0, so the dose in force on each day is that day's dose and the
  proposal of day *d* depends only on (day, dose, leukocytes, symptom grade):
  ``propose_next_dose`` is called once per distinct combination (tens of thousands at a
  million women) instead of once per woman and day.
* The decision: ``accept`` when the dose given the next day is the proposed one (0 for a hold
  or a stop) or there is no next day (day 4, ``complete``); the decided dose is then the
  proposed one, as the clinic records it. Otherwise ``change``, the decided dose is the dose
  actually given the next day, with the haematologist's reason. The cohort's doses are the
  paper's practice, not the template table: the table holds G-CSF 24 h for a moderate symptom
  where the haematologist lowered the dose and treated the pain, so those days are changes.
* Who decided: a pseudonymous user, ``investigator1`` … ``investigator3``, one per woman.
* Weight (an assumption; not published): normal, mean 64 kg, SD 8, within 50–90 kg, one
  decimal, the same on days 1–4.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from ovaregen.domain.titration import TitrationTable, propose_next_dose
from ovaregen.domain.variables import GCSF_DAYS, WBC_DAYS, DatasetFile
from ovaregen.synth.counts import Columns, FloatArray, IntArray, canonical_order

__all__ = [
    "DECIDERS",
    "PRP_PLATELETS",
    "WEIGHT_KG",
    "doses",
    "mobilisation_table",
    "prp_platelets",
    "symptom_columns",
    "wbc_course",
]

_MODERATE = 2
WEIGHT_KG = (64.0, 8.0, 50.0, 90.0)
"""Body weight: mean, SD, lowest, highest (an assumption)."""
DECIDERS = 3
"""Investigators deciding on the proposals (``investigator1`` … ``investigator3``)."""
PRP_PLATELETS = (650.0, 120.0, 400.0, 900.0)
"""SCFE-PRP platelet concentration (10⁹/L): mean, SD, lowest, highest (an assumption: a
few-fold the blood count; not published)."""


def wbc_course(
    cols: Columns, baseline: FloatArray, day5: FloatArray, rng: np.random.Generator
) -> None:
    """Leukocytes on days 1–5 (10⁹/L): day 1 before the first dose, rising to day 5."""
    k = baseline.size
    delta = day5 - baseline
    cols.set("wbc_d1_10e9_l", np.round(baseline * rng.uniform(0.96, 1.04, k), 2))
    cols.set("wbc_d2_10e9_l", np.round(baseline + 0.45 * delta * rng.uniform(0.96, 1.04, k), 2))
    cols.set("wbc_d3_10e9_l", np.round(baseline + 0.72 * delta * rng.uniform(0.96, 1.04, k), 2))
    cols.set("wbc_d4_10e9_l", np.round(baseline + 0.92 * delta, 2))
    cols.set("wbc_d5_10e9_l", day5)


def doses(cols: Columns, symptoms: IntArray, reduce_for_leukocytes: npt.NDArray[np.bool_]) -> None:
    """Filgrastim µg/kg/day, days 1–4: start 10, lowered for moderate symptoms or high counts.

    Moderate on day 2: day 3 to 7.5 (5 if it eased by day 4) and day 4 to 5; otherwise a
    moderate day 3 or a high day-3 leukocyte count lowers day 4 to 7.5.
    """
    k = symptoms.shape[0]
    d2_moderate = symptoms[:, 1] == _MODERATE
    d3_moderate = symptoms[:, 2] == _MODERATE
    d4_moderate = symptoms[:, 3] == _MODERATE
    cols.set("gcsf_d1_ug_kg", np.full(k, 10.0))
    cols.set("gcsf_d2_ug_kg", np.full(k, 10.0))
    cols.set("gcsf_d3_ug_kg", np.where(d2_moderate, np.where(d4_moderate, 7.5, 5.0), 10.0))
    cols.set(
        "gcsf_d4_ug_kg",
        np.where(d2_moderate, 5.0, np.where(d3_moderate | reduce_for_leukocytes, 7.5, 10.0)),
    )


def symptom_columns(cols: Columns, symptoms: IntArray) -> None:
    """``symptoms_d1`` … ``symptoms_d4`` from a (women × 4) array of grade codes."""
    for day in GCSF_DAYS:
        cols.set(f"symptoms_d{day}", symptoms[:, day - 1])


def prp_platelets(k: int, rng: np.random.Generator) -> FloatArray:
    """Platelet concentration of the SCFE-PRP injected (10⁹/L), whole numbers."""
    mean, sd, low, high = PRP_PLATELETS
    values = np.clip(mean + sd * rng.standard_normal(k), low, high)
    return np.asarray(np.round(values), dtype=np.float64)


_KEYS = ("day", "dose_ug_kg", "wbc_10e9_l", "symptoms")
"""What a day's proposal depends on when the dose in force is the day's dose."""
_DECISION_KEYS = ("day", "symptoms", "proposed_action", "proposed_dose_ug_kg", "_next")
"""What a day's decision and its reason depend on."""


def _days(women: pl.DataFrame) -> pl.DataFrame:
    """One row per woman (``_w``) and day 1–5, participant-major, with the day's values and
    the next day's dose (``_next``)."""
    last = GCSF_DAYS[-1]
    parts = []
    for day in WBC_DAYS:
        given = day in GCSF_DAYS
        parts.append(
            women.select(
                "_w",
                pl.lit(day, pl.Int64).alias("day"),
                (pl.col(f"gcsf_d{day}_ug_kg") if given else pl.lit(None, pl.Float64)).alias(
                    "dose_ug_kg"
                ),
                pl.col(f"wbc_d{day}_10e9_l").alias("wbc_10e9_l"),
                (pl.col(f"symptoms_d{day}") if given else pl.lit(None, pl.String)).alias(
                    "symptoms"
                ),
                (
                    pl.col(f"gcsf_d{day + 1}_ug_kg") if day < last else pl.lit(None, pl.Float64)
                ).alias("_next"),
            )
        )
    return pl.concat(parts).sort("_w", "day")


def _proposals(days: pl.DataFrame, table: TitrationTable) -> pl.DataFrame:
    """The table's proposal for every distinct (day, dose, leukocytes, symptom) of days 1–4,
    numbered ``_k``."""
    keys = days.filter(pl.col("day").is_in(GCSF_DAYS)).select(_KEYS).unique(maintain_order=True)
    actions, proposed, reasons = [], [], []
    for day, dose, wbc, symptom in keys.iter_rows():
        proposal = propose_next_dose(
            table, day=day, dose_ug_kg=dose, wbc_10e9_l=wbc, symptom=symptom
        )
        actions.append(proposal.action.value)
        proposed.append(proposal.next_dose_ug_kg)
        reasons.append(proposal.reason)
    return keys.with_row_index("_k").with_columns(
        pl.Series("proposed_action", actions, dtype=pl.String),
        pl.Series("proposed_dose_ug_kg", proposed, dtype=pl.Float64),
        pl.Series("proposal_reason", reasons, dtype=pl.String),
    )


def _dose_text(dose: pl.Expr) -> pl.Expr:
    """A dose as text without a trailing ``.0`` (10, 7.5)."""
    return (
        pl.when(dose == dose.round(0))
        .then(dose.cast(pl.Int64).cast(pl.String))
        .otherwise(dose.round(3).cast(pl.String))
    )


def _change_reason() -> pl.Expr:
    """The haematologist's reason for giving another dose than the proposed one."""
    day, following = pl.col("day"), pl.col("day") + 1
    given = _dose_text(pl.col("_next"))
    action = pl.col("proposed_action")
    lead = "haematologist's judgement: "
    return (
        pl.when(action == "needs_review")
        .then(
            pl.format(
                lead + "day {} symptom grade not recorded, no complaint on review; "
                "{} µg/kg/day on day {}",
                day,
                given,
                following,
            )
        )
        .when(action == "hold_24h")
        .then(
            pl.format(
                lead + "{} symptoms treated with analgesia instead of the 24-hour hold; "
                "{} µg/kg/day on day {}",
                pl.col("symptoms"),
                given,
                following,
            )
        )
        .when(pl.col("_next") < pl.col("proposed_dose_ug_kg"))
        .then(
            pl.format(
                lead + "leukocytes rising quickly on day {}; dose lowered to {} µg/kg/day on "
                "day {}",
                day,
                given,
                following,
            )
        )
        .otherwise(pl.format(lead + "{} µg/kg/day on day {}", given, following))
    )


def _decisions(days: pl.DataFrame) -> pl.DataFrame:
    """The decision, decided dose and reason for every distinct :data:`_DECISION_KEYS`."""
    target = (
        pl.when(pl.col("proposed_action") == "stop")
        .then(pl.lit(0.0))
        .otherwise(pl.col("proposed_dose_ug_kg"))
    )
    accepted = pl.col("_next").is_null() | (pl.col("_next") == target).fill_null(False)
    keys = days.filter(pl.col("day").is_in(GCSF_DAYS)).select(_DECISION_KEYS).unique()
    return keys.with_columns(
        pl.when(accepted).then(pl.lit("accept")).otherwise(pl.lit("change")).alias("decision"),
        pl.when(accepted).then(target).otherwise(pl.col("_next")).alias("decided_dose_ug_kg"),
        pl.when(~accepted).then(_change_reason()).alias("decision_reason"),
    )


def mobilisation_table(
    participants: pl.DataFrame, table: TitrationTable, rng: np.random.Generator
) -> pl.DataFrame:
    """mobilisation.csv of the women with G-CSF days in ``participants`` (canonical frame).

    Built on integer keys and small frames (the distinct proposals and decisions), joined
    back in participant-major order, so that a million women take seconds.
    """
    women = participants.filter(pl.col("gcsf_d1_ug_kg").is_not_null())
    dose_columns = [f"gcsf_d{day}_ug_kg" for day in GCSF_DAYS]
    given = pl.all_horizontal(pl.col(dose_columns) > 0).fill_null(False)
    if not women.select(given).to_series().all():
        raise ValueError("every synthetic G-CSF dose must be recorded and above 0")
    mean, sd, low, high = WEIGHT_KG
    weight = pl.Series(
        np.round(np.clip(mean + sd * rng.standard_normal(women.height), low, high), 1)
    )
    decider = pl.Series(rng.integers(1, DECIDERS + 1, women.height))
    women = women.with_row_index("_w")
    days = _days(women)
    proposals = _proposals(days, table)
    days = days.join(
        proposals.select(*_KEYS, "_k", "proposed_action", "proposed_dose_ug_kg"),
        on=list(_KEYS),
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    decisions = _decisions(days)
    days = days.join(
        decisions, on=list(_DECISION_KEYS), how="left", nulls_equal=True, maintain_order="left"
    )
    days = days.join(
        proposals.select("_k", "proposal_reason"), on="_k", how="left", maintain_order="left"
    )
    titrated = pl.col("day").is_in(GCSF_DAYS)
    woman = days["_w"]
    days = days.with_columns(
        women["participant_id"].gather(woman).alias("participant_id"),
        pl.when(titrated).then(weight.gather(woman)).alias("weight_kg"),
        pl.when(titrated).then(pl.lit(f"{table.id} {table.version}")).alias("table_version"),
        pl.when(titrated)
        .then(pl.format("investigator{}", decider.gather(woman)))
        .alias("decided_by"),
    )
    return canonical_order(days, DatasetFile.MOBILISATION)
