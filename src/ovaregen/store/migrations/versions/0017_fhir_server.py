"""The FHIR server of each study's laboratory results (issue 15, item 1): ``fhir_server``.

One row per study at most: the server's base URL (http or https, no credentials), the
identifier system under which it knows the women by their participant id, who set it and when
(``clinic.fhir_settings``). Downgrade drops the table: the participant page no longer offers to
fetch results; the results accepted already stay in the forms and the audit trail.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 18:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fhir_server",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("identifier_system", sa.String(length=500), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("study_id"),
    )


def downgrade() -> None:
    op.drop_table("fhir_server")
