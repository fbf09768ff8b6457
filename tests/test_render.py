"""One renderer, a style per format: the same parsed report becomes each format's HTML."""

from __future__ import annotations

import pytest

from publisher.epub import EpubStyle, chart_assets
from publisher.loader import load_report
from publisher.pdf import PrintStyle
from publisher.reference import format_reference
from publisher.render import Renderer
from publisher.site import WebStyle
from tests.conftest import MINIMAL


@pytest.fixture(scope="module")
def report():
    return load_report(MINIMAL, strict=True)[0]


class Rendered:
    """Each chapter's HTML in each style: `html["print"][1]` is chapter 2 in the PDF."""

    def __init__(self, report) -> None:
        styles = {"print": PrintStyle(), "epub": EpubStyle(), "web": WebStyle()}
        self.html = {mode: [Renderer(report, style).chapter(c) for c in report.chapters]
                     for mode, style in styles.items()}


@pytest.fixture(scope="module")
def rendered(report):
    return Rendered(report)


def test_cross_references_render_as_numbered_links(rendered):
    html = rendered.html["print"][1]
    assert '<a class="xref xref-fig" href="#fig-flows">Figure 2</a>' in html
    assert '<a class="xref xref-sec" href="#sec-context-geography">Section 1.1</a>' in html
    assert '<a class="xref xref-tbl" href="#tbl-gauges">Table 2</a>' in html
    epub = rendered.html["epub"][2]
    assert '<a class="xref xref-ch" href="01-context.xhtml#ch-context">Chapter 1</a>' in epub


def test_citations_link_to_the_bibliography(rendered):
    html = rendered.html["print"][0]
    assert ('<span class="citation">[<a class="cite" href="#ref-basin-atlas">1, p. 4</a>, '
            '<a class="cite" href="#ref-flow-data">2</a>]</span>') in html
    assert 'href="bibliography.xhtml#ref-basin-atlas"' in rendered.html["epub"][0]


def test_notes_differ_per_target(rendered):
    assert '<span class="footnote" id="fn-context-1">The commission began in 1992' in rendered.html["print"][0]
    assert 'epub:type="noteref" role="doc-noteref" href="#fn-context-1"' in rendered.html["epub"][0]
    assert '<aside epub:type="footnote" role="doc-footnote" id="fn-context-1"' in rendered.html["epub"][0]
    assert 'role="doc-endnotes"' in rendered.html["web"][0]


def test_abbreviations_link_to_the_glossary(report, rendered):
    html = rendered.html["print"][0]
    assert ('<a class="gls" href="#gls-icwc"><abbr title="Interstate Commission for Water '
            'Coordination">ICWC</abbr></a>') in html
    assert [g.abbr for g in report.glossary] == ["ICWC", "SDGs"]


def test_generated_figures_and_tables(report, rendered):
    html = rendered.html["print"][0]
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert '<title id="fig-events-title">A time line with five meetings' in html
    assert html.count("<circle") == 5
    assert '<th scope="row">Upstream A</th>' in html
    assert html.count('<th scope="col">') == 3 + 2  # the data table and the pipe table
    assert '<img src="images/basin.png" alt="A blue square' in rendered.html["print"][1]
    # The EPUB gets the charts as files (SVG with a PNG fallback) and shows them as pictures.
    assert [a.name for a in chart_assets(report)] == [
        "images/fig-events.svg", "images/fig-events.png", "images/fig-flows.svg", "images/fig-flows.png"]
    assert '<picture><source srcset="images/fig-flows.svg"' in rendered.html["epub"][1]


def test_web_boxes_that_scroll_are_named_regions(rendered):
    html = rendered.html["web"][0]
    assert '<div class="table-wrap" role="region" tabindex="0" aria-label="Table 1">' in html
    assert '<div class="table-wrap" role="region" tabindex="0" aria-label="Unnumbered table 1"><table>' in html
    assert '<div class="figure-body" role="region" tabindex="0" aria-label="Figure 1"><svg' in html
    assert 'role="region"' not in rendered.html["print"][0]


def test_references_are_formatted_the_same_everywhere(report):
    html, text = format_reference(report.references[0].entry)
    assert "Atlas of the Aral Basin" in html and "Atlas of the Aral Basin" in text
    assert "In Russian." in format_reference(report.references[2].entry)[1]
