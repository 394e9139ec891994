"""What the database refused, said without its SQL or the values it was given.

SQLAlchemy's text of a failed statement carries the statement and its parameters — participant
codes, free text, dates — and PostgreSQL's detail line quotes the offending value
(``Key (code)=(P-017) already exists``). Neither may reach a terminal, a log a support desk
reads, or an answer. :func:`refusal_text` names only the kind of refusal, the table and the
constraint or column where the driver gives them (PostgreSQL's diagnostics; SQLite's message,
which names ``table.column`` and never a value), and the SQLSTATE or SQLite error name.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

_PG_KINDS = {
    "23505": "a value that must be unique is stored already",
    "23502": "a required value is missing",
    "23503": "a row refers to another that does not exist",
    "23514": "a value breaks a rule of the database",
    "22001": "a text is longer than the database column allows",
    "22003": "a number is out of the range the database column allows",
    "22007": "a date or time is not valid",
    "22008": "a date or time is out of range",
    "22P02": "a value is not of the column's type",
    "22021": "a text holds a byte that is not valid text (such as NUL)",
    "40001": "another change happened at the same time; try again",
    "40P01": "another change happened at the same time; try again",
    "53100": "the disk is full",
    "53200": "the database server ran out of memory",
}
_SQLITE_KINDS = (
    ("UNIQUE constraint failed", "a value that must be unique is stored already"),
    ("NOT NULL constraint failed", "a required value is missing"),
    ("FOREIGN KEY constraint failed", "a row refers to another that does not exist"),
    ("CHECK constraint failed", "a value breaks a rule of the database"),
    ("database or disk is full", "the disk is full"),
    ("database is locked", "the database is busy with another change; try again"),
)
_SQLITE_WHERE = re.compile(r"constraint failed: ([\w.]+(?:, [\w.]+)*)$")
_VARCHAR = re.compile(r"character varying\((\d+)\)")
_TABLE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
"""The table a statement writes: the only part of the SQL that is shown."""


def refusal_text(error: SQLAlchemyError) -> str:
    """``a value that must be unique is stored already (table participant, constraint
    participant_study_id_code_key)`` — never SQL, never a value."""
    if not isinstance(error, DBAPIError) or error.orig is None:
        return f"the database refused the change ({type(error).__name__})"
    original = error.orig
    diagnostics = getattr(original, "diag", None)
    state = getattr(original, "sqlstate", None) or getattr(diagnostics, "sqlstate", None)
    written = _TABLE.match(error.statement or "")
    table = written[1] if written else None
    if diagnostics is not None or state is not None:
        return _postgres(original, diagnostics, state, table)
    return _sqlite(original, table)


def _postgres(
    original: BaseException, diagnostics: object, state: str | None, table: str | None
) -> str:
    text = str(original)
    if "NUL (0x00)" in text:  # psycopg refuses it before sending: no SQLSTATE
        return "a text holds a NUL character, which PostgreSQL cannot store"
    kind = _PG_KINDS.get(state or "", "the database refused the change")
    where = [
        f"{label} {value}"
        for label, value in (
            ("table", getattr(diagnostics, "table_name", None) or table),
            ("column", getattr(diagnostics, "column_name", None)),
            ("constraint", getattr(diagnostics, "constraint_name", None)),
        )
        if value
    ]
    if state == "22001" and (limit := _VARCHAR.search(text)):
        where.append(f"at most {limit[1]} characters")
    if state:
        where.append(f"SQLSTATE {state}")
    return f"{kind} ({', '.join(where)})" if where else kind


def _sqlite(original: BaseException, table: str | None) -> str:
    text = str(original).strip()
    name = getattr(original, "sqlite_errorname", None) or type(original).__name__
    found = _SQLITE_WHERE.search(text)
    where = found[1] if found else (f"table {table}" if table else None)
    shown = f"{where}, {name}" if where else name
    for marker, kind in _SQLITE_KINDS:
        if text.startswith(marker):
            return f"{kind} ({shown})"
    return f"the database refused the change ({shown})"
