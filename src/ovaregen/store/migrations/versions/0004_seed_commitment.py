"""The allocation list's seed leaves the database: a SHA-256 commitment and a late-strata key.

``randomisation_list.seed_hex`` held the seed in plain text beside the arms it generates. It is
replaced by ``seed_sha256`` (SHA-256 of the seed: checks a seed without revealing it) and
``late_strata_key_hex`` (HMAC-SHA256(seed, label): generates the strata of sites added later),
both computed here from the stored seed, which is then dropped (``clinic.list_seed``).

Nobody was ever shown the seed of a list made before this revision, so after it such a list
can no longer be regenerated and checked: whoever must verify it later saves the seed before
upgrading (``SELECT study_id, seed_hex FROM randomisation_list``) and keeps it apart.

Downgrade: the seed cannot be restored from its hash. With no list stored the column comes
back empty; with any list stored the downgrade is refused, saying so.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:00:00

"""

import hashlib
import hmac
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LATE_STRATA_LABEL = b"ovaregen: allocation strata of sites added after set-up"
"""As ``ovaregen.clinic.list_seed.LATE_STRATA_LABEL`` (copied: a migration stays as written)."""

_lists = sa.table(
    "randomisation_list",
    sa.column("id", sa.Integer),
    sa.column("seed_hex", sa.String),
    sa.column("seed_sha256", sa.String),
    sa.column("late_strata_key_hex", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("randomisation_list", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seed_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("late_strata_key_hex", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_lists.c.id, _lists.c.seed_hex)).all()
    for row_id, seed_hex in rows:
        seed = bytes.fromhex(seed_hex)
        connection.execute(
            _lists.update()
            .where(_lists.c.id == row_id)
            .values(
                seed_sha256=hashlib.sha256(seed).hexdigest(),
                late_strata_key_hex=hmac.new(seed, LATE_STRATA_LABEL, hashlib.sha256).hexdigest(),
            )
        )
    with op.batch_alter_table("randomisation_list", schema=None) as batch_op:
        batch_op.alter_column("seed_sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column(
            "late_strata_key_hex", existing_type=sa.String(length=64), nullable=False
        )
        batch_op.drop_column("seed_hex")


def downgrade() -> None:
    stored = op.get_bind().execute(sa.select(sa.func.count()).select_from(_lists)).scalar_one()
    if stored:
        raise RuntimeError(
            f"cannot downgrade below revision 0004: {stored} allocation list(s) are stored and "
            "their seeds are no longer in the database (only their SHA-256), so revision 0003 "
            "could not use them; nothing was changed"
        )
    with op.batch_alter_table("randomisation_list", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seed_hex", sa.String(length=128), nullable=False))
        batch_op.drop_column("late_strata_key_hex")
        batch_op.drop_column("seed_sha256")
