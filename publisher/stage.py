"""A build's private stage: its files are written there and moved into the output folder at once."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .formats import STATE


class Stage:
    """A private folder for this build's files, moved into the output folder at the end.

    A build that fails, or is killed, leaves the output folder as it was; every file appears
    by an atomic rename, so no reader ever sees a half-written one.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        root = out / STATE
        for leftover in root.glob("stage-*"):  # left by builds that were killed
            if not _alive(int(leftover.name.split("-")[1])):
                shutil.rmtree(leftover, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)  # the output folder appears only now, when writing starts
        # One stage per build, also for builds that run in threads of one process (the preview).
        self.path = Path(tempfile.mkdtemp(prefix=f"stage-{os.getpid()}-", dir=root))

    def commit(self, files: dict[str, list[Path]], previous: dict[str, list[Path]] | None = None,
               clean: tuple[str, ...] = ()) -> list[Path]:
        """Move the stage's files into the output folder; return them.

        Files a target wrote last time (`previous`, from the manifest) that it did not write now
        are removed, and so is every other file under the `clean` folders (pages of the web
        edition that no longer exist).
        """
        written = []
        for relative in sorted({p for paths in files.values() for p in paths}):
            target = self.out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path / relative, target)
            written.append(target)
        keep = set(written)
        for target, paths in (previous or {}).items():
            for relative in paths:
                path = self.out / relative
                if target in files and path not in keep and path.is_file() and path.resolve().is_relative_to(
                        self.out.resolve()):
                    path.unlink()
        for folder in clean:
            for path in sorted((self.out / folder).rglob("*")) if (self.out / folder).exists() else []:
                if path.is_file() and path not in keep:
                    path.unlink()
        return written

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
