"""The build: decide what is stale, load and validate everything, then run each writer into a
staging folder and move the results into place only when every writer succeeded."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, manifest
from .errors import ReportError
from .lock import build_lock
from .model import Report

if TYPE_CHECKING:
    from .progress import Progress

log = logging.getLogger(__name__)

TARGETS = ("pdf", "epub", "web")
# A rebuilt PDF moves page numbers (the EPUB's page list) and file sizes (the detail page).
CASCADE = {"pdf": ("epub", "web"), "epub": ("web",), "web": ()}


@dataclass(frozen=True)
class BuildOptions:
    """What to build, from where, to where."""

    content: Path
    out: Path
    targets: tuple[str, ...] = TARGETS
    strict: bool = False
    force: bool = False
    archive: Path | None = None  # the editions archive; default: editions/ beside the content
    archival: bool = False  # also write the PDF/A-3u archival edition

    @property
    def editions(self) -> Path:
        return self.archive or self.content.resolve().parent / "editions"


def _products(out: Path) -> dict[str, str]:
    """Digests of what the EPUB and the detail page read from other builds' outputs: the print
    layout, and the PDF and EPUB files (the preview renders PDFs in a separate build)."""
    return {
        "epub": manifest.digest_paths([out / ".build" / "pages-print.json"]),
        "web": manifest.digest_paths(sorted(out.glob("*.pdf")) + sorted(out.glob("*.epub"))),
    }


def stale_targets(options: BuildOptions) -> dict[str, str]:
    """The requested targets that need building, with the digests of their inputs."""
    recorded = manifest.load_sources(options.out)
    content = manifest.digest_sources(manifest.current_sources(options.content, recorded)) if recorded else "?"
    digests = manifest.input_digests(content, options.editions)
    built = {} if options.force else manifest.load(options.out)
    if options.archival:  # the archival edition is one more PDF: rebuild the PDFs to add it
        digests["pdf"] = digests["pdf"] + "+archive"
    products = _products(options.out)
    current = {t: digests[t] + products.get(t, "") for t in TARGETS}
    stale = {t for t in options.targets
             if built.get(t) != current[t] or not manifest.outputs_exist(options.out, t)}
    for target in list(stale):
        stale.update(t for t in CASCADE[target] if t in options.targets)
    return {t: digests[t] for t in TARGETS if t in stale}


def with_editions(report: Report, archive: Path) -> Report:
    """The report with the released editions and what changed since the last one.

    The archive is untrusted: raises ContentError (naming the manifest or snapshot and the field)
    if it is malformed or a released file differs from its manifest, before anything is written.
    """
    from .edition import changes_since, releases

    found = releases(archive)
    return dataclasses.replace(report, releases=found, changes=changes_since(report, found))


def build(options: BuildOptions) -> list[Path]:
    """Build what is stale; raise ReportError on bad input, leaving the outputs as they were.

    Builds render into private stages and only take the output folder's lock to move their
    files into place, so two builds can run at once (a preview's quick web build beside its
    background PDF build) without ever mixing their files.
    """
    started = time.perf_counter()
    plan = stale_targets(options)
    if not plan:
        log.info("Up to date: nothing to build (%.2f s)", time.perf_counter() - started)
        return []
    from .loader import load_report
    from .progress import Progress

    report, warnings = load_report(options.content, options.strict)
    for warning in warnings:
        log.warning("%s", warning)
    report = with_editions(report, options.editions)
    # The digests of what this build actually read (the list of files may have changed).
    digests = manifest.input_digests(manifest.digest_sources(dict(report.sources)), options.editions)
    plan = {t: digests[t] + ("+archive" if t == "pdf" and options.archival else "") for t in plan}
    log.debug("Loaded %d chapters, %d references, %d words", len(report.chapters),
              len(report.references), report.word_count)
    # Progress starts once the content is valid: bad input gets nothing but its error lines.
    progress = Progress(1 + len(plan) + ("pdf" in plan))
    stage = Stage(options.out)
    try:
        files = _write(report, options, stage.path, tuple(plan), progress)
        progress.step("Moving the files into place")
        with build_lock(options.out):
            written = stage.commit(files, clean=("read",) if "web" in plan else ())
            # Inputs as they were when this build read them; products as this build left them.
            products = _products(options.out)
            manifest.save(options.out, {t: d + products.get(t, "") for t, d in plan.items()}, files,
                          dict(report.sources))
    finally:
        stage.discard()
        progress.close()
    for path in written:
        log.info("Wrote %s", path)
    log.info("Built %d files in %.1f s", len(written), time.perf_counter() - started)
    return written


def _write(report: Report, options: BuildOptions, stage: Path, plan: tuple[str, ...],
           progress: Progress) -> dict[str, list[Path]]:
    """Run the writers into the stage; return the files of each target (relative paths)."""
    from .epub import write_epub
    from .pagelist import load_page_map, save_page_map
    from .pdf import PdfJobs, RenderedPdf
    from .templates import make_env
    from .web import write_web

    started = time.perf_counter()
    env = make_env()
    out = options.out
    files: dict[str, list[Path]] = {}
    pdfs: list[RenderedPdf] = []
    if "pdf" in plan:
        progress.step("Laying out the PDF editions")
    editions = ("screen", "print", "archive") if options.archival else ("screen", "print")
    jobs = PdfJobs(report, env, stage, options.content, editions, __version__) if "pdf" in plan else None
    try:
        if "epub" in plan:
            # The EPUB's page list follows the print edition: use its fresh layout when the PDFs
            # are being rebuilt (it arrives before they are written), else the last one.
            anchors = jobs.layout("print") if jobs else load_page_map(out, "print")
            log.debug("Print layout ready after %.1f s", time.perf_counter() - started)
            progress.step("Writing the EPUB")
            files["epub"] = [write_epub(report, env, stage, anchors, out / ".build" / "fonts")]
            log.debug("EPUB written after %.1f s", time.perf_counter() - started)
        if jobs:
            progress.step("Writing the PDF editions")
            pdfs = jobs.finish()
            log.debug("PDFs written after %.1f s", time.perf_counter() - started)
            files["pdf"] = [pdf.path for pdf in pdfs]
            save_page_map(out, pdfs)
    finally:
        if jobs:
            jobs.stop()
    if "web" in plan:
        progress.step("Writing the web pages")
        _link_current(out, stage, report)
        written = write_web(report, env, stage, pages={pdf.path.name: pdf.pages for pdf in pdfs})
        if report.changes is not None:
            from .output import write_atomic

            written.append(write_atomic(stage / changes_name(report), report.changes.to_json()))
        files["web"] = written
    return {target: [p.relative_to(stage) for p in paths] for target, paths in files.items()}


def changes_name(report: Report) -> str:
    return f"{report.meta.id}-ed{report.meta.edition.number}-changes.json"


def _link_current(out: Path, stage: Path, report: Report) -> None:
    """Give the web writer the PDFs and EPUB it describes, whether rebuilt now or before."""
    from .download import offered

    for name, _ in offered(report):
        if not (stage / name).exists() and (out / name).exists():
            os.link(out / name, stage / name)


class Stage:
    """A private folder for this build's files, moved into the output folder at the end.

    A build that fails, or is killed, leaves the output folder as it was; every file appears
    by an atomic rename, so no reader ever sees a half-written one.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        root = out / ".build"
        for leftover in root.glob("stage-*"):  # left by builds that were killed
            if not _alive(int(leftover.name.split("-")[1])):
                shutil.rmtree(leftover, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)  # the output folder appears only now, when writing starts
        # One stage per build, also for builds that run in threads of one process (the preview).
        self.path = Path(tempfile.mkdtemp(prefix=f"stage-{os.getpid()}-", dir=root))

    def commit(self, files: dict[str, list[Path]], clean: tuple[str, ...] = ()) -> list[Path]:
        written = []
        for relative in sorted({p for paths in files.values() for p in paths}):
            target = self.out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path / relative, target)
            written.append(target)
        keep = set(written)
        for folder in clean:  # pages of the web edition that no longer exist
            for path in sorted((self.out / folder).rglob("*")) if (self.out / folder).exists() else []:
                if path.is_file() and path not in keep:
                    path.unlink()
        return written

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_edition(options: BuildOptions) -> Path:
    """Build the current edition, then freeze its files in the editions archive."""
    from .edition import release
    from .loader import load_report
    from .pdf import pdf_name
    from .epub import epub_name

    build(options)
    report, _ = load_report(options.content, options.strict)
    names = [pdf_name(report, "screen"), pdf_name(report, "print"), epub_name(report)]
    with build_lock(options.out):  # no build may replace the files while they are copied
        frozen = release(report, options.out, options.editions, options.content, names)
    log.info("Released edition %d into %s", frozen.number, frozen.folder)
    # The detail page now lists this edition among the released ones.
    build(dataclasses.replace(options, targets=TARGETS, force=False))
    return frozen.folder


__all__ = ["BuildOptions", "ReportError", "TARGETS", "build", "release_edition", "stale_targets"]
