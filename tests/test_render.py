"""One renderer, a style per format: the same parsed report becomes each format's HTML."""

from __future__ import annotations

import re

import pytest

from publisher.epub import EpubStyle, chart_assets
from publisher.loader import load_report
from publisher.pdf import PrintStyle
from publisher.reference import format_reference, readable_url
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
    assert '<a class="xref xref-fig" href="#fig-flows">Figure\u00a02</a>' in html
    assert '<a class="xref xref-sec" href="#sec-context-geography">Section\u00a01.1</a>' in html
    assert '<a class="xref xref-tbl" href="#tbl-gauges">Table\u00a02</a>' in html
    epub = rendered.html["epub"][2]
    assert '<a class="xref xref-ch" href="01-context.xhtml#ch-context">Chapter\u00a01</a>' in epub


def test_citations_link_to_the_bibliography(rendered):
    html = rendered.html["print"][0]
    # With a locator in it, the items of a citation are kept apart by semicolons.
    # (The PDF keeps the last two items of a citation on one line.)
    assert ('<span class="citation">[<a class="cite" href="#ref-basin-atlas">1, p. 4</a>;\u00a0'
            '<a class="cite" href="#ref-flow-data">2</a>]</span>') in html
    assert 'href="bibliography.xhtml#ref-basin-atlas"' in rendered.html["epub"][0]


def test_notes_differ_per_target(rendered):
    assert ('<span class="footnote" id="fn-context-1" data-number="1">The commission began in 1992'
            in rendered.html["print"][0])
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
    assert '<svg role="img" aria-labelledby="fig-events-title" xmlns="http://www.w3.org/2000/svg"' in html
    assert '<title id="fig-events-title">A time line with five meetings' in html
    assert len(re.findall(r'<path[^>]*fill="#0072b2"', html)) == 3  # the ministerial meetings
    assert '<th scope="row" data-label="State">Upstream A</th>' in html
    assert html.count('<th scope="col">') == 3 + 2  # the data table and the pipe table
    assert '<img src="media/images/basin.png" alt="A blue square' in rendered.html["print"][1]
    # The EPUB gets the charts as files (SVG with a PNG fallback) and shows them as plain images.
    assert [a.name for a in chart_assets(report)] == [
        "images/fig-events.svg", "images/fig-events.png", "images/fig-flows.svg", "images/fig-flows.png"]
    assert '<img class="chart" src="images/fig-flows.svg"' in rendered.html["epub"][1]


def test_web_boxes_that_scroll_are_named_regions(rendered):
    html = rendered.html["web"][0]
    assert '<div class="table-wrap" role="region" tabindex="0" aria-label="Table 1">' in html
    assert '<div class="table-wrap" role="region" tabindex="0" aria-label="Unnumbered table 1"><table>' in html
    # A chart never scrolls (a narrow drawing serves phones): its box is not a tab stop.
    assert ('<div class="figure-body"><picture><source media="(max-width: 40em)" '
            'srcset="figures/fig-events-narrow.svg" type="image/svg+xml"/><img class="chart" '
            'src="figures/fig-events.svg"') in html
    # Beside it, its data: a table (folded away) and a CSV file.
    assert '<details class="figure-data"><summary>Data of figure 1 as a table</summary>' in html
    assert '<a href="figures/fig-events.csv" download="">Download the data (CSV)</a>' in html
    assert 'aria-label="Figure 1"' not in html
    assert 'role="region"' not in rendered.html["print"][0]


def test_references_are_formatted_the_same_everywhere(report):
    html, text = format_reference(report.references[0].entry)
    assert "Atlas of the Aral Basin" in html and "Atlas of the Aral Basin" in text
    assert "In Russian." in format_reference(report.references[2].entry)[1]


@pytest.mark.parametrize(("url", "shown"), [
    ("https://x.example/%D0%BA%D0%B0", "https://x.example/ка"),
    # An invisible character (here a no-break space) stays encoded as written; the letters
    # around it are still decoded.
    ("https://x.example/%D0%BA%C2%A0%D0%B0", "https://x.example/к%C2%A0а"),
    # Japanese has its bundled face (Noto Sans CJK JP): its letters are decoded, an ideographic
    # space (U+3000) stays encoded.
    ("https://x.example/%e4%b8%ad%e5%a4%ae%e3%80%80", "https://x.example/中央%e3%80%80"),
    # Letters no bundled font can draw (Korean) stay encoded: the build would refuse them.
    ("https://x.example/%ED%95%9C/%D0%BA", "https://x.example/%ED%95%9C/к"),
    ("https://x.example/a%20b%2Fc%25d", "https://x.example/a%20b%2Fc%25d"),
    ("https://x.example/%ff%fe", "https://x.example/%ff%fe"),  # not UTF-8: left alone
])
def test_a_url_is_shown_decoded_where_that_is_unambiguous(url, shown):
    assert readable_url(url) == shown


def test_references_inside_links_and_locators_are_text(content):
    # A citation's locator is text (no markup, no cross-reference inside it), and a reference
    # inside a link is not a second link: links never nest (EPUBCheck RSC-005).
    chapter = content / "chapters" / "03-outlook.md"
    with chapter.open("a", encoding="utf-8") as handle:
        handle.write("\nSee [@basin-atlas, p. *12*] and [@flow-data, see @sec:context-rules], "
                     "and [the @gls:ICWC site on @sec:context-rules](https://example.org/).\n")
    report = load_report(content)[0]
    for style in (PrintStyle(), EpubStyle(), WebStyle()):
        html = Renderer(report, style).chapter(report.chapters[2])
        assert "1, p. *12*</a>" in html and "see @sec:context-rules</a>" in html
        link = html[html.index('<a href="https://example.org/">'):]
        link = link[:link.index("</a>") + 4]
        assert link.count("<a ") == 1 and "Section\u00a01.2" in link and "<abbr" in link, link


def test_headings_with_markup_read_as_plain_text_in_every_list(content):
    chapter = content / "chapters" / "03-outlook.md"
    text = chapter.read_text(encoding="utf-8").replace(
        "## Open questions {#sec:outlook-questions}",
        "## The *new* rules of the @gls:ICWC and [the site](https://example.org/) {#sec:outlook-questions}")
    chapter.write_text(text, encoding="utf-8")
    report = load_report(content)[0]
    assert report.chapters[2].headings[0].title == "The new rules of the ICWC and the site"


def test_a_report_without_references_or_glossary_has_no_empty_back_matter(content, tmp_path):
    import zipfile

    from tests.conftest import run_cli

    for path in (content / "chapters").glob("*.md"):
        path.write_text(re.sub(r" ?\[@[^\]]+\]", "", path.read_text(encoding="utf-8")).replace("@gls:", ""),
                        encoding="utf-8")
    for name in ("front/summary.md", "report.yaml", "data/states.yaml", "data/events.yaml"):
        path = content / name
        text = re.sub(r', (sources): "\[@[^\]]+\]"', "", path.read_text(encoding="utf-8"))
        path.write_text(re.sub(r" ?\[@[^\]]+\]", "", text), encoding="utf-8")
    (content / "references.yaml").unlink()
    (content / "glossary.yaml").unlink()
    out = tmp_path / "out"
    result = run_cli("--content", str(content), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert not (out / "read" / "bibliography.html").exists() and not (out / "read" / "glossary.html").exists()
    with zipfile.ZipFile(next(out.glob("*.epub"))) as book:
        assert "EPUB/bibliography.xhtml" not in book.namelist()
        assert "bibliography" not in book.read("EPUB/nav.xhtml").decode()


@pytest.mark.parametrize(("written", "language", "printed"), [
    ("Russia - Islamic World", "en", "Russia\u00a0– Islamic World"),
    ("Dialogue - Action Plan - (unofficial translation)", "en", "Dialogue\u00a0– Action Plan\u00a0– (unofficial translation)"),
    ("изменениями - Токаев", "ru", "изменениями\u00a0— Токаев"),
    ("19-20 December 2025", "en", "19–20 December 2025"),
    ("2025-12-20", "en", "2025-12-20"),  # an ISO date is not a range
    ("Japan-Central Asia, -5, a- b", "en", "Japan-Central Asia, -5, a- b"),  # only a hyphen spaced on both sides
])
def test_spaced_hyphens_become_the_languages_dash_and_number_ranges_en_dashes(written, language, printed):
    from publisher.typography import curl

    assert curl(written, language) == printed


def test_a_sentence_ending_on_an_abbreviated_date_keeps_one_full_stop():
    from markupsafe import Markup

    from publisher.templates import one_stop

    assert one_stop("Издано 15 января 2026 г.. 2-е издание.") == "Издано 15 января 2026 г. 2-е издание."
    assert one_stop("Wait... and see.") == "Wait... and see."
    assert isinstance(one_stop(Markup("<p>г..</p>")), Markup) and one_stop(Markup("<p>г..</p>")) == "<p>г.</p>"


@pytest.mark.parametrize(("text", "tied"), [
    ("JPY 204 m (≈ USD 2.2 m)", "(≈\u00a0USD"), ("below < 5 %", "<\u00a05"), ("a ≤ b", "≤\u00a0b")])
def test_a_sign_of_approximation_stays_with_what_it_qualifies(text, tied):
    """"(≈" is never left at a line's end in the PDF: the sign is tied to what follows it."""
    from publisher.typography import bind

    assert tied in bind(text)


def test_a_numbered_label_with_a_hyphen_never_breaks(tmp_path):
    """A cross-reference label such as Kazakh "1-кесте" (Table 1) is kept on one line in every
    output: its hyphen is no place to break (a no-wrap span, the text itself unchanged)."""
    from publisher.loader import load_report
    from publisher.pdf import render_html
    from publisher.templates import make_env
    from tests.conftest import LANGUAGES

    report, _ = load_report(LANGUAGES / "kk")
    html = render_html(report, make_env(), "screen")
    labels = re.findall(r'<a class="xref xref-(?:tbl|fig)"[^>]*>(.*?)</a>', html)
    assert labels and all(re.fullmatch(r'<span class="nobr">[^<]*</span>', label) for label in labels), labels


@pytest.mark.parametrize(("text", "shown"), [
    ("Edition 2, 2 марта 2026 г..", "Edition 2, 2 марта 2026 г."), ("Licence v3.0..", "Licence v3.0."),
    ('<a href="x">Licence v3.0.</a>.', '<a href="x">Licence v3.0.</a>'), ("Corrected....", "Corrected..."),
    ("Corrected….", "Corrected…"), ('<a href="../x">up</a>...', '<a href="../x">up</a>...')])
def test_a_sentence_ends_with_one_mark(text, shown):
    """A message's full stop after a value that ends in one (an abbreviation, a version, a link's
    text, an ellipsis) is dropped; paths and ellipses are left alone."""
    from publisher.typography import one_stop

    assert one_stop(text) == shown


def test_a_title_that_asks_takes_no_colon_and_page_lists_are_plural():
    from publisher.citation import full_title
    from publisher.language import language
    from publisher.typography import locator

    assert full_title("Why Central Asia?", "Notes", language("en")) == "Why Central Asia? Notes"
    assert full_title("水資源", "報告", language("ja")) == "水資源：報告"
    assert locator("pp. 4, 7") == "pp. 4, 7" and locator("pp. 10-12", "ja") == "10–12ページ"


def test_one_stop_keeps_markup_and_ends_after_any_sentence_end():
    """Markup stays markup (the closing tag a second stop follows is not escaped), and a message's
    stop after any sentence end is dropped: a bracket, a quote, a question, a link, Japanese."""
    from markupsafe import Markup

    from publisher.typography import no_full_stop, one_stop

    assert one_stop(Markup('<a href="x">v3.0.</a>.')) == Markup('<a href="x">v3.0.</a>')
    for text, shown in [("Fixed (see annex)..", "Fixed (see annex)."), ("Why?.", "Why?"),
                        ("Renamed “Flows.”.", "Renamed “Flows.”"), ("See https://example.org/..", "See https://example.org/."),
                        ("修正しました。。", "修正しました。"), ("etc... yes", "etc... yes")]:
        assert one_stop(text) == shown
    assert [no_full_stop(t) for t in ("Tables etc.", "2020–2021 гг.", "First (draft).", "初版。", "Review draft.")] == \
        ["Tables etc.", "2020–2021 гг.", "First (draft)", "初版", "Review draft"]
