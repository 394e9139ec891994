"""The study's FHIR server setting (``clinic.fhir_settings``): kept normalised, validated with
a message naming the value and what is expected, changed and cleared with an audit entry each;
and ``ovaregen fhir server`` sets, shows and clears it in an administrator's name only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.clinic.fhir_settings import (
    FhirSettingError,
    clear_fhir_server,
    fhir_server_of,
    set_fhir_server,
)
from ovaregen.clinic.studies import study_named
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry

SYSTEM = "urn:oid:2.16.724.4.9.20.90.1"


def _set(database: Database, url: str, system: str = SYSTEM, study: str = "mensc") -> str:
    with database.transaction() as session:
        kept = set_fhir_server(
            session,
            study_named(session, study),
            base_url=url,
            identifier_system=system,
            username="admin",
        )
        return kept.base_url


def _trail(database: Database) -> list[tuple[str, str, dict[str, list[str | None]]]]:
    with database.read() as session:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.entity == "fhir_server").order_by(AuditEntry.id)
        ).scalars()
        return [(e.username, e.study, dict(e.changes)) for e in rows]


def test_the_base_url_is_kept_normalised_and_every_change_audited(
    sqlite_database: Database,
) -> None:
    assert _set(sqlite_database, " HTTPS://Lab.Example.ORG:8443/fhir/R4/ ") == (
        "https://lab.example.org:8443/fhir/R4"
    )
    assert _set(sqlite_database, "https://lab.example.org:8443/fhir/R4") == (
        "https://lab.example.org:8443/fhir/R4"
    )  # the same again: nothing changes, nothing is audited
    _set(sqlite_database, "http://10.0.0.7/fhir", "https://hospital.example.org/ids/ovaregen")
    with sqlite_database.transaction() as session:
        mensc = study_named(session, "mensc")
        assert fhir_server_of(session, study_named(session, "regenera")) is None
        found = fhir_server_of(session, mensc)
        assert found is not None and found.set_by == "admin"
        clear_fhir_server(session, mensc, username="admin")
        assert fhir_server_of(session, mensc) is None
    assert _trail(sqlite_database) == [
        (
            "admin",
            "mensc",
            {
                "base_url": [None, "https://lab.example.org:8443/fhir/R4"],
                "identifier_system": [None, SYSTEM],
            },
        ),
        (
            "admin",
            "mensc",
            {
                "base_url": ["https://lab.example.org:8443/fhir/R4", "http://10.0.0.7/fhir"],
                "identifier_system": [SYSTEM, "https://hospital.example.org/ids/ovaregen"],
            },
        ),
        (
            "admin",
            "mensc",
            {
                "base_url": ["http://10.0.0.7/fhir", None],
                "identifier_system": ["https://hospital.example.org/ids/ovaregen", None],
            },
        ),
    ]
    none = "no FHIR server configured: none to clear"
    with pytest.raises(FhirSettingError, match=none), sqlite_database.transaction() as session:
        clear_fhir_server(session, study_named(session, "mensc"), username="admin")


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("", "base URL is empty"),
        ("ftp://lab.example.org/fhir", "scheme 'ftp': only http and https"),
        ("lab.example.org/fhir", "scheme 'none'"),
        ("https://user:secret@lab.example.org/fhir", "holds a user name or password"),
        ("https:///fhir", "names no host"),
        ("https://lab.example.org/fhir?_format=json", "holds a query or fragment"),
        ("https://lab.example.org/fh ir", "holds a space or a control character"),
        ("https://lab.example.org:99999/fhir", "is not a URL"),
    ],
)
def test_a_base_url_that_cannot_be_asked_is_refused(
    sqlite_database: Database, url: str, said: str
) -> None:
    with pytest.raises(FhirSettingError, match=said) as refused:
        _set(sqlite_database, url)
    assert "expected" in str(refused.value) or "credentials" in str(refused.value)
    assert "secret" not in str(refused.value)
    assert _trail(sqlite_database) == []


@pytest.mark.parametrize(
    ("system", "said"),
    [
        ("", "identifier system is required"),
        ("MRN", "is not an absolute URI"),
        ("urn:oid:1.2|3", "without '|' or ','"),
    ],
)
def test_the_identifier_system_is_required_and_a_uri(
    sqlite_database: Database, system: str, said: str
) -> None:
    with pytest.raises(FhirSettingError, match=said):
        _set(sqlite_database, "https://lab.example.org/fhir", system)


runner = CliRunner()


def _cli(database: Database, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    options = ["--data", str(tmp_path / "clinic"), "--database-url", database.url]
    result = runner.invoke(app, ["fhir", "server", "--study", "mensc", *args, *options])
    assert "Traceback" not in result.output
    return result


def test_the_command_sets_shows_and_clears_it_in_an_administrators_name(
    sqlite_database: Database, tmp_path: Path
) -> None:
    shown = _cli(sqlite_database, tmp_path, "--show")
    assert shown.exit_code == 0 and "mensc: no FHIR server configured" in shown.output
    url = ["--url", "https://lab.example.org/fhir/", "--identifier-system", SYSTEM]
    refused = _cli(sqlite_database, tmp_path, *url, "--by", "coordinator")
    assert refused.exit_code == 1
    assert "--by: coordinator holds" in refused.output
    assert "no role that may set mensc up at every site" in refused.output
    nobody = _cli(sqlite_database, tmp_path, *url)
    assert nobody.exit_code == 1 and "--by" in nobody.output
    done = _cli(sqlite_database, tmp_path, *url, "--by", "admin")
    assert done.exit_code == 0, done.output
    assert f"FHIR server https://lab.example.org/fhir, identifier system {SYSTEM}" in done.output
    shown = _cli(sqlite_database, tmp_path, "--show")
    assert "https://lab.example.org/fhir" in shown.output and "set by admin" in shown.output
    bad = _cli(sqlite_database, tmp_path, "--url", "ftp://x/", "--identifier-system", SYSTEM)
    assert bad.exit_code == 1
    ftp = ["--url", "ftp://x/", "--identifier-system", SYSTEM]
    bad = _cli(sqlite_database, tmp_path, *ftp, "--by", "admin")
    assert bad.exit_code == 1 and "only http and https" in bad.output
    assert "nothing was changed" in bad.output
    cleared = _cli(sqlite_database, tmp_path, "--clear", "--by", "admin")
    assert cleared.exit_code == 0 and "removed by admin" in cleared.output
    assert [changes["base_url"][1] for _, _, changes in _trail(sqlite_database)] == [
        "https://lab.example.org/fhir",
        None,
    ]
