"""The preview server: serves dist/, rebuilds when the sources change, reloads the browser.

On a change the web pages are rebuilt at once; then, in a background thread, the EPUB, and
the PDFs in a separate process, each followed by the detail page, which lists their sizes.
Every HTML page is served with a few lines of script that wait for the next build and reload
the page if it (or the stylesheet, or an image) changed; the files in dist/ are never changed
by the server.

The server is reachable by any page the browser shows, so it trusts no request: it answers only
GET and HEAD for its own address (not another name that resolves to it: DNS rebinding), serves
only regular files inside dist/ that are not hidden (no folder listings, nothing under .build/,
no symlink out), and bounds both the time a client may take to send a request and the number of
connections it answers at once.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, quote, unquote

import watchfiles

from .errors import ContentError, ReportError, printable
from .files import walk
from .limits import MAX_PATH_DEPTH
from .pipeline import BuildOptions, build
from .formats import FORMATS, READ, STYLES, TEMPLATES

log = logging.getLogger(__name__)

BUILD_PATH = "/__build"
LONG_POLL = 20.0  # seconds a browser's request for a new build may wait
REQUEST_TIMEOUT = 5.0  # seconds a client has to send a request's line and headers; also for each write
MAX_HANDLERS = 32  # connections answered at once; more are refused (503)
MAX_PATH = 1024  # characters in a URL path

_BAD_ESCAPE = re.compile("%(?![0-9A-Fa-f]{2})")
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")  # control characters and backslashes
_BUSY_MESSAGE = b"503 Service Unavailable: too many connections\n"
_BUSY = b"HTTP/1.0 503 Service Unavailable\r\n" + "".join(f"{name}: {value}\r\n" for name, value in (
    ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", len(_BUSY_MESSAGE)), ("Retry-After", 1),
    ("Cache-Control", "no-store"), ("Connection", "close"))).encode() + b"\r\n" + _BUSY_MESSAGE

# Reload when this page changed; show the last build's error in a banner.
# %s: the state as JSON, then the build endpoint.
RELOAD_SCRIPT = """<script>
/* Added by the preview server (python build.py serve); not part of the files in dist/. */
(() => {
  let state = %s;
  const banner = document.createElement("pre");
  banner.setAttribute("role", "alert");
  banner.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:99;margin:0;max-height:40vh;" +
    "overflow:auto;padding:1rem;background:#7a1010;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap";
  const show = () => {
    banner.textContent = "Build failed\\n" + state.error;
    if (state.error) { document.body.append(banner); } else { banner.remove(); }
  };
  const poll = () => {
    const query = new URLSearchParams({page: location.pathname, build: state.build});
    fetch("%s?" + query, {cache: "no-store"})
      .then((response) => response.json())
      .then((next) => {
        if (next.version !== state.version && !next.error) { location.reload(); return; }
        state = next; show(); poll();
      })
      .catch(() => setTimeout(poll, 1000));
  };
  show(); poll();
})();
</script>
"""


class _Quiet(logging.Filter):
    """Leaves out the pipeline's one line per written file, which would flood the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Wrote %s"


class Preview:
    """A build that follows its sources, and an HTTP server for its output.

    The server answers only requests for its own address (by number, or as localhost) and port;
    `request_timeout` is the seconds a client has to send a whole request's line and headers (and
    for each write of the response); at most `max_handlers` connections are answered at once.
    Raises OSError if it cannot listen on `host` and `port`.
    """

    def __init__(self, options: BuildOptions, port: int = 8000, host: str = "127.0.0.1", *,
                 request_timeout: float = REQUEST_TIMEOUT, max_handlers: int = MAX_HANDLERS) -> None:
        self.options = options
        self.epub = "epub" in options.targets
        self.pdf = "pdf" in options.targets
        self.background = self.epub or self.pdf
        self.watched = (options.content, TEMPLATES, STYLES)
        self.waiters = threading.BoundedSemaphore(max(1, max_handlers // 2))
        self.server = _Server((host, port), functools.partial(_Handler, preview=self), request_timeout, max_handlers)
        self._session = f"{time.time_ns():x}"  # a restarted server has new build ids
        self._count = 0
        self._error = ""
        self._changed = threading.Condition()
        self._build_lock = threading.Lock()
        self._background_lock = threading.Lock()
        self._background_wanted = False
        self._worker: threading.Thread | None = None
        self._pdf_process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._watching = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """The server's address, e.g. http://127.0.0.1:8000/."""
        host, port = self.server.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"

    @property
    def error(self) -> str:
        """The last build's error, or ""."""
        return self._error

    def state(self, page: Path | None = None, data: bytes | None = None) -> dict[str, Any]:
        """The build count, the page's version (a digest of what it shows) and the last error."""
        with self._changed:
            count, error = self._count, self._error
        return {"build": count, "version": self.version(page, data), "error": error}

    def version(self, page: Path | None, data: bytes | None = None) -> str:
        """A digest of a page, the stylesheet and the images: what a reload would change."""
        digest = hashlib.sha256(self._session.encode())
        if page is not None:
            digest.update(data if data is not None else page.read_bytes() if page.is_file() else b"missing")
        out = self.options.out
        for path in [*(out / "assets" / name for name in FORMATS["web"].stylesheets), *sorted((out / READ).rglob("*"))]:
            if path.is_file() and path.suffix != ".html":
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def wait_for_build(self, since: int, timeout: float) -> None:
        """Return when a build other than number `since` has finished, or after `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self._count != since or self._stop.is_set(), timeout)

    def start(self) -> None:
        """Build once, then serve and watch in background threads."""
        self.rebuild()
        for target in (self.server.serve_forever, self._watch):
            thread = threading.Thread(target=target, name=f"preview-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)
        # A change made before the watcher is set up would be missed.
        self._watching.wait(10)

    def stop(self) -> None:
        """Stop serving and watching; end a PDF build that is still running."""
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        self.server.shutdown()
        self.server.server_close()
        with self._background_lock:
            self._background_wanted = False
            process = self._pdf_process
        if process and process.poll() is None:
            # The PDF build runs in its own process group: end it and its render workers.
            os.killpg(process.pid, signal.SIGTERM)
        with self._background_lock:
            worker = self._worker
        for thread in self._threads + ([worker] if worker else []):
            thread.join(10)

    def run(self) -> None:
        """Serve until interrupted (Ctrl+C, or SIGTERM)."""
        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        self.start()
        log.info("Serving %s on %s (Ctrl+C to stop)", self.options.out, self.url)
        try:
            while not self._stop.wait(3600):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            log.info("Stopping")
            self.stop()

    def rebuild(self) -> None:
        """Rebuild the web pages now, the EPUB and the PDFs in the background."""
        if self._build(("web",)) and self.background:
            with self._background_lock:
                self._background_wanted = True
                if self._worker is None:
                    self._worker = threading.Thread(target=self._background, name="preview-background",
                                                    daemon=True)
                    self._worker.start()

    def _build(self, targets: tuple[str, ...]) -> bool:
        """One build in this process; a failure is logged and shown in the browser, never raised."""
        error = ""
        # The quick web builds take turns; the EPUB's may run beside them (it rewrites the detail
        # page too, and the build's commit keeps the page and the files it describes together).
        with self._build_lock if "web" in targets else contextlib.nullcontext():
            try:
                build(BuildOptions(self.options.content, self.options.out, targets, self.options.strict))
            except ContentError as exc:
                error = "\n".join(str(problem) for problem in exc.problems)
            except ReportError as exc:
                error = str(exc)
            except Exception as exc:  # a bug must not stop the preview: report it and go on
                log.exception("Build failed")
                error = f"{type(exc).__name__}: {exc}"
        for line in error.splitlines():
            log.error("Error: %s", line)
        with self._changed:
            self._count += 1
            self._error = error
            self._changed.notify_all()
        return not error

    def _background(self) -> None:
        """Build the EPUB, then the PDFs, until no change arrived during the last round."""
        while True:
            with self._background_lock:
                if not self._background_wanted or self._stop.is_set():
                    self._worker = None
                    return
                self._background_wanted = False
            # The detail page is rebuilt after each: it lists the files' sizes and checksums.
            if self.epub and not (self._build(("epub",)) and self._build(("web",))):
                continue
            if not self.pdf:
                continue
            started = time.perf_counter()
            with self._background_lock:
                if self._stop.is_set():
                    return
                # A separate process: WeasyPrint renders in a process pool, and forking this
                # multi-threaded server for it could deadlock.
                self._pdf_process = subprocess.Popen(self._pdf_command(), stdin=subprocess.DEVNULL,
                                                     start_new_session=True)
                process = self._pdf_process
            code = process.wait()
            if self._stop.is_set():
                return
            if code:
                log.error("The PDF build failed (exit code %d)", code)
                continue
            log.info("Rendered the PDFs in %.1f s", time.perf_counter() - started)
            # The EPUB takes its page numbers from the print PDF's layout.
            if not self.epub or self._build(("epub",)):
                self._build(("web",))

    def _pdf_command(self) -> list[str]:
        options = self.options
        return [sys.executable, "-c", "from publisher.cli import main; main()", "build", "pdf",
                "--content", str(options.content), "--out", str(options.out), "-q",
                *(["--strict"] if options.strict else [])]

    def _watch(self) -> None:
        """Rebuild on every change of the watched folders, until stopped.

        Each real folder is watched on its own, without following symbolic links (a link in the
        content to /usr must not set thousands of watches, nor a change outside the content
        trigger a build); when folders appear or disappear the set is read again.
        """
        while not self._stop.is_set():
            folders = watched_folders(self.watched)
            for changes in watchfiles.watch(*folders, recursive=False, stop_event=self._stop, rust_timeout=200,
                                            yield_on_timeout=True, raise_interrupt=False):
                self._watching.set()
                if changes:
                    names = sorted({Path(path).name for _, path in changes})
                    log.info("Changed: %s", printable(", ".join(names)))
                    self.rebuild()
                    if watched_folders(self.watched) != folders:
                        break


def watched_folders(roots: tuple[Path, ...]) -> list[Path]:
    """Every real folder under the roots, at most MAX_PATH_DEPTH levels down (symbolic links and
    hidden folders are not followed; deeper folders hold nothing the report may use)."""
    return [folder for root in roots for folder, _ in walk(root, MAX_PATH_DEPTH, hidden=False)]


class Refused(Exception):
    """A request the server answers with an error status and a short message, never with a file."""

    def __init__(self, status: HTTPStatus, message: str = "", location: str = "") -> None:
        super().__init__(f"{status.value} {status.phrase}" + (f": {message}" if message else ""))
        self.status = status
        self.location = location  # where a 301 points


def resolve(root: Path, url_path: str) -> Path:
    """The regular file inside `root` that `url_path` (percent-encoded, without the query) names:
    the file itself, or for a folder URL ending in "/" the folder's index.html.

    Symlinks are resolved first: the file they lead to must itself be inside `root`. Raises Refused:
    414 for a path over MAX_PATH characters; 400 for one that does not start with "/", has bad
    percent-encoding, is not UTF-8, or holds control characters or backslashes; 404 for a name
    starting with a dot anywhere in the path (dotfiles, /.build/, "." and ".."), and for anything
    that is not a regular file inside `root`; 301 with the folder URL for a folder named without
    its final "/" that has an index.html.
    """
    segments = _segments(url_path)
    base = root.resolve()
    folder_url = not segments or url_path.endswith("/")
    real = _inside(base, base.joinpath(*segments, *(["index.html"] if folder_url else [])))
    if real.is_dir() and not folder_url:
        _inside(base, real / "index.html")
        raise Refused(HTTPStatus.MOVED_PERMANENTLY, location="/" + "/".join(map(quote, segments)) + "/")
    if not real.is_file():  # a folder, a device, a socket or a FIFO
        raise Refused(HTTPStatus.NOT_FOUND)
    return real


def _segments(url_path: str) -> list[str]:
    """The decoded, non-empty names in a URL path; raises Refused as resolve() describes."""
    if len(url_path) > MAX_PATH:
        raise Refused(HTTPStatus.REQUEST_URI_TOO_LONG)
    if not url_path.startswith("/") or _BAD_ESCAPE.search(url_path):
        raise Refused(HTTPStatus.BAD_REQUEST, "malformed path")
    try:
        path = unquote(url_path, errors="strict")
    except UnicodeDecodeError:
        raise Refused(HTTPStatus.BAD_REQUEST, "path is not UTF-8") from None
    if _FORBIDDEN.search(path):
        raise Refused(HTTPStatus.BAD_REQUEST, "control character or backslash in path")
    segments = [name for name in path.split("/") if name]
    if any(name.startswith(".") for name in segments):
        raise Refused(HTTPStatus.NOT_FOUND)
    return segments


def _inside(base: Path, path: Path) -> Path:
    """`path` with its symlinks resolved, if that is inside `base` (itself resolved) and has no
    hidden name below it; raises Refused (404) otherwise, or if it does not exist."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # missing, a symlink loop, a name the system refuses
        raise Refused(HTTPStatus.NOT_FOUND) from None
    if not real.is_relative_to(base) or any(name.startswith(".") for name in real.relative_to(base).parts):
        raise Refused(HTTPStatus.NOT_FOUND)
    return real


class _DeadlineReader(io.RawIOBase):
    """Reads from a socket until a deadline: a request's line and headers must arrive in time,
    however slowly they trickle in. Raises TimeoutError once the deadline has passed."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self._timeout = timeout
        self.deadline = time.monotonic() + timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request not received in time")
        self._sock.settimeout(min(left, self._timeout))
        try:
            return self._sock.recv_into(buffer)
        finally:
            self._sock.settimeout(self._timeout)  # the limit for each write of the response


class _Server(ThreadingHTTPServer):
    """A threaded HTTP server that answers at most `max_handlers` connections at once, refusing
    more with 503, and logs (not prints) the errors of its handlers."""

    daemon_threads = True
    request_queue_size = 64  # connections the system holds until accepted (socketserver's 5 drops bursts)

    def __init__(self, address: tuple[str, int], handler: Callable[..., Any], request_timeout: float,
                 max_handlers: int) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.request_timeout = request_timeout
        self._slots = threading.BoundedSemaphore(max_handlers)
        super().__init__(address, handler)

    def allowed_hosts(self, local_address: str) -> set[str]:
        """The Host headers answered: localhost or the address the client connected to (given,
        e.g. "127.0.0.1" or "::1"), with the port this server is bound to."""
        port = self.server_address[1]
        names = {"localhost", f"[{local_address}]" if ":" in local_address else local_address}
        return {f"{name}:{port}" for name in names} | (names if port == 80 else set())

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.debug("Refused a connection from %s: too many connections", client_address[0])
            with contextlib.suppress(OSError):
                request.setblocking(False)
                request.send(_BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("Connection from %s ended: %r", client_address[0], error)
        else:
            log.exception("Error while answering %s", client_address[0])


class _Handler(SimpleHTTPRequestHandler):
    """Answers GET and HEAD for this server's own host names only: the build state, the output
    folder's regular files (HTML pages with the reload script), uncached; never a folder listing,
    a hidden file, or a file outside the output folder."""

    server: _Server

    def __init__(self, *args: Any, preview: Preview, **kwargs: Any) -> None:
        self.preview = preview
        super().__init__(*args, directory=str(preview.options.out), **kwargs)

    def setup(self) -> None:
        self.timeout = self.server.request_timeout
        super().setup()
        self.rfile.close()
        self._reader = _DeadlineReader(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.timeout
        super().handle_one_request()

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        hosts = self.headers.get_all("Host") or []
        local = self.connection.getsockname()[0]
        if len(hosts) != 1 or hosts[0].strip().lower() not in self.server.allowed_hosts(local):
            self._refuse(Refused(HTTPStatus.FORBIDDEN, f"this server answers only for {self.preview.url}"))
            return False
        if self.command not in ("GET", "HEAD"):
            self._refuse(Refused(HTTPStatus.METHOD_NOT_ALLOWED))
            return False
        return True

    def do_GET(self) -> None:
        """The build state, an HTML page with the reload script, any other file as it is, or an error."""
        self._answer(body=True)

    def do_HEAD(self) -> None:
        """As GET, without the body (and without waiting for a build)."""
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        path, _, query = self.path.partition("?")
        if path == BUILD_PATH:
            self._send_state(parse_qs(query), body)
            return
        try:
            file = resolve(self.preview.options.out, path)
            content = file.read_bytes() if file.suffix == ".html" else file.open("rb")
        except Refused as refused:
            self._not_served(refused, path, body)
            return
        except OSError:  # removed or replaced by a build since it was found
            self._not_served(Refused(HTTPStatus.NOT_FOUND), path, body)
            return
        if isinstance(content, bytes):
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", self._with_script(content, file), body)
        else:
            with content:
                self._send_file(content, self.guess_type(str(file)), body)

    def _send_state(self, query: dict[str, list[str]], body: bool) -> None:
        """The build state as JSON; for a GET whose query names the last build seen, after the next
        build (or LONG_POLL seconds)."""
        since = query.get("build", [""])[0]
        if body and re.fullmatch("[0-9]{1,18}", since):
            # At most half the handlers wait the whole long poll, so that waiting tabs (or a page
            # that opens many of them) can never keep pages and files from being served.
            waiting = self.preview.waiters.acquire(blocking=False)
            try:
                self.preview.wait_for_build(int(since), LONG_POLL if waiting else 1.0)
            finally:
                if waiting:
                    self.preview.waiters.release()
        try:
            page: Path | None = resolve(self.preview.options.out, query.get("page", ["/"])[0])
        except Refused:
            page = None
        self._send(HTTPStatus.OK, "application/json", json.dumps(self.preview.state(page)).encode(), body)

    def _send_file(self, file: BinaryIO, media_type: str, body: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self._send_headers(media_type, os.fstat(file.fileno()).st_size)
        if body:
            self.copyfile(file, self.wfile)

    def _not_served(self, refused: Refused, path: str, body: bool) -> None:
        """While the last build failed, a missing page is a page with the reload script (and the
        error banner); anything else refused is a short message."""
        if refused.status == HTTPStatus.NOT_FOUND and self.preview.error and path.endswith(("/", ".html")):
            page = b"<!DOCTYPE html><html lang=en><title>Build failed</title><body><p>No page yet.</p></body>"
            self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", self._with_script(page, None), body)
        else:
            self._refuse(refused)

    def _refuse(self, refused: Refused) -> None:
        """An error status with a one-line plain-text body; the connection is closed after it."""
        self.close_connection = True
        self.send_response(refused.status)
        if refused.status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET, HEAD")
        if refused.location:
            self.send_header("Location", refused.location)
        self.send_header("Connection", "close")
        message = f"{refused}\n".encode()
        self._send_headers("text/plain; charset=utf-8", len(message))
        if self.command != "HEAD":
            self.wfile.write(message)

    def end_headers(self) -> None:
        # Always the file as it is now: the browser must never show an earlier build.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("HTTP %s", format % args)

    def _with_script(self, page: bytes, path: Path | None) -> bytes:
        state = self.preview.state(path, page if path else None)
        script = (RELOAD_SCRIPT % (json.dumps(state).replace("<", "\\u003c"), BUILD_PATH)).encode()
        at = page.rfind(b"</body>")
        return page[:at] + script + page[at:] if at >= 0 else page + script

    def _send(self, status: HTTPStatus, media_type: str, data: bytes, body: bool = True) -> None:
        self.send_response(status)
        self._send_headers(media_type, len(data))
        if body:
            self.wfile.write(data)

    def _send_headers(self, media_type: str, length: int) -> None:
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()


def quiet_writes() -> None:
    """Keep the terminal readable during a preview: one line per build, not one per file."""
    logger = logging.getLogger("publisher.pipeline")
    if not any(isinstance(f, _Quiet) for f in logger.filters):
        logger.addFilter(_Quiet())
