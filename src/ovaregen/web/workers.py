"""The application of each server process of ``ovaregen serve --workers N``.

Uvicorn starts the processes itself and builds each one's application from an import string,
so the parent hands its settings over in the environment (``WORKER_SETTINGS``, JSON from
``settings.encoded``). The parent has already migrated the database (or checked its revision
with ``--no-migrate``) and set the shipped studies up; a worker only connects. Several
processes need PostgreSQL (SQLite has one writer, and the FIFO queue of waiting writers,
``store.write_queue``, lives inside one process) and leave the audit checkpoints to one
writer (``ovaregen audit anchor``), both refused by ``serve`` before it starts.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from ovaregen.store.opening import open_checked
from ovaregen.web.app import create_app
from ovaregen.web.settings import decoded

WORKER_SETTINGS = "OVAREGEN_WORKER_SETTINGS"
IMPORT_STRING = "ovaregen.web.workers:worker_app"


def worker_app() -> FastAPI:
    """One server process's application, on the parent's settings."""
    text = os.environ.get(WORKER_SETTINGS)
    if text is None:
        raise RuntimeError(f"{WORKER_SETTINGS} is not set: start the server with ovaregen serve")
    settings = decoded(text)
    return create_app(settings, open_checked(settings.database_url))
