"""The loader turns a content folder into a frozen, numbered Report."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from publisher.loader import load_report
from tests.conftest import MINIMAL


@pytest.fixture(scope="module")
def report():
    return load_report(MINIMAL, strict=True)[0]


def test_chapters_in_order_with_numbers(report):
    assert [(c.number, c.slug, c.title) for c in report.chapters] == [
        (1, "context", "Context of the Basin"),
        (2, "flows", "Flows and Measurements"),
        (3, "outlook", "Outlook"),
    ]
    assert [c.slug for c in report.front] == ["summary"]
    assert report.chapters[0].short_title == "Context"
    assert report.chapters[1].short_title == "Flows and Measurements"


def test_sections_are_numbered_per_chapter(report):
    headings = [(h.number, h.title, h.level) for h in report.chapters[0].headings]
    assert headings == [("1.1", "Geography", 2), ("1.1.1", "Upstream and downstream", 3),
                        ("1.2", "Rules", 2)]
    assert report.chapters[0].headings[0].id == "sec-context-geography"


def test_figures_and_tables_numbered_across_the_report(report):
    assert [(f.number, f.id, f.chapter) for f in report.figures] == [
        (1, "fig-events", "context"), (2, "fig-flows", "flows"), (3, "fig-map", "flows")]
    assert [(t.number, t.id) for t in report.tables] == [(1, "tbl-states"), (2, "tbl-gauges")]
    assert report.tables[0].caption == "The basin states and their shares."


def test_citations_numbered_by_first_use(report):
    # The introduction cites basin-atlas first, the front matter flow-data, then treaty-1998.
    assert [(r.number, r.key) for r in report.references] == [
        (1, "basin-atlas"), (2, "flow-data"), (3, "treaty-1998")]
    assert "Atlas of the Aral Basin" in report.references[0].html
    assert "In Russian." in report.references[2].text


def test_cross_references_render_as_numbered_links(report):
    html = report.chapters[1].html_print
    assert '<a class="xref xref-fig" href="#fig-flows">Figure 2</a>' in html
    assert '<a class="xref xref-sec" href="#sec-context-geography">Section 1.1</a>' in html
    assert '<a class="xref xref-tbl" href="#tbl-gauges">Table 2</a>' in html
    epub = report.chapters[2].html_epub
    assert '<a class="xref xref-ch" href="01-context.xhtml#ch-context">Chapter 1</a>' in epub


def test_citations_link_to_the_bibliography(report):
    html = report.chapters[0].html_print
    assert ('<span class="citation">[<a class="cite" href="#ref-basin-atlas">1, p. 4</a>, '
            '<a class="cite" href="#ref-flow-data">2</a>]</span>') in html
    assert 'href="bibliography.xhtml#ref-basin-atlas"' in report.chapters[0].html_epub


def test_notes_differ_per_target(report):
    chapter = report.chapters[0]
    assert '<span class="footnote" id="fn-context-1">The commission began in 1992' in chapter.html_print
    assert 'epub:type="noteref" role="doc-noteref" href="#fn-context-1"' in chapter.html_epub
    assert '<aside epub:type="footnote" role="doc-footnote" id="fn-context-1"' in chapter.html_epub
    assert 'role="doc-endnotes"' in chapter.html_web


def test_abbreviations_link_to_the_glossary(report):
    html = report.chapters[0].html_print
    assert ('<a class="gls" href="#gls-icwc"><abbr title="Interstate Commission for Water '
            'Coordination">ICWC</abbr></a>') in html
    assert [g.abbr for g in report.glossary] == ["ICWC", "SDGs"]


def test_generated_figures_and_tables(report):
    html = report.chapters[0].html_print
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert '<title id="fig-events-title">A time line with five meetings' in html
    assert html.count("<circle") == 5
    assert '<th scope="row">Upstream A</th>' in html
    assert html.count('<th scope="col">') == 3 + 2  # the data table and the pipe table
    assert '<img src="images/basin.png" alt="A blue square' in report.chapters[1].html_print
    # The image figure's file, and the charts as files for the EPUB (SVG with a PNG fallback).
    assert [a.name for a in report.assets] == [
        "images/basin.png", "images/fig-events.png", "images/fig-events.svg",
        "images/fig-flows.png", "images/fig-flows.svg"]


def test_metadata(report):
    meta = report.meta
    assert meta.id == "river-basin-note"
    assert meta.edition.number == 2 and meta.edition.date == "2026-03-15"
    assert [(e.number, e.date) for e in meta.history] == [(1, "2026-02-01")]
    assert meta.identifier == "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "report:river-basin-note"))
    assert meta.language == "en" and meta.category == "Testing"


def test_word_counts_skip_citation_syntax(report):
    outlook = report.chapters[2]
    # "The outlook depends on cooperation and on the SDGs, as Chapter 1 and Table 1 show."
    # (16 words) plus the heading (2) and the last paragraph (9): citation keys are not words.
    assert outlook.word_count == 27


def test_report_is_frozen(report):
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.meta = None  # type: ignore[misc]
