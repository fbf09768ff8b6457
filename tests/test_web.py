"""The detail page (dist/index.html) and the reading edition (dist/read/), read as files."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import html as lhtml
from PIL import Image
from pypdf import PdfReader

from publisher.citation import bibtex, plain_citation, ris
from publisher.formats import asset_href
from publisher.site import page_file
from publisher.templates import human_size
from tests.conftest import run_cli

FIXTURE_PAGES = ["index.html", "introduction.html", "summary.html", "01-context.html", "02-flows.html",
                 "03-outlook.html", "bibliography.html", "glossary.html"]
BASE = "https://example.org/reports/river-basin-note/"
DOWNLOADS = ["river-basin-note-ed2-screen.pdf", "river-basin-note-ed2.epub"]
PRINTERS = ["river-basin-note-ed2-print.pdf", "river-basin-note-ed2-cover.pdf"]


@pytest.fixture(scope="module")
def page(fixture_built):
    return (fixture_built.out / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tree(page):
    return lhtml.fromstring(page)


def html_pages(out: Path) -> list[Path]:
    return [out / "index.html", *sorted((out / "read").glob("*.html"))]


def text(element) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def test_detail_page_content(page, tree):
    assert "<li>Files</li><li>Testing</li>" in page
    assert "<h1 id=\"report-title\">Water Sharing in the Aral Basin</h1>" in page
    assert tree.xpath("string(//p[@class='standfirst'])").startswith("A short fixture report")
    assert '<time datetime="2026-02-01">1\xa0February 2026</time>' in page
    headings = [text(h) for h in tree.xpath("//main//h2")]
    assert headings[:5] == ["Download", "About this report", "For printers", "Chapters", "Introduction"]
    assert text(tree.xpath("//p[@class='byline']")[0]) == "Policy brief by Ada Fixture · 1 February 2026"
    links = tree.xpath("//ol[@class='chapter-list']/li/a")
    assert [a.text for a in links] == ["Context of the Basin", "Flows and measurements", "Outlook"]
    assert [a.get("href") for a in links] == ["read/01-context.html", "read/02-flows.html", "read/03-outlook.html"]
    assert "This fixture stands in for a real report" in page
    assert 'href="read/bibliography.html#ref-basin-atlas"' in page


def test_detail_block(tree, fixture_built):
    rows = {text(dt): text(dt.getnext()) for dt in tree.xpath("//section[@class='detail-block']//dt")}
    screen = PdfReader(fixture_built.out / DOWNLOADS[0])
    assert rows["Type"] == "Policy brief"
    assert rows["Publisher"] == "Fixture Institute"
    assert rows["Published"] == "1 February 2026"
    assert rows["Edition"] == "2, 15 March 2026"
    assert rows["Pages"] == str(len(screen.pages))
    assert rows["Language"] == "English"
    assert rows["Formats"] == "HTML, PDF, EPUB"
    assert rows["Authors"] == "Ada Fixture; Ben Editor (editor)"


def test_downloads_have_sizes_checksums_and_pages(tree, fixture_built):
    items = tree.xpath("//section[@id='downloads']//li")
    assert [li.xpath("string(a/@href)") for li in items] == DOWNLOADS
    for li, name in zip(items, DOWNLOADS):
        data = (fixture_built.out / name).read_bytes()
        assert li.xpath("a/@download") == [""]
        assert not li.xpath(".//code")  # the checksums are in their own, collapsed list
        facts = text(li.xpath(".//span[@class='file-facts']")[0])
        assert facts.endswith(human_size(len(data)))
        if name.endswith(".pdf"):
            assert f"{len(PdfReader(io.BytesIO(data)).pages)} pages" in facts
    assert [text(a) for a in tree.xpath("//section[@id='downloads']//a")] == ["PDF for screens", "EPUB e-book"]
    checksums = tree.xpath("//section[@id='downloads']/details[@class='checksums']")
    assert len(checksums) == 1 and checksums[0].get("open") is None
    sums = {text(dt): text(dt.getnext()) for dt in checksums[0].xpath(".//dt")}
    assert sums == {name: hashlib.sha256((fixture_built.out / name).read_bytes()).hexdigest() for name in DOWNLOADS}


def test_cover_thumbnail(tree, fixture_built):
    img = tree.xpath("//a[@class='cover']/img")[0]
    assert img.get("alt") == "Cover of Water Sharing in the Aral Basin"
    with Image.open(fixture_built.out / img.get("src")) as cover:
        assert cover.format == "JPEG"
        assert cover.size == (int(img.get("width")) * 3, int(img.get("height")) * 3)  # sharp at 3 dppx


def test_how_to_cite(page, tree, fixture_built):
    report = fixture_built.report
    assert text(tree.xpath("//p[@class='citation-text']")[0]) == plain_citation(report)
    assert html.escape(bibtex(report), quote=False) in page
    assert html.escape(ris(report), quote=False) in page
    files = tree.xpath("//p[@class='cite-files']/a/@href")
    assert [Path(f).suffix for f in files] == [".bib", ".ris"]
    assert (fixture_built.out / files[0]).read_text(encoding="utf-8") == bibtex(report)
    assert (fixture_built.out / files[1]).read_text(encoding="utf-8") == ris(report)


def test_edition_history(tree):
    items = [text(li) for li in tree.xpath("//ol[@class='edition-list']/li")]
    assert items == ["Edition 2 15 March 2026 current Corrected the flow figures.",
                     "Edition 1 1 February 2026 First edition."]


def test_structured_data(tree, fixture_built):
    scripts = tree.xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    data = json.loads(scripts[0].text)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Report"
    assert data["name"] == "Water Sharing in the Aral Basin"
    assert data["datePublished"] == "2026-02-01"
    assert data["dateModified"] == "2026-03-15"
    assert data["version"] == "2"
    assert data["inLanguage"] == "en"
    assert data["author"] == [{"@type": "Person", "name": "Ada Fixture"}]
    assert data["editor"] == [{"@type": "Person", "name": "Ben Editor"}]
    assert data["publisher"] == {"@type": "Organization", "name": "Fixture Institute", "url": "https://example.org/"}
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    # every URL absolute under the report's `url`, and naming a file the build wrote
    assert data["url"] == BASE
    assert [m["contentUrl"] for m in data["encoding"]] == [BASE + name for name in DOWNLOADS + PRINTERS]
    for media in data["encoding"]:
        local = fixture_built.out / media["contentUrl"].removeprefix(BASE)
        assert media["sha256"] == hashlib.sha256(local.read_bytes()).hexdigest()
    for part in data["hasPart"]:
        assert part["url"].startswith(BASE) and (fixture_built.out / part["url"].removeprefix(BASE)).is_file()
    for key in ("image", "thumbnailUrl"):
        assert data[key].startswith(BASE) and (fixture_built.out / data[key].removeprefix(BASE)).is_file()


def test_open_graph(tree, fixture_built):
    og = {m.get("property"): m.get("content") for m in tree.xpath("//meta[@property]")}
    assert og["og:type"] == "article"
    assert og["og:title"] == "Water Sharing in the Aral Basin"
    assert og["og:description"].startswith("A short fixture report")
    assert og["og:site_name"] == "Fixture Institute"
    assert og["og:url"] == BASE and tree.xpath("//link[@rel='canonical']/@href") == [BASE]
    assert og["og:image"].startswith(BASE) and (fixture_built.out / og["og:image"].removeprefix(BASE)).is_file()
    assert og["og:image:alt"]
    assert og["article:published_time"] == "2026-02-01"


def test_reading_edition_has_a_page_per_section(fixture_built):
    read = fixture_built.out / "read"
    assert sorted(p.name for p in read.glob("*.html")) == sorted(FIXTURE_PAGES)
    report = fixture_built.report
    assert [page_file(c) for c in report.front + report.chapters] == FIXTURE_PAGES[2:6]
    for asset in report.assets:
        assert (read / asset_href(asset.name)).read_bytes() == asset.data


def test_previous_and_next_walk_the_whole_report(fixture_built):
    read = fixture_built.out / "read"
    order, current = [], "index.html"
    while current:
        order.append(current)
        tree = lhtml.fromstring((read / current).read_bytes())
        following = tree.xpath("//nav[@class='pager']/a[@rel='next']/@href")
        previous = tree.xpath("//nav[@class='pager']/a[@rel='prev']/@href")
        assert previous == ([order[-2]] if len(order) > 1 else [])
        assert tree.xpath("//link[@rel='next']/@href") == following
        current = following[0] if following else ""
    assert order == FIXTURE_PAGES


def test_chapter_page(fixture_built):
    tree = lhtml.fromstring((fixture_built.out / "read" / "01-context.html").read_bytes())
    chapter = fixture_built.report.chapters[0]
    assert tree.xpath("string(//title)") == "Context of the Basin · Water Sharing in the Aral Basin"
    assert tree.xpath("//article/@id") == [chapter.anchor]
    assert text(tree.xpath("//p[@class='chapter-number']")[0]) == "Chapter 1"
    assert text(tree.xpath("//h1")[0]) == chapter.title
    sidebar = tree.xpath("//nav[@class='sidebar']//a[@aria-current='page']")
    assert [a.get("href") for a in sidebar] == ["01-context.html"]
    sections = [h.id for h in chapter.headings if h.level == 2]
    assert tree.xpath("//details[@class='page-toc']//a/@href") == [f"#{s}" for s in sections]


def test_notes_are_endnotes_with_back_links(fixture_built):
    tree = lhtml.fromstring((fixture_built.out / "read" / "01-context.html").read_bytes())
    calls = tree.xpath("//sup[@class='noteref']/a")
    assert calls
    for call in calls:
        note = tree.get_element_by_id(call.get("href")[1:])
        assert note.xpath(".//a[@role='doc-backlink']/@href") == [f"#{call.get('id')}"]
        assert note.xpath("ancestor::section[@role='doc-endnotes']")


def test_tables_scroll_inside_named_focusable_boxes_and_charts_need_not(fixture_built):
    for path in (fixture_built.out / "read").glob("0*.html"):
        tree = lhtml.fromstring(path.read_bytes())
        for table in tree.xpath("//table"):
            box = table.getparent()
            assert box.get("class") == "table-wrap", path.name
            assert box.get("tabindex") == "0" and box.get("role") == "region" and box.get("aria-label")
        for figure in tree.xpath("//figure[.//img[@class='chart']]"):
            # Two drawings, one chosen by the screen's width; no box to scroll around the drawing,
            # only around its data table; the data also as CSV.
            assert figure.xpath("count(.//picture/source[@media='(max-width: 40em)'])") == 1
            assert figure.xpath("count(.//picture/img[@class='chart'][@alt])") == 1
            assert figure.xpath(".//*[@tabindex]/@aria-label") == [f"Data of {figure.xpath('string(.//caption)')[8:]}"]
            csv = figure.xpath(".//a[@download]/@href")[0]
            assert (path.parent / csv).read_text(encoding="utf-8").startswith(("Date,", "Label,"))
    tree = lhtml.fromstring((fixture_built.out / "read" / "02-flows.html").read_bytes())
    assert tree.xpath("//div[@class='table-wrap']/@aria-label") == ["Data of figure 2", "Table 2"]


def test_every_page_has_language_title_skip_link_and_one_h1(fixture_built):
    titles = set()
    for path in html_pages(fixture_built.out):
        tree = lhtml.fromstring(path.read_bytes())
        assert tree.get("lang") == "en"
        titles.add(tree.xpath("string(//title)"))
        assert len(tree.xpath("//h1")) == 1, path
        assert tree.xpath("//a[@class='skip-link']/@href") == ["#main"]
        assert tree.xpath("//main/@id") == ["main"]
        assert tree.xpath("//link[@rel='icon']/@href")
    assert len(titles) == len(html_pages(fixture_built.out))


@pytest.mark.parametrize("built", ["fixture_built", "real_built"])
def test_internal_links_and_anchors_resolve(built, request):
    out = request.getfixturevalue(built).out
    ids: dict[Path, set[str]] = {}
    for path in html_pages(out):
        tree = lhtml.fromstring(path.read_bytes())
        ids[path] = set(tree.xpath("//@id"))
    broken = []
    for path in html_pages(out):
        tree = lhtml.fromstring(path.read_bytes())
        for element, attribute in (("a", "href"), ("link", "href"), ("img", "src")):
            for value in tree.xpath(f"//{element}/@{attribute}"):
                url = urlsplit(value)
                if url.scheme in ("http", "https", "mailto"):
                    continue
                target = (path.parent / unquote(url.path)).resolve() if url.path else path
                if not target.is_file():
                    broken.append(f"{path.name}: {value} (no file)")
                elif url.fragment and target.suffix == ".html" and url.fragment not in ids[target]:
                    broken.append(f"{path.name}: {value} (no id)")
    assert broken == []


@pytest.mark.parametrize("built", ["fixture_built", "real_built"])
def test_no_external_resources_and_no_scripts(built, request):
    out = request.getfixturevalue(built).out
    for path in html_pages(out):
        tree = lhtml.fromstring(path.read_bytes())
        for value in tree.xpath("//link[@rel!='license' and @rel!='canonical']/@href | //img/@src | //script/@src | //source/@src"):
            assert not urlsplit(value).scheme, f"{path.name}: {value}"
        # Readable without JavaScript: the only script element is the JSON-LD data.
        assert tree.xpath("//script[not(@type='application/ld+json')]") == [], path.name
    css = (out / "assets" / "web.css").read_text(encoding="utf-8")
    assert "@import" not in css
    assert re.findall(r"url\(\s*['\"]?(?:https?:)?//", css) == []
    for font in re.findall(r'url\("([^"]+)"\)', css):
        assert (out / "assets" / font).is_file()


def test_web_only_build_without_pdfs_still_builds(content, tmp_path):
    out = tmp_path / "out"
    result = run_cli("web", "--content", str(content), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    tree = lhtml.fromstring((out / "index.html").read_bytes())
    assert tree.xpath("//section[@id='downloads']//li") == []
    assert "have not been built yet" in text(tree.xpath("//section[@id='downloads']")[0])
    rows = [text(dt) for dt in tree.xpath("//section[@class='detail-block']//dt")]
    assert "Pages" not in rows
    assert text(tree.xpath("//dt[.='Formats']/following-sibling::dd[1]")[0]) == "HTML"
    assert sorted(p.name for p in (out / "read").glob("*.html")) == sorted(FIXTURE_PAGES)


def test_web_only_build_describes_files_from_an_earlier_build(fixture_built, content, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in DOWNLOADS + PRINTERS:
        shutil.copy(fixture_built.out / name, out / name)
    # What the earlier build learned about its files (sizes, digests, pages, the cover).
    shutil.copytree(fixture_built.out / ".build", out / ".build",
                    ignore=shutil.ignore_patterns("manifest.json", "stage-*"))
    assert run_cli("web", "--content", str(content), "--out", str(out), "-q").exit_code == 0
    tree = lhtml.fromstring((out / "index.html").read_bytes())
    assert tree.xpath("//section[@id='downloads']//li/a/@href") == DOWNLOADS
    pages = len(PdfReader(out / DOWNLOADS[0]).pages)
    assert text(tree.xpath("//dt[.='Pages']/following-sibling::dd[1]")[0]) == str(pages)


def test_the_page_counts_shown_are_the_pdfs_own(fixture_built, real_built):
    for built in (fixture_built, real_built):
        page = (built.out / "index.html").read_text(encoding="utf-8")
        for pdf in sorted(built.out.glob("*.pdf")):
            pages = len(PdfReader(pdf).pages)
            assert re.search(rf'href="{re.escape(pdf.name)}".*?{pages} pages?\b', page, re.S), pdf.name


def test_stale_pages_are_removed_and_rebuilds_are_identical(content, tmp_path):
    out = tmp_path / "out"
    assert run_cli("web", "--content", str(content), "--out", str(out), "-q").exit_code == 0
    stale = out / "read" / "04-removed.html"
    stale.write_text("old", encoding="utf-8")
    (out / "read" / "media" / "images" / "old.png").write_bytes(b"old")

    def digests() -> dict[str, str]:
        return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(out.rglob("*")) if p.is_file() and ".build" not in p.parts}

    before = digests()
    # --force: an unchanged source is otherwise not rebuilt at all (incremental builds).
    assert run_cli("web", "--content", str(content), "--out", str(out), "-q", "--force").exit_code == 0
    after = digests()
    assert not stale.exists() and not (out / "read" / "media" / "images" / "old.png").exists()
    for gone in ("read/04-removed.html", "read/media/images/old.png"):
        del before[gone]
    assert before == after


def test_a_report_with_editors_only_has_a_byline(content, tmp_path):
    """The detail page's byline names the authors; a report with none (editors only) says it was
    edited by them, instead of "Policy brief by ·" (and so does the imprint)."""
    report = content / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace("  - {name: Ada Fixture, role: author}\n", ""),
                      encoding="utf-8")
    assert run_cli("web", "--content", str(content), "--out", str(tmp_path / "out"), "-q").exit_code == 0
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    byline = re.search(r'<p class="byline">(.*?)</p>', page, re.S).group(1)
    assert "Policy brief edited by Ben Editor" in html.unescape(re.sub(r"<[^>]+>", "", byline)), byline
    imprint = html.unescape(re.sub(r"<[^>]+>", "", (tmp_path / "out" / "read" / "index.html").read_text(encoding="utf-8")))
    assert "Policy brief edited by Ben Editor." in " ".join(imprint.split())
