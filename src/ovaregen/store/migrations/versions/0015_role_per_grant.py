"""A role on each grant: a user holds roles per study and per site (issue 13 item 1).

``site_access.role`` (one of ``clinic.roles.Role``): what she may do at that study and site
(``clinic.scope``). Each existing grant is given its user's role, so that nobody may do more or
less after the upgrade than before; ``app_user.role`` is then dropped (the grants hold the
roles now). A user with no grant had a role that let her see nobody; she keeps no role, and
gets one with her next grant (``ovaregen user grant --role``). The audit trail keeps every
role she was given.

Downgrade gives each user back one role: that of her oldest grant (a user holding several
roles keeps only that one; one with no grant becomes a monitor, read-only, who sees nobody),
and drops ``site_access.role``. The column is dropped from ``app_user`` in place on SQLite:
recreating ``app_user`` would delete, by their ON DELETE CASCADE, the sessions, tokens and
grants that refer to it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 10:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("site_access", sa.Column("role", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE site_access SET role = (SELECT app_user.role FROM app_user "
        "WHERE app_user.id = site_access.user_id)"
    )
    with op.batch_alter_table("site_access", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(length=32), nullable=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE app_user DROP COLUMN role")
    else:
        op.drop_column("app_user", "role")


def downgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column("role", sa.String(length=32), nullable=False, server_default="monitor"),
    )
    op.execute(
        "UPDATE app_user SET role = (SELECT site_access.role FROM site_access "
        "WHERE site_access.user_id = app_user.id ORDER BY site_access.id LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM site_access WHERE site_access.user_id = app_user.id)"
    )
    with op.batch_alter_table("site_access", schema=None) as batch_op:
        batch_op.drop_column("role")
