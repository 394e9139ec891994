"""Guards on the audit trail that 0001 left open: TRUNCATE, and the chain head.

- PostgreSQL: ``TRUNCATE audit_entry`` and ``TRUNCATE audit_head`` are refused (a row trigger
  does not fire on TRUNCATE, so 0001's append-only trigger let it through);
- both databases: the single ``audit_head`` row cannot be deleted, a second head cannot be
  inserted, and an UPDATE must keep its id and move ``last_id`` forward (the head may only
  grow, never go back to hide a cut tail).

Triggers guard against mistakes and against the application's own database role; the owner
of the tables can still drop them, which is what signed checkpoints (store.anchor) detect.
Source: issue 11 (attack run), 21 CFR Part 11 §11.10(e).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:40:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_NO_TRUNCATE = """
CREATE OR REPLACE FUNCTION audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE % refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql
"""

_PG_HEAD_GUARD = """
CREATE OR REPLACE FUNCTION audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain head cannot be deleted';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM audit_head) THEN
            RAISE EXCEPTION 'the audit chain head exists already: a second head refused';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.id <> OLD.id OR NEW.last_id <= OLD.last_id THEN
        RAISE EXCEPTION 'the audit chain head may only move forward: last_id % to % refused',
            OLD.last_id, NEW.last_id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

_SQLITE_TRIGGERS = {
    "audit_head_no_delete": (
        "BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be deleted'); END"
    ),
    "audit_head_single": (
        "BEFORE INSERT ON audit_head WHEN (SELECT count(*) FROM audit_head) > 0 "
        "BEGIN SELECT RAISE(ABORT, "
        "'the audit chain head exists already: a second head refused'); END"
    ),
    "audit_head_forward_only": (
        "BEFORE UPDATE ON audit_head WHEN NEW.id <> OLD.id OR NEW.last_id <= OLD.last_id "
        "BEGIN SELECT RAISE(ABORT, 'the audit chain head may only move forward'); END"
    ),
}


def upgrade() -> None:
    """Add the guards."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_NO_TRUNCATE)
        op.execute(_PG_HEAD_GUARD)
        for table in ("audit_entry", "audit_head"):
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate()"
            )
        op.execute(
            "CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_head "
            "FOR EACH ROW EXECUTE FUNCTION audit_head_guard()"
        )
        return
    for name, body in _SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    """Remove the guards."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_head_guard ON audit_head")
        for table in ("audit_entry", "audit_head"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_head_guard()")
        op.execute("DROP FUNCTION IF EXISTS audit_no_truncate()")
        return
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
