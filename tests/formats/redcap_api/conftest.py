"""A clinic served over HTTP for REDCap clients: study ucmsc-rct with a synthetic cohort split
between sites MAD1 and BCN2, and for each reader a read token of the REDCap API kind (32
hexadecimal characters, which PyCap accepts unmodified) and a personal one (``ovr_…``):

- ``investigator`` (every site, blinded), ``statistician`` (every site, unblinded);
- ``inv.mad`` and ``inv.bcn``: investigators of one site each, of ucmsc-rct only;
- ``monitor``: may not export (``Permission.EXPORT``).

The server is the clinic application under uvicorn in a thread (``web.app.create_app``), on a
free local port; built once for the package's tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import polars as pl
import pytest
import uvicorn
from sqlalchemy import select

from ovaregen.clinic.importing import import_dataset
from ovaregen.clinic.scope import Grant
from ovaregen.clinic.site_access import give
from ovaregen.clinic.studies import add_site, study_named
from ovaregen.clinic.tokens import Kind, create_token
from ovaregen.clinic.users import add_user
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.store.database import Database
from ovaregen.store.models import User
from ovaregen.synth import synthesize
from tests.clinic_fixtures import ClinicTemplates, app_for

STUDY = "ucmsc-rct"
WOMEN = 8
SITES = ("MAD1", "BCN2")
READERS = ("investigator", "statistician", "monitor", "inv.mad", "inv.bcn")


@dataclass(frozen=True)
class Clinic:
    """The served clinic: its address, its database, each reader's token, the women's sites."""

    base: str
    database: Database
    tokens: dict[str, str]
    """Each reader's REDCap API token."""
    personal: dict[str, str]
    """Each reader's personal token (``ovr_…``), accepted at ``/redcap/api/`` too."""
    sites: dict[str, str]
    folder: Path

    def api(self, study: str | None = STUDY) -> str:
        """The REDCap API address (of ``study``; None: the address naming none)."""
        return f"{self.base}/redcap/{study}/api/" if study else f"{self.base}/redcap/api/"


def _cohort(folder: Path) -> Dataset:
    """A synthetic ucmsc-rct cohort, its women alternately at MAD1 and BCN2."""
    made = synthesize(STUDY, WOMEN, 11)
    sites = [SITES[i % 2] for i in range(made.participants.height)]
    supplied = dict(made.supplied)
    if "participants" in supplied:
        supplied["participants"] = (*supplied["participants"], "site")
    made = replace(
        made,
        participants=made.participants.with_columns(pl.Series("site", sites)),
        supplied=supplied,
    )
    write_dataset(made, folder)
    report = validate_dataset(folder, load_protocol(STUDY))
    assert report.dataset is not None, report.findings
    return report.dataset


def _users(database: Database) -> tuple[dict[str, str], dict[str, str]]:
    """The site-scoped investigators, and a REDCap API and a personal read token for every
    reader."""
    tokens, personal = {}, {}
    with database.transaction() as session:
        add_site(session, code=SITES[1], name="Barcelona", username="test")
        for username, site in (("inv.mad", SITES[0]), ("inv.bcn", SITES[1])):
            user = add_user(session, username=username, password=None, by="test")
            give(session, user, [Grant(STUDY, site, "investigator")], by="test")
        for username in READERS:
            user = session.execute(select(User).where(User.username == username)).scalar_one()
            tokens[username] = create_token(
                session, user, name="redcap", by="test", kind=Kind.REDCAP
            ).secret
            personal[username] = create_token(session, user, name="api", by="test").secret
    return tokens, personal


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="package")
def clinic(
    tmp_path_factory: pytest.TempPathFactory, clinic_templates: ClinicTemplates
) -> Iterator[Clinic]:
    folder = tmp_path_factory.mktemp("redcap-clinic")
    database = clinic_templates.sqlite(folder)
    tokens, personal = _users(database)
    cohort = _cohort(folder / "cohort")
    with database.transaction() as session:
        import_dataset(session, study_named(session, STUDY), cohort, username="test")
    sites = dict(cohort.participants.select("participant_id", "site").iter_rows())
    port = _free_port()
    config = uvicorn.Config(
        app_for(database, folder), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        pytest.fail("the clinic did not start")
    yield Clinic(base, database, tokens, personal, sites, folder)
    server.should_exit = True
    thread.join(timeout=10)
    database.dispose()
