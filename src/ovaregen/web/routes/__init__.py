"""Routers: pages for people and the JSON API under /api, both thin over ``clinic``."""

from __future__ import annotations

from fastapi import APIRouter

from ovaregen.web.routes import auth, studies, system

ROUTERS: tuple[APIRouter, ...] = (system.router, auth.router, studies.router)
