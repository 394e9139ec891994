"""Suite-wide pytest hooks and fixtures: PostgreSQL is tested, or the run says why not
(postgres_gate.py); passwords are hashed at a test cost inside this process (password_cost.py);
the clinic database every clinic test copies is built once per process (clinic_fixtures.py)."""

from __future__ import annotations

from tests.clinic_fixtures import clinic_templates
from tests.password_cost import password_hashes_at_test_cost
from tests.postgres_gate import pytest_runtest_makereport, pytest_terminal_summary

__all__ = [
    "clinic_templates",
    "password_hashes_at_test_cost",
    "pytest_runtest_makereport",
    "pytest_terminal_summary",
]
