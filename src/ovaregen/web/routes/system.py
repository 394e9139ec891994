"""Liveness: ``/health`` answers whether the server and its database respond."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from ovaregen.store.migrate import current_revision
from ovaregen.web.dependencies import SessionDep

router = APIRouter(tags=["system"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, str]:
    """``{"status": "ok"}`` when the database answers; the schema revision beside it."""
    session.execute(text("SELECT 1"))
    revision = current_revision_of(session)
    return {"status": "ok", "database": session.get_bind().dialect.name, "schema": revision}


def current_revision_of(session: SessionDep) -> str:
    row = session.execute(text("SELECT version_num FROM alembic_version")).first()
    return str(row[0]) if row else "none"


__all__ = ["current_revision", "router"]
