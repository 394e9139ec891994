"""Routers: pages for people and the JSON API under /api, both thin over ``clinic``."""

from __future__ import annotations

from fastapi import APIRouter

from ovaregen.web.routes import (
    audit,
    auth,
    dashboard,
    data_queries,
    deviations,
    followup,
    forms,
    gcsf,
    laboratory,
    locks,
    participants,
    passwords,
    questionnaire,
    questionnaire_links,
    randomisation,
    redcap_api,
    signatures,
    studies,
    system,
    tokens,
    unblinding,
    user_admin,
    verification,
    worklist,
)

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    auth.router,
    studies.router,
    participants.router,
    forms.router,
    laboratory.router,
    gcsf.router,
    followup.router,
    randomisation.router,
    unblinding.router,
    dashboard.router,
    data_queries.router,
    audit.router,
    tokens.router,
    user_admin.router,
    passwords.router,
    verification.router,
    signatures.router,
    locks.router,
    worklist.router,
    deviations.router,
    questionnaire_links.router,
    questionnaire.router,
    redcap_api.router,
)
