"""The web writer: the detail and download page, its assets, and the reading edition (site.py).

The page describes the outputs of this and earlier builds from the products (sizes, digests,
page counts, the cover thumbnail), never by reading the files.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin
from typing import Any

import jinja2

from .chart import use_cache
from .citation import bibtex, plain_citation, ris
from .language import language, language_name
from .links import check_links
from .cover import COVER_WIDTH, cover_jpeg
from .fonts import FALLBACK_FACES, subset_font, visible_text
from .formats import FONTS, FOR_PRINTERS, FORMATS, OFFERED, READ, STYLES, TEMPLATES, output_name
from .model import Report
from .options import BuildOptions
from .output import write_atomic
from .products import OutputFile, Products, SimpleWriter
from .render import Renderer
from .site import WebStyle, page_file, write_site
from .templates import render

log = logging.getLogger(__name__)

# Faces too large to ship whole (a Japanese face is megabytes): the web edition carries a cut of
# each to the characters its pages use (a kilobyte or two for a report without Japanese).
CUT_FONTS = FALLBACK_FACES



@dataclass(frozen=True)
class Cover:
    """The cover thumbnail on the detail page (and the Open Graph image)."""

    src: str
    width: int
    height: int
    alt: str


def absolute(report: Report, path: str) -> str:
    """PATH (relative to the detail page) as an absolute URL under the report's `url`, or PATH
    as it is when the report gives no `url`. Open Graph wants absolute URLs (ogp.me: og:image,
    og:url) and schema.org's `url` is best absolute; links within the page stay relative."""
    base = report.meta.url
    if not base:
        return path
    return urljoin(base if base.endswith("/") else base + "/", "" if path == "index.html" else path)


def structured_data(report: Report, files: list[OutputFile], cover: Cover) -> dict[str, Any]:
    """schema.org JSON-LD for the report; URLs are absolute under the report's `url` when it
    gives one (see absolute()), else relative like every link on the page."""
    meta = report.meta

    def url(path: str) -> str:
        return absolute(report, path)

    people: dict[str, list[dict[str, str]]] = {}
    for person in meta.authors:
        people.setdefault(person.role, []).append({"@type": "Person", "name": person.name})
    identifiers: list[Any] = [meta.urn]
    if meta.isbn:
        identifiers.append({"@type": "PropertyValue", "propertyID": "ISBN", "value": meta.isbn})
    publisher = {"@type": "Organization", "name": meta.publisher.name}
    if meta.publisher.url:
        publisher["url"] = meta.publisher.url
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
        "copyrightHolder": {"@type": "Organization", "name": meta.holder},
        "copyrightYear": int(meta.published[:4]),
        "license": meta.rights.url or meta.rights.licence,
        "identifier": identifiers if len(identifiers) > 1 else meta.urn,
        "image": url(cover.src),
        "thumbnailUrl": url(cover.src),
        "isAccessibleForFree": True,
        "url": url("index.html"),
    }
    if meta.subtitle:
        data["alternativeHeadline"] = meta.subtitle
    for role in ("author", "editor", "contributor"):
        if role in people:
            data[role] = people[role]
    if meta.keywords:
        data["keywords"] = list(meta.keywords)
    data["hasPart"] = [{"@type": "WebPage", "name": c.title, "position": c.number, "url": url(f"read/{page_file(c)}")}
                       for c in report.chapters]
    words = language(meta.language)
    data["encoding"] = [{"@type": "MediaObject", "name": words.gettext(d.label), "contentUrl": url(d.name),
                         "encodingFormat": d.media_type, "contentSize": f"{d.size} B", "sha256": d.sha256}
                        for d in files]
    return data


def write_assets(report: Report, out: Path, thumbnail: bytes | None) -> tuple[list[Path], Cover]:
    """The stylesheet, the icon, the cover thumbnail and the fonts, in dist/assets/.

    `thumbnail` is the screen PDF's cover (a product of the PDF writer); without one (no PDF
    built yet) the same design is drawn with Pillow, as for the EPUB's cover.
    """
    assets = out / "assets"
    written = [write_atomic(assets / name, (STYLES / name).read_bytes()) for name in FORMATS["web"].stylesheets]
    written.append(write_atomic(assets / "favicon.svg", (TEMPLATES / "web" / "favicon.svg").read_bytes()))
    for font in sorted(FONTS.glob("*.[ot]tf")):
        if font.name not in CUT_FONTS:  # those are cut to the edition's text once its pages are written
            written.append(write_atomic(assets / "fonts" / font.name, font.read_bytes()))
    image = thumbnail or cover_jpeg(report.meta, COVER_WIDTH)
    from PIL import Image

    with Image.open(io.BytesIO(image)) as picture:
        height = picture.height
    written.append(write_atomic(assets / "cover.jpg", image))
    words = language(report.meta.language)
    cover = Cover("assets/cover.jpg", COVER_WIDTH, height, words.gettext("Cover of %(title)s") % {
        "title": report.meta.title})
    return written, cover


def write_citations(report: Report, out: Path) -> dict[str, str]:
    """How to cite the report, as text for the page and as .bib and .ris files to download."""
    found = {"plain": plain_citation(report), "bibtex": bibtex(report), "ris": ris(report),
             "bibtex_file": f"cite/{output_name(report.meta, 'bibtex')}",
             "ris_file": f"cite/{output_name(report.meta, 'ris')}"}
    write_atomic(out / found["bibtex_file"], found["bibtex"])
    write_atomic(out / found["ris_file"], found["ris"])
    return found


@dataclass(frozen=True)
class DetailStyle(WebStyle):
    """Text on the detail page (dist/index.html), which links into read/."""

    def href(self, current: str, target: str, anchor: str) -> str:
        return f"#{anchor}" if current == target else f"{READ}/{super().href(current, target, anchor)}"

    def scrolls(self, boxed: bool) -> bool:
        return False


class WebWriter(SimpleWriter):
    """Writes the detail page, its assets and downloads (citations, released editions, the
    change log) and the reading edition in read/."""

    target = "web"

    def __init__(self, env: jinja2.Environment, options: BuildOptions) -> None:
        self.env = env
        self.out = options.out
        self.cache = options.cache / "fonts"  # cut fonts (the Japanese face, the charts' fonts), kept between builds
        use_cache(options.cache / "charts")  # drawings kept between builds

    def write(self, report: Report, stage: Path, products: Products) -> Products:
        """Runs after the PDF and EPUB writers: it describes the files they wrote in this build or
        an earlier one (a file that was never built is left off the page). Raises OutputError if
        a link of the pages leads nowhere (links.py)."""
        written = write_web(report, self.env, stage, products, self.cache)
        if report.changes is not None:
            written.append(write_atomic(stage / output_name(report.meta, "changes"), report.changes.to_json()))
        files = [p.relative_to(stage) for p in written]
        check_links(stage, files, self.out, replaced=(READ,))
        return products.add("web", files)


def write_web(report: Report, env: jinja2.Environment, out: Path, products: Products,
              cache: Path | None = None) -> list[Path]:
    """Write dist/index.html, its assets and the reading edition in dist/read/; the Japanese
    face cut to the characters of the pages (`cache`: where cuts, also the charts' fonts, are kept)."""
    written, cover = write_assets(report, out, products.cover.get())
    citation = write_citations(report, out)
    written += [out / citation["bibtex_file"], out / citation["ris_file"]]
    found = [item for key in OFFERED if (item := products.output(key))]
    printers = [item for key in FOR_PRINTERS if (item := products.output(key))]
    page_total = next((d.pages for d in found if d.pages), None)
    html = render(env, "web/index.html", report=report, meta=report.meta, root="", current="",
                  downloads=found, formats=list(dict.fromkeys(["HTML"] + [d.format for d in found])),
                  printers=printers, press=press_facts(report, products),
                  pages=page_total, language=language_name(report.meta.language, report.meta.language),
                  cover=cover,
                  citation=citation, editions=(report.meta.edition, *report.meta.edition.history),
                  changes_file=output_name(report.meta, "changes"),
                  chapters=[(c, page_file(c)) for c in report.chapters],
                  introduction=Renderer(report, DetailStyle(language(report.meta.language))).introduction(),
                  page_url=absolute(report, "index.html"), cover_url=absolute(report, cover.src),
                  structured_data=structured_data(report, found + printers, cover))
    pages: list[str] = []
    written += write_site(report, env, out, cache, pages)
    written += _copy_releases(report, out)
    written.append(write_atomic(out / "index.html", html))
    text = visible_text(html + "".join(pages))  # the pages as written, not read back
    for name in CUT_FONTS:
        written.append(write_atomic(out / "assets" / "fonts" / name, subset_font(FONTS / name, text, cache)))
    return written


def press_facts(report: Report, products: Products) -> dict[str, Any]:
    """What the detail page says about the printer's files: the output profile and characterisation,
    the book block's pages and the spine's width (from the print edition's page count)."""
    from .press import PAPERS
    from .wrap import spine_mm

    paper = PAPERS[report.meta.print.paper]
    block = products.output("print")
    pages = block.pages if block else None
    return {"profile": paper.name, "condition": paper.condition,
            "pages": pages, "spine": spine_mm(pages, report.meta.print) if pages else None}


def _copy_releases(report: Report, out: Path) -> list[Path]:
    """Put every released edition's files beside the detail page, under editions/<number>/.

    Each file is read again from the archive and verified against its manifest (plain name,
    regular file, size, SHA-256) before it is copied; raises ContentError if it differs.
    """
    from .archive import read_released

    written = []
    for released in report.releases:
        for item in released.files:
            data = read_released(released, item)
            written.append(write_atomic(out / "editions" / str(released.number) / item.name, data))
    return written
