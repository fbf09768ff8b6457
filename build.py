#!/usr/bin/env python3
"""Build the report: `python build.py` (everything), `python build.py test` (the test suite),
`python build.py bench` (the build benchmark).

On first run this creates .venv/ beside this file and installs the project into it, then runs
itself again inside it; no manual set-up is needed. All logic lives in the `publisher` package.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".installed"


def _requirements_digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _bootstrap() -> None:
    """Create the virtual environment and install the project when pyproject.toml changed."""
    if STAMP.exists() and STAMP.read_text() == _requirements_digest():
        return
    if not PYTHON.exists():
        print("Setting up .venv (first run) …", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(_requirements_digest())


def main() -> None:
    if Path(sys.prefix).resolve() != VENV.resolve():
        _bootstrap()
        os.execv(str(PYTHON), [str(PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])
    if sys.argv[1:2] == ["test"]:
        import pytest

        # -rs: a test that cannot run here (a missing tool, no research folder) says why.
        # -n auto: one test process per core (pytest-xdist); each build is still made once.
        sys.exit(pytest.main(["-q", "-rs", "-n", "auto", str(ROOT / "tests"), *sys.argv[2:]]))
    if sys.argv[1:2] == ["bench"]:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import bench

        sys.exit(bench.main(sys.argv[2:]))
    from publisher.cli import main as cli

    cli(prog_name="python build.py")


if __name__ == "__main__":
    main()
