"""The web writer: the detail and download page, its assets, and the reading edition."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .citation import bibtex, plain_citation, ris
from .cover import cover_jpeg
from .pdf import pdf_name
from .download import Download, downloads, offered
from .model import Report
from .output import write_atomic
from .site import page_file, write_site
from .templates import STYLES, TEMPLATES, render

log = logging.getLogger(__name__)

# The thumbnail is drawn at twice the size it is shown at, for high-density screens.
COVER_WIDTH = 480
A4_HEIGHT = COVER_WIDTH * 297 // 210 // 2 * 2  # even: the page shows it at half size
LANGUAGES = {
    "en": "English", "ja": "Japanese", "ru": "Russian", "kk": "Kazakh", "ky": "Kyrgyz", "tg": "Tajik",
    "tk": "Turkmen", "uz": "Uzbek", "de": "German", "fr": "French", "es": "Spanish", "zh": "Chinese",
}


@dataclass(frozen=True)
class Cover:
    """The cover thumbnail on the detail page (and the Open Graph image)."""

    src: str
    width: int
    height: int
    alt: str


def language_name(tag: str) -> str:
    """`en-GB` → `English`; an unknown language shows its tag."""
    return LANGUAGES.get(tag.split("-")[0].lower(), tag)


def structured_data(report: Report, files: list[Download], cover: Cover) -> dict[str, Any]:
    """schema.org JSON-LD for the report; URLs are relative, like every link on the page."""
    meta = report.meta
    people: dict[str, list[dict[str, str]]] = {}
    for person in meta.authors:
        people.setdefault(person.role, []).append({"@type": "Person", "name": person.name})
    identifiers: list[Any] = [meta.identifier]
    if meta.isbn:
        identifiers.append({"@type": "PropertyValue", "propertyID": "ISBN", "value": meta.isbn})
    publisher = {"@type": "Organization", "name": meta.publisher}
    if meta.publisher_url:
        publisher["url"] = meta.publisher_url
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Report",
        "name": meta.title,
        "headline": meta.title,
        "description": meta.standfirst,
        "inLanguage": meta.language,
        "datePublished": meta.published,
        "dateModified": meta.edition.date,
        "version": str(meta.edition.number),
        "publisher": publisher,
        "copyrightHolder": {"@type": "Organization", "name": meta.rights_holder},
        "copyrightYear": int(meta.published[:4]),
        "license": meta.licence_url or meta.licence,
        "identifier": identifiers if len(identifiers) > 1 else meta.identifier,
        "image": cover.src,
        "thumbnailUrl": cover.src,
        "isAccessibleForFree": True,
        "url": "index.html",
    }
    if meta.subtitle:
        data["alternativeHeadline"] = meta.subtitle
    for role in ("author", "editor", "contributor"):
        if role in people:
            data[role] = people[role]
    if meta.keywords:
        data["keywords"] = list(meta.keywords)
    data["hasPart"] = [{"@type": "WebPage", "name": c.title, "position": c.number, "url": f"read/{page_file(c)}"}
                       for c in report.chapters]
    data["encoding"] = [{"@type": "MediaObject", "name": d.label, "contentUrl": d.name,
                         "encodingFormat": d.media_type, "contentSize": f"{d.size} B", "sha256": d.sha256}
                        for d in files]
    return data


def write_assets(report: Report, out: Path) -> tuple[list[Path], Cover]:
    """The stylesheet, the icon, the cover thumbnail and (when changed) the fonts, in dist/assets/."""
    assets = out / "assets"
    written = [write_atomic(assets / "web.css", (STYLES / "web.css").read_bytes()),
               write_atomic(assets / "favicon.svg", (TEMPLATES / "web" / "favicon.svg").read_bytes())]
    for font in sorted((STYLES / "fonts").glob("*.[ot]tf")):
        written.append(write_atomic(assets / "fonts" / font.name, font.read_bytes()))
    image, height = _pdf_cover(out / pdf_name(report, "screen"))
    if image is None:
        # No PDF yet, or no poppler: the same design drawn with Pillow (the EPUB's cover).
        image, height = cover_jpeg(report.meta, COVER_WIDTH), COVER_WIDTH * 3 // 2
    written.append(write_atomic(assets / "cover.jpg", image))
    cover = Cover("assets/cover.jpg", COVER_WIDTH, height, f"Cover of {report.meta.title}")
    return written, cover


def _pdf_cover(pdf: Path) -> tuple[bytes | None, int]:
    """The screen PDF's first page as a JPEG thumbnail, rendered by poppler's pdftoppm."""
    if not pdf.is_file() or not shutil.which("pdftoppm"):
        return None, 0
    with tempfile.TemporaryDirectory() as temp:
        result = subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-singlefile", "-jpeg", "-jpegopt",
                                 "quality=88", "-scale-to-x", str(COVER_WIDTH), "-scale-to-y", str(A4_HEIGHT),
                                 str(pdf), f"{temp}/cover"], capture_output=True)
        path = Path(temp) / "cover.jpg"
        if result.returncode != 0 or not path.exists():
            return None, 0
        data = path.read_bytes()
    from PIL import Image

    with Image.open(io.BytesIO(data)) as picture:
        return data, picture.height


def write_citations(report: Report, out: Path) -> dict[str, str]:
    """How to cite the report, as text for the page and as .bib and .ris files to download."""
    stem = f"cite/{report.meta.id}-ed{report.meta.edition.number}"
    write_atomic(out / f"{stem}.bib", bibtex(report))
    write_atomic(out / f"{stem}.ris", ris(report))
    return {"plain": plain_citation(report), "bibtex": bibtex(report), "ris": ris(report),
            "bibtex_file": f"{stem}.bib", "ris_file": f"{stem}.ris"}


def write_web(report: Report, env: jinja2.Environment, out: Path,
              files: list[tuple[str, str]] | None = None, pages: dict[str, int] | None = None) -> list[Path]:
    """Write dist/index.html, its assets and the reading edition in dist/read/.

    Runs after the PDF and EPUB writers, so it describes the files they wrote; a file that
    is missing (not built in this run, nor before) is left off the page.
    """
    written, cover = write_assets(report, out)
    citation = write_citations(report, out)
    written += [out / citation["bibtex_file"], out / citation["ris_file"]]
    found = downloads(out, files if files is not None else offered(report), pages or {})
    page_total = next((d.pages for d in found if d.pages), None)
    html = render(env, "web/index.html", report=report, meta=report.meta, root="", current="",
                  downloads=found, formats=list(dict.fromkeys(["HTML"] + [d.format for d in found])),
                  pages=page_total, language=language_name(report.meta.language), cover=cover,
                  citation=citation, editions=(report.meta.edition, *report.meta.history),
                  changes_file=f"{report.meta.id}-ed{report.meta.edition.number}-changes.json",
                  chapters=[(c, page_file(c)) for c in report.chapters],
                  structured_data=structured_data(report, found, cover))
    written += write_site(report, env, out)
    written += _copy_releases(report, out)
    written.append(write_atomic(out / "index.html", html))
    return written


def _copy_releases(report: Report, out: Path) -> list[Path]:
    """Put every released edition's files beside the detail page, under editions/<number>/.

    Each file is read again from the archive and verified against its manifest (plain name,
    regular file, size, SHA-256) before it is copied; raises ContentError if it differs.
    """
    from .edition import read_released

    written = []
    for released in report.releases:
        for item in released.files:
            data = read_released(released, item)
            written.append(write_atomic(out / "editions" / str(released.number) / item.name, data))
    return written
