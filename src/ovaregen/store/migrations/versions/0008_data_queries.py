"""Queries by people (issue 13 item 2, the monitor's query cycle): ``data_query`` and
``query_message``.

A query is raised on one value of one form (participant, visit, variable) with the value as
it was, and moves open → answered → closed, answered or closed → open again; every step is a
row of ``query_message`` (who, role, UTC time, text, value change), as OpenClinica's
discrepancy notes keep their thread (ICH E6(R3) §3.11.4: data queries documented). Nothing
exists before this revision, so the upgrade creates empty tables.

Downgrade drops both tables (the threads are lost; the audit trail keeps every step).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_query",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("visit", sa.String(length=64), nullable=False),
        sa.Column("variable", sa.String(length=64), nullable=False),
        sa.Column("value_when_raised", sa.Text(), nullable=True),
        sa.Column("from_check", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_action_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("data_query", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_query_participant_id"), ["participant_id"], unique=False
        )
    op.create_table(
        "query_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("value_changed", sa.Boolean(), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["query_id"], ["data_query.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("query_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_query_message_query_id"), ["query_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("query_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_query_message_query_id"))
    op.drop_table("query_message")
    with op.batch_alter_table("data_query", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_query_participant_id"))
    op.drop_table("data_query")
