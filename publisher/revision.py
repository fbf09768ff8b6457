"""The source revision of a release, read without running anything.

The content folder may be a repository of its own, whose configuration can make git run any
command (core.fsmonitor, hooks, filters …). So git is never run: its files are read instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from .files import UnsafeFile, read_regular, resolved


GIT_LIMIT = 16 << 20  # bytes of a file in .git (packed-refs can be long)
COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
REF_NAME = re.compile(r"refs/(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]*/)*[A-Za-z0-9_+-][A-Za-z0-9._+-]*")


def _git_text(path: Path) -> str | None:
    """A small file of a repository as text, or None if it is missing, odd or unreadable."""
    try:
        handle = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return read_regular(path.name, GIT_LIMIT, dir_fd=handle).decode("utf-8")
    except (UnsafeFile, UnicodeDecodeError):
        return None
    finally:
        os.close(handle)


def _git_dirs(content: Path) -> tuple[Path, Path] | None:
    """The git folder of the repository holding content and its common folder (where the refs
    of a linked worktree live), or None if there is none or it is unusual."""
    for folder in (content, *content.parents):
        dotgit = folder / ".git"
        try:
            mode = os.lstat(dotgit).st_mode
        except FileNotFoundError:
            continue
        except OSError:
            return None
        if stat.S_ISDIR(mode):
            gitdir = dotgit
        else:  # a linked worktree or a submodule: `gitdir: <path>`; a link or FIFO gives up
            match = re.fullmatch(r"gitdir: ([^\n]+)\n?", _git_text(dotgit) or "")
            if not match:
                return None
            gitdir = folder / match.group(1)
        common_text = _git_text(gitdir / "commondir")
        common = gitdir / common_text.strip() if common_text else gitdir
        # A repository of the content's own is untrusted like the rest of it: it may not send
        # the reader to another repository's files, unless that repository lists this folder as
        # one of its linked worktrees (git's own check). One above the content folder is the project's.
        try:
            inside = all(resolved(p).is_relative_to(content) for p in (gitdir, common))
        except UnsafeFile:  # a loop of links, a name too long
            return None
        if folder == content and not inside and not _linked_worktree(dotgit, gitdir):
            return None
        return gitdir, common
    return None


def _linked_worktree(dotgit: Path, gitdir: Path) -> bool:
    """Whether `gitdir` is a repository's record of the linked worktree whose `.git` file is `dotgit`."""
    back = _git_text(gitdir / "gitdir")
    if gitdir.parent.name != "worktrees" or back is None:
        return False
    try:
        return resolved(Path(back.strip())) == resolved(dotgit)
    except UnsafeFile:
        return False


def _resolve_ref(ref: str, gitdir: Path, common: Path) -> str | None:
    """What a ref points at: a commit, `ref: <other ref>`, or None."""
    if not REF_NAME.fullmatch(ref) or ".." in ref or ref.endswith(".lock"):
        return None
    for folder in dict.fromkeys((gitdir, common)):
        text = _git_text(folder / ref)
        if text is not None:
            return text.strip()
    for line in (_git_text(common / "packed-refs") or "").splitlines():
        commit, _, name = line.partition(" ")
        if name == ref and COMMIT.fullmatch(commit):
            return commit
    return None


def _git_commit(content: Path) -> str | None:
    """The commit checked out in the repository holding content, read from .git/HEAD and the refs
    (loose or packed); None if there is no repository, no commit yet, or anything is unusual."""
    try:
        dirs = _git_dirs(resolved(content))
    except UnsafeFile:
        return None
    if dirs is None:
        return None
    value = _git_text(dirs[0] / "HEAD")
    for _ in range(5):  # HEAD → refs/heads/main → commit; a symbolic ref may add a step or two
        value = (value or "").strip()
        if COMMIT.fullmatch(value):
            return value
        if not value.startswith("ref: "):
            return None
        value = _resolve_ref(value[5:].strip(), *dirs)
    return None


def content_digest(sources: Iterable[tuple[str, str]]) -> str:
    """SHA-256 (64 hex digits) over the content files a report reads: their paths and SHA-256s as
    the loader recorded them (`Report.sources`).

    Only what the report uses counts, and nothing is read again: a huge file or a deep tree of
    folders in the content folder that the report does not use costs nothing.
    """
    return hashlib.sha256(json.dumps(sorted(sources)).encode()).hexdigest()


def revision(content: Path, sources: Iterable[tuple[str, str]]) -> str:
    """The source of a release: `git:<commit>+sha256:<digest>` when the content is in a git
    repository (the digest, over the files the report read, tells whether they were the
    committed ones), else `sha256:<digest>`.

    Reads the repository's files; never runs git, whose configuration the content controls.
    """
    commit = _git_commit(content)
    digest = f"sha256:{content_digest(sources)}"
    return f"git:{commit}+{digest}" if commit else digest
