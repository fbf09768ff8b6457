"""The EPUB writer: our own XHTML for every document, assembled into a package by ebooklib.

Notes are pop-up notes (EPUB footnotes after the text), links go between the book's XHTML
files, and charts are SVG files with PNG copies for readers without SVG. Print page numbers
come from the print PDF's page map (a product of the PDF writer).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from html import escape

import jinja2
from ebooklib import epub
from lxml import etree

from .citation import plain_citation
from .container import check_epub
from .cover import cover_jpeg
from .chart import OUTPUTS, chart_text, standalone, svg, use_cache
from .figure import draw, image_html, svg_file, svg_png, svg_size
from .fonts import subset_font, visible_text
from .formats import FONTS, FORMATS, STYLES, asset_href, document_stem, output_name
from .language import Language, language
from .markdown import Heading, html_id
from .model import Asset, Chapter, Figure, Report
from .options import BuildOptions
from .output import write_atomic
from .pagelist import PageBreak, page_breaks
from .products import Deferred, OutputFile, Products, SimpleWriter
from .render import BIBLIOGRAPHY, GLOSSARY, NoteText, Renderer, Style, note_anchor
from .templates import render

log = logging.getLogger(__name__)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2"}
A11Y = [
    ("schema:accessMode", "textual"),
    ("schema:accessMode", "visual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "alternativeText"),
    ("schema:accessibilityFeature", "displayTransformability"),
    ("schema:accessibilityHazard", "none"),
]


@dataclass(frozen=True)
class Part:
    """One XHTML file of the book."""

    file: str
    label: str
    html: str
    in_toc: bool = True
    headings: tuple[Heading, ...] = ()
    bodymatter: bool = False  # the first part of the report's body


@dataclass(frozen=True)
class EpubStyle(Style):
    """Pop-up notes after the text, links between the book's files, charts as SVG/PNG files; the
    notes' heading in `words`'s language."""

    words: Language | None = None

    def href(self, current: str, target: str, anchor: str) -> str:
        return f"#{anchor}" if current == target else f"{target}.xhtml#{anchor}"

    def note_call(self, slug: str, number: int, note: NoteText, call: int) -> str:
        note_id, ref_id = note_anchor(slug, number, call)
        return (f'<a epub:type="noteref" role="doc-noteref" href="#{note_id}" id="{ref_id}" '
                f'class="noteref">{number}</a>')

    def notes(self, slug: str, notes: list[tuple[int, NoteText, int]]) -> str:
        if not notes:
            return ""
        parts = []
        for number, note, _ in notes:
            note_id, ref_id = note_anchor(slug, number)
            back = f'<a href="#{ref_id}" role="doc-backlink" class="backlink">{number}.</a>'
            parts.append(f'<aside epub:type="footnote" role="doc-footnote" id="{note_id}" '
                         f'class="footnote">{note.with_first(back)}</aside>')
        title = escape((self.words or language("en")).gettext("Notes"))
        return (f'<section class="notes" aria-labelledby="notes-{slug}"><h2 id="notes-{slug}">{title}</h2>'
                + "".join(parts) + "</section>")

    def figure_body(self, figure: Figure) -> str:
        # E-books get a chart as an SVG file through a plain <img>, drawn narrow (readable on a
        # phone, shown at up to its own size elsewhere), with a PNG fallback in the manifest.
        # (A <picture> with SVG sources failed in calibre: it dropped the SVGs its sources named
        # as unused files, then its browser engine chose a source and found nothing.)
        if figure.spec.kind != "image":
            return image_html(chart_stem(figure) + ".svg", figure.alt, svg_size(svg(figure, OUTPUTS["narrow"])))
        return draw(figure)


def chart_stem(figure: Figure) -> str:
    """Where a chart's SVG and PNG files go in the book (without the suffix)."""
    return f"images/{html_id(figure.spec.id)}"


def chart_assets(report: Report, cache: Path | None = None) -> list[Asset]:
    """Every chart as an SVG file (the narrow drawing, its fonts embedded) and a PNG copy at
    twice its size (the SVG's manifest fallback)."""
    charts = [f for f in report.figures if f.spec.kind != "image"]
    drawings = [svg(f, OUTPUTS["narrow"]) for f in charts]
    text = chart_text(drawings)  # one cut of the fonts serves every chart
    found = []
    for figure, drawing in zip(charts, drawings, strict=True):
        stem = chart_stem(figure)
        found += [Asset(f"{stem}.svg", svg_file(standalone(drawing, text, cache)), "image/svg+xml"),
                  Asset(f"{stem}.png", svg_png(drawing), "image/png")]
    return found


class _Writer(epub.EpubWriter):  # type: ignore[misc]
    """ebooklib leaves out xml:lang on <package>; Ace requires it (epub-lang). It has no manifest
    fallbacks either: each chart's SVG names its PNG copy (EPUB 3.3, 3.4.4 Manifest fallbacks)."""

    language = "en"

    def _write_opf_file(self, root: etree._Element) -> None:
        root.set(XML_LANG, self.language)
        super()._write_opf_file(root)

    def _write_opf_manifest(self, root: etree._Element) -> Any:
        found = super()._write_opf_manifest(root)
        items = {item.get("href"): item for item in root.iter("item")}
        for href, item in items.items():
            copy = items.get(href[:-4] + ".png") if href.startswith("images/") and href.endswith(".svg") else None
            if copy is not None:
                item.set("fallback", copy.get("id"))
        return found


def _documents(report: Report, env: jinja2.Environment) -> list[Part]:
    meta = report.meta
    words = language(meta.language)
    _ = words.gettext
    renderer = Renderer(report, EpubStyle(words))
    common = {"report": report, "meta": meta}
    docs = [
        Part("cover.xhtml", _("Cover"), render(env, "epub/cover.xhtml", **common), in_toc=False),
        Part("titlepage.xhtml", _("Title page and imprint"),
                 render(env, "epub/titlepage.xhtml", citation=plain_citation(report), **common)),
    ]
    if report.changes:
        docs.append(Part("changes.xhtml", _("Changes in this edition"), render(
            env, "epub/changes.xhtml", **common)))
    docs += [
        Part("introduction.xhtml", _("Introduction"), render(
            env, "epub/section.xhtml", title=_("Introduction"), anchor="introduction", number=None,
            summary="", epub_type="introduction", role="doc-introduction",
            body=renderer.introduction(), **common)),
    ]
    for chapter in report.documents:
        docs.append(_chapter_document(chapter, renderer.chapter(chapter), env, common))
    if report.references:
        docs.append(Part(f"{BIBLIOGRAPHY}.xhtml", _("Bibliography"), render(env, "epub/bibliography.xhtml", **common)))
    if report.glossary:
        docs.append(Part(f"{GLOSSARY}.xhtml", _("Glossary"), render(env, "epub/glossary.xhtml", **common)))
    return docs


def _chapter_document(chapter: Chapter, body: str, env: jinja2.Environment, common: dict[str, object]) -> Part:
    kind, role = ("chapter", "doc-chapter") if chapter.number else ("preface", "doc-preface")
    label = f"{chapter.number}. {chapter.title}" if chapter.number else chapter.title
    html = render(env, "epub/section.xhtml", title=chapter.title, anchor=chapter.anchor,
                  number=chapter.number, summary=chapter.summary, epub_type=kind, role=role,
                  body=body, **common)
    return Part(f"{document_stem(chapter)}.xhtml", label, html, headings=chapter.sections,
                bodymatter=chapter.number == 1)


# Elements that may carry a page marker; ids inside inline SVG (chart titles) never do.
MARKABLE = re.compile(r'<(section|p|li|h[1-6]|figure|table|aside|dt|div)\b[^>]*?\sid="([^"]+)"[^>]*>')
OUTSIDE = ("table",)  # a marker may not be a child of these: it goes before the tag


def _with_page_breaks(documents: list[Part], anchors: dict[str, int],
                      words: Language) -> tuple[list[Part], list[dict[str, str]]]:
    """Put print-page markers into the documents, named in `words`'s language ("Page 4");
    return them and the page-list entries."""
    located = [(doc_index, m.group(2)) for doc_index, doc in enumerate(documents)
               for m in MARKABLE.finditer(doc.html)]
    home = {anchor: index for index, anchor in located}
    breaks = page_breaks(anchors, [anchor for _, anchor in located])
    by_anchor: dict[str, list[PageBreak]] = {}
    for item in breaks:
        by_anchor.setdefault(item.anchor, []).append(item)
    updated = list(documents)
    for anchor, items in by_anchor.items():
        index = home[anchor]
        page = words.gettext("Page %(number)s")
        markers = "".join(f'<span epub:type="pagebreak" role="doc-pagebreak" id="page-{b.label}" '
                          f'aria-label="{escape(page % {"number": b.label})}"></span>' for b in items)
        html = updated[index].html
        match = next(m for m in MARKABLE.finditer(html) if m.group(2) == anchor)
        at = match.start() if match.group(1) in OUTSIDE else match.end()
        updated[index] = dataclasses.replace(updated[index], html=html[:at] + markers + html[at:])
    pages = [{"href": f"{documents[home[b.anchor]].file}#page-{b.label}", "label": b.label} for b in breaks]
    return updated, pages


def build_epub(report: Report, env: jinja2.Environment, anchors: dict[str, int] | None = None,
               cache: Path | None = None) -> bytes:
    """The EPUB as bytes: identical for an unchanged report and page map.

    `anchors` maps element ids to pages of the print PDF; with it, the book gets page-break
    markers and a page list that follow the print edition.
    """
    meta = report.meta
    words = language(meta.language)
    book = epub.EpubBook()
    book.set_identifier(meta.urn)
    book.set_title(meta.title)
    book.set_language(meta.language)
    for i, person in enumerate(meta.authors, 1):
        if person.role == "author":
            book.add_author(person.name, uid=f"author{i}")
        else:
            book.add_metadata("DC", "contributor", person.name, {"id": f"contributor{i}"})
    book.add_metadata("DC", "publisher", meta.publisher.name)
    book.add_metadata("DC", "date", meta.published)
    book.add_metadata("DC", "description", meta.standfirst)
    book.add_metadata("DC", "rights", f"{meta.rights.licence}. {meta.holder}.")
    for keyword in meta.keywords:
        book.add_metadata("DC", "subject", keyword)
    for prop, value in A11Y:
        book.add_metadata(None, "meta", value, {"property": prop})
    book.add_metadata(None, "meta", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA", {"property": "dcterms:conformsTo"})
    book.add_metadata(None, "meta", meta.publisher.name, {"property": "a11y:certifiedBy"})
    book.add_metadata(None, "meta", words.gettext(
        "The text is fully navigable by chapter and section; every figure has a text alternative and "
        "its data is also given in the text or in a table; tables have captions and header cells."),
        {"property": "schema:accessibilitySummary"})
    book.add_metadata(None, "meta", words.gettext("Edition %(number)s") % {
        "number": meta.edition.number, "ordinal": words.ordinal(meta.edition.number)}, {"property": "schema:version"})

    book.set_cover("images/cover.jpg", cover_jpeg(meta), create_page=False)
    for name in FORMATS["epub"].stylesheets:
        book.add_item(epub.EpubItem(uid=f"css-{name[:-4]}", file_name=f"styles/{name}",
                                    media_type="text/css", content=(STYLES / name).read_bytes()))
    files = [(asset_href(a.name), a) for a in report.assets] + [(a.name, a) for a in chart_assets(report, cache)]
    for name, asset in sorted(files, key=lambda item: item[0]):
        book.add_item(epub.EpubItem(uid=f"asset-{len(book.items)}", file_name=name,
                                    media_type=asset.media_type, content=asset.data))

    documents = _documents(report, env)
    pages: list[dict[str, str]] = []
    if anchors:
        documents, pages = _with_page_breaks(documents, anchors, words)
        source = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, meta.urn + '#print-pdf')}"
        book.add_metadata("DC", "source", source, {"id": "pagination-source"})
        book.add_metadata(None, "meta", "pagination", {"refines": "#pagination-source", "property": "source-of"})
        for feature in ("pageBreakMarkers", "pageNavigation", "printPageNumbers"):
            book.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
    nav_html = render(env, "epub/nav.xhtml", report=report, meta=meta, documents=documents,
                      bodymatter=next(d.file for d in documents if d.bodymatter), pages=pages,
                      stylesheets=FORMATS["epub"].stylesheets)
    nav = epub.EpubItem(uid="nav", file_name="nav.xhtml", media_type="application/xhtml+xml",
                        content=nav_html.encode())
    # Fonts carry only the characters the book uses: a tenth of the size, same rendering.
    text = visible_text(nav_html + "".join(d.html for d in documents))
    for font in sorted(FONTS.iterdir()):
        if font.suffix in FONT_TYPES:
            book.add_item(epub.EpubItem(uid=f"font-{font.stem}", file_name=f"styles/fonts/{font.name}",
                                        media_type=FONT_TYPES[font.suffix],
                                        content=subset_font(font, text, cache)))
    nav.properties = ["nav"]
    book.add_item(nav)
    items = []
    for i, doc in enumerate(documents):
        item = epub.EpubItem(uid=f"doc{i:02d}", file_name=doc.file, media_type="application/xhtml+xml",
                             content=doc.html.encode())
        book.add_item(item)
        items.append(item)
    book.add_item(epub.EpubNcx())
    book.toc = [epub.Link(d.file, d.label, f"toc-{i}") for i, d in enumerate(documents) if d.in_toc]
    book.spine = [items[0], nav, *items[1:]]
    book.guide = []

    buffer = io.BytesIO()
    writer = _Writer(buffer, book, {
        "mtime": datetime.strptime(meta.edition.date, "%Y-%m-%d"),
        "epub3_landmark": False, "epub3_pages": False, "epub2_guide": False,
        "raise_exceptions": True})
    writer.language = meta.language
    writer.process()
    writer.write()
    return _repack(buffer.getvalue())


def _repack(data: bytes) -> bytes:
    """Rewrite the zip with fixed timestamps and permissions (ebooklib 0.20 stamps 'now')."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            entry.create_system = 3
            entry.external_attr = 0o100644 << 16
            entry.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


class EpubWriter(SimpleWriter):
    """Writes the EPUB; its description is a product (the detail page offers it)."""

    target = "epub"

    def __init__(self, env: jinja2.Environment, options: BuildOptions) -> None:
        self.env = env
        self.cache = options.cache / "fonts"  # subset fonts, kept between builds
        use_cache(options.cache / "charts")  # drawings kept between builds

    def write(self, report: Report, stage: Path, products: Products) -> Products:
        # The page list follows the print edition: its fresh layout when the PDFs are being
        # rebuilt (it arrives before they are written), else the last build's.
        layout = products.layout("print")
        data = build_epub(report, self.env, layout.anchors if layout else None, self.cache)
        name = output_name(report.meta, "epub")
        check_epub(data, name)  # OutputError: nothing is written
        write_atomic(stage / name, data)
        described = OutputFile(name, FORMATS["epub"].label, "EPUB", "application/epub+zip", len(data),
                               hashlib.sha256(data).hexdigest())
        return products.add("epub", [Path(name)], outputs={"epub": Deferred(described)})
