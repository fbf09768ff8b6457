"""A build's private stage: its files are written there and moved into the output folder in one
journaled commit (journal.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from . import journal
from .errors import OutputError, display_path
from .formats import STATE, TARGETS
from .lock import build_lock


class Stage:
    """A private folder for this build's files, moved into the output folder at the end.

    A build that fails, or is killed before its commit, leaves the output folder as it was; one
    killed during its commit is completed by the next build (journal.py); every file appears by
    an atomic rename, so no reader ever sees a half-written one.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        root = out / STATE
        if any(not _alive(_pid(p)) for p in root.glob("stage-*")):
            # Left by builds that were killed: their commits are completed first, under the lock,
            # so that no stage is removed while a journal still moves files from it.
            with build_lock(out):
                journal.recover(out)
                pending = journal.pending_stage(out)
                for leftover in root.glob("stage-*"):
                    if leftover.name != pending and not _alive(_pid(leftover)):
                        shutil.rmtree(leftover, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)  # the output folder appears only now, when writing starts
        # One stage per build, also for builds that run in threads of one process (the preview).
        self.path = Path(tempfile.mkdtemp(prefix=f"stage-{os.getpid()}-", dir=root))

    def commit(self, moves: list[Path], removals: list[Path]) -> list[Path]:
        """Move the stage's files (`moves`, relative paths in the order they must appear) into the
        output folder and delete `removals` (relative to it); return the files moved.

        Call it holding the output folder's lock. The journal is written first: if the build is
        killed from then on, the next build completes the commit. Raises OutputError, before
        anything is moved, when something that is not a file stands where a file goes (a folder
        named `index.html`), or a file where a folder goes: a commit that could not finish would
        be retried by every later build.
        """
        for path in moves:
            # A folder on the way must be one (or a link to one): a file, a broken link or a pipe
            # there stops the move.
            above = [self.out / path.parents[i] for i in range(len(path.parts) - 2, -1, -1)]
            blocker = next((p for p in above if os.path.lexists(p) and not p.is_dir()), None)
            if (self.out / path).is_dir() or blocker is not None:
                shown = display_path(blocker or self.out / path)
                kind = "not a folder, where the build puts one" if blocker else "a folder where the build puts a file"
                raise OutputError(f"{shown}: is {kind}; move it away and build again")
        record = journal.Journal(self.path.name, tuple(p.as_posix() for p in moves),
                                 tuple(p.as_posix() for p in removals))
        record.write(self.out)
        return record.complete(self.out)

    def discard(self) -> None:
        """Remove the stage, unless an unfinished commit still moves files from it."""
        if journal.pending_stage(self.out) != self.path.name:
            shutil.rmtree(self.path, ignore_errors=True)


def move_order(files: dict[str, list[Path]]) -> list[Path]:
    """The order in which a commit moves a build's files (target → relative paths): targets in
    the table's order (a target's products are read only by those after it), and within one,
    other files before pages, and pages deeper in the folder before those above — so that the
    files a page describes or links to are in place before the page (the detail page last)."""
    rank = {target: i for i, target in enumerate(TARGETS)}

    def key(item: tuple[str, Path]) -> tuple[int, bool, int, str]:
        target, path = item
        return rank.get(target, len(rank)), path.suffix == ".html", -len(path.parts), path.as_posix()

    seen: set[Path] = set()
    ordered = []
    for _, path in sorted(((t, p) for t, paths in files.items() for p in paths), key=key):
        if path not in seen:
            seen.add(path)
            ordered.append(path)
    return ordered


def stale_files(out: Path, files: dict[str, list[Path]], previous: dict[str, list[Path]],
                clean: tuple[str, ...] = ()) -> list[Path]:
    """The files of the output folder (relative paths) that a commit of `files` removes: those a
    target wrote last time (`previous`, from the manifest) and does not write now, and every other
    file under the `clean` folders (pages of the web edition that no longer exist)."""
    keep = {p for paths in files.values() for p in paths}
    root = out.resolve()
    found: dict[Path, None] = {}
    for target, paths in previous.items():
        for relative in paths:
            path = out / relative
            if target in files and relative not in keep and path.is_file() and path.resolve().is_relative_to(root):
                found[relative] = None
    for folder in clean:
        for path in sorted((out / folder).rglob("*")) if (out / folder).exists() else []:
            relative = path.relative_to(out)
            if path.is_file() and relative not in keep:
                found[relative] = None
    return list(found)


def _pid(stage: Path) -> int:
    try:
        return int(stage.name.split("-")[1])
    except (IndexError, ValueError):
        return 0


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
