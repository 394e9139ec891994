"""Routers: pages for people and the JSON API under /api, both thin over ``clinic``."""

from __future__ import annotations

from fastapi import APIRouter

from ovaregen.web.routes import (
    audit,
    auth,
    dashboard,
    followup,
    forms,
    gcsf,
    participants,
    randomisation,
    studies,
    system,
    tokens,
    unblinding,
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
    unblinding.router,
    dashboard.router,
    audit.router,
    tokens.router,
)
