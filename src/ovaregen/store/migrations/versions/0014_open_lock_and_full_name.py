"""One open lock of each thing; a user's full name, the printed name of her signatures.

``data_lock``: partial unique indexes over the open rows (``released_at`` NULL), one per
scope — the study (``study_id``), a casebook (``participant_id``), a form (``participant_id``,
``visit``) — so that two lock requests at the same moment cannot both open a lock of the same
thing (``clinic.locks``). Should a database already hold two open locks of one thing (such a
race before this revision), the older stays and each later one is closed by the upgrade, saying
so (``released_by`` "ovaregen db upgrade", the reason naming the lock that stays): the thing
stays locked, and the closed row stays in the lock history.

``app_user.full_name`` (21 CFR Part 11 §11.50(a)(1): a signature shows the printed name of the
signer): empty for every existing user until an administrator sets it (``ovaregen user
set-name``, the Users page); a user who may sign cannot sign without it. ``signature``
already keeps ``printed_name``, written at signing time; a signature whose printed name is
empty is given the signer's username, which is what every signature showed before.

Downgrade drops the indexes and the column (the full names are lost; the signatures keep the
printed names they were made with). The column is dropped in place on SQLite too: recreating
``app_user`` would delete, by their ON DELETE CASCADE, the sessions, tokens and grants that
refer to it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00

"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_LOCK_INDEXES = {
    "study": ("study_id",),
    "participant": ("participant_id",),
    "form": ("participant_id", "visit"),
}
UPGRADE = "ovaregen db upgrade"


def _close_duplicate_open_locks() -> None:
    """Close every open lock but the oldest of the same thing (none in a clinic without the
    race this revision closes)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, scope, study_id, participant_id, visit FROM data_lock "
            "WHERE released_at IS NULL ORDER BY id"
        )
    ).all()
    held: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for row in rows:
        columns = OPEN_LOCK_INDEXES.get(row.scope, ())
        held[(row.scope, *(getattr(row, c) for c in columns))].append(row.id)
    now = datetime.now(UTC)
    for kept, *later in held.values():
        for lock_id in later:
            connection.execute(
                sa.text(
                    "UPDATE data_lock SET released_at = :now, released_by = :by, "
                    "release_reason = :reason, version = version + 1 WHERE id = :id"
                ),
                {
                    "now": now,
                    "by": UPGRADE,
                    "reason": f"a second open lock of what lock {kept} holds (revision 0014: "
                    f"one open lock of each thing); lock {kept} stays",
                    "id": lock_id,
                },
            )


def upgrade() -> None:
    _close_duplicate_open_locks()
    for scope, columns in OPEN_LOCK_INDEXES.items():
        where = sa.text(f"scope = '{scope}' AND released_at IS NULL")
        op.create_index(
            f"uq_data_lock_open_{scope}",
            "data_lock",
            list(columns),
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )
    op.add_column(
        "app_user",
        sa.Column("full_name", sa.String(length=200), nullable=False, server_default=""),
    )
    op.execute(
        "UPDATE signature SET printed_name = signer "
        "WHERE printed_name IS NULL OR TRIM(printed_name) = ''"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE app_user DROP COLUMN full_name")
    else:
        op.drop_column("app_user", "full_name")
    for scope in reversed(OPEN_LOCK_INDEXES):
        op.drop_index(f"uq_data_lock_open_{scope}", table_name="data_lock")
