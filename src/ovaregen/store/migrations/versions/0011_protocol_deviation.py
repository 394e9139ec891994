"""Protocol deviations (issue 13 item 6; ICH E6(R3) §2.5 and §3.2): ``protocol_deviation``.

One row per deviation of one woman: its kind (a visit out of its window, eligibility lost
after randomisation, or one recorded by hand), the visit concerned, a description, who detected
it ("system" or a user) and when, and its review (status open/reviewed, reviewer, time,
comment). ``version`` guards concurrent reviews. Existing data open no deviation on upgrade:
the system opens them when a visit or a screening is saved.

Downgrade drops the table (the audit trail keeps every deviation and review).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "protocol_deviation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("visit", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_by", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("protocol_deviation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protocol_deviation_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("protocol_deviation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protocol_deviation_participant_id"))
    op.drop_table("protocol_deviation")
