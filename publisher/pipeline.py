"""The build: load and validate everything, then run each writer."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .epub import write_epub
from .loader import load_report
from .pagelist import load_page_map, save_page_map
from .pdf import RenderedPdf, pdf_name, write_pdfs
from .templates import make_env
from .web import write_web

log = logging.getLogger(__name__)

TARGETS = ("pdf", "epub", "web")


@dataclass(frozen=True)
class BuildOptions:
    """What to build, from where, to where."""

    content: Path
    out: Path
    targets: tuple[str, ...] = TARGETS
    strict: bool = False


def build(options: BuildOptions) -> list[Path]:
    """Build the requested outputs; raise ReportError on bad input before writing anything."""
    started = time.perf_counter()
    report, warnings = load_report(options.content, options.strict)
    for warning in warnings:
        log.warning("%s", warning)
    log.debug("Loaded %d chapters, %d references, %d words", len(report.chapters),
              len(report.references), report.word_count)
    env = make_env()
    out = options.out
    written: list[Path] = []
    pdfs: list[RenderedPdf] = []
    if "pdf" in options.targets:
        pdfs = write_pdfs(report, env, out, options.content, ("screen", "print"), __version__)
        written += [pdf.path for pdf in pdfs]
        save_page_map(out, pdfs)
    if "epub" in options.targets:
        written.append(write_epub(report, env, out, load_page_map(out, "print")))
    if "web" in options.targets:
        # The detail page describes the PDFs and the EPUB on disk (sizes, SHA-256, pages), so the
        # web writer runs last; page counts of PDFs not rendered in this run are read from the files.
        written += write_web(report, env, out, pages={pdf.path.name: pdf.pages for pdf in pdfs})
    for path in written:
        log.info("Wrote %s", path)
    log.info("Built %d files in %.1f s", len(written), time.perf_counter() - started)
    return written
