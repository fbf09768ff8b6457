"""Writing outputs: every file appears whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ReportError


def write_atomic(target: Path, data: bytes | str) -> Path:
    """Write to a temporary file beside the target, flush it to disk, then rename into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as exc:  # a full disk: say which file could not be written
        Path(temp).unlink(missing_ok=True)
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror, str(target)) from None
        raise
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


# A temporary file older than this was left by a build that was killed while writing it (no
# build takes this long to write one file): `sweep_temporary` removes it.
STALE_TEMPORARY_S = 3600


def sweep_temporary(folder: Path, now: float | None = None) -> int:
    """Remove the temporary files (`write_atomic`'s `.*.part`) under `folder` that builds killed
    mid-write left behind, older than STALE_TEMPORARY_S seconds (a build writing one now keeps
    its own). Returns how many were removed; a file that cannot be removed is left."""
    import time

    now = time.time() if now is None else now
    removed = 0
    for temp in folder.rglob(".*.part") if folder.is_dir() else ():
        try:
            if now - temp.lstat().st_mtime > STALE_TEMPORARY_S:
                temp.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def check_output_folder(content: Path, out: Path) -> None:
    """Refuse an output folder the build cannot or must not write, before anything is built.

    Raises ReportError if a part of its path is a file (`--out notes.txt/dist`), or if the
    nearest folder that exists cannot be written (read-only, or not ours). (An output folder
    inside the content folder or the archive is refused earlier, as a usage error:
    options.check_folders.)
    """
    try:
        real_out = out.resolve()
    except (OSError, RuntimeError) as exc:
        raise ReportError(f"{out}: the output folder cannot be resolved ({exc})") from None
    existing = real_out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ReportError(f"{out}: cannot make the output folder: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ReportError(f"{out}: cannot write the output folder: {existing} is read-only")


def describe_os_error(exc: OSError) -> str:
    """An error of the system (disk full, permission denied) as one line: `path: reason`."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason
