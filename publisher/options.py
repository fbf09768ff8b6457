"""What a build is asked to do: from where, to where, which targets, how strictly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ReportError
from .formats import FORMATS, STATE, TARGETS


class FolderError(ReportError):
    """The output folder overlaps the content folder or the editions archive (a usage error)."""


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

    def __post_init__(self) -> None:
        check_folders(self.content, self.out, self.editions)

    @property
    def editions(self) -> Path:
        return self.archive or self.content.resolve().parent / "editions"

    @property
    def pdf_editions(self) -> tuple[str, ...]:
        """The PDF editions to render: screen and print, and archive when asked for (the cover wrap
        is written by the print edition's renderer: `companions`)."""
        return tuple(k for k, f in FORMATS.items() if f.target == "pdf" and not f.made_by
                     and (self.archival or not f.optional))

    def companions(self, edition: str) -> tuple[str, ...]:
        """The files an edition's renderer writes besides it (print: the cover wrap)."""
        return tuple(k for k, f in FORMATS.items() if f.made_by == edition and edition in self.pdf_editions)

    @property
    def cache(self) -> Path:
        """Where builds keep what they may reuse (subset fonts)."""
        return self.out / STATE / "cache"


def check_folders(content: Path, out: Path, archive: Path) -> None:
    """Refuse an output folder that is, or is inside, the content folder or the editions archive
    (every build would change its own inputs: always stale, and a preview rebuilding in a loop),
    and an archive inside the output folder (a build would write over released files).

    Links are resolved first. Raises FolderError, before anything is read or written.
    """
    real_out, real_content, real_archive = out.resolve(), content.resolve(), archive.resolve()
    for name, folder in (("content folder", real_content), ("editions archive", real_archive)):
        if real_out.is_relative_to(folder):
            raise FolderError(f"the output folder {out} is inside the {name} {folder}: every build would "
                              f"change the {name} it reads (choose an --out outside it)")
    if real_archive.is_relative_to(real_out):
        raise FolderError(f"the editions archive {archive} is inside the output folder {out}: a build would "
                          "write over released files (choose an --out that does not hold it)")
