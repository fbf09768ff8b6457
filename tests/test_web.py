"""The detail page."""

from __future__ import annotations

import re

import pytest


@pytest.fixture(scope="module")
def page(fixture_built):
    return (fixture_built.out / "index.html").read_text(encoding="utf-8")


def test_detail_page_content(page):
    assert "<li>Files</li><li>Testing</li>" in page
    assert "<h1>Water Sharing in the Aral Basin</h1>" in page
    assert '<time datetime="2026-02-01">01/02/2026</time>' in page
    titles = re.findall(r'<li>([^<]+)</li>\n', page.split('class="chapter-list"')[1].split("</ol>")[0])
    assert titles == ["Context of the Basin", "Flows and Measurements", "Outlook"]
    assert "This fixture stands in for a real report" in page


def test_downloads_are_listed_with_sizes(page, fixture_built):
    for name in ("river-basin-note-ed2-screen.pdf", "river-basin-note-ed2-print.pdf", "river-basin-note-ed2.epub"):
        assert f'href="{name}"' in page
        assert (fixture_built.out / name).exists()
    assert re.search(r"PDF, \d+\.\d KB", page)
