"""A kind on each API token (issue 14 item 2): ``api_token.kind``.

``personal`` is the ``ovr_`` token of issue 13; ``redcap`` the 32 upper-case hexadecimal
characters a REDCap API token is, which an unmodified PyCap or REDCapR client accepts
(``clinic.tokens``). Every existing token is a personal one. The token itself is still kept
only as its SHA-256; the kind says which shape it has, so that the tokens page and the audit
trail can say which token a script uses. Downgrade drops the column after revoking the REDCap
tokens (revision 0015's server would otherwise refuse them as malformed and show them as
personal tokens).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 15:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="personal")
        )


def downgrade() -> None:
    op.execute(
        "UPDATE api_token SET revoked_at = CURRENT_TIMESTAMP, revoked_by = 'migration 0016' "
        "WHERE kind = 'redcap' AND revoked_at IS NULL"
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("kind")
