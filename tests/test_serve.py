"""The preview server: serving, rebuilding on change, the reload script, errors, stopping."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from publisher.pipeline import BuildOptions
from publisher.serve import BUILD_PATH, Preview
from tests.conftest import run_cli

PAGE = "/read/01-context.html"


def fetch(preview: Preview, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(preview.url.rstrip("/") + path, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def state(preview: Preview, page: str = PAGE) -> dict[str, Any]:
    return json.loads(fetch(preview, f"{BUILD_PATH}?page={page}")[2])


def wait_until(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s")


@pytest.fixture
def preview(content: Path, tmp_path: Path) -> Iterator[Preview]:
    server = Preview(BuildOptions(content, tmp_path / "out"), port=0)
    server.start()
    yield server
    server.stop()


def test_serves_pages_with_the_reload_script_but_leaves_the_files_alone(preview):
    status, headers, body = fetch(preview, PAGE)
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert body.count(BUILD_PATH.encode()) == 1
    assert body.index(BUILD_PATH.encode()) < body.rindex(b"</body>")
    on_disk = (preview.options.out / PAGE.lstrip("/")).read_bytes()
    assert BUILD_PATH.encode() not in on_disk
    assert fetch(preview, "/")[2].count(BUILD_PATH.encode()) == 1
    css = fetch(preview, "/assets/web.css")
    assert css[2] == (preview.options.out / "assets" / "web.css").read_bytes()


@pytest.mark.slow
def test_a_change_rebuilds_the_page_at_once_and_the_pdfs_in_the_background(preview, content):
    out = preview.options.out
    pdf = out / "river-basin-note-ed2-screen.pdf"
    wait_until(pdf.exists)  # the first background render
    before = state(preview)
    first_pdf = wait_until(lambda: pdf.exists() and pdf.stat().st_mtime_ns)
    chapter = content / "chapters" / "01-context.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "title: Context of the Basin", "title: The Basin Revisited", 1), encoding="utf-8")
    after = wait_until(lambda: (s := state(preview))["version"] != before["version"] and s, timeout=30)
    assert after["error"] == ""
    assert b"The Basin Revisited" in fetch(preview, PAGE)[2]
    # Other pages follow; the PDFs come later, and with them a refreshed detail page.
    wait_until(lambda: pdf.stat().st_mtime_ns != first_pdf, timeout=90)
    index = out / "index.html"
    wait_until(lambda: index.stat().st_mtime_ns >= pdf.stat().st_mtime_ns, timeout=30)


def test_the_build_endpoint_waits_for_the_next_build(preview, content):
    now = state(preview)
    started = time.monotonic()
    (content / "front" / "summary.md").write_text(
        (content / "front" / "summary.md").read_text(encoding="utf-8") + "\nOne more sentence.\n",
        encoding="utf-8")
    later = json.loads(fetch(preview, f"{BUILD_PATH}?page={PAGE}&build={now['build']}")[2])
    assert later["build"] > now["build"]
    assert time.monotonic() - started < 20


def test_content_errors_are_shown_and_cleared(preview, content):
    chapter = content / "chapters" / "02-flows.md"
    good = chapter.read_text(encoding="utf-8")
    chapter.write_text(good + "\nA broken citation [@no-such-key].\n", encoding="utf-8")
    broken = wait_until(lambda: (s := state(preview))["error"] and s, timeout=30)
    assert "02-flows.md" in broken["error"] and "no-such-key" in broken["error"]
    # The page is still served, with the error in its script so that the banner shows at once.
    assert b"no-such-key" in fetch(preview, PAGE)[2]
    chapter.write_text(good, encoding="utf-8")
    wait_until(lambda: state(preview)["error"] == "", timeout=30)


def test_a_missing_page_during_an_error_gets_the_reload_script(preview, content):
    (content / "report.yaml").write_text("id: [broken\n", encoding="utf-8")
    wait_until(lambda: state(preview)["error"], timeout=30)
    status, _, body = fetch(preview, "/read/no-such-page.html")
    assert status == 404
    assert BUILD_PATH.encode() in body


# Stands in for the PDF build: a process that starts a worker (as WeasyPrint does) and both run on.
SLOW_PDF_BUILD = """
import subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open(sys.argv[1], "w").write(str(worker.pid))
time.sleep(60)
"""


def running(pid: int) -> bool:
    """Whether the process exists and has not ended (a zombie has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_stop_ends_the_server_and_the_pdf_build(content, tmp_path, monkeypatch):
    server = Preview(BuildOptions(content, tmp_path / "out", ("web", "pdf")), port=0)
    worker_pid = tmp_path / "worker.pid"
    monkeypatch.setattr(server, "_pdf_command", lambda: [sys.executable, "-c", SLOW_PDF_BUILD, str(worker_pid)])
    server.start()
    url = server.url
    process = wait_until(lambda: server._pdf_process, timeout=30)
    try:
        worker = int(wait_until(lambda: worker_pid.exists() and worker_pid.read_text(), timeout=30))
        assert process.poll() is None and running(worker)
        server.stop()
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=5)
        assert process.poll() == -signal.SIGTERM
        wait_until(lambda: not running(worker), timeout=5)
    finally:  # if stop() failed to, end them: they would outlive the tests
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_serve_command_reports_a_busy_port(content, tmp_path):
    blocker = Preview(BuildOptions(content, tmp_path / "out", ("web",)), port=0)
    try:
        port = str(blocker.server.server_address[1])
        result = run_cli("serve", "--content", str(content), "--out", str(tmp_path / "b"), "--port", port)
        assert result.exit_code == 2
        assert f"cannot serve on port {port}" in result.output
    finally:
        blocker.server.server_close()
