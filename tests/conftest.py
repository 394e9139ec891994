"""Suite-wide pytest hooks: PostgreSQL is tested, or the run says why not (postgres_gate.py)."""

from __future__ import annotations

from tests.postgres_gate import pytest_terminal_summary

__all__ = ["pytest_terminal_summary"]
