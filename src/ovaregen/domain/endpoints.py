"""Endpoint derivation: one derived row per participant, for ``ovaregen derive``.

Source: CRITERIA.md "Endpoints". Every endpoint is a vectorised Polars expression or a
``group_by``/``join`` over the pregnancies, evaluated in three-valued (Kleene) logic: a null is
``unknown``, never false or zero. The rules live in one module each:

* ``ovaregen.domain.activation`` — oocyte activation (Study A);
* ``ovaregen.domain.pregnancy`` — pregnancy per woman, time to pregnancy (Kaplan–Meier);
* ``ovaregen.domain.live_birth`` — women treated and the four live-birth measures;
* ``ovaregen.domain.gcsf_safety`` — worst G-CSF symptom grade and the per-day table.

This module joins them into :func:`derive_participants` and re-exports the public names.
"""

from __future__ import annotations

import polars as pl

from ovaregen.domain.activation import (
    AFC_MIN_RISE,
    AMH_MIN_RATIO,
    AMH_TOLERANCE_NG_ML,
    activation_by_afc,
    activation_by_amh,
    activation_columns,
    oocyte_activation,
)
from ovaregen.domain.gcsf_safety import (
    gcsf_safety_columns,
    gcsf_symptom_days_recorded,
    gcsf_symptom_table,
    gcsf_worst_symptom,
    gcsf_worst_symptom_table,
)
from ovaregen.domain.live_birth import (
    LIVE_BIRTH_MEASURE_IDS,
    LiveBirthMeasure,
    live_birth_measures,
    treated,
    treated_note,
    treatment_recorded,
)
from ovaregen.domain.pregnancy import (
    PREGNANCY_COLUMNS,
    TIME_TO_PREGNANCY_COLUMNS,
    pregnancy_columns_for,
    pregnancy_summary,
    time_to_event,
    time_to_pregnancy_columns,
)
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile

__all__ = [
    "AFC_MIN_RISE",
    "AMH_MIN_RATIO",
    "AMH_TOLERANCE_NG_ML",
    "DERIVED_COLUMNS",
    "LIVE_BIRTH_MEASURE_IDS",
    "LiveBirthMeasure",
    "activation_by_afc",
    "activation_by_amh",
    "derive_participants",
    "gcsf_symptom_days_recorded",
    "gcsf_symptom_table",
    "gcsf_worst_symptom",
    "gcsf_worst_symptom_table",
    "live_birth_measures",
    "oocyte_activation",
    "pregnancy_summary",
    "time_to_event",
    "treated",
    "treated_note",
    "treatment_recorded",
]

ACTIVATION_COLUMNS = ("oocyte_activation", "activation_by_afc", "activation_by_amh")
GCSF_COLUMNS = ("gcsf_worst_symptom", "gcsf_symptom_days_recorded")

DERIVED_COLUMNS: tuple[str, ...] = (
    "participant_id",
    *ACTIVATION_COLUMNS,
    *PREGNANCY_COLUMNS,
    *TIME_TO_PREGNANCY_COLUMNS,
    *GCSF_COLUMNS,
    "treated",
)
"""The columns of :func:`derive_participants`, in order."""


def derive_participants(participants: pl.DataFrame, pregnancies: pl.DataFrame) -> pl.DataFrame:
    """Every derived endpoint, one row per participant, in the participants' row order.

    ``participants`` and ``pregnancies`` are canonical frames (``ovaregen.domain.schema``);
    missing canonical columns are taken as unknown (see ``conform``) and ``pregnancies`` may be
    empty. Neither input is modified. The result has :data:`DERIVED_COLUMNS`:

    ============================================  ========  ==================================
    column                                        type      rule
    ============================================  ========  ==================================
    participant_id                                String
    oocyte_activation                             Boolean   Kleene OR of the two below
    activation_by_afc, activation_by_amh          Boolean   CRITERIA.md oocyte activation
    pregnant                                      Boolean   any pregnancy row; never null
    pregnancies                                   Int64     pregnancy rows; 0 if none
    pregnancy_spontaneous, _ivf, _both            Boolean   Kleene any / and
    live_births                                   Int64     pregnancies ending in live birth
    infants_live_born                             Int64     infants born alive
    has_live_birth                                Boolean   ≥ 1 live birth
    miscarriages                                  Int64
    months_to_first_pregnancy                     Float64   also ``_spontaneous_`` / ``_ivf_``
    time_to_pregnancy_months, pregnancy_event     Float64,  Kaplan–Meier (also spontaneous /
                                                  Boolean   IVF: ``time_to_ivf_pregnancy_…``)
    gcsf_worst_symptom                            String    none/mild/moderate/severe
    gcsf_symptom_days_recorded                    Int64     0–4
    treated                                       Boolean   ``live_birth.treated``, never null
    ============================================  ========  ==================================

    Vectorised: one ``select`` over the participants and one ``group_by`` + left ``join`` of
    the pregnancies; no per-row Python.
    """
    people = conform(participants, DatasetFile.PARTICIPANTS)
    pregnancy_rows = conform(pregnancies, DatasetFile.PREGNANCIES)
    base = people.select(
        "participant_id",
        treated(people),
        *activation_columns(),
        *gcsf_safety_columns(),
        "followup_months",
    )
    by_woman = pregnancy_columns_for(base, pregnancy_rows)
    return (
        pl.concat([base, by_woman.drop("participant_id")], how="horizontal")
        .with_columns(time_to_pregnancy_columns())
        .select(DERIVED_COLUMNS)
    )
