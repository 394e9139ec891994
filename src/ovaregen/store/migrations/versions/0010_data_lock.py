"""Form, participant and study (database) locks (issue 13, item 5): ``data_lock``.

One row per lock: ``scope`` is study, participant or form; a participant lock names her, a
form lock her visit (or ``pregnancies``/``adverse_events``). Unlocking fills the ``released_*``
columns: rows are never deleted, so the lock history stays (ICH E6(R3) §4.2.5; 21 CFR Part 11
§11.10(e)). No lock is made by an upgrade.

Downgrade drops the table (the locks are lost; the audit trail keeps who locked what).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("visit", sa.String(length=64), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=64), nullable=False),
        sa.Column("lock_reason", sa.Text(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("data_lock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_lock_study_id"), ["study_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_data_lock_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("data_lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_lock_participant_id"))
        batch_op.drop_index(batch_op.f("ix_data_lock_study_id"))
    op.drop_table("data_lock")
