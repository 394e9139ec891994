"""Whether the PostgreSQL variants of the tests run, and a pytest plugin that says so.

Rule (issue 11, item 7): a green run means PostgreSQL was tested. When the test server
(``OVAREGEN_TEST_PG``, default ``postgresql+psycopg://postgres@127.0.0.1:5432``) cannot be
reached, every test that needs it FAILS with the reason. Only the explicit opt-out
``OVAREGEN_TEST_NO_POSTGRES=1`` turns those tests into skips (without trying to connect), and
the run's summary then states that PostgreSQL was not tested and how many tests that left out.

The hooks are loaded by ``tests/conftest.py``; ``pytest -p tests.postgres_gate`` loads them
for test files outside ``tests/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

PG_SERVER = os.environ.get("OVAREGEN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
OPT_OUT = "OVAREGEN_TEST_NO_POSTGRES"
SKIP_REASON = f"PostgreSQL not tested: {OPT_OUT}=1 is set"
CONNECT_TIMEOUT_SECONDS = 3

_unreachable: list[str] = []
"""The first connection error, kept so that later tests fail at once instead of waiting."""
_opted_out_tests: set[str] = set()
_failed_tests: set[str] = set()


def server_name() -> str:
    """The test server's address as shown to people (any password hidden)."""
    return make_url(PG_SERVER).render_as_string(hide_password=True)


def opted_out() -> bool:
    """True when ``OVAREGEN_TEST_NO_POSTGRES`` is set to 1 (or true/yes)."""
    return os.environ.get(OPT_OUT, "").strip().lower() in {"1", "true", "yes"}


def unreachable_message(error: str) -> str:
    """What failed, where, and the two ways out."""
    return (
        f"PostgreSQL is not reachable at {server_name()} ({error}): start it "
        f"(.ci/run does) or set {OPT_OUT}=1 to run without it"
    )


def _current_test() -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    return current.rsplit(" (", 1)[0]


def _connection_error() -> str | None:
    """None when the server answers, else why not (one line)."""
    if _unreachable:
        return _unreachable[0]
    try:
        engine = create_engine(
            f"{PG_SERVER}/postgres", connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        )
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
    except Exception as error:  # any driver or network error means "not reachable"
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        _unreachable.append(reason[0] if reason else type(error).__name__)
        return _unreachable[0]
    return None


def postgres_available() -> bool:
    """True when the PostgreSQL tests can run; False only under the opt-out.

    An unreachable server without the opt-out fails the calling test with the reason, so a
    caller's ``if not postgres_available(): pytest.skip(...)`` never hides it.
    """
    if opted_out():
        _opted_out_tests.add(_current_test())
        return False
    error = _connection_error()
    if error is None:
        return True
    _failed_tests.add(_current_test())
    pytest.fail(unreachable_message(error), pytrace=False)


def require_postgres() -> None:
    """Go on when PostgreSQL is reachable; skip under the opt-out; otherwise fail with why."""
    if not postgres_available():
        pytest.skip(SKIP_REASON)


# --- the plugin: the summary line ----------------------------------------------------------
# Under pytest-xdist the tests run in worker processes and the summary is written by the
# controller, which connects to nothing: each report carries what its test met (a user
# property, which xdist sends along), and the summary is made from the reports alone.

PROPERTY = "postgresql"
"""The user property naming what a test met: ``OPTED_OUT`` or the connection error."""
OPTED_OUT = "not tested: opted out"


def _tests(count: int) -> str:
    return f"{count} test" if count == 1 else f"{count} tests"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Mark the reports of a test that was left out (opt-out) or failed (unreachable)."""
    marked = any(name == PROPERTY for name, _ in item.user_properties)
    if not marked and item.nodeid in _opted_out_tests:
        item.user_properties.append((PROPERTY, OPTED_OUT))
    elif not marked and item.nodeid in _failed_tests:
        item.user_properties.append((PROPERTY, _unreachable[0]))
    yield


def _met(terminalreporter: pytest.TerminalReporter) -> dict[str, str]:
    """Each marked test's node id and what it met, from the reports of every outcome."""
    met: dict[str, str] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == PROPERTY:
                    met[report.nodeid] = str(value)
    return met


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say in the summary that PostgreSQL was not tested (opt-out) or not reachable."""
    met = _met(terminalreporter)
    if opted_out():
        skipped = {
            report.nodeid
            for report in terminalreporter.stats.get("skipped", [])
            if met.get(report.nodeid) == OPTED_OUT or SKIP_REASON in str(report.longrepr)
        }
        if skipped:
            terminalreporter.write_sep(
                "=",
                f"PostgreSQL NOT TESTED: {_tests(len(skipped))} skipped because {OPT_OUT}=1 is set",
                yellow=True,
                bold=True,
            )
        return
    errors = [error for error in met.values() if error != OPTED_OUT]
    if errors:
        terminalreporter.write_sep(
            "=", f"PostgreSQL NOT TESTED: {_tests(len(errors))} failed", red=True, bold=True
        )
        terminalreporter.write_line(unreachable_message(errors[0]), red=True)
