"""Liveness: ``/health`` answers whether the server and its database respond."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from ovaregen.store.migrate import revision_of
from ovaregen.web.dependencies import SessionDep

router = APIRouter(tags=["system"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, str]:
    """``{"status": "ok"}`` when the database answers; the schema revision beside it."""
    session.execute(text("SELECT 1"))
    revision = revision_of(session.connection()) or "none"
    return {"status": "ok", "database": session.get_bind().dialect.name, "schema": revision}
