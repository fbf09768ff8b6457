"""Incremental builds, the build lock, and outputs that survive errors and kills."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest

from publisher import templates
from tests.conftest import ROOT, run_cli
from tests.pagecheck import page_problems

BUILD = [sys.executable, str(ROOT / "build.py")]


def build(content: Path, out: Path, *args: str):
    return run_cli("--content", str(content), "--out", str(out), "-q", *args)


def stamps(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*")
            if p.is_file() and ".build" not in p.parts}


def test_unchanged_inputs_build_nothing(content, tmp_path, caplog):
    out = tmp_path / "out"
    assert build(content, out).exit_code == 0
    before = stamps(out)
    result = run_cli("--content", str(content), "--out", str(out))
    assert result.exit_code == 0
    assert stamps(out) == before
    assert build(content, out, "--force").exit_code == 0
    assert all(stamps(out)[name] > before[name] for name in before if name.endswith((".pdf", ".epub")))


def test_only_stale_outputs_are_rebuilt(content, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert build(content, out).exit_code == 0
    before = stamps(out)
    # A change that only the EPUB reads: its stylesheet.
    fake_styles = tmp_path / "styles"
    import shutil

    shutil.copytree(ROOT / "styles", fake_styles)
    (fake_styles / "epub.css").write_text((fake_styles / "epub.css").read_text() + "\n/* edited */\n")
    from publisher import manifest

    monkeypatch.setitem(manifest.DEPENDS, "epub",
                        [p if p.name != "epub.css" else fake_styles / "epub.css" for p in manifest.DEPENDS["epub"]])
    assert build(content, out).exit_code == 0
    after = stamps(out)
    pdfs = [n for n in before if n.endswith(".pdf")]
    assert all(after[n] == before[n] for n in pdfs), "the PDFs were rebuilt for an EPUB-only change"
    epub = next(n for n in before if n.endswith(".epub"))
    assert after[epub] > before[epub] and after["index.html"] > before["index.html"]


def test_missing_output_is_rebuilt(content, tmp_path):
    out = tmp_path / "out"
    assert build(content, out).exit_code == 0
    next(out.glob("*.epub")).unlink()
    assert build(content, out).exit_code == 0
    assert len(list(out.glob("*.epub"))) == 1


def test_a_damaged_output_is_rebuilt(content, tmp_path):
    """A file that is there but not as the build wrote it — truncated (a full disk, a copy cut
    short) or overwritten with other bytes of the same length — is built again, not reported
    "Up to date"."""
    out = tmp_path / "out"
    assert build(content, out).exit_code == 0
    written = {p: p.read_bytes() for p in [*out.glob("*.pdf"), *out.glob("*.epub"), out / "index.html"]}
    screen, epub, index = next(out.glob("*-screen.pdf")), next(out.glob("*.epub")), out / "index.html"
    with screen.open("r+b") as file:
        file.truncate(screen.stat().st_size // 2)
    epub.write_bytes(b"PK" + written[epub][2:-1] + b"!")  # same length, other bytes
    index.write_text(index.read_text(encoding="utf-8")[:-1] + "!", encoding="utf-8")
    result = run_cli("--content", str(content), "--out", str(out))
    assert result.exit_code == 0 and "Up to date" not in result.output, result.output
    assert all(path.read_bytes() == data for path, data in written.items())
    assert run_cli("--content", str(content), "--out", str(out)).output.startswith("Up to date")


def test_broken_template_leaves_outputs_unchanged(content, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert build(content, out).exit_code == 0
    before = {n: (out / n).read_bytes() for n in stamps(out)}
    broken = tmp_path / "templates"
    import shutil

    shutil.copytree(ROOT / "templates", broken)
    page = broken / "web" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("{% endblock %}", "{% endblok %}", 1), encoding="utf-8")
    original = templates.make_env
    monkeypatch.setattr(templates, "make_env", lambda path=broken: original(path))
    result = build(content, out, "--force")
    assert result.exit_code == 1
    assert result.output.startswith("Error: templates/web/index.html:")
    assert "Traceback" not in result.output
    assert {n: (out / n).read_bytes() for n in stamps(out)} == before


def _complete(out: Path) -> None:
    """Every visible output is whole: PDFs open, the EPUB's zip is sound, pages end properly."""
    for path in out.rglob("*"):
        if not path.is_file() or ".build" in path.parts:
            continue
        assert not path.name.endswith(".part"), path
        if path.suffix == ".pdf":
            with pikepdf.open(path) as pdf:  # an edition, or the one-page cover wrap
                assert len(pdf.pages) > 5 or path.name.endswith("-cover.pdf") and len(pdf.pages) == 1
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None
        elif path.suffix == ".html":
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_killed_builds_never_leave_broken_files(content, tmp_path):
    out = tmp_path / "out"
    assert build(content, out).exit_code == 0
    rng = random.Random(20260110)
    for _ in range(6):
        process = subprocess.Popen([*BUILD, "--content", str(content), "--out", str(out), "--force", "-q"],
                                   start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 3.5))  # a fixture build takes about three seconds
        os.killpg(process.pid, signal.SIGKILL)  # the build and its PDF renderers
        process.wait()
        _complete(out)
    # The next build completes what a killed commit left, starts clean and finishes.
    assert build(content, out, "--force").exit_code == 0
    _complete(out)
    assert not list((out / ".build").glob("stage-*")) and not (out / ".build" / "commit.json").exists()
    assert page_problems(out) == []


@pytest.mark.slow
def test_two_builds_at_once_do_not_mix(content, tmp_path):
    out = tmp_path / "out"
    runs = [subprocess.Popen([*BUILD, "--content", str(content), "--out", str(out), "--force", "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [run.communicate()[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    _complete(out)
    assert not list((out / ".build").glob("stage-*"))
    assert page_problems(out) == []
    # What the last build recorded is what is there: the next build has nothing to do.
    assert run_cli("--content", str(content), "--out", str(out)).output.startswith("Up to date")


def test_the_lock_makes_a_second_build_wait(tmp_path):
    import threading

    from publisher.lock import build_lock

    order = []
    with build_lock(tmp_path):
        waiter = threading.Thread(target=lambda: (build_lock(tmp_path).__enter__(), order.append("second")))
        waiter.start()
        time.sleep(0.5)
        order.append("first")
    waiter.join(5)
    assert order == ["first", "second"]


@pytest.mark.parametrize(("where", "what"), [("index.html", "folder"), ("read", "file"), ("assets", "broken link"),
                                             ("read", "pipe")])
def test_something_in_the_way_of_an_output_is_named_and_nothing_moves(content, tmp_path, where, what):
    """A folder where the build puts a file (or a file where it puts a folder) fails the build
    with a one-line error naming it in the output folder (not the build's stage), exit 1, the
    other outputs untouched; once it is moved away the next build completes."""
    out = tmp_path / "out"
    assert build(content, out).exit_code == 0
    before = stamps(out)
    blocked = out / where
    shutil.rmtree(blocked) if blocked.is_dir() else blocked.unlink()
    if what == "folder":
        (blocked / "mine").mkdir(parents=True)
    elif what == "file":
        blocked.write_text("mine", encoding="utf-8")
    elif what == "broken link":
        blocked.symlink_to(tmp_path / "nowhere")
    else:
        os.mkfifo(blocked)
    result = build(content, out, "--force")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(blocked) in lines[0] and "stage-" not in lines[0], lines
    assert {k: v for k, v in stamps(out).items() if not k.startswith(where)} == \
        {k: v for k, v in before.items() if not k.startswith(where)}
    shutil.rmtree(blocked) if blocked.is_dir() and not blocked.is_symlink() else blocked.unlink()
    assert build(content, out).exit_code == 0 and (out / "index.html").is_file()


def test_temporary_files_of_killed_builds_are_swept_from_the_cache(content, tmp_path):
    """A build killed while writing a cache file leaves `.name.xxxx.part`; the next build removes
    those older than an hour and leaves a fresh one (another build may be writing it)."""
    out = tmp_path / "out"
    assert build(content, out).exit_code == 0
    cache = out / ".build" / "cache"
    old, fresh = cache / "yaml" / ".abc.1234.part", cache / "fonts" / ".def.5678.part"
    for path in (old, fresh):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"torn")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert build(content, out, "--force").exit_code == 0
    assert not old.exists() and fresh.exists()
