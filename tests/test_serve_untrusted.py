"""The preview server trusts no request (issue 12): any page the browser shows can reach it."""

from __future__ import annotations

import logging
import select
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from publisher.pipeline import BuildOptions
from publisher.serve import BUILD_PATH, Preview
from tests.conftest import MINIMAL
from tests.test_serve import PAGE, wait_until

TIMEOUT = 1.0  # seconds a client has to send a request, in these tests
LIMIT = 4  # connections answered at once, in these tests
SECRET = b"secret outside the output folder"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    """The fixture report's web pages, served, with a few traps planted in the output folder."""
    base = tmp_path_factory.mktemp("untrusted")
    shutil.copytree(MINIMAL, base / "content")
    server = Preview(BuildOptions(base / "content", base / "out", ("web",)), port=0,
                     request_timeout=TIMEOUT, max_handlers=LIMIT)
    server.start()
    out = server.options.out
    (base / "secret.txt").write_bytes(SECRET)
    (out / "leak.txt").symlink_to(base / "secret.txt")
    (out / "read" / "outside").symlink_to(base)
    (out / "manifest.json").symlink_to(out / ".build" / "manifest.json")
    (out / "assets" / ".hidden").write_bytes(SECRET)
    yield server
    server.stop()


def address(preview: Preview) -> tuple[str, int]:
    return preview.server.server_address[:2]


def request(preview: Preview, target: str, host: str | None = "", method: str = "GET",
            extra: str = "") -> tuple[int, dict[str, str], bytes]:
    """Send one request as it is written (no client-side checks); the status, headers and body."""
    if host == "":
        host = "{}:{}".format(*address(preview))
    lines = [f"{method} {target} HTTP/1.1", *([f"Host: {host}"] if host is not None else []), "Connection: close"]
    with socket.create_connection(address(preview), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/"), f"no response to {target!r}: {data!r}"
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = dict(field.split(": ", 1) for field in fields)
    return int(status_line.split()[1]), headers, body


def test_requests_for_another_host_name_are_refused(served):
    """DNS rebinding: a page from another site reaches the server under that site's name."""
    page = (served.options.out / PAGE.lstrip("/")).read_bytes()
    host, port = address(served)
    for name in (f"{host}:{port}", f"localhost:{port}", f"LocalHost:{port}"):
        status, _, body = request(served, PAGE, host=name)
        assert status == 200, name
        assert page[:200] in body
    for name in (f"attacker.example:{port}", "attacker.example", f"{host}.attacker.example:{port}",
                 f"{host}:{port % 65535 + 1}", host, f"localhost.:{port}", None):
        for target in (PAGE, "/", f"{BUILD_PATH}?page=/"):
            status, headers, body = request(served, target, host=name)
            assert status in (403, 421), (name, target)
            assert len(body) < 200 and b"<html" not in body.lower() and b"version" not in body
    two = request(served, PAGE, extra=f"Host: attacker.example:{port}\r\n")
    assert two[0] in (403, 421)


def test_only_the_files_a_reader_fetches_are_served(served):
    out = served.options.out
    for target in ("/.build/manifest.json", "/.build/", "/.build", "/%2ebuild/manifest.json", "/manifest.json",
                   "/assets/", "/assets", "/read/images/", "/assets/.hidden", "/./index.html"):
        status, _, body = request(served, target)
        assert status == 404, target
        assert b"<a href" not in body and b'"version"' not in body and SECRET not in body, target
    status, headers, _ = request(served, "/read")
    assert (status, headers["Location"]) == (301, "/read/")
    status, _, body = request(served, "/read/")
    assert status == 200 and body.count(BUILD_PATH.encode()) == 1
    css = (out / "assets" / "web.css").read_bytes()
    status, headers, body = request(served, "/assets/web.css", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, str(len(css)), b"")
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PROPFIND"):
        status, headers, body = request(served, "/index.html", method=method)
        assert (status, headers["Allow"]) == (405, "GET, HEAD"), method


def test_malformed_paths_and_escapes_are_refused_and_the_server_goes_on(served, caplog, capsys):
    caplog.set_level(logging.WARNING)
    port = address(served)[1]
    for target in ("/%00", "/read/%00.html", "/%0a", "/%7f", "/read/%c2%85", "/%", "/%zz", "/%ff", "/%c3%28",
                   "/" + "a" * 5000, "/" + "x" * 300 + ".html", "/" + "d/" * 600, "/%2e%2e/%2e%2e/etc/passwd",
                   "/..%2f..%2f..%2fetc%2fpasswd", "/%5c..%5c..%5cetc%5cpasswd", "/..\\..\\etc\\passwd",
                   "/read/..%2f..%2f..%2fsecret.txt", "/leak.txt", "/read/outside/secret.txt",
                   "//etc/passwd", "..", "*",
                   f"http://127.0.0.1:{port}/../../etc/passwd"):
        status, _, body = request(served, target)
        assert status in (400, 404, 414), target
        assert SECRET not in body and b"root:" not in body, target
    for query in ("page=/%00&build=abc", "page=/leak.txt", "build=%C2%B2", "build=" + "9" * 5000):
        status, _, body = request(served, f"{BUILD_PATH}?{query}")
        assert status == 200 and b'"version"' in body, query
    assert request(served, "/")[0] == 200
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Traceback" not in capsys.readouterr().err


def test_half_sent_requests_tie_up_few_threads_and_are_closed(served):
    baseline = threading.active_count()
    peak = baseline
    socks = [socket.create_connection(address(served), timeout=10) for _ in range(3 * LIMIT)]
    try:
        for sock in socks:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.")  # and never the rest
        waiting = set(socks)
        deadline = time.monotonic() + TIMEOUT + 5
        while waiting and time.monotonic() < deadline:
            peak = max(peak, threading.active_count())
            for sock in select.select(list(waiting), [], [], 0.05)[0]:
                if not read_some(sock):
                    waiting.discard(sock)
    finally:
        for sock in socks:
            sock.close()
    assert peak - baseline <= LIMIT
    assert not waiting, f"{len(waiting)} idle connections still open after {TIMEOUT + 5} s"
    # The handlers' places are free again.
    wait_until(lambda: request(served, "/")[0] == 200, timeout=5)


def test_a_request_trickled_in_is_cut_off_at_the_deadline(served):
    started = time.monotonic()
    with socket.create_connection(address(served), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        closed = False
        while not closed and time.monotonic() - started < 4 * TIMEOUT + 5:
            try:
                sock.sendall(b"X-Slow: a\r\n")  # each line well within the timeout
            except OSError:
                break
            closed = bool(select.select([sock], [], [], 0.2)[0]) and not read_some(sock)
    assert time.monotonic() - started < TIMEOUT + 3


def read_some(sock: socket.socket) -> bytes:
    """What the server sent (b"" once it closed the connection)."""
    try:
        return sock.recv(65536)
    except ConnectionError:
        return b""


def test_long_polls_cannot_keep_pages_from_being_served(served):
    # A page that opens many long polls (each waits for the next build) holds at most half the
    # handlers for the whole wait; pages and files are still served at once.
    state = int(request(served, f"{BUILD_PATH}?page=/")[2].split(b'"build": ')[1].split(b",")[0])
    threads = [threading.Thread(target=request, args=(served, f"{BUILD_PATH}?build={state}&page=/"), daemon=True)
               for _ in range(2 * LIMIT)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert wait_until(lambda: request(served, PAGE)[0] == 200, timeout=5)
    assert time.monotonic() - started < 3


def test_the_watcher_does_not_follow_links_out_of_the_content(tmp_path):
    from publisher.serve import watched_folders

    content = tmp_path / "content"
    (content / "chapters").mkdir(parents=True)
    (content / ".git" / "objects").mkdir(parents=True)
    (content / "usr").symlink_to("/usr")
    (content / "outside").symlink_to(tmp_path)
    assert watched_folders((content,)) == [content, content / "chapters"]
