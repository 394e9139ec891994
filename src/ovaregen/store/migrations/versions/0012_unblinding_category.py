"""Blind safeguards (issue 13 item 7): an emergency unblinding states its category.

Adds ``unblinding.category`` (``clinic.unblinding.CATEGORIES``: a serious adverse event, a
pregnancy, a regulatory or safety request, another medical emergency). Rows written before
this revision keep NULL: their free-text reason was all that was asked then, and no category
is invented for them (ALCOA+: the record is not rewritten after the fact).

Downgrade drops the column (the categories are lost; the audit trail keeps them).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unblinding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unblinding", schema=None) as batch_op:
        batch_op.drop_column("category")
