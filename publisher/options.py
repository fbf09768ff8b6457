"""What a build is asked to do: from where, to where, which targets, how strictly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .formats import FORMATS, STATE, TARGETS


@dataclass(frozen=True)
class BuildOptions:
    """What to build, from where, to where."""

    content: Path
    out: Path
    targets: tuple[str, ...] = TARGETS
    strict: bool = False
    force: bool = False
    archive: Path | None = None  # the editions archive; default: editions/ beside the content
    archival: bool = False  # also write the PDF/A-3u archival edition

    @property
    def editions(self) -> Path:
        return self.archive or self.content.resolve().parent / "editions"

    @property
    def pdf_editions(self) -> tuple[str, ...]:
        """The PDF editions to write: screen and print, and archive when asked for."""
        return tuple(k for k, f in FORMATS.items() if f.target == "pdf" and (self.archival or not f.optional))

    @property
    def cache(self) -> Path:
        """Where builds keep what they may reuse (subset fonts)."""
        return self.out / STATE / "cache"
