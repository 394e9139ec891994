"""Routers: pages for people and the JSON API under /api, both thin over ``clinic``."""

from __future__ import annotations

from fastapi import APIRouter

from ovaregen.web.routes import (
    audit,
    auth,
    dashboard,
    deviations,
    followup,
    forms,
    gcsf,
    participants,
    randomisation,
    studies,
    system,
    tokens,
    worklist,
)

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    auth.router,
    studies.router,
    participants.router,
    forms.router,
    gcsf.router,
    followup.router,
    randomisation.router,
    dashboard.router,
    audit.router,
    tokens.router,
    worklist.router,
    deviations.router,
)
