"""Progress of a build: a bar on a terminal, plain log lines otherwise (CI logs, pipes)."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

log = logging.getLogger("publisher.pipeline")


class Progress:
    """Steps of a build. `step(name)` says that `name` starts now."""

    def __init__(self, total: int, bar: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.started = time.perf_counter()
        show = sys.stderr.isatty() if bar is None else bar
        self.bar: Any = None
        if show and log.isEnabledFor(logging.INFO):
            import click

            self.bar = click.progressbar(length=total, label="Building", file=sys.stderr,
                                         show_eta=False, item_show_func=lambda name: name)
            self.bar.__enter__()

    def step(self, name: str) -> None:
        if self.bar is not None:
            self.bar.update(1 if self.done else 0, name)
        else:
            log.info("%s (%.1f s)", name, time.perf_counter() - self.started)
        self.done += 1

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.total - self.bar.pos, "")
            self.bar.__exit__(None, None, None)
            self.bar = None
