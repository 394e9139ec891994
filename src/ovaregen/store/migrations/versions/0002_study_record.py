"""The study record of wave 2: flow status ``ongoing``, adverse events in INTERCHANGE.md's
vocabulary with grade, CTCAE version and seriousness allowed unknown.

- participant.status ``enrolled`` is now ``ongoing`` (INTERCHANGE.md: enrolled, follow-up not
  finished);
- adverse_event.related ``not_related`` is ``unrelated``; adverse_event.outcome ``resolved`` and
  ``resolved_with_sequelae`` are ``recovered`` and ``recovered_with_sequelae``; grade,
  ctcae_version, serious, related and outcome may be empty (an imported event whose grade was not recorded).

- Study C's injection values (``injections``, ``cells_injected_millions``), which reveal the
  arm, move from the ``treatment`` form to the ``cell_injection`` form of their own, which only
  the unblinded treatment team records and blinded roles never see.

These rename vocabulary words and move values between forms of one woman; no recorded value
changes, so no audit entry is written (the audit trail keeps what was recorded, as it was).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 12:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMES = (
    ("participant", "status", "enrolled", "ongoing"),
    ("adverse_event", "related", "not_related", "unrelated"),
    ("adverse_event", "outcome", "resolved", "recovered"),
    ("adverse_event", "outcome", "resolved_with_sequelae", "recovered_with_sequelae"),
)


def _rename(renames: Sequence[tuple[str, str, str, str]], *, backwards: bool = False) -> None:
    for table, column, old, new in renames:
        before, after = (new, old) if backwards else (old, new)
        op.execute(
            sa.text(f"UPDATE {table} SET {column} = :after WHERE {column} = :before").bindparams(
                after=after, before=before
            )
        )


ARM_REVEALING = {
    "ucmsc-rct": ("treatment", "cell_injection", ("injections", "cells_injected_millions"))
}
"""Study → (form the values were in, the arm-revealing form, the values), as of this revision."""

_UPDATE = sa.text("UPDATE form_entry SET data = :data WHERE id = :id").bindparams(
    sa.bindparam("data", type_=sa.JSON)
)
_INSERT = sa.text(
    "INSERT INTO form_entry (participant_id, visit, data, created_at, updated_at, updated_by, "
    "version) VALUES (:participant_id, :visit, :data, :created_at, :updated_at, :updated_by, 1)"
).bindparams(sa.bindparam("data", type_=sa.JSON))
"""Timestamps are copied as the database returned them (text on SQLite)."""


def _move_arm_revealing_values() -> None:
    connection = op.get_bind()
    for study, (source, target, names) in ARM_REVEALING.items():
        rows = connection.execute(
            sa.text(
                "SELECT f.id, f.participant_id, f.data, f.created_at, f.updated_at, f.updated_by "
                "FROM form_entry f JOIN participant p ON p.id = f.participant_id "
                "JOIN study s ON s.id = p.study_id WHERE s.name = :study AND f.visit = :visit"
            ).columns(data=sa.JSON),
            {"study": study, "visit": source},
        ).all()
        for form_id, participant_id, data, created, updated, by in rows:
            moved = {k: v for k, v in (data or {}).items() if k in names}
            if not moved:
                continue
            kept = {k: v for k, v in data.items() if k not in names}
            connection.execute(_UPDATE, {"data": kept, "id": form_id})
            connection.execute(
                _INSERT,
                {
                    "participant_id": participant_id,
                    "visit": target,
                    "data": moved,
                    "created_at": created,
                    "updated_at": updated,
                    "updated_by": by,
                },
            )


def upgrade() -> None:
    _rename(RENAMES)
    _move_arm_revealing_values()
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.alter_column("grade", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("ctcae_version", existing_type=sa.String(length=16), nullable=True)
        batch_op.alter_column("serious", existing_type=sa.Boolean(), nullable=True)
        batch_op.alter_column("related", existing_type=sa.String(length=32), nullable=True)
        batch_op.alter_column("outcome", existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    op.execute(sa.text("UPDATE adverse_event SET grade = 1 WHERE grade IS NULL"))
    op.execute(
        sa.text("UPDATE adverse_event SET ctcae_version = '5.0' WHERE ctcae_version IS NULL")
    )
    op.execute(sa.text("UPDATE adverse_event SET serious = false WHERE serious IS NULL"))
    op.execute(sa.text("UPDATE adverse_event SET related = 'unknown' WHERE related IS NULL"))
    op.execute(sa.text("UPDATE adverse_event SET outcome = 'unknown' WHERE outcome IS NULL"))
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.alter_column("grade", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("ctcae_version", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("serious", existing_type=sa.Boolean(), nullable=False)
        batch_op.alter_column("related", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("outcome", existing_type=sa.String(length=32), nullable=False)
    _rename(RENAMES, backwards=True)
