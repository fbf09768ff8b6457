"""Incremental builds: a manifest of input digests per output, kept in OUT/.build/.

Hashing the inputs takes milliseconds, so a build can tell that nothing changed before it
loads the content or imports a renderer. An output is stale when any input it depends on
changed, when it is missing, or when the code changed.

Of the content folder only the files the report read last time are hashed (the loader lists
them, with their digests): any change to what the report uses changes one of those files, and
files the report does not use — or links and special files that it must not read — are never
opened.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from . import toolchain
from .archive import FILE_LIMIT
from .files import UnsafeFile, file_digest, read_regular, regular_files, resolved
from .formats import PROJECT, STATE, TARGETS, dependencies
from .output import write_atomic

CODE = [PROJECT / "publisher", PROJECT / "pyproject.toml"]
# What each output reads besides the content and the code (from the one table of formats).
DEPENDS = {target: dependencies(target) for target in TARGETS}
DIGEST_LIMIT = FILE_LIMIT  # bytes of a file hashed whole: as large as a released file may be


def digest_paths(paths: list[Path], seen: dict[Path, bytes] | None = None) -> str:
    """SHA-256 over the names and bytes of every file under the paths, in a stable order.

    Symbolic links are not followed: a link counts by where it points, never by what it points
    at, and pipes, sockets and devices are skipped. The editions archive is untrusted, so the
    work is bounded: files are read in chunks, a file over DIGEST_LIMIT bytes counts by its size
    and modification time, and folders deeper than MAX_PATH_DEPTH are not entered. `seen`: the
    digests of files already read by the caller, filled in (a file shared by several digests is
    read once).
    """
    digest = hashlib.sha256()
    for root in paths:
        if root.is_symlink() or not root.exists():
            continue
        for path in regular_files(root) if root.is_dir() else [root]:
            if path.suffix == ".pyc":
                continue
            digest.update(os.fsencode(path.relative_to(root.parent)) + b"\0")
            if path.is_symlink():
                digest.update(b"link:" + os.fsencode(os.readlink(path)))
            elif seen is None:
                digest.update(file_digest(path, DIGEST_LIMIT))
            else:
                if path not in seen:
                    seen[path] = file_digest(path, DIGEST_LIMIT)
                digest.update(seen[path])
    return digest.hexdigest()


def digest_sources(sources: dict[str, str]) -> str:
    """One digest for the content: the names and digests of the files the report read."""
    return hashlib.sha256(json.dumps(sorted(sources.items())).encode()).hexdigest()


def current_sources(content: Path, recorded: dict[str, str]) -> dict[str, str]:
    """The recorded content files as they are now: path → SHA-256, "absent", or "unreadable".

    Paths come from our own manifest but are checked anyway: only regular files inside the
    content folder are read, within the loader's limits.
    """
    root = content.resolve()
    found = {}
    for name in recorded:
        try:
            path = resolved(root / name)
        except UnsafeFile:
            found[name] = "unreadable"
            continue
        if not path.is_relative_to(root):
            found[name] = "unreadable"
        elif not path.exists():
            found[name] = "absent"
        else:
            try:
                found[name] = hashlib.sha256(read_regular(path, MAX_SOURCE)).hexdigest()
            except UnsafeFile:
                found[name] = "unreadable"
    return found


MAX_SOURCE = 20_000_000  # bytes; larger than any file the loader accepts


def input_digests(content: str, archive: Path) -> dict[str, str]:
    """One digest per output: its own inputs plus the content digest (`digest_sources`), the
    editions archive, the code and the toolchain (the versions of the libraries that draw it)."""
    shared = content + digest_paths([*CODE] + ([archive] if archive.exists() else [])) + toolchain.digest_text()
    seen: dict[Path, bytes] = {}  # the fonts and catalogues every target reads: hashed once
    return {target: hashlib.sha256((shared + digest_paths(DEPENDS[target], seen)).encode()).hexdigest()
            for target in DEPENDS}


def _read(out: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((out / STATE / "manifest.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError, RecursionError):
        return {}


def load(out: Path) -> dict[str, str]:
    """The input digest each output was last built from."""
    return {t: str(v.get("digest", "")) for t, v in _read(out).items() if isinstance(v, dict) and t in DEPENDS}


def load_sources(out: Path) -> dict[str, str]:
    """The content files the last build read, with their digests (empty when unknown)."""
    sources = _read(out).get("sources")
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        return {}
    return {str(k): v for k, v in sources.items()}


def outputs_exist(out: Path, target: str) -> bool:
    """Whether every file the target wrote last time is still there as it was written: its
    SHA-256 as recorded (a file truncated, damaged or edited since is built again). A manifest
    that records no digests (an older publisher's) counts as not there."""
    entry = _read(out).get(target)
    files = entry.get("files") if isinstance(entry, dict) else None
    recorded = entry.get("sha256") if isinstance(entry, dict) else None
    if not isinstance(files, list) or not files or not isinstance(recorded, dict):
        return False
    return all(recorded.get(str(f)) == _written(out / str(f)) for f in files)


def _written(path: Path) -> str:
    """How the manifest knows an output file as written: files.file_digest in hex (a link, a
    folder or a missing file reads as "unreadable", which no written file matches)."""
    return file_digest(path, DIGEST_LIMIT).hex()


def files(out: Path, targets: tuple[str, ...]) -> dict[str, list[Path]]:
    """The files each of the targets wrote last time (relative to the output folder)."""
    data = _read(out)
    found: dict[str, list[Path]] = {}
    for target in targets:
        entry = data.get(target)
        names = entry.get("files") if isinstance(entry, dict) else None
        if isinstance(names, list):
            found[target] = [Path(str(n)) for n in names if ".." not in Path(str(n)).parts]
    return found


def warned(out: Path) -> set[str]:
    """The targets whose last build logged warnings (a build with --strict rebuilds them)."""
    return {t for t, v in _read(out).items() if isinstance(v, dict) and t in DEPENDS and v.get("warnings")}


def save(out: Path, digests: dict[str, str], files: dict[str, list[Path]], sources: dict[str, str],
         folder: Path | None = None, warnings: int = 0) -> list[Path]:
    """Record the digests and files of the targets just built (and how many warnings the build
    logged), the SHA-256 of each of their files as written (in FOLDER) and the content files read,
    over the manifest of OUT; write it into FOLDER/.build/ (a build's stage; default: OUT), with
    the toolchain they were built with beside it (build-info.json). Returns their paths relative
    to FOLDER."""
    data = _read(out)
    data["sources"] = dict(sorted(sources.items()))
    for target, digest in digests.items():
        names = sorted(p.as_posix() for p in files.get(target, []))
        data[target] = {"digest": digest, "files": names,
                        "sha256": {name: _written((folder or out) / name) for name in names}}
        if warnings:
            data[target]["warnings"] = warnings
    folder = folder or out
    info = write_atomic(folder / STATE / toolchain.BUILD_INFO, toolchain.build_info())
    path = write_atomic(folder / STATE / "manifest.json", json.dumps(data, indent=1, sort_keys=True))
    return [info.relative_to(folder), path.relative_to(folder)]
