"""Liveness: ``/health`` answers whether the server and its database respond, and has room.

It never answers 500 and never waits for a writer: the database is asked outside any
transaction (on SQLite a plain read in WAL mode, which a writer holding the lock does not
block; at most ``PROBE_TIMEOUT_MS`` otherwise). 503 when the database does not answer, when
the data folder has less than ``LOW_DISK_BYTES`` free, or when a save failed because the
disk was full and none has succeeded since (issue 11: disk full answered 500 while
``/health`` said ok).
"""

from __future__ import annotations

import logging
import shutil
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ovaregen.store.database import BUSY_TIMEOUT_MS, Database
from ovaregen.store.failures import DiskFullWatch, classify
from ovaregen.web.dependencies import database, settings
from ovaregen.web.settings import Settings

router = APIRouter(tags=["system"])
log = logging.getLogger("ovaregen.web")

LOW_DISK_BYTES = 100 * 1024 * 1024
"""Less free space than this in the data folder makes ``/health`` answer 503."""
PROBE_TIMEOUT_MS = 2_000


def _schema(db: Database) -> str:
    """The schema revision, read on a pooled connection outside any transaction."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.is_sqlite:
            cursor.execute(f"PRAGMA busy_timeout={PROBE_TIMEOUT_MS}")
        else:
            cursor.execute(f"SET statement_timeout = {PROBE_TIMEOUT_MS}")
        try:
            cursor.execute("SELECT version_num FROM alembic_version")
            row = cursor.fetchone()
        finally:
            if db.is_sqlite:
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            else:
                raw.rollback()
                cursor.execute("RESET statement_timeout")
            cursor.close()
    finally:
        raw.close()
    return str(row[0]) if row else "none"


def _free_bytes(config: Settings) -> int | None:
    try:
        return shutil.disk_usage(config.data_dir).free
    except OSError:
        return None


HEALTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {"description": "The database does not answer, or the disk is (nearly) full."}
}


@router.get("/health", responses=HEALTH_RESPONSES)
def health(
    request: Request,
    db: Annotated[Database, Depends(database)],
    config: Annotated[Settings, Depends(settings)],
) -> JSONResponse:
    """``{"status": "ok"}`` when the database answers and there is room; 503 otherwise.

    Beside it: the database, its schema revision, whether the data folder has room (``disk``:
    ok, low or unknown; not the byte count, which this unauthenticated answer need not tell and
    which would make two otherwise identical clinics answer differently) and the time of the
    last save refused because the disk was full."""
    watch: DiskFullWatch | None = getattr(request.app.state, "disk_full", None)
    body: dict[str, Any] = {"status": "ok", "database": db.engine.dialect.name}
    try:
        body["schema"] = _schema(db)
    except Exception as error:  # any failure to answer is the answer, never a 500
        log.warning("/health: the database does not answer: %s", error)
        kind = classify(error)
        body.update(
            status="unavailable",
            detail="the database does not answer" + (f" ({kind.value})" if kind else ""),
        )
    free = _free_bytes(config)
    body["disk"] = "unknown" if free is None else "low" if free < LOW_DISK_BYTES else "ok"
    body["last_disk_full"] = watch.last.isoformat() if watch and watch.last else None
    if body["status"] == "ok" and free is not None and free < LOW_DISK_BYTES:
        body.update(
            status="disk full",
            detail=f"the data folder has {free // (1024 * 1024)} MB free "
            f"(less than {LOW_DISK_BYTES // (1024 * 1024)} MB)",
        )
    elif body["status"] == "ok" and watch is not None and watch.current:
        body.update(
            status="disk full",
            detail="a save failed because the disk was full and none has succeeded since",
        )
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)
