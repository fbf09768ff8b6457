"""The PDF writer: two editions (screen, print) from one HTML, rendered in parallel."""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .citation import plain_citation
from .fonts import check_glyphs
from .model import Report
from .output import write_atomic
from .sandbox import OfflineFetcher
from .templates import PROJECT, STYLES, render

log = logging.getLogger(__name__)

EDITIONS = {
    # edition: (extra stylesheets, PDF variant)
    "screen": (("fonts.css", "common.css", "print.css"), "pdf/ua-1"),
    "print": (("fonts.css", "common.css", "print.css", "press.css"), None),
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


def render_pdf(html: str, edition: str, target: Path, roots: tuple[Path, ...]) -> RenderedPdf:
    """Render one edition in this process and write it."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    warnings: list[str] = []
    handler = _Collect(warnings)
    logging.getLogger("weasyprint").addHandler(handler)
    try:
        sheets, variant = EDITIONS[edition]
        fonts = FontConfiguration()
        fetcher = OfflineFetcher(roots)
        css = [CSS(filename=str(STYLES / name), font_config=fonts, url_fetcher=fetcher) for name in sheets]
        document = HTML(string=html, base_url=str(roots[0]) + "/", url_fetcher=fetcher).render(
            stylesheets=css, font_config=fonts, pdf_variant=variant, pdf_tags=variant is not None)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, 1):
            for anchor in page.anchors:
                anchors.setdefault(anchor, number)
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


def write_pdfs(report: Report, env: jinja2.Environment, out: Path, content: Path,
               editions: tuple[str, ...], version: str, parallel: bool = True) -> list[RenderedPdf]:
    """Write the PDF editions; on two cores the two renders run side by side."""
    jobs = []
    for edition in editions:
        html = render_html(report, env, edition, version)
        check_glyphs(html, report)
        jobs.append((html, edition, out / pdf_name(report, edition), (content.resolve(), PROJECT)))
    if parallel and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=min(2, len(jobs))) as pool:
            results = list(pool.map(render_pdf, *zip(*jobs)))
    else:
        results = [render_pdf(*job) for job in jobs]
    for result in results:
        for message in result.warnings:
            log.warning("WeasyPrint: %s", message)
    return results
