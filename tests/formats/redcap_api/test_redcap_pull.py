"""``ovaregen redcap pull`` against two REDCap servers: the clinic's own REDCap API (the pulled
dataset is the reader's export of the clinic), and a stand-in (``http.server`` in a thread)
answering with the files ``formats.redcap``'s writer made of a synthetic cohort (the pulled
dataset is that cohort). Refusals are one line and write nothing."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.clinic.exchange import dataset_files, study_dataset
from ovaregen.clinic.roles import Permission
from ovaregen.clinic.scope import access_of
from ovaregen.clinic.studies import study_named
from ovaregen.domain.protocols import load_protocol
from ovaregen.formats.clinic_records import NO_CLINIC_RECORDS
from ovaregen.formats.redcap.project import DICTIONARY_HEADERS, METADATA_FIELDS
from ovaregen.formats.redcap.writer import write_redcap
from ovaregen.io.dataset import Dataset
from ovaregen.io.reader import validate_dataset
from ovaregen.io.spreadsheet_safe import unescaped_cell
from ovaregen.io.writer import write_dataset
from ovaregen.store.models import User
from ovaregen.synth import synthesize
from tests.formats.redcap_api.conftest import STUDY, Clinic

runner = CliRunner()
COHORT = "regenera"


def _pull(url: str, token: str, out: Path, tmp_path: Path, protocol: str = STUDY):  # type: ignore[no-untyped-def]
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["redcap", "pull", "--url", url, "--token-file", str(token_file), "--protocol", protocol,
         "--out", str(out)],
    )  # fmt: skip
    assert "Traceback" not in result.output
    return result


def _files(folder: Path, protocol: str) -> dict[str, str]:
    report = validate_dataset(folder, load_protocol(protocol))
    assert report.dataset is not None, report.findings
    return dataset_files(report.dataset)


def test_a_pull_of_the_clinic_is_her_blinded_export(clinic: Clinic, tmp_path: Path) -> None:
    out = tmp_path / "pulled"
    result = _pull(clinic.api(), clinic.tokens["investigator"], out, tmp_path)
    assert result.exit_code == 0, result.output
    with clinic.database.read() as session:
        user = session.execute(select(User).where(User.username == "investigator")).scalar_one()
        export = study_dataset(
            session,
            study_named(session, STUDY),
            blinded=True,
            access=access_of(session, user.id).holding(Permission.EXPORT),
        )
    assert _files(out, STUDY) == dataset_files(export)
    assert "arm" not in (out / "participants.csv").read_text().splitlines()[0].split(",")


class _StandIn(BaseHTTPRequestHandler):
    """A REDCap API answering from a ``--to redcap`` folder (``server.folder``) with the values
    REDCap holds: the files' cells without their spreadsheet-safe quote
    (``io.spreadsheet_safe``), records as flat CSV, the rest as JSON rows."""

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        folder: Path = self.server.folder  # type: ignore[attr-defined]
        if form.get("token") != "A" * 32:
            self._send(403, {"error": "You do not have permissions to use the API"})
            return
        part = {
            "metadata": "DataDictionary",
            "event": "Events",
            "formEventMapping": "InstrumentDesignations",
            "repeatingFormsEvents": "RepeatingInstruments",
            "record": "DATA",
        }[form["content"]]
        text = next(folder.glob(f"*_{part}.csv")).read_text(encoding="utf-8")
        table = [[unescaped_cell(c) for c in row] for row in csv.reader(io.StringIO(text))]
        if part == "DATA":
            body = io.StringIO()
            csv.writer(body, lineterminator="\n").writerows(table)
            self._send(200, body.getvalue(), "text/csv; charset=utf-8")  # as REDCap says
            return
        header = table[0]
        if part == "DataDictionary":
            names = dict(zip(DICTIONARY_HEADERS, METADATA_FIELDS, strict=True))
            header = [names[h] for h in header]
        rows = [dict(zip(header, row, strict=True)) for row in table[1:]]
        self._send(200, rows)

    def _send(self, status: int, body: object, media: str = "application/json") -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def stand_in(tmp_path: Path) -> Iterator[tuple[str, Dataset]]:
    """The stand-in's address and the cohort its files hold (read back as a dataset)."""
    written = tmp_path / "cohort"
    write_dataset(synthesize(COHORT, 12, 5), written)
    report = validate_dataset(written, load_protocol(COHORT))
    assert report.dataset is not None
    folder = tmp_path / "redcap"
    write_redcap(report.dataset, load_protocol(COHORT), folder, NO_CLINIC_RECORDS)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    server.folder = folder  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/", report.dataset
    server.shutdown()
    server.server_close()


def test_a_pull_of_a_redcap_project_reads_back_the_cohort(
    stand_in: tuple[str, Dataset], tmp_path: Path
) -> None:
    url, cohort = stand_in
    out = tmp_path / "pulled"
    result = _pull(url, "A" * 32, out, tmp_path, COHORT)
    assert result.exit_code == 0, result.output
    assert "12 participants" in result.stdout
    assert _files(out, COHORT) == dataset_files(cohort)


def test_a_refused_token_is_said_and_nothing_is_written(
    stand_in: tuple[str, Dataset], tmp_path: Path
) -> None:
    url, _ = stand_in
    out = tmp_path / "pulled"
    result = _pull(url, "B" * 32, out, tmp_path, COHORT)
    assert result.exit_code == 1
    assert "refused: You do not have permissions to use the API" in result.stderr
    assert not out.exists()


def test_an_unreachable_server_and_bad_options_are_said(tmp_path: Path) -> None:
    out = tmp_path / "pulled"
    unreachable = _pull("http://127.0.0.1:9/api/", "A" * 32, out, tmp_path)
    assert unreachable.exit_code == 1
    assert "cannot reach http://127.0.0.1:9/api/" in unreachable.stderr
    not_api = _pull("http://127.0.0.1:9/redcap", "A" * 32, out, tmp_path)
    assert not_api.exit_code == 2 and "ends with /api/" in not_api.stderr
    empty = _pull("http://127.0.0.1:9/api/", "", out, tmp_path)
    assert empty.exit_code == 2 and "holds no token" in empty.stderr
    missing = runner.invoke(
        app,
        ["redcap", "pull", "--url", "http://127.0.0.1:9/api/", "--token-file",
         str(tmp_path / "absent"), "--protocol", STUDY, "--out", str(out)],
    )  # fmt: skip
    assert missing.exit_code == 2 and "cannot read the token file" in missing.stderr
    assert not out.exists()
