"""One writer at a time: a build's commit per output folder, a release per editions archive."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ReportError

log = logging.getLogger(__name__)


@contextmanager
def build_lock(out: Path, timeout: float = 600.0) -> Iterator[None]:
    """Hold the exclusive lock of the output folder OUT; the kernel releases it if the build dies.

    The lock file lives in the temporary folder, keyed by the output folder's path, so that a
    build that stops on a content error leaves no trace in the output folder. Raises ReportError
    after `timeout` seconds of waiting.
    """
    with _lock("build", out, "another build of", timeout):
        yield


@contextmanager
def archive_lock(archive: Path, timeout: float = 1800.0) -> Iterator[None]:
    """Hold the exclusive lock of an editions archive for a whole release (which builds, and so
    may wait for a build); raises ReportError after `timeout` seconds of waiting."""
    with _lock("archive", archive, "another release into", timeout):
        yield


@contextmanager
def _lock(kind: str, folder: Path, holder: str, timeout: float) -> Iterator[None]:
    """An exclusive flock on a file in the temporary folder named by kind and the folder's path."""
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    name = f"publisher-{key}.lock" if kind == "build" else f"publisher-{kind}-{key}.lock"
    path = Path(tempfile.gettempdir()) / name
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waited = False
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.info("%s %s is running; waiting for it", holder[0].upper() + holder[1:], folder)
                    waited = True
                if time.monotonic() > deadline:
                    raise ReportError(f"{holder} {folder} has held the lock for {timeout:.0f} s") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(handle)  # closing the descriptor releases the lock
