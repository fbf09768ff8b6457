"""Notices: the warnings one build logs (content warnings, renderer warnings), collected while it
runs so that `--strict` can refuse the build before anything is moved into place."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Notices(logging.Handler):
    """The messages of the warnings (and errors) logged under `publisher` by this thread — the
    build's own thread, also when the preview runs other builds in other threads."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def collected() -> Iterator[Notices]:
    """Collect the warnings this thread logs under `publisher` while the block runs."""
    notices = Notices()
    logger = logging.getLogger("publisher")
    logger.addHandler(notices)
    try:
        yield notices
    finally:
        logger.removeHandler(notices)
