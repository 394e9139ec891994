"""Access by study and site (issue 13, REDCap's data access groups): ``site_access``.

One row per grant: a user × a study (NULL: every study) × a site (NULL: every site)
(``clinic.scope`` states the rules). No grant is made here: after this revision a user holds
no access until an administrator gives her sites (``ovaregen user grant``), so nobody sees
another site's women by an upgrade (least privilege, ICH E6(R3) §4.2.2 and 21 CFR Part 11
§11.10(d): access limited to authorised people). ``ovaregen user list`` names the users left
without sites.

Downgrade drops the table (the grants are lost; the audit trail keeps who granted what).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 18:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("site_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_access_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("site_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_access_user_id"))
    op.drop_table("site_access")
