"""Participant questionnaire links (issue 13, item 8): ``questionnaire_link``.

One row per link: the SHA-256 of its secret (never the secret), the participant and the
follow-up visit it answers, creation, expiry, use, revocation, and the answers kept for the
coordinator's review (``clinic.questionnaire_links``). Downgrade drops the table: every link
stops working; the answers already saved into visit forms stay there.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 22:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("visit", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("questionnaire_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_link_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_link_participant_id"))
    op.drop_table("questionnaire_link")
