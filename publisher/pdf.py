"""The PDF writer: two editions (screen, print) from one HTML, rendered in parallel."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import jinja2

from .citation import plain_citation
from .errors import RenderError
from .fonts import check_glyphs
from .model import Report
from .output import write_atomic
from .sandbox import OfflineFetcher
from .templates import STYLES, render

log = logging.getLogger(__name__)

EDITIONS = {
    # edition: (extra stylesheets, PDF variant)
    "screen": (("fonts.css", "common.css", "print.css"), "pdf/ua-1"),
    "print": (("fonts.css", "common.css", "print.css", "press.css"), None),
    # Optional (--archival): PDF/A-3u for long-term archiving; no crop marks (transparency).
    "archive": (("fonts.css", "common.css", "print.css"), "pdf/a-3u"),
}


@dataclass(frozen=True)
class RenderedPdf:
    """A written PDF edition and what its layout tells the other writers."""

    path: Path
    edition: str
    pages: int
    anchors: dict[str, int]  # element id → the page it starts on (1-based)
    warnings: tuple[str, ...] = ()


def pdf_name(report: Report, edition: str) -> str:
    return f"{report.meta.id}-ed{report.meta.edition.number}-{edition}.pdf"


def render_html(report: Report, env: jinja2.Environment, edition: str, version: str) -> str:
    """The whole report as one HTML document for WeasyPrint."""
    return render(env, "print/report.html", report=report, meta=report.meta, edition=edition,
                  citation=plain_citation(report), version=version)


def render_pdf(html: str, edition: str, target: Path, base: Path, files: dict[Path, bytes],
               on_layout: Callable[[int, dict[str, int]], None] | None = None) -> RenderedPdf:
    """Render one edition in this process and write it.

    `base` is the folder relative links resolve against (the content folder); the renderer
    may read only `files` (the report's checked images, resolved path → bytes) and the
    bundled styles and fonts. `on_layout` is told the page count and the element → page map as soon as the layout is
    done, before the (slow) write, so that the EPUB can be built meanwhile.
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    warnings: list[str] = []
    handler = _Collect(warnings)
    logging.getLogger("weasyprint").addHandler(handler)
    try:
        sheets, variant = EDITIONS[edition]
        fonts = FontConfiguration()
        fetcher = OfflineFetcher((STYLES,), files)
        css = [CSS(filename=str(STYLES / name), font_config=fonts, url_fetcher=fetcher) for name in sheets]
        document = HTML(string=html, base_url=str(base) + "/", url_fetcher=fetcher).render(
            stylesheets=css, font_config=fonts, pdf_variant=variant, pdf_tags=variant is not None)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, 1):
            for anchor in page.anchors:
                anchors.setdefault(anchor, number)
        if on_layout:
            on_layout(len(document.pages), anchors)
        data = document.write_pdf(pdf_variant=variant, pdf_identifier=target.name.encode())
        write_atomic(target, data)
    finally:
        logging.getLogger("weasyprint").removeHandler(handler)
    return RenderedPdf(target, edition, len(document.pages), anchors, tuple(warnings))


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


def _worker(html: str, edition: str, target: Path, base: Path, files: dict[Path, bytes], pipe: Connection) -> None:
    """A render process: reports the layout, then the finished file, or the error."""
    try:
        result = render_pdf(html, edition, target, base, files, lambda n, a: pipe.send(("layout", n, a)))
        pipe.send(("done", result))
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the parent
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


class PdfJobs:
    """The PDF editions rendering side by side, one process each (two cores, two editions).

    The processes are forked after WeasyPrint is imported here, so they start without
    importing it again.
    """

    def __init__(self, report: Report, env: jinja2.Environment, out: Path, content: Path,
                 editions: tuple[str, ...], version: str) -> None:
        import weasyprint  # noqa: F401 - imported before forking, shared by the workers

        context = multiprocessing.get_context("fork")
        base = content.resolve()
        files = {base / asset.name: asset.data for asset in report.assets}
        self.jobs: dict[str, tuple[Any, Connection]] = {}
        self.layouts: dict[str, tuple[int, dict[str, int]]] = {}
        for edition in editions:
            html = render_html(report, env, edition, version)
            check_glyphs(html, report)
            mine, theirs = context.Pipe(duplex=False)
            process = context.Process(target=_worker, daemon=True, args=(
                html, edition, out / pdf_name(report, edition), base, files, theirs))
            self.jobs[edition] = (process, mine)
        for process, _ in self.jobs.values():
            process.start()

    def _receive(self, edition: str) -> tuple[Any, ...]:
        process, pipe = self.jobs[edition]
        try:
            message = pipe.recv()
        except EOFError:
            process.join()
            raise RenderError(f"the {edition} PDF renderer stopped (exit code {process.exitcode})") from None
        if message[0] == "error":
            raise RenderError(f"{edition} PDF: {message[1]}")
        return message

    def layout(self, edition: str) -> dict[str, int]:
        """Wait for an edition's layout; return its element → page map."""
        if edition not in self.layouts:
            _, pages, anchors = self._receive(edition)
            self.layouts[edition] = (pages, anchors)
        return self.layouts[edition][1]

    def finish(self) -> list[RenderedPdf]:
        """Wait for every edition to be written."""
        results = []
        for edition, (process, _) in self.jobs.items():
            self.layout(edition)
            results.append(self._receive(edition)[1])
            process.join()
        for result in results:
            for message in result.warnings:
                log.warning("WeasyPrint: %s", message)
        return results

    def stop(self) -> None:
        for process, _ in self.jobs.values():
            if process.is_alive():
                process.terminate()
                process.join()

