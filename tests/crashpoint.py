"""Stand-ins for a kill in the middle of a commit (used by tests/test_consistency.py, in-process
and in a build process killed with SIGKILL)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def commit_steps(limit: int, out: Path, kill: Callable[[int], None],
                 count: list[int] | None = None) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Wrappers of os.replace and os.unlink that call `kill(limit)` at the limit-th step of a
    commit into OUT: a move out of a stage, or, while a commit journal exists, a removal.
    `count[0]` (if given) counts the steps taken."""
    journal = out / ".build" / "commit.json"
    real_replace, real_unlink = os.replace, os.unlink
    count = count if count is not None else [0]

    def step() -> None:
        if count[0] == limit:
            kill(limit)
        count[0] += 1

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if "/stage-" in str(src) and "/stage-" not in str(dst):
            step()
        return real_replace(src, dst, *args, **kwargs)

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if journal.exists() and "/stage-" not in str(path):
            step()
        return real_unlink(path, *args, **kwargs)

    return replace, unlink
