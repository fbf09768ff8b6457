"""Shared fixtures: each report is built once per test session and inspected by many tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from publisher.cli import main
from publisher.loader import load_report
from publisher.model import Report

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "data" / "minimal"
CONSTRUCTS = ROOT / "tests" / "data" / "constructs"
CONTENT = ROOT / "content"


@dataclass(frozen=True)
class Built:
    """A report built into a temporary folder."""

    content: Path
    out: Path
    report: Report

    def file(self, suffix: str) -> Path:
        """The one output whose name ends with suffix (e.g. '-screen.pdf', '.epub')."""
        found = sorted(p for p in self.out.iterdir() if p.name.endswith(suffix))
        assert len(found) == 1, f"expected one *{suffix} in {self.out}, found {found}"
        return found[0]


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _run_build(content: Path, out: Path) -> None:
    result = run_cli("--content", str(content), "--out", str(out), "-q", "--strict")
    assert result.exit_code == 0, result.output


def _shared(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]) -> Built:
    """A build made once per test run, also when the tests run in several processes (xdist):
    the first process to ask builds it into a folder they share, the others wait and reuse it."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base  # one folder for every worker
    folder = shared / f"shared-{name}"
    with FileLock(str(folder) + ".lock"):
        if not (folder / "done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / "done").write_text("", encoding="utf-8")
    content = folder / "content" if (folder / "content").exists() else CONTENT
    return Built(content, folder / "dist", load_report(content, True)[0])


def _build_fixture(folder: Path) -> None:
    shutil.copytree(MINIMAL, folder / "content")
    _run_build(folder / "content", folder / "dist")


def make_constructs(target: Path) -> Path:
    """The minimal report with the chapter of tests/data/constructs/ added, in `target`."""
    shutil.copytree(MINIMAL, target)
    for folder in ("chapters", "data", "images"):
        shutil.copytree(CONSTRUCTS / folder, target / folder, dirs_exist_ok=True)
    report = target / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace(
        "  - chapters/03-outlook.md\n", "  - chapters/03-outlook.md\n  - chapters/04-constructs.md\n"), encoding="utf-8")
    return target


def _build_constructs(folder: Path) -> None:
    _run_build(make_constructs(folder / "content"), folder / "dist")


@pytest.fixture(scope="session")
def constructs_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The fixture report with every construct of the content format (tests/data/constructs/),
    built once with --strict."""
    return _shared(tmp_path_factory, "constructs", _build_constructs)


@pytest.fixture(scope="session")
def fixture_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The small fixture report, copied and built once."""
    return _shared(tmp_path_factory, "fixture", _build_fixture)


@pytest.fixture(scope="session")
def real_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The real report in content/, built once with --strict."""
    return _shared(tmp_path_factory, "real", lambda folder: _run_build(CONTENT, folder / "dist"))


LANGUAGES = ROOT / "tests" / "data" / "languages"


@pytest.fixture(scope="session", params=["ru", "kk", "ja"])
def language_built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Each fixture report in another language (tests/data/languages/<code>), built once with --strict."""
    code = request.param

    def make(folder: Path) -> None:
        shutil.copytree(LANGUAGES / code, folder / "content")
        _run_build(folder / "content", folder / "dist")

    return _shared(tmp_path_factory, f"language-{code}", make)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A fresh, writable copy of the fixture report for tests that break it."""
    target = tmp_path / "content"
    shutil.copytree(MINIMAL, target)
    return target
