"""The web pages in a real browser (Debian's Chromium driven by Playwright) and in the Nu HTML Checker.

Every page loads without console errors, every download link returns its file, axe-core finds
no violations, and neither at 375 px nor at 1280 px does a page scroll sideways. The tools are
installed by .ci/install-tools.sh; without them these tests skip, saying which tool is missing.
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
NODE_TOOLS = ROOT / ".tools" / "node" / "node_modules"
AXE = NODE_TOOLS / "axe-core" / "axe.min.js"
VNU = NODE_TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
WIDTHS = (375, 1280)
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
BUILDS = ["fixture_built", "real_built"]


def pages(out: Path) -> list[str]:
    """Every HTML page of a build, as a path relative to the output folder."""
    return ["index.html", *sorted(f"read/{p.name}" for p in (out / "read").glob("*.html"))]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole module."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed ({CHROMIUM}); .ci/install-tools.sh installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module", params=BUILDS)
def site(request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """A build's output folder served over HTTP on 127.0.0.1 (a free port): (base URL, folder)."""
    out = request.getfixturevalue(request.param).out
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", out
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def tabs(browser: Any) -> Iterator[dict[int, Any]]:
    """A tab at each width."""
    found = {width: browser.new_page(viewport={"width": width, "height": 900}) for width in WIDTHS}
    yield found
    for tab in found.values():
        tab.close()


def test_every_page_loads_without_console_errors(site, tabs):
    base, out = site
    tab = tabs[1280]
    problems: list[str] = []
    handlers = {
        "console": lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        "pageerror": lambda e: problems.append(f"page error: {e}"),
        "requestfailed": lambda r: problems.append(f"request failed: {r.url}"),
        "response": lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    }
    for event, handler in handlers.items():
        tab.on(event, handler)
    try:
        for path in pages(out):
            response = tab.goto(base + path, wait_until="networkidle")
            assert response is not None and response.ok, path
            tab.evaluate("document.fonts.ready")
            assert tab.title(), path
    finally:
        for event, handler in handlers.items():
            tab.remove_listener(event, handler)
    assert problems == []


def test_every_link_to_a_file_returns_it(site, tabs):
    base, out = site
    tab = tabs[1280]
    checked = 0
    for path in pages(out):
        tab.goto(base + path)
        hrefs = tab.eval_on_selector_all("a[href], link[href], img[src]",
                                         "els => els.map(e => e.getAttribute('href') || e.getAttribute('src'))")
        for href in sorted(set(hrefs)):
            url = urljoin(base + path, href)
            if not url.startswith(base) or href.startswith("#"):
                continue
            response = tab.request.get(url)
            assert response.status == 200, f"{path}: {href} → HTTP {response.status}"
            local = out / urlsplit(url).path.lstrip("/")
            assert response.body() == local.read_bytes(), f"{path}: {href}"
            checked += 1
    tab.goto(base + "index.html")
    downloads = tab.eval_on_selector_all("a[download]", "els => els.map(e => e.getAttribute('href'))")
    assert len(set(downloads)) == 6  # screen PDF (also beside "Read online"), EPUB, print PDF, cover wrap, .bib, .ris
    assert checked > len(pages(out))


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violations(site, tabs, width):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}); .ci/install-tools.sh installs it")
    base, out = site
    tab = tabs[width]
    found = []
    for path in pages(out):
        tab.goto(base + path)
        tab.add_script_tag(path=str(AXE))
        result = tab.evaluate("axe.run(document)")
        for violation in result["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:5]
            found.append(f"{path} @{width}px: {violation['id']} ({violation['impact']}): {targets}")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(site, tabs, width):
    base, out = site
    tab = tabs[width]
    wide = []
    for path in pages(out):
        tab.goto(base + path)
        tab.evaluate("document.fonts.ready")
        scroll, client = tab.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client:
            wide.append(f"{path}: {scroll} px wide in {client} px")
    assert wide == []


def test_keyboard_focus_is_visible_and_the_skip_link_works(site, tabs):
    base, _ = site
    tab = tabs[375]
    tab.goto(base + "read/index.html")
    tab.keyboard.press("Tab")
    focused = tab.evaluate("""() => {
        const el = document.activeElement, box = el.getBoundingClientRect(), style = getComputedStyle(el);
        return {cls: el.className, top: box.top, outline: style.outlineStyle, width: style.outlineWidth};
    }""")
    assert focused["cls"] == "skip-link"
    assert focused["top"] >= 0 and focused["outline"] != "none" and focused["width"] != "0px"
    tab.keyboard.press("Enter")
    assert tab.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("built", BUILDS)
def test_html_passes_the_nu_html_checker(built, request):
    if not VNU.exists():
        pytest.skip(f"the Nu HTML Checker is not installed ({VNU}); .ci/install-tools.sh installs it")
    if not shutil.which("java"):
        pytest.skip("Java is not installed; .ci/install-tools.sh installs it")
    out = request.getfixturevalue(built).out
    files = [str(out / path) for path in pages(out)] + [str(out / "assets" / "web.css")]
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--also-check-css", "--format", "json",
                             "--stdout", *files], capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stdout)["messages"]
    errors = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}" for m in messages]
    assert errors == []
    assert result.returncode == 0


def test_the_preview_reloads_the_open_page_and_shows_build_errors(browser, content, tmp_path):
    from publisher.pipeline import BuildOptions
    from publisher.serve import Preview

    preview = Preview(BuildOptions(content, tmp_path / "out", ("web",)), port=0)
    preview.start()
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    try:
        tab.goto(preview.url + "read/01-context.html")
        assert tab.text_content("h1") == "Context of the Basin"
        chapter = content / "chapters" / "01-context.md"
        good = chapter.read_text(encoding="utf-8")
        with tab.expect_navigation(timeout=30_000):
            chapter.write_text(good.replace("title: Context of the Basin", "title: A New Title", 1), encoding="utf-8")
        assert tab.text_content("h1") == "A New Title"
        chapter.write_text(good + "\nA broken citation [@no-such-key].\n", encoding="utf-8")
        banner = tab.wait_for_selector("pre[role=alert]", timeout=30_000)
        assert "no-such-key" in banner.text_content()
        with tab.expect_navigation(timeout=30_000):
            chapter.write_text(good, encoding="utf-8")
        assert tab.text_content("h1") == "Context of the Basin"
        assert tab.query_selector("pre[role=alert]") is None
    finally:
        tab.close()
        preview.stop()
    assert errors == []


# --- phones: the web edition and the EPUB's pages at 360 and 390 px -------------------------------

PHONES = (360, 390)
FITS = """() => {
  const page = [document.documentElement.scrollWidth, document.documentElement.clientWidth];
  const tables = [...document.querySelectorAll('table')].map(t => {
    const box = t.closest('.table-wrap') || t.parentElement;
    const style = getComputedStyle(box);
    return {id: t.id || '(pipe table)', table: Math.round(t.getBoundingClientRect().width),
            box: box.clientWidth, scrolls: ['auto', 'scroll'].includes(style.overflowX),
            cue: style.backgroundImage.includes('gradient'),
            caption: t.caption ? Math.round(t.caption.getBoundingClientRect().width) : null};
  });
  return {page, tables};
}"""
# The smallest chart text as shown, in CSS px: inline SVG charts that are displayed, and chart
# images (the file or picture source the browser chose, read for its viewBox and font sizes).
CHART_TEXT = """async () => {
  const sizes = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    if (!svg.getClientRects().length) continue;
    const scale = svg.getScreenCTM().a;
    for (const t of svg.querySelectorAll('text'))
      sizes.push({chart: svg.getAttribute('aria-labelledby'), px: parseFloat(getComputedStyle(t).fontSize) * scale});
  }
  for (const img of document.querySelectorAll('img.chart')) {
    if (!img.complete) await new Promise(r => img.addEventListener('load', r, {once: true}));
    const doc = new DOMParser().parseFromString(await (await fetch(img.currentSrc)).text(), 'image/svg+xml');
    const root = doc.documentElement, view = root.getAttribute('viewBox').split(/[ ,]+/).map(Number);
    const base = parseFloat(root.getAttribute('font-size') || '16');
    for (const t of doc.querySelectorAll('text'))
      sizes.push({chart: img.currentSrc.split('/').pop(),
                  px: parseFloat(t.getAttribute('font-size') || base) * img.clientWidth / view[2]});
  }
  return sizes;
}"""


@contextlib.contextmanager
def _served(browser: Any, folder: Path, width: int) -> Iterator[tuple[Any, str]]:
    """A tab `width` px wide and the folder served over HTTP on 127.0.0.1: (tab, base URL)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tab = browser.new_page(viewport={"width": width, "height": 800})
    try:
        yield tab, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        tab.close()
        server.shutdown()
        server.server_close()


# Words of table cells that the browser broke across lines (a part of a word on each line): a
# word here runs between spaces, hyphens, dashes and slashes, where a line may end.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('table th, table td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[^\\s\\-\u2010\u2013\u2014\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("width", [*PHONES, 1280])
def test_web_tables_keep_their_words_whole(browser, real_built, width):
    """No table cell of the web edition (a chart's data table, unfolded, too) cuts a word across
    lines ("Kazakh|stan", "[14, 144|]"): on a phone a table is a list of cards, every value under
    its column's label; on a wider screen the columns are at least a word wide."""
    problems = []
    with _served(browser, real_built.out, width) as (tab, base):
        for path in pages(real_built.out):
            tab.goto(base + path)
            tab.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
            problems += [f"{path}: {word!r} is broken across lines" for word in tab.evaluate(BROKEN_WORDS)]
            unlabelled = tab.evaluate("""() => [...document.querySelectorAll('table td')].filter(td =>
                getComputedStyle(td).display === 'block' && !(td.dataset.label || '').trim()).length""")
            if unlabelled:
                problems.append(f"{path}: {unlabelled} card values without their column's label")
    assert problems == []


@pytest.mark.parametrize("width", PHONES)
def test_web_pages_fit_a_phone_tables_scroll_with_a_cue_and_chart_text_is_legible(browser, real_built, width):
    problems = []
    with _served(browser, real_built.out, width) as (tab, base):
        for path in pages(real_built.out):
            tab.goto(base + path)
            found = tab.evaluate(FITS)
            if found["page"][0] > found["page"][1]:
                problems.append(f"{path}: the page is {found['page'][0]} px wide in {found['page'][1]} px")
            for table in found["tables"]:
                if table["table"] > table["box"] and not (table["scrolls"] and table["cue"]):
                    problems.append(f"{path}: table {table['id']} is cut off without a scroll cue")
            problems += [f"{path}: text of {t['chart']} is {t['px']:.1f} px" for t in tab.evaluate(CHART_TEXT)
                         if t["px"] < 10]
    assert problems == []


@pytest.mark.parametrize("width", PHONES)
def test_epub_pages_fit_a_phone_tables_become_cards_and_chart_text_is_legible(browser, real_built, tmp_path, width):
    import zipfile

    with zipfile.ZipFile(real_built.file(".epub")) as book:
        book.extractall(tmp_path)
    problems = []
    with _served(browser, tmp_path / "EPUB", width) as (tab, base):
        for path in sorted(p.name for p in (tmp_path / "EPUB").glob("*.xhtml")):
            tab.goto(base + path)
            found = tab.evaluate(FITS)
            if found["page"][0] > found["page"][1]:
                problems.append(f"{path}: the page is {found['page'][0]} px wide in {found['page'][1]} px")
            for table in found["tables"]:
                if table["table"] > found["page"][1]:
                    problems.append(f"{path}: table {table['id']} is {table['table']} px wide in {found['page'][1]}")
                if table["caption"] is not None and table["caption"] < 0.8 * table["table"]:
                    problems.append(f"{path}: the caption of table {table['id']} is {table['caption']} px wide "
                                    f"beside a {table['table']} px table")
            sizes = tab.evaluate(CHART_TEXT)
            problems += [f"{path}: text of {t['chart']} is {t['px']:.1f} px" for t in sizes if t["px"] < 10]
    assert problems == []


def test_download_buttons_are_in_the_first_screen_and_checksums_collapsed(browser, site):
    """At 1280 × 800 (a common laptop screen) every download button of the detail page is fully
    visible without scrolling; the checksums are there but folded away."""
    base, _ = site
    tab = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        tab.goto(base + "index.html")
        boxes = tab.evaluate("""() => [...document.querySelectorAll('#downloads a.button')].map(a => {
            const r = a.getBoundingClientRect(); return {text: a.textContent, top: r.top, bottom: r.bottom}; })""")
        assert len(boxes) == 2  # the readers' PDF and EPUB (the printer's files come later)
        assert [b["text"] for b in boxes if b["top"] < 0 or b["bottom"] > 800] == []
        shown = tab.evaluate("""() => [...document.querySelectorAll('#downloads .checksums code')].map(c => c.checkVisibility())""")
        assert len(shown) == 2 and not any(shown)
        tab.click("#downloads .checksums summary")
        assert all(tab.evaluate("""() => [...document.querySelectorAll('#downloads .checksums code')].map(c => c.checkVisibility())"""))
    finally:
        tab.close()


def test_the_detail_pages_head_is_not_stretched_to_the_side_column(browser, site):
    """At 1280 px the chapters follow the head of the detail page closely, however short its
    standfirst and however tall the cover and downloads beside it (no empty band between)."""
    base, _ = site
    tab = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        tab.goto(base + "index.html")
        gap = tab.evaluate("""() => {
          const head = document.querySelector('.detail-head').lastElementChild.getBoundingClientRect();
          return document.querySelector('.detail-body').getBoundingClientRect().top - head.bottom; }""")
    finally:
        tab.close()
    assert gap < 80, f"{gap:.0f} px between the head and the body"
