"""The outputs, in one table: their build target, file name, stylesheets and templates.

Every module that names an output file, lists a format's stylesheets or decides what an
output depends on reads it from here, so that adding a stylesheet or an edition is one edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Chapter, Meta

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT / "templates"
STYLES = PROJECT / "styles"
FONTS = STYLES / "fonts"
LOCALES = PROJECT / "locales"  # the message catalogues of the publisher's words (catalogue.py)
PROFILES = STYLES / "icc"  # the CMYK output profiles of the printer's files (LICENSE beside them)
STATE = ".build"  # the build's own files inside the output folder: manifest, products, stages, caches
READ = "read"  # the web edition's folder inside the output folder


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
    two_sided: bool = False  # printed on both sides of the leaf: recto and verso pages, page turns after versos
    press: bool = False  # a printer's file: PDF/X-4 in CMYK, printer's marks and boxes (press.py)
    made_by: str = ""  # the PDF edition whose renderer also writes this file (the cover wrap: the print edition's)


def N_(message: str) -> str:
    """Marks a message for the catalogues (catalogue.py) where it is written; it is translated
    where it is shown (a download's label, on the detail page)."""
    return message


PRINT_SHEETS = ("fonts.css", "common.css", "print.css")
FORMATS = {
    "screen": Format("screen", "pdf", "-screen.pdf", N_("PDF for screens"), PRINT_SHEETS, ("print", "partials"),
                     "pdf/ua-1"),
    "print": Format("print", "pdf", "-print.pdf", N_("Book block (PDF/X-4)"), (*PRINT_SHEETS, "press.css"),
                    ("print", "partials"), "pdf/x-4", two_sided=True, press=True),
    # The softcover's cover wrap (back, spine, front), sized from the print edition's page count.
    "cover": Format("cover", "pdf", "-cover.pdf", N_("Cover wrap (PDF/X-4)"), ("fonts.css", "wrap.css"),
                    ("print",), "pdf/x-4", press=True, made_by="print"),
    "epub": Format("epub", "epub", ".epub", N_("EPUB e-book"), ("fonts.css", "common.css", "epub.css"),
                   ("epub", "partials")),
    # Optional (--archival): PDF/A-3u for long-term archiving; no crop marks (transparency).
    "archive": Format("archive", "pdf", "-archive.pdf", N_("PDF/A for archives"), PRINT_SHEETS, ("print", "partials"),
                      "pdf/a-3u", optional=True),
    "web": Format("web", "web", "", N_("Web edition"), ("web.css",), ("web", "partials")),
    "changes": Format("changes", "web", "-changes.json", N_("What changed in this edition")),
    "bibtex": Format("bibtex", "web", ".bib", "BibTeX"),
    "ris": Format("ris", "web", ".ris", "RIS"),
}
# The downloads the detail page offers readers, in display order; and, apart, those for printers.
OFFERED = ("screen", "epub", "archive")
FOR_PRINTERS = ("print", "cover")
PDF_EDITIONS = tuple(k for k, f in FORMATS.items() if f.target == "pdf")


@dataclass(frozen=True)
class Target:
    """A build target: the writer that makes its formats, and how it depends on the others.

    `needs`: the products of other targets it reads (so it is rebuilt when they change);
    `makes`: the products it writes (layouts, cover, and its formats' output descriptions);
    `writer`: "module:Class" of its writer; `step`: what the progress line says.
    """

    name: str
    writer: str
    step: str
    needs: tuple[str, ...] = ()
    makes: tuple[str, ...] = ()
    finishing: str = ""  # what the progress line says while its writer finishes, if it does so later
    charts: tuple[str, ...] = ()  # the sizes its charts are drawn at (chart.OUTPUTS: print, web, narrow)


TARGET_TABLE = (
    Target("pdf", "publisher.pdf:PdfWriter", "Laying out the PDF editions", (), ("layouts", "cover", *PDF_EDITIONS),
           "Writing the PDF editions", ("print",)),
    Target("epub", "publisher.epub:EpubWriter", "Writing the EPUB", ("layouts",), ("epub",), charts=("narrow",)),
    Target("web", "publisher.web:WebWriter", "Writing the web pages", ("outputs",), charts=("web", "narrow")),
)
TARGETS = tuple(t.name for t in TARGET_TABLE)
BY_TARGET = {t.name: t for t in TARGET_TABLE}


def dependents(target: str) -> tuple[str, ...]:
    """The targets that read a product this target makes (a rebuilt PDF moves the EPUB's page
    list and the sizes on the detail page)."""
    makes = set(BY_TARGET[target].makes) | {"outputs"} if BY_TARGET[target].makes else set()
    return tuple(t.name for t in TARGET_TABLE if t.name != target and makes & set(t.needs))


def output_name(meta: Meta, key: str) -> str:
    """The file name of an output: `<id>-ed<N>-screen.pdf`, `<id>-ed<N>.epub`, …"""
    return f"{meta.id}-ed{meta.edition.number}{FORMATS[key].suffix}"


def document_stem(chapter: Chapter) -> str:
    """The name of a chapter's file in the EPUB and the web edition: `01-overview`, and for a
    front-matter section its slug (`summary`). The loader refuses slugs that would collide with
    the names of the parts every format adds (introduction, bibliography, …)."""
    return f"{chapter.number:02d}-{chapter.slug}" if chapter.number else chapter.slug


def asset_href(name: str) -> str:
    """Where a content file (an image) goes in the EPUB and the web edition: under media/, so that
    no name the author chooses can meet a name the publisher makes."""
    return f"media/{name}"


# Slugs of front-matter sections and chapters that would collide with what every format adds.
RESERVED_SLUGS = frozenset({"introduction", "bibliography", "glossary", "contents", "index", "nav", "cover",
                            "titlepage", "changes", "toc", "lists"})


def dependencies(target: str) -> list[Path]:
    """Everything of the project's own a build target reads besides the content and the code:
    its formats' templates and stylesheets, the fonts and the message catalogues."""
    found: dict[Path, None] = {}
    for item in FORMATS.values():
        if item.target == target:
            found.update((TEMPLATES / name, None) for name in item.templates)
            found.update((STYLES / name, None) for name in item.stylesheets)
    return [*found, FONTS, LOCALES, PROFILES]
