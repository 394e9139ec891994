"""``make install``: uv installs the pinned lock; a missing uv installs itself; once only.

The Makefile runs in a scratch folder with stand-ins for Python and uv that record how they
are called, so the rules are checked without a network or a real installation (the real
first run is timed in docs/benchmarks.md).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PATH = "/usr/bin:/bin"
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

LOGGING_UV = """#!/bin/sh
echo "uv $*" >> "{log}"
if [ "$1" = venv ]; then
  for last; do :; done
  mkdir -p "$last/bin" && cp "{python}" "$last/bin/python"
fi
"""
VENV_PYTHON = """#!/bin/sh
echo "venv-python $*" >> "{log}"
if [ "$1 $2 $3" = "-m pip install" ]; then
  cp "{uv}" "$(dirname "$0")/uv"
fi
"""
SYSTEM_PYTHON = """#!/bin/sh
echo "python3.11 $*" >> "{log}"
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin" && cp "{python}" "$3/bin/python"
fi
"""


def _script(path: Path, text: str, **names: Path) -> Path:
    path.write_text(text.format(**{k: str(v) for k, v in names.items()}), encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the Makefile with the real lock and pyproject.toml."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("Makefile", "requirements.lock", "pyproject.toml"):
        shutil.copy(ROOT / name, folder / name)
    tools = tmp_path / "tools"
    tools.mkdir()
    log = tmp_path / "calls.log"
    log.touch()
    uv = _script(tools / "uv-stand-in", LOGGING_UV, log=log, python=tools / "venv-python")
    _script(tools / "venv-python", VENV_PYTHON, log=log, uv=uv)
    _script(tools / "python3.11", SYSTEM_PYTHON, log=log, python=tools / "venv-python")
    return folder


def _make(project: Path, *args: str, path: str = SYSTEM_PATH) -> subprocess.CompletedProcess[str]:
    tools = project.parent / "tools"
    env = {**os.environ, "PATH": path}
    return subprocess.run(
        ["make", "--no-print-directory", *args, f"PYTHON={tools / 'python3.11'}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _calls(project: Path) -> list[str]:
    lines = (project.parent / "calls.log").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if "pip --version" not in line]


def _pinned_uv() -> str:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    found = re.search(r"^uv==(\S+)$", text, re.MULTILINE)
    assert found, "requirements.lock pins uv (the dev extra of pyproject.toml)"
    return found.group(1)


SYNC = "uv pip sync --quiet --python .venv/bin/python requirements.lock"
EDITABLE = "uv pip install --quiet --python .venv/bin/python --no-deps -e ."


@pytest.mark.skipif(shutil.which("uv", path=SYSTEM_PATH) is not None, reason="uv on the PATH")
def test_without_uv_on_the_path_it_bootstraps_the_pinned_uv_then_syncs_the_lock(
    project: Path,
) -> None:
    done = _make(project, "install")
    assert done.returncode == 0, done.stdout + done.stderr
    tools = project.parent / "tools"
    assert _calls(project) == [
        "python3.11 -m venv .venv",
        f"venv-python -m pip install --quiet --disable-pip-version-check uv=={_pinned_uv()}",
        SYNC,
        EDITABLE,
    ]
    assert (project / ".venv" / ".installed").exists()
    assert (tools / "uv-stand-in").read_bytes() == (project / ".venv" / "bin" / "uv").read_bytes()


@pytest.mark.skipif(shutil.which("uv", path=SYSTEM_PATH) is not None, reason="uv on the PATH")
def test_a_second_install_does_nothing_until_the_lock_or_pyproject_changes(
    project: Path,
) -> None:
    assert _make(project, "install").returncode == 0
    before = len(_calls(project))
    assert _make(project, "install").returncode == 0
    assert _make(project, "-q", "install").returncode == 0  # up to date
    assert len(_calls(project)) == before
    for changed in ("requirements.lock", "pyproject.toml"):
        stamp = (project / ".venv" / ".installed").stat().st_mtime
        os.utime(project / changed, (stamp + 10, stamp + 10))
        assert _make(project, "-q", "install").returncode != 0, changed
        assert _make(project, "install").returncode == 0
        # .venv's own uv now: no second venv, no second bootstrap
        assert _calls(project)[before:] == [SYNC, EDITABLE], changed
        before = len(_calls(project))


def test_uv_on_the_path_is_used_and_makes_the_venv_when_python_is_missing(
    project: Path,
) -> None:
    tools = project.parent / "tools"
    on_path = tools / "bin"
    on_path.mkdir()
    shutil.copy(tools / "uv-stand-in", on_path / "uv")
    (tools / "python3.11").unlink()  # no Python 3.11 on this machine
    done = _make(project, "install", path=f"{on_path}:{SYSTEM_PATH}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _calls(project) == ["uv venv --quiet --python 3.11 .venv", SYNC, EDITABLE]


def test_demo_and_test_install_first(project: Path) -> None:
    for target, command in (
        ("demo", ".venv/bin/ovaregen demo --out build/demo"),
        ("test", ".venv/bin/python -m pytest -n auto"),
    ):
        planned = _make(project, "-n", target)
        assert planned.returncode == 0, planned.stderr
        assert SYNC.replace("uv ", "$uv ", 1) in planned.stdout, target
        assert planned.stdout.splitlines()[-1] == command


def test_the_tests_compile_the_packages_once_and_run_in_parallel(project: Path) -> None:
    """``make test`` compiles .venv to bytecode (once per installation) before pytest, and
    ``TEST_WORKERS`` sets pytest-xdist's worker count (0: one process)."""
    compile_step = ".venv/bin/python -m compileall -qq -j 0 .venv/lib"
    planned = _make(project, "-n", "test").stdout.splitlines()
    assert planned.index(compile_step) < planned.index(".venv/bin/python -m pytest -n auto")
    serial = _make(project, "-n", "test", "TEST_WORKERS=0").stdout.splitlines()
    assert serial[-1] == ".venv/bin/python -m pytest -n 0"
    assert compile_step not in _make(project, "-n", "demo").stdout
