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
    questionnaire,
    questionnaire_links,
    randomisation,
    studies,
    system,
    tokens,
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
    questionnaire_links.router,
    questionnaire.router,
)
