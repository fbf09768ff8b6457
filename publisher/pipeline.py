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
import importlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import manifest
from .errors import ReportError
from .formats import BY_TARGET, READ, TARGETS, dependents, output_name
from .lock import build_lock
from .model import Report
from .options import BuildOptions
from .products import Products, Writer
from .stage import Stage

if TYPE_CHECKING:
    from .progress import Progress

log = logging.getLogger(__name__)

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
    current = {t: digests[t] + products.digest(*BY_TARGET[t].needs) for t in TARGETS}
    if not options.archival:  # PDFs built with the archival edition serve a build without it
        built["pdf"] = built.get("pdf", "").replace("+archive", "")
    stale = {t for t in options.targets
             if built.get(t) != current[t] or not manifest.outputs_exist(options.out, t)}
    for target in list(stale):
        stale.update(t for t in dependents(target) if t in options.targets)
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
                                   clean=(READ,) if "web" in plan else ())
            products.commit(options.out, [item for t in plan for item in BY_TARGET[t].makes])
            manifest.save(options.out, {t: digests[t] + consumed[t] for t in plan}, files, dict(report.sources))
    finally:
        stage.discard()
        progress.close()
    for path in written:
        log.info("Wrote %s", path)
    log.info("Built %d files in %.1f s", len(written), time.perf_counter() - started)
    return written


def _writers(options: BuildOptions, plan: tuple[str, ...]) -> list[Writer]:
    """The writers of the planned targets, in the table's order; a writer's module is imported
    only when its target is built."""
    from .templates import make_env

    env = make_env()
    found = []
    for target in plan:
        module, name = BY_TARGET[target].writer.split(":")
        found.append(getattr(importlib.import_module(module), name)(env, options))
    return found


def _write(report: Report, options: BuildOptions, stage: Path, plan: tuple[str, ...],
           progress: Progress) -> tuple[Products, dict[str, str]]:
    """Run the writers into the stage, each given the products of those before it (and of
    earlier builds); return the products, all ready, and per target a digest of the products it
    read. A writer may return before its files are written (the PDFs render in other
    processes): `finish` waits for it before a writer that needs its products runs."""
    products = Products.load(options.out)
    consumed: dict[str, str] = {}
    writers = _writers(options, plan)
    started = time.perf_counter()
    try:
        finished: set[str] = set()

        def finish(writer: Writer) -> None:
            if writer.target not in finished:
                finished.add(writer.target)
                if BY_TARGET[writer.target].finishing:
                    progress.step(BY_TARGET[writer.target].finishing)
                writer.finish()

        for i, writer in enumerate(writers):
            needs = BY_TARGET[writer.target].needs
            if "outputs" in needs:  # the files it describes must be written first
                for earlier in writers[:i]:
                    finish(earlier)
            progress.step(BY_TARGET[writer.target].step)
            consumed[writer.target] = products.digest(*needs)
            products = writer.write(report, stage, products)
            log.debug("%s written after %.1f s", writer.target, time.perf_counter() - started)
        for writer in writers:
            finish(writer)
        products.resolve()  # every deferred product is ready (or its error raised) before the commit
    finally:
        for writer in writers:
            writer.stop()
    return products, consumed


def release_edition(options: BuildOptions) -> Path:
    """Build the current edition, then freeze its files in the editions archive.

    The release is refused (ReportError) before anything is built if the edition is not newer
    than the last release, or nothing changed since it.
    """
    from .edition import check_release, release

    report = load(options)
    check_release(report)
    build(options)
    names = [output_name(report.meta, key) for key in ("screen", "print", "epub")]
    with build_lock(options.out):  # no build may replace the files while they are copied
        frozen = release(report, options.out, options.editions, options.content, names)
    log.info("Released edition %d into %s", frozen.number, frozen.folder)
    # The detail page now lists this edition among the released ones.
    build(dataclasses.replace(options, targets=TARGETS, force=False))
    return frozen.folder


__all__ = ["BuildOptions", "ReportError", "TARGETS", "build", "release_edition", "stale_targets"]
