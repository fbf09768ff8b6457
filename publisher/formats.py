"""The outputs, in one table: their build target, file name, stylesheets and templates.

Every module that names an output file, lists a format's stylesheets or decides what an
output depends on reads it from here, so that adding a stylesheet or an edition is one edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Meta

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT / "templates"
STYLES = PROJECT / "styles"
FONTS = STYLES / "fonts"


@dataclass(frozen=True)
class Format:
    """One output file (or, for the web, one set of files) and what it is made from.

    `suffix` completes the file name after `<id>-ed<N>`; `stylesheets` are files in styles/,
    `templates` folders in templates/; `variant` is WeasyPrint's PDF variant (PDF editions).
    """

    key: str
    target: str  # the build target that writes it: pdf, epub or web
    suffix: str
    label: str  # how the detail page offers it
    stylesheets: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    variant: str | None = None
    optional: bool = False  # written only when asked for (--archival)


PRINT_SHEETS = ("fonts.css", "common.css", "print.css")
FORMATS = {
    "screen": Format("screen", "pdf", "-screen.pdf", "PDF for screens", PRINT_SHEETS, ("print", "partials"),
                     "pdf/ua-1"),
    "print": Format("print", "pdf", "-print.pdf", "PDF for print", (*PRINT_SHEETS, "press.css"),
                    ("print", "partials")),
    "epub": Format("epub", "epub", ".epub", "EPUB e-book", ("fonts.css", "common.css", "epub.css"),
                   ("epub", "partials")),
    # Optional (--archival): PDF/A-3u for long-term archiving; no crop marks (transparency).
    "archive": Format("archive", "pdf", "-archive.pdf", "PDF/A for archives", PRINT_SHEETS, ("print", "partials"),
                      "pdf/a-3u", optional=True),
    "web": Format("web", "web", "", "Web edition", ("web.css",), ("web", "partials")),
    "changes": Format("changes", "web", "-changes.json", "What changed in this edition"),
}
TARGETS = ("pdf", "epub", "web")
PDF_EDITIONS = tuple(k for k, f in FORMATS.items() if f.target == "pdf")
# The downloads the detail page offers, in display order.
OFFERED = ("screen", "print", "epub", "archive")


def output_name(meta: Meta, key: str) -> str:
    """The file name of an output: `<id>-ed<N>-screen.pdf`, `<id>-ed<N>.epub`, …"""
    return f"{meta.id}-ed{meta.edition.number}{FORMATS[key].suffix}"


def dependencies(target: str) -> list[Path]:
    """Everything of the project's own a build target reads besides the content and the code:
    its formats' templates and stylesheets, and the fonts."""
    found: dict[Path, None] = {}
    for item in FORMATS.values():
        if item.target == target:
            found.update((TEMPLATES / name, None) for name in item.templates)
            found.update((STYLES / name, None) for name in item.stylesheets)
    return [*found, FONTS]
