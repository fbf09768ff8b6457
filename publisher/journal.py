"""The commit journal: a build's files move into the output folder all, or — after a crash — all
by the next build.

A build writes everything it makes into its stage: its outputs, and the manifest and products
that describe them. Under the output folder's lock it then writes the journal
(`OUT/.build/commit.json`: the stage, the files to move from it in order, the files to remove),
moves the files, removes the stale ones, deletes the journal and then the stage. Every step can
be repeated — a file that is still in the stage has not been moved — so whoever takes the lock
next and finds a journal (`recover`) rolls the commit forward: the output folder always ends up
in the state of whole commits, never of part of one.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from .errors import ReportError
from .formats import STATE
from .output import write_atomic

log = logging.getLogger(__name__)

JOURNAL = "commit.json"
STAGE_NAME = re.compile(r"stage-[0-9]+-[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Journal:
    """One commit: `stage` names the stage folder in OUT/.build/; `moves` are the files to move
    from it, as POSIX paths relative to the stage and the output folder, in the order they move
    (what a file describes before the file); `removals` are files of the output folder to delete
    after the moves."""

    stage: str
    moves: tuple[str, ...]
    removals: tuple[str, ...] = ()

    def write(self, out: Path) -> None:
        """Record the commit in OUT/.build/commit.json (written whole and flushed to disk)."""
        write_atomic(journal_path(out), json.dumps(asdict(self), indent=1))

    def complete(self, out: Path) -> list[Path]:
        """Roll the commit forward: move what is still in the stage, delete the removals, then the
        journal and the stage. Returns every file of the commit (also those moved before a
        crash). Raises OSError if a move fails; the journal then stays for the next build."""
        stage = out / STATE / self.stage
        moved = []
        for relative in self.moves:
            source, target = stage / relative, out / relative
            if os.path.lexists(source):  # else it was moved before the crash
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
            moved.append(target)
        for relative in self.removals:
            try:
                os.unlink(out / relative)
            except FileNotFoundError:
                pass
        os.unlink(journal_path(out))
        shutil.rmtree(stage, ignore_errors=True)
        return moved


def journal_path(out: Path) -> Path:
    """Where the journal of a commit in progress lives: OUT/.build/commit.json."""
    return out / STATE / JOURNAL


def _relative(value: object) -> str:
    """A journal path: relative, POSIX, without `..`; ValueError if not."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a path: {value!r}")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value or "\0" in value:
        raise ValueError(f"not a relative path: {value!r}")
    return value


def load(out: Path) -> Journal | None:
    """The journal of an unfinished commit, or None. Raises ValueError if it is malformed."""
    try:
        data = json.loads(journal_path(out).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(data, dict) or set(data) != {"stage", "moves", "removals"}:
        raise ValueError("not a commit journal")
    stage = data["stage"]
    if not isinstance(stage, str) or not STAGE_NAME.fullmatch(stage):
        raise ValueError(f"not a stage: {stage!r}")
    if not isinstance(data["moves"], list) or not isinstance(data["removals"], list):
        raise ValueError("moves and removals must be lists")
    return Journal(stage, tuple(map(_relative, data["moves"])), tuple(map(_relative, data["removals"])))


def pending_stage(out: Path) -> str:
    """The name of the stage an unfinished commit moves from ("" if there is none): it must not be
    cleaned away as the leftover of a killed build."""
    try:
        found = load(out)
    except ValueError:
        return ""
    return found.stage if found else ""


def recover(out: Path) -> bool:
    """Complete the commit a killed build left unfinished, if there is one; call it holding the
    output folder's lock. Returns whether there was one.

    A journal that cannot be rolled forward (unreadable, or its stage is gone) is dropped with
    the manifest, so that the next build rebuilds every output instead of trusting a mixed state
    (said at the info level: it is no warning about the report, which --strict would judge).
    Raises ReportError if a file cannot be moved (the journal stays for the next attempt).
    """
    try:
        found = load(out)
    except ValueError as exc:
        log.info("Dropped an unreadable commit journal in %s (%s): rebuilding everything", out, exc)
        found = None
        _forget(out)
        return True
    if found is None:
        return False
    if not (out / STATE / found.stage).is_dir():
        log.info("The stage of an unfinished commit in %s is gone: rebuilding everything", out)
        _forget(out)
        return True
    log.info("Completing the commit of a build that was stopped")
    try:
        found.complete(out)
    except OSError as exc:
        raise ReportError(f"cannot complete the commit of a build that was stopped ({exc}); "
                          f"delete {out / STATE} to rebuild everything") from None
    return True


def settle(out: Path) -> None:
    """Complete an unfinished commit in OUT, if there is one, taking the output folder's lock
    (a quick check without it when there is none: a build with nothing to do stays fast)."""
    if journal_path(out).exists():
        from .lock import build_lock

        with build_lock(out):
            recover(out)


def _forget(out: Path) -> None:
    """Drop the journal and the manifest: every output is then stale."""
    for name in (JOURNAL, "manifest.json"):
        (out / STATE / name).unlink(missing_ok=True)
