"""One build at a time per output folder: a second build waits for the first."""

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
    """Hold an exclusive lock for OUT; the kernel releases it if the build dies.

    The lock file lives in the temporary folder, keyed by the output folder's path, so that a
    build that stops on a content error leaves no trace in the output folder.
    """
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"publisher-{key}.lock"
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
                    log.info("Another build of %s is running; waiting for it", out)
                    waited = True
                if time.monotonic() > deadline:
                    raise ReportError(f"another build of {out} has held the lock for {timeout:.0f} s") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(handle)  # closing the descriptor releases the lock
