"""Source-data verification marks and electronic signatures (issue 13 items 3, 4).

``source_verification``: one row per mark of a form as verified against source (who, when,
the form's version and the SHA-256 of its values). ``signature``: one row per electronic
signature of a casebook or a form (printed name, time, meaning, SHA-256 of the values signed
and each form's version and hash). Rows are only ever added; whether a mark still holds or a
signature is broken is computed from the stored hashes (``clinic.verification``,
``clinic.signatures``).

Downgrade drops both tables (the audit trail keeps every mark and signature).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=64), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("values_sha256", sa.String(length=64), nullable=False),
        sa.Column("verified_by", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("source_verification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_verification_participant_id"), ["participant_id"], unique=False
        )
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("meaning", sa.String(length=64), nullable=False),
        sa.Column("signer", sa.String(length=64), nullable=False),
        sa.Column("printed_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("values_sha256", sa.String(length=64), nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signature_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signature_participant_id"))
    op.drop_table("signature")
    with op.batch_alter_table("source_verification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_verification_participant_id"))
    op.drop_table("source_verification")
