"""The build: decide what is stale, load and validate everything, then run each writer into a
staging folder and move the results into place only when every writer succeeded.

Data flow: the loader reads the content folder into one format-neutral Report (parsed,
numbered, checked); each writer (pdf.py, epub.py, web.py — one contract, products.Writer)
renders it in its own style (render.py) into the stage and hands what it learned (page maps,
file descriptions, the cover thumbnail) to the next as typed Products; the stage is then
moved into the output folder under a lock, with the manifest and the products, in one journaled
commit that the next build completes if this one is killed (journal.py).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import journal, manifest, notices
from .errors import ReportError
from .formats import BY_TARGET, READ, STATE, TARGETS, dependents, output_name
from .lock import archive_lock, build_lock
from .model import Report
from .options import BuildOptions
from .output import sweep_temporary
from .products import Products, Writer
from .stage import Stage, move_order, stale_files

if TYPE_CHECKING:
    from .progress import Progress

log = logging.getLogger(__name__)

def _digests(options: BuildOptions, content: str) -> dict[str, str]:
    digests = manifest.input_digests(content, options.editions)
    if options.archival:  # the archival edition is one more PDF: rebuild the PDFs to add it
        digests["pdf"] += "+archive"
    return digests


def stale_targets(options: BuildOptions) -> dict[str, str]:
    """The requested targets that need building, with the digests of their inputs, and with them
    every output already in the folder that reads what one of them makes (a rebuilt PDF changes
    the EPUB's page list and the sizes on the detail page: they are rebuilt in the same commit,
    so that no page ever describes files other than those beside it)."""
    recorded = manifest.load_sources(options.out)
    content = manifest.digest_sources(manifest.current_sources(options.content, recorded)) if recorded else "?"
    digests = _digests(options, content)
    present = manifest.load(options.out)
    built = {} if options.force else dict(present)
    products = Products.load(options.out)
    current = {t: digests[t] + products.digest(*BY_TARGET[t].needs) for t in TARGETS}
    if not options.archival:  # PDFs built with the archival edition serve a build without it
        built["pdf"] = built.get("pdf", "").replace("+archive", "")
    warned = manifest.warned(options.out) if options.strict else set()
    stale = {t for t in options.targets
             if built.get(t) != current[t] or t in warned or not manifest.outputs_exist(options.out, t)}
    return {t: digests[t] for t in TARGETS if t in _with_readers(stale, set(options.targets) | set(present))}


def _with_readers(targets: set[str], among: set[str]) -> set[str]:
    """The targets and, over and over, the targets among `among` that read what they make."""
    found = set(targets)
    while True:
        more = {t for target in found for t in dependents(target) if t in among} - found
        if not more:
            return found
        found |= more


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
    from .yamlfile import kept_in

    sweep_temporary(options.cache)  # what builds killed while writing to the cache left there
    with kept_in(options.cache / "yaml"):  # parsed documents kept between builds (once all is read)
        report, warnings = load_report(options.content, options.strict)
        report = with_editions(report, options.editions)
    for warning in warnings:
        log.warning("%s", warning)
    return report


def build(options: BuildOptions) -> list[Path]:
    """Build what is stale; raise ReportError on bad input, leaving the outputs as they were.

    Builds render into private stages and take the output folder's lock only to move their
    files into place, so two builds can run at once (a preview's quick web build beside its
    background PDF build). Under the lock a build first completes a commit that a killed build
    left unfinished, writes again what read products another build has replaced meanwhile, and
    then commits its files with the manifest and the products in one journaled step (journal.py).
    With --strict, a warning (of the content or the renderer) fails the build before that step.
    """
    started = time.perf_counter()
    journal.settle(options.out)
    plan = stale_targets(options)
    if not plan:
        log.info("Up to date: nothing to build (%.2f s)", time.perf_counter() - started)
        return []
    from .progress import Progress

    with notices.collected() as warnings:
        report = load(options)
        # The digests of what this build actually read (the list of files may have changed).
        digests = _digests(options, manifest.digest_sources(dict(report.sources)))
        log.debug("Loaded %d chapters, %d references, %d words", len(report.chapters),
                  len(report.references), report.word_count)
        # Progress starts once the content is valid: bad input gets nothing but its error lines.
        progress = Progress(1 + len(plan) + ("pdf" in plan))
        stage = Stage(options.out)
        try:
            products, consumed = _write(report, options, stage.path, tuple(plan), progress, Products.load(options.out))
            _judge(options, warnings.messages)
            progress.step("Moving the files into place")
            with build_lock(options.out):
                journal.recover(options.out)
                products, consumed = _rebase(report, options, stage.path, tuple(plan), products, consumed)
                _judge(options, warnings.messages)
                written = _commit(options, stage, tuple(plan), products,
                                  {t: digests[t] + consumed[t] for t in plan}, dict(report.sources),
                                  len(warnings.messages))
        finally:
            stage.discard()
            progress.close()
    for path in written:
        log.info("Wrote %s", path)
    log.info("Built %d files in %.1f s", len(written), time.perf_counter() - started)
    return written


def _judge(options: BuildOptions, warnings: list[str]) -> None:
    """With --strict, refuse a build that logged warnings (ReportError), before its commit."""
    if options.strict and warnings:
        raise ReportError(f"{len(warnings)} warning(s) with --strict: nothing was written "
                          f"(the first: {warnings[0]})")


def _rebase(report: Report, options: BuildOptions, stage: Path, plan: tuple[str, ...], products: Products,
            consumed: dict[str, str]) -> tuple[Products, dict[str, str]]:
    """This build's products over those on disk now (call it holding the lock); the targets whose
    products from earlier builds were replaced by a build that committed meanwhile (a detail
    page that would describe PDFs no longer there) are written again, with those that read
    them. Returns the products to save and per target the digest of the products it read."""
    owned = [item for t in plan for item in BY_TARGET[t].makes]
    merged = products.merged(Products.load(options.out), owned)
    changed = {t for t in plan if BY_TARGET[t].needs and merged.digest(*BY_TARGET[t].needs) != consumed[t]}
    if not changed:
        return merged, consumed
    again = tuple(t for t in plan if t in _with_readers(changed, set(plan)))
    log.info("Another build replaced files this one describes: writing %s again", ", ".join(again))
    for target in again:  # what the first run staged is not moved; remove it, for the link check
        for path in products.files.get(target, ()):
            (stage / path).unlink(missing_ok=True)
    from .progress import Progress

    rewritten, again_consumed = _write(report, options, stage, again, Progress(len(again), bar=False), merged)
    return rewritten.merged(merged, owned), {**consumed, **again_consumed}


def _commit(options: BuildOptions, stage: Stage, plan: tuple[str, ...], products: Products,
            digests: dict[str, str], sources: dict[str, str], warnings: int) -> list[Path]:
    """Move the stage's files into place with the products and the manifest that describe them, in
    one journaled commit (call it holding the lock); return the output files moved."""
    out = options.out
    files = {t: list(products.files.get(t, ())) for t in plan}
    state = products.save(stage.path)
    state.extend(manifest.save(out, digests, files, sources, folder=stage.path, warnings=warnings))
    removals = stale_files(out, files, manifest.files(out, plan), (READ,) if "web" in plan else ())
    cover = Path(STATE) / "cover.jpg"
    if cover not in state:
        removals.append(cover)
    moved = stage.commit(move_order(files) + state, removals)
    return [path for path in moved if STATE not in path.relative_to(out).parts]


def _writers(options: BuildOptions, plan: tuple[str, ...]) -> list[Writer]:
    """The writers of the planned targets, in the table's order; a writer's module is imported
    only when its target is built."""
    from .templates import make_env

    # Templates are compiled afresh in each build (~0.1 s): compiled code kept in the output
    # folder would run whatever a tampered cache held (Jinja's bytecode cache unmarshals code).
    env = make_env()
    found = []
    for target in plan:
        module, name = BY_TARGET[target].writer.split(":")
        found.append(getattr(importlib.import_module(module), name)(env, options))
    return found


def draw_charts(report: Report, options: BuildOptions, plan: tuple[str, ...]) -> None:
    """Draw the charts the planned targets need and the cache lacks, in one short-lived process,
    before any writer starts (chart.prepare): the chart engine's memory never joins the build's or
    the PDF renderers', and the writers only read the drawings."""
    from . import chart

    chart.use_cache(options.cache / "charts")  # drawings kept between builds
    outputs = tuple(dict.fromkeys(size for target in plan for size in BY_TARGET[target].charts))
    drawn = chart.prepare(report.figures, outputs)
    if drawn:
        log.debug("Drew %d charts apart", drawn)


def _write(report: Report, options: BuildOptions, stage: Path, plan: tuple[str, ...],
           progress: Progress, products: Products) -> tuple[Products, dict[str, str]]:
    """Run the writers into the stage, each given the products of those before it (and of
    earlier builds: `products`); return the products, all ready, and per target a digest of the
    products it read. A writer may return before its files are written (the PDFs render in other
    processes): `finish` waits for it before a writer that needs its products runs."""
    consumed: dict[str, str] = {}
    writers = _writers(options, plan)
    started = time.perf_counter()
    draw_charts(report, options, plan)
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

    The archive's lock is held for the whole release, so two releases never interleave: the
    second sees the first's edition. The release is refused (ReportError) before anything is
    built if the edition is not newer than the last release, or nothing changed since it.
    """
    from .edition import check_release, release

    with archive_lock(options.editions):
        report = load(options)
        check_release(report)
        build(options)
        names = [output_name(report.meta, key) for key in ("screen", "print", "cover", "epub")]
        with build_lock(options.out):  # no build may replace the files while they are copied
            journal.recover(options.out)
            frozen = release(report, options.out, options.editions, options.content, names)
        log.info("Released edition %d into %s", frozen.number, frozen.folder)
        # The detail page now lists this edition among the released ones.
        build(dataclasses.replace(options, targets=TARGETS, force=False))
    return frozen.folder


__all__ = ["BuildOptions", "ReportError", "TARGETS", "build", "release_edition", "stale_targets"]
