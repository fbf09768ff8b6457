"""The build: decide what is stale, load and validate everything, then run each writer into a
staging folder and move the results into place only when every writer succeeded.

Data flow: the loader reads the content folder into one format-neutral Report (parsed,
numbered, checked); each writer (pdf.py, epub.py, web.py — one contract, products.Writer)
renders it in its own style (render.py) into the stage and hands what it learned (page maps,
file descriptions, the cover thumbnail) to the next as typed Products; the stage is then
moved into the output folder under a lock, with the manifest and the products.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import manifest
from .errors import ReportError
from .formats import FORMATS, TARGETS, output_name
from .lock import build_lock
from .model import Report
from .products import Products, Writer
from .stage import Stage

if TYPE_CHECKING:
    from .progress import Progress

log = logging.getLogger(__name__)

# A rebuilt PDF moves page numbers (the EPUB's page list) and file sizes (the detail page).
CASCADE = {"pdf": ("epub", "web"), "epub": ("web",), "web": ()}
# The products of other targets' builds that each target reads.
NEEDS: dict[str, tuple[str, ...]] = {"pdf": (), "epub": ("layouts",), "web": ("outputs",)}
# Which products each target makes (and so owns in OUT/.build/products.json).
OWNS = {"pdf": ("layouts", "cover", *(k for k, f in FORMATS.items() if f.target == "pdf")), "epub": ("epub",),
        "web": ()}


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

    @property
    def pdf_editions(self) -> tuple[str, ...]:
        return tuple(k for k, f in FORMATS.items() if f.target == "pdf" and (self.archival or not f.optional))


def _digests(options: BuildOptions, content: str) -> dict[str, str]:
    digests = manifest.input_digests(content, options.editions)
    if options.archival:  # the archival edition is one more PDF: rebuild the PDFs to add it
        digests["pdf"] += "+archive"
    return digests


def stale_targets(options: BuildOptions) -> dict[str, str]:
    """The requested targets that need building, with the digests of their inputs."""
    recorded = manifest.load_sources(options.out)
    content = manifest.digest_sources(manifest.current_sources(options.content, recorded)) if recorded else "?"
    digests = _digests(options, content)
    built = {} if options.force else manifest.load(options.out)
    products = Products.load(options.out)
    current = {t: digests[t] + products.digest(*NEEDS[t]) for t in TARGETS}
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
    from .archive import releases
    from .edition import changes_since

    found = releases(archive)
    return dataclasses.replace(report, releases=found, changes=changes_since(report, found))


def load(options: BuildOptions) -> Report:
    """The report with its editions, its warnings logged. Raises ContentError."""
    from .loader import load_report

    report, warnings = load_report(options.content, options.strict)
    for warning in warnings:
        log.warning("%s", warning)
    return with_editions(report, options.editions)


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
    from .progress import Progress

    report = load(options)
    # The digests of what this build actually read (the list of files may have changed).
    digests = _digests(options, manifest.digest_sources(dict(report.sources)))
    log.debug("Loaded %d chapters, %d references, %d words", len(report.chapters),
              len(report.references), report.word_count)
    # Progress starts once the content is valid: bad input gets nothing but its error lines.
    progress = Progress(1 + len(plan) + ("pdf" in plan))
    stage = Stage(options.out)
    try:
        products, consumed = _write(report, options, stage.path, tuple(plan), progress)
        progress.step("Moving the files into place")
        with build_lock(options.out):
            files = {t: list(products.files.get(t, ())) for t in plan}
            written = stage.commit(files, previous=manifest.files(options.out, tuple(plan)),
                                   clean=("read",) if "web" in plan else ())
            products.commit(options.out, [item for t in plan for item in OWNS[t]])
            manifest.save(options.out, {t: digests[t] + consumed[t] for t in plan}, files, dict(report.sources))
    finally:
        stage.discard()
        progress.close()
    for path in written:
        log.info("Wrote %s", path)
    log.info("Built %d files in %.1f s", len(written), time.perf_counter() - started)
    return written


def _writers(options: BuildOptions, plan: tuple[str, ...]) -> list[Writer]:
    from .epub import EpubWriter
    from .pdf import PdfWriter
    from .templates import make_env
    from .web import WebWriter

    env = make_env()
    found: list[Writer] = []
    if "pdf" in plan:
        found.append(PdfWriter(env, options.content, options.pdf_editions))
    if "epub" in plan:
        found.append(EpubWriter(env, options.out / ".build" / "fonts"))
    if "web" in plan:
        found.append(WebWriter(env))
    return found


STEPS = {"pdf": "Laying out the PDF editions", "epub": "Writing the EPUB", "web": "Writing the web pages"}


def _write(report: Report, options: BuildOptions, stage: Path, plan: tuple[str, ...],
           progress: Progress) -> tuple[Products, dict[str, str]]:
    """Run the writers into the stage, each given the products of those before it (and of
    earlier builds); return the products and, per target, a digest of the products it read."""
    products = Products.load(options.out)
    consumed: dict[str, str] = {}
    writers = _writers(options, plan)
    pdf = next((w for w in writers if w.target == "pdf"), None)
    started = time.perf_counter()
    try:
        for writer in writers:
            if writer.target == "web" and pdf is not None:
                progress.step("Writing the PDF editions")
                pdf.finish()  # type: ignore[attr-defined]
            progress.step(STEPS[writer.target])
            consumed[writer.target] = products.digest(*NEEDS[writer.target])
            products = writer.write(report, stage, products)
            log.debug("%s written after %.1f s", writer.target, time.perf_counter() - started)
        if pdf is not None and "web" not in plan:
            progress.step("Writing the PDF editions")
            pdf.finish()  # type: ignore[attr-defined]
        products.digest("layouts", "outputs")  # every deferred product is ready (or its error raised)
    finally:
        if pdf is not None:
            pdf.stop()  # type: ignore[attr-defined]
    return products, consumed


def release_edition(options: BuildOptions) -> Path:
    """Build the current edition, then freeze its files in the editions archive.

    The release is refused (ReportError) before anything is built if the edition is not newer
    than the last release, or nothing changed since it.
    """
    from .edition import check_release, release

    check_release(load(options))
    build(options)
    report = load(options)
    names = [output_name(report.meta, key) for key in ("screen", "print", "epub")]
    with build_lock(options.out):  # no build may replace the files while they are copied
        frozen = release(report, options.out, options.editions, options.content, names)
    log.info("Released edition %d into %s", frozen.number, frozen.folder)
    # The detail page now lists this edition among the released ones.
    build(dataclasses.replace(options, targets=TARGETS, force=False))
    return frozen.folder


__all__ = ["BuildOptions", "ReportError", "TARGETS", "build", "release_edition", "stale_targets"]
