"""The preview server: serves dist/, rebuilds when the sources change, reloads the browser.

On a change the web pages are rebuilt at once; then, in a background thread, the EPUB, and
the PDFs in a separate process, each followed by the detail page, which lists their sizes.
Every HTML page is served with a few lines of script that wait for the next build and reload
the page if it (or the stylesheet, or an image) changed; the files in dist/ are never changed
by the server.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import watchfiles

from .errors import ContentError, ReportError
from .pipeline import BuildOptions, build
from .templates import STYLES, TEMPLATES

log = logging.getLogger(__name__)

BUILD_PATH = "/__build"
LONG_POLL = 20.0  # seconds a browser's request for a new build may wait

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
    """A build that follows its sources, and an HTTP server for its output."""

    def __init__(self, options: BuildOptions, port: int = 8000, host: str = "127.0.0.1") -> None:
        self.options = options
        self.epub = "epub" in options.targets
        self.pdf = "pdf" in options.targets
        self.background = self.epub or self.pdf
        self.watched = (options.content, TEMPLATES, STYLES)
        self.server = ThreadingHTTPServer((host, port), functools.partial(_Handler, preview=self))
        self.server.daemon_threads = True
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
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

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
        for path in [out / "assets" / "web.css", *sorted((out / "read").rglob("*"))]:
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
        # Builds that write web pages take turns; the EPUB alone may build beside them.
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
        for changes in watchfiles.watch(*self.watched, stop_event=self._stop, rust_timeout=200,
                                        yield_on_timeout=True, raise_interrupt=False):
            self._watching.set()
            if changes:
                names = sorted({Path(path).name for _, path in changes})
                log.info("Changed: %s", ", ".join(names))
                self.rebuild()


class _Handler(SimpleHTTPRequestHandler):
    """Serves the output folder, uncached; adds the reload script to HTML pages."""

    def __init__(self, *args: Any, preview: Preview, **kwargs: Any) -> None:
        self.preview = preview
        super().__init__(*args, directory=str(preview.options.out), **kwargs)

    def do_GET(self) -> None:
        """The build state, an HTML page with the reload script, or any other file as it is."""
        url = urlsplit(self.path)
        if url.path == BUILD_PATH:
            query = parse_qs(url.query)
            since = query.get("build", [""])[0]
            if since.isdigit():
                self.preview.wait_for_build(int(since), LONG_POLL)
            state = self.preview.state(self._page(query.get("page", ["/"])[0]))
            self._send(HTTPStatus.OK, "application/json", json.dumps(state).encode())
            return
        path = self._page(url.path)
        if path.suffix == ".html" and path.is_file():
            data = path.read_bytes()
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", self._with_script(data, path))
        elif path.suffix == ".html" and self.preview.error:
            page = b"<!DOCTYPE html><html lang=en><title>Build failed</title><body><p>No page yet.</p></body>"
            self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", self._with_script(page, path))
        else:
            super().do_GET()

    def _page(self, url_path: str) -> Path:
        path = Path(self.translate_path(url_path))
        return path / "index.html" if url_path.endswith("/") else path

    def end_headers(self) -> None:
        # Always the file as it is now: the browser must never show an earlier build.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("HTTP %s", format % args)

    def _with_script(self, page: bytes, path: Path) -> bytes:
        state = self.preview.state(path, page if path.is_file() else None)
        script = (RELOAD_SCRIPT % (json.dumps(state).replace("<", "\\u003c"), BUILD_PATH)).encode()
        at = page.rfind(b"</body>")
        return page[:at] + script + page[at:] if at >= 0 else page + script

    def _send(self, status: HTTPStatus, media_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def quiet_writes() -> None:
    """Keep the terminal readable during a preview: one line per build, not one per file."""
    logger = logging.getLogger("publisher.pipeline")
    if not any(isinstance(f, _Quiet) for f in logger.filters):
        logger.addFilter(_Quiet())
