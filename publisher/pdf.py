"""The PDF writer: the editions (screen, print, and on request archive), each laid out part by
part (a chapter, the contents, …: part.py) on a pool of render processes (pool.py) and joined
into one file (stitch.py); docs/editions.md tells how, and why the files are the same bytes
whether a part was laid out now or taken from an earlier build's cache.

Notes are page-foot notes (floated at their call), links are in-document, and charts are
inline SVG. The EPUB writer takes the print edition's page map once every edition is written.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import hashlib
import io
import json
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from html import unescape
from pathlib import Path
from typing import Any

import jinja2
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

from . import __version__
from .chart import use_cache
from .citation import plain_citation
from .cover import COVER_WIDTH
from .errors import RenderError
from .fonts import bundled_families, check_glyphs, pdf_font_subsetting
from .charttext import chart_problems
from .figure import draw
from .formats import FORMATS, STYLES, asset_href, output_name
from .language import language
from .markdown import html_id
from .ink import press_svg
from .model import Figure, Report
from .options import BuildOptions
from .output import write_atomic
from .part import Part, digest, split
from .pool import Job, Joining, Layout, Pool, Ticket, Written, workers_wanted
from .preflight import Finding, Inspection, inspection
from .press import Finish, blank_page, profile_css
from .stitch import LINK_PREFIX, stitch
from .products import Deferred, OutputFile, PageMap, Products
from .render import NoteText, Renderer, Style, note_anchor
from .sandbox import OfflineFetcher
from .templates import render
from .typography import Hyphenator, bind, keep_compounds, mark_long, tie_last_words

log = logging.getLogger(__name__)

A4_HEIGHT = COVER_WIDTH * 297 // 210 // 2 * 2  # px, even: the detail page shows the thumbnail at half size


@dataclass(frozen=True)
class PrintStyle(Style):
    """Page-foot notes at their call, links inside the one document, charts as inline SVG."""

    hyphenate: Hyphenator | None = None
    language: str = "en"
    press: bool = False  # a printer's file: charts in their CMYK builds (ink.py)

    def figure_body(self, figure: Figure) -> str:
        body = super().figure_body(figure)
        return press_svg(body) if self.press and figure.spec.kind != "image" else body

    def prose(self, text: str, final: bool = False, tie: bool = True, hyphenate: bool = True,
              language: str = "") -> str:
        text = keep_compounds(bind(text, language or self.language))
        if final and tie:
            text = tie_last_words(text)
        words = _passage_hyphenator(language) if language and language != self.language else self.hyphenate
        return mark_long(words(text, final) if words and hyphenate else text)

    @property
    def lead(self) -> str:
        # WeasyPrint 70 sometimes strands a word, or a word's fragment, on a line of its own before
        # an inline element (a link); a word joiner before each link keeps the line breaking right
        # without adding a place to break (a zero-width space did, and left "(" at a line end).
        return "\u2060"

    @property
    def glue(self) -> str:
        return "\u00a0"

    def note_call(self, slug: str, number: int, note: NoteText, call: int) -> str:
        note_id, ref_id = note_anchor(slug, number, call)
        if call > 1:  # the note is printed once, at its first call; the others refer to it
            return f'<a class="fn-again" id="{ref_id}" href="#{note_id}">{number}</a>'
        # The empty anchor marks the call's page; tests compare it with the note's page. The
        # note's first paragraph is set in the call (a block there would end the paragraph that
        # holds the call); its other blocks are moved in after parsing (`place_note_blocks`).
        return (f'<a class="fn-call" id="{ref_id}"></a>'
                f'<span class="footnote" id="{note_id}" data-number="{number}">{note.lead}</span>')

    def notes(self, slug: str, notes: list[tuple[int, NoteText, int]]) -> str:
        return "".join(f'<div class="note-blocks" data-note="{note_anchor(slug, number)[0]}">{note.rest}</div>'
                       for number, note, _ in notes if note.rest)

    def ordered_list(self, start: int) -> str:
        # WeasyPrint 70 ignores `start`: the list's counter is set instead.
        return f'<ol start="{start}" style="counter-reset: list-item {start - 1}">' if start != 1 else "<ol>"

    def heading_attributes(self, number: str, title: str) -> str:
        # The bookmark says what the contents say: the number and the title, without the
        # citations or notes the heading's own text may hold (print.css: bookmark-label).
        return f' data-bookmark="{escapeHtml(f"{number} {title}".strip())}"'


@lru_cache(maxsize=16)
def _passage_hyphenator(language: str) -> Hyphenator:
    """How a passage in another language breaks: its own patterns (pyphen), the same rules."""
    return Hyphenator(language)


@dataclass(frozen=True)
class RenderedPdf:
    """A written PDF edition and what its layout tells the other writers."""

    path: Path
    edition: str
    pages: int
    anchors: dict[str, int]  # element id → the page it starts on (1-based)
    size: int  # bytes
    sha256: str
    warnings: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()  # of the layout preflight
    companions: tuple[RenderedPdf, ...] = ()  # files written with it (the print edition's cover wrap)


@dataclass(frozen=True)
class Companion:
    """A file an edition's renderer writes after the edition, from its page count: its format's
    key, where it goes, and its HTML for a book block of so many pages (the cover wrap)."""

    key: str
    target: Path
    html: Callable[[int], str]


@dataclass(frozen=True)
class Printing:
    """What a printer's file needs besides its HTML: the paper (its output profile) and the
    report's URN (the files' DocumentIDs)."""

    paper: str = "uncoated"
    urn: str = ""


def render_html(report: Report, env: jinja2.Environment, edition: str) -> str:
    """The whole report as one HTML document for WeasyPrint."""
    settings = report.meta.print
    hyphenate = Hyphenator(report.meta.language, settings.never_hyphenate, exceptions=settings.hyphenation)
    renderer = Renderer(report, PrintStyle(hyphenate, report.meta.language, FORMATS[edition].press))
    return render(env, "print/report.html", report=report, meta=report.meta, edition=edition,
                  press=FORMATS[edition].press,
                  citation=plain_citation(report), version=__version__,
                  introduction=renderer.introduction(), language_css=Markup(language_css(report.meta.language)),
                  bodies={c.slug: renderer.chapter(c) for c in report.documents})


def final_html(report: Report, env: jinja2.Environment, edition: str, out: Path) -> str:
    """The edition's HTML as one document, its page numbers filled in from the page map of the
    edition built in `out` (what one WeasyPrint render of the whole edition would be given: the
    benchmark's baseline)."""
    from .products import Products

    head, parts = split(render_html(report, env, edition))
    built = Products.load(out).layout(edition)
    numbers = built.anchors if built else {}
    return head + "".join(part.numbered_body(numbers) for part in parts) + "</body></html>"


def language_css(tag: str) -> str:
    """The rules of the PDFs' stylesheet that hold the publisher's words, in the report's language:
    the page a cross-reference leads to (", p. 12"; ", с. 12"), not after a chapter or a term. They
    stand in the document's head: an author's stylesheet, which outweighs the bundled stylesheets
    (WeasyPrint gives those the user's origin, CSS Cascade 4 §6.2), so the exceptions are here too."""
    words = language(tag)
    # Translators: after a cross-reference in the PDFs ("Figure 3, p. 12"); %(page)s is the page number.
    before, _, after = words.gettext(", p. %(page)s").partition("%(page)s")

    def string(text: str) -> str:
        return '"' + "".join(c if c.isalnum() or c in " .,:;()-" else f"\\{ord(c):06x}" for c in text) + '"'

    if before.endswith(" "):  # the page number is never parted from its label
        before = before[:-1] + "\u00a0"
    parts = [string(before), "attr(data-page)"]
    parts += [string(after.replace(" ", "\u00a0"))] if after else []
    return f"a.xref::after {{ content: {' '.join(parts)}; }}\na.xref-ch::after, a.gls::after {{ content: none; }}"


def render_pdf(html: str, edition: str, target: Path, base: Path, files: dict[Path, bytes],
               cache: Path | None = None, printing: Printing = Printing()) -> RenderedPdf:
    """Lay out and write one HTML document of a format whole, in this process — what a build does
    part by part (`PdfJobs`); for tools and tests that render a document on its own.

    `base` is the folder relative links resolve against (`CONTENT_ROOT` in a build, so that no
    path of the machine can reach the PDF); the renderer may read only `files` (the report's
    checked images, resolved path → bytes) and the bundled styles and fonts. Fonts are subset by
    fontTools (`pdf_font_subsetting`, cached in `cache`), the same on every machine. A printer's
    file (`Format.press`) is PDF/X-4 in CMYK on `printing.paper`, finished by press.py; a
    two-sided one is padded to a multiple of SIGNATURE pages (counted in the page count).
    Raises RenderError (or what WeasyPrint raises) when it cannot be laid out.
    """
    _tag_languages()
    warnings: list[str] = []
    handler = _Collect(warnings)
    logging.getLogger("weasyprint").addHandler(handler)
    try:
        document = _layout(html, edition, base, files, printing)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, 1):
            for anchor in page.anchors:
                anchors.setdefault(anchor, number)
        laid_out = len(document.pages)
        pages = laid_out + (-laid_out % SIGNATURE if FORMATS[edition].press and FORMATS[edition].two_sided else 0)
        data = _write(document, edition, target, printing, cache, warnings, pages)
        del document
        write_atomic(target, data)
    finally:
        logging.getLogger("weasyprint").removeHandler(handler)
    return RenderedPdf(target, edition, pages, anchors, len(data), hashlib.sha256(data).hexdigest(),
                       tuple(warnings))


SIGNATURE = 4  # a two-sided printer's book block has a multiple of this many pages (folded sheets)


def _layout(html: str, key: str, base: Path, files: dict[Path, bytes], printing: Printing) -> Any:
    """WeasyPrint's Document of one format's HTML, with the format's stylesheets (`_stylesheets`;
    for a printer's file, its paper's CMYK profile as the output intent)."""
    item = FORMATS[key]
    fonts, css, profiles = _stylesheets(key, printing.paper)
    fetcher = OfflineFetcher((STYLES,), files)
    return _report_html(string=html, base_url=str(base) + "/", url_fetcher=fetcher).render(
        stylesheets=css, font_config=fonts, color_profiles=profiles, pdf_variant=item.variant,
        pdf_tags=item.variant is not None and not item.press)


def _write(document: Any, key: str, target: Path, printing: Printing, cache: Path | None, warnings: list[str],
           pages: int = 0, part: bool = False, text: str = "") -> bytes:
    """The PDF of a laid-out Document (a printer's file finished by press.py: `pages` checks the
    page count its padding gives; a `part` of one is not padded: stitch.py pads the whole; `text`:
    the characters of the whole edition, whose glyphs every part's font subsets keep)."""
    item = FORMATS[key]
    finish = Finish(printing.paper, target.name, printing.urn, marks=item.two_sided,
                    signature=SIGNATURE if item.two_sided and not part else 1) if item.press else None
    _drop_pagination_state(document)
    if not part:  # a whole edition's layout: let it go before the write needs more (a part's is small)
        _release_garbage()
    with pdf_font_subsetting(cache, text):
        data = document.write_pdf(pdf_variant=item.variant, pdf_identifier=target.name.encode(), finisher=finish)
    warnings += _foreign_fonts(document)
    if finish and pages and finish.pages != pages:
        raise RenderError(f"{target.name}: {finish.pages} pages written, {pages} laid out and padded")
    return data


_TAGGING = threading.Lock()


def _tag_languages() -> None:
    """Tagged PDFs (the screen edition) give a passage in another language its language (`/Lang`
    on its structure element, PDF/UA-1 7.2), as the HTML gives it `lang`: WeasyPrint 70 tags the
    document's language only. Its tag builder is wrapped once per process, for good."""
    import pydyf
    from weasyprint.pdf import tags

    with _TAGGING:
        if getattr(tags._build_box_tree, "publisher", False):
            return
        build = tags._build_box_tree

        def with_language(box: Any, *args: Any) -> Any:
            element = getattr(box, "element", None)
            lang = element.get("lang") if element is not None and getattr(box, "element_tag", "") not in (
                "html", "body") else None
            for item in build(box, *args):
                if lang and "Lang" not in item:
                    item["Lang"] = pydyf.String(lang)
                yield item

        with_language.publisher = True  # type: ignore[attr-defined]
        tags._build_box_tree = with_language


def _foreign_fonts(document: Any) -> list[str]:
    """A warning for each font the layout took from the system rather than the bundled ones
    (a character missing from the requested font): such a PDF depends on the machine's fonts."""
    bundled = bundled_families()
    return [f"the system font {font.family!r} was used for {''.join(sorted(set(''.join(font.to_unicode.values()))))!r}"
            f": the PDF depends on the fonts installed on this machine"
            for font in document.fonts.values() if font.family not in bundled]


def _drop_pagination_state(document: Any) -> None:
    """Let go of what WeasyPrint needed only to paginate (a third of the layout's boxes).

    Its layout context keeps the document's box tree from before pagination (reached from its
    target-counter lookups) and each page's pagination state; SVG images (the charts) keep the
    context until the document is written, so all of it would live through the write. Drawing
    needs neither: the same PDF comes out (a test compares).
    """
    from weasyprint.images import SVGImage

    contexts = {}
    for page in document.pages:
        for box in page._page_box.descendants(placeholders=True):
            background = getattr(box, "background", None)
            images = [getattr(box, "replacement", None), *(layer.image for layer in background.layers)] \
                if background is not None else [getattr(box, "replacement", None)]
            for image in images:
                context = getattr(image, "_context", None) if isinstance(image, SVGImage) else None
                if context is not None:
                    contexts[id(context)] = context
    for context in contexts.values():
        context.target_collector.target_lookup_items = {}
        context.target_collector.counter_lookup_items = {}
        context.page_maker = []


def _release_garbage() -> None:
    """Collect the layout's cyclic garbage and give the freed heap back to the system."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc
        pass


# WeasyPrint's user-agent stylesheet styles ::marker, ::footnote-call, ::footnote-marker and
# the three ::note-* pseudo-elements of *every* element, so it computes six pseudo-element
# styles for each of the report's ~4,300 elements: ~26,000 of its ~30,000 computed styles, a
# third of a render's memory. Only list items have markers and only `.footnote` (print.css)
# floats to the foot of the page; the report has no sidenotes (`position: note()`).
_UA_SCOPES = {
    "::marker {": "li::marker, summary::marker {",
    "::footnote-call {": ".footnote::footnote-call {",
    "::footnote-marker {": ".footnote::footnote-marker {",
    "::note-call {": None,
    "::note-marker {": None,
    "::note-callback {": None,
}


def scoped_user_agent_css() -> str | None:
    """WeasyPrint's user-agent stylesheet with its pseudo-element rules scoped (`_UA_SCOPES`),
    or None if it does not have them as WeasyPrint 70 does (then it is used as it is)."""
    from weasyprint.html import UA

    lines = UA.splitlines()
    for start, scoped in _UA_SCOPES.items():
        found = [i for i, line in enumerate(lines) if line.startswith(start)]
        if len(found) != 1:
            return None
        lines[found[0]] = "" if scoped is None else scoped + lines[found[0]][len(start):]
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _user_agent_stylesheet() -> Any:
    from weasyprint import CSS
    from weasyprint.html import UA_COUNTER_STYLE, UA_STYLESHEET

    css = scoped_user_agent_css()
    return UA_STYLESHEET if css is None else CSS(string=css, counter_style=UA_COUNTER_STYLE)


def _report_html(**arguments: Any) -> Any:
    """weasyprint.HTML with the scoped user-agent stylesheet."""
    return _report_html_class()(**arguments)


@lru_cache(maxsize=1)
def _report_html_class() -> Any:
    from weasyprint import HTML

    class ReportHTML(HTML):  # type: ignore[misc]
        def __init__(self, **arguments: Any) -> None:
            import cssselect2

            super().__init__(**arguments)
            if place_note_blocks(self.etree_element):  # the tree changed: wrap it again
                self.wrapper_element = cssselect2.ElementWrapper.from_html_root(self.etree_element,
                                                                                content_language=None)

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [_user_agent_stylesheet(), *super()._ua_stylesheets(forms)[1:]]

    return ReportHTML


def place_note_blocks(root: Any) -> int:
    """Move the blocks of each note (`div.note-blocks`, after the text) into the note at its
    call (`span.footnote`, set inside the paragraph that calls it), in the parsed tree: written
    there in HTML, a paragraph or list would end the calling paragraph, the note would fall
    into the text and its number would be left alone at the page foot. Returns how many notes
    got blocks."""
    notes = {element.get("id"): element for element in root.iter("span") if element.get("class") == "footnote"}
    parents = {child: parent for parent in root.iter() for child in parent}
    moved = 0
    for store in [element for element in root.iter("div") if element.get("class") == "note-blocks"]:
        note = notes.get(store.get("data-note"))
        if note is None:
            continue
        for child in list(store):
            store.remove(child)
            note.append(child)
            _drop_blank_text(child)
        parents[store].remove(store)
        moved += 1
    return moved


_BLOCK_TAGS = frozenset({"p", "ul", "ol", "li", "blockquote", "pre", "table", "thead", "tbody", "tr", "th", "td",
                         "div", "hr"})


def _drop_blank_text(element: Any) -> None:
    """White space between blocks (the line ends the renderer writes) taken out of a note's
    blocks: inside a note WeasyPrint 70 sets it as empty lines between list items. Space
    between words and inline elements is kept."""
    if element.tag not in _BLOCK_TAGS:
        return
    if element.tail is not None and not element.tail.strip():
        element.tail = None
    if element.tag == "pre":
        return
    if len(element) and element[0].tag in _BLOCK_TAGS and element.text is not None and not element.text.strip():
        element.text = None
    for child in element:
        _drop_blank_text(child)


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


# Where the report's files appear to the renderer: the same on every machine, whatever the
# content folder (WeasyPrint names an image in the PDF by a digest of its URL).
CONTENT_ROOT = Path("/publisher-report")


def _companion_html(report: Report, env: jinja2.Environment, key: str, pages: int) -> str:
    """The HTML of a file written with an edition (the cover wrap), checked for missing glyphs."""
    from .wrap import wrap_html

    if key != "cover":
        raise ValueError(f"no HTML for {key}")
    html = wrap_html(report, env, pages)
    check_glyphs(html, report)
    return html


@lru_cache(maxsize=8)
def _stylesheets(key: str, paper: str) -> tuple[Any, list[Any], dict[str, Any]]:
    """A format's fonts, parsed stylesheets and colour profiles, loaded once per process (before
    the render processes fork, so that they share them) and used for every part."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    item = FORMATS[key]
    fonts = FontConfiguration()
    fetcher = OfflineFetcher((STYLES,), {})
    profiles: dict[str, Any] = {}
    css = [CSS(filename=str(STYLES / name), font_config=fonts, url_fetcher=fetcher) for name in item.stylesheets]
    if item.press:
        css.append(CSS(string=profile_css(paper), base_url=str(STYLES) + "/", font_config=fonts,
                       url_fetcher=fetcher, color_profiles=profiles))
    return fonts, css, profiles


_SIDES = threading.Lock()


def _opening_side() -> None:
    """A document whose first element opens on a given side (`break-before: right`, a printer's
    chapter) starts on that side (CSS Paged Media 3 §3.4: the first page's side follows a
    forced break before the first box): WeasyPrint 70 takes the first page's side from the
    root element only. Its page maker is wrapped once per process, for good."""
    from weasyprint import layout

    with _SIDES:
        if getattr(layout.initialize_page_maker, "publisher", False):
            return
        initialize = layout.initialize_page_maker

        def with_opening_side(context: Any, root_box: Any) -> Any:
            body = next((c for c in getattr(root_box, "children", ()) if getattr(c, "element_tag", "") == "body"),
                        None)
            first = next((c for c in getattr(body, "children", ()) if getattr(c, "element", None) is not None), None)
            if first is not None and first.style["break_before"] in ("left", "right", "recto", "verso"):
                root_box.style["break_before"] = first.style["break_before"]
            return initialize(context, root_box)

        with_opening_side.publisher = True  # type: ignore[attr-defined]
        layout.initialize_page_maker = with_opening_side


@dataclass(frozen=True)
class _Setting:
    """What every render process needs besides its jobs: the report's files, the preflight, the
    font cache and the printer's paper."""

    base: Path
    files: dict[Path, bytes]
    inspect: Inspection | None
    cache: Path | None
    printing: Printing
    texts: dict[str, str] = dataclasses.field(default_factory=dict)  # edition → the characters it draws


def render_job(job: Job, on_layout: Callable[[Layout], None], setting: _Setting) -> Written:
    """Lay out one document (a part of an edition, or the cover wrap), tell its layout, write it.

    Runs in a render process (pool.py). The findings are those of the preflight (for an
    edition's part; none for the cover wrap), with page numbers counted from the folio of the
    job's first page. Raises RenderError (or what WeasyPrint raises) when it cannot be laid out."""
    if job.joined is not None:
        return _join(job, on_layout)
    _tag_languages()
    _opening_side()
    warnings: list[str] = []
    handler = _Collect(warnings)
    logging.getLogger("weasyprint").addHandler(handler)
    try:
        item = FORMATS[job.edition]
        document = _layout(job.html, job.edition, setting.base, setting.files, setting.printing)
        first_side = document.pages[0]._page_box.page_type.side if document.pages else "right"
        first = job.first if (job.first % 2 == 1) == (first_side == "right") else job.first + 1
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages):
            for anchor in page.anchors:
                anchors.setdefault(anchor, number)
        findings = ()
        if setting.inspect is not None and job.inspect:
            findings = tuple(setting.inspect(document, job.edition, item.two_sided, first))
        on_layout(Layout(len(document.pages), first, anchors, findings))
        data = b""
        if job.write:
            data = _write(document, job.edition, Path(job.name), setting.printing, setting.cache, warnings, part=True,
                          text=setting.texts.get(job.edition, ""))
        del document
        _release_garbage()
    finally:
        logging.getLogger("weasyprint").removeHandler(handler)
    return Written(data, tuple(warnings))


def _join(job: Job, on_layout: Callable[[Layout], None]) -> Written:
    """A joining job: the parts stitched into one PDF (in a render process, so that the build
    process never holds an edition's pages)."""
    joined = job.joined
    assert joined is not None
    data = stitch(list(joined.parts), identifier=job.name.encode(), blanks_before=joined.blanks_before,
                  pad_to=joined.pad_to, blank=blank_page if joined.press else None)
    on_layout(Layout(page_count(data), 1, {}))
    _release_garbage()
    return Written(data)


class PdfJobs:
    """The PDF editions, each laid out part by part (part.py) on a pool of render processes
    (pool.py: one per core) and joined into one file (stitch.py).

    An edition's parts are laid out in order — each needs the folio its predecessor ends on —
    while the parts before are written on the other cores; the editions share the pool. A part
    shows the page numbers of what it refers to (the contents, ", p. 37"): those of the parts
    laid out before it, and for the parts after it the numbers of the last build (or UNKNOWN);
    once every part is laid out, a part whose numbers were wrong is laid out again with the
    right ones (and, should its page count change, the parts after it), until nothing changes.
    A part's HTML says everything its layout depends on, so a part whose HTML a build has
    already written is taken from the cache (`cache`/parts) — one edited chapter costs the layout
    of that chapter — and the files are the same bytes whichever way each part came.
    """

    def __init__(self, report: Report, env: jinja2.Environment, out: Path, editions: tuple[str, ...],
                 write: bool = True, cache: Path | None = None, workers: int | None = None) -> None:
        import weasyprint  # noqa: F401 - imported before forking, shared by the workers

        _user_agent_stylesheet()  # parsed once, before forking
        printing = Printing(report.meta.print.paper, report.meta.urn)
        for key in (*editions, *(k for k, f in FORMATS.items() if f.made_by in editions)):
            _stylesheets(key, printing.paper)
        base = CONTENT_ROOT
        files = {base / asset_href(asset.name): asset.data for asset in report.assets}
        charts = ((html_id(f.spec.id), tuple(chart_problems(draw(f)))) for f in report.figures
                  if f.spec.kind != "image")
        htmls = {}
        for edition in editions:
            html = render_html(report, env, edition)
            check_glyphs(html, report)
            htmls[edition] = html
        texts = {edition: edition_characters(html, edition) for edition, html in htmls.items()}
        setting = _Setting(base, files, inspection(report, charts), cache and cache / "fonts", printing, texts)
        self.parts_cache = cache / "parts" if cache is not None and write else None
        salt = _salt(printing) if self.parts_cache else ""
        self.editions: dict[str, _Edition] = {}
        self.pool = Pool(partial(render_job, setting=setting), workers or workers_wanted())
        self.closed = False
        # Once every edition's parts are written, one render process joins them (one at a time):
        # the others end, and a join's memory does not add to a layout's.
        together = threading.Barrier(len(editions), action=lambda: self.pool.shrink(1))
        for edition in editions:
            companions = tuple(
                Companion(key, out / output_name(report.meta, key), partial(_companion_html, report, env, key))
                for key, item in FORMATS.items() if item.made_by == edition) if write else ()
            self.editions[edition] = _Edition(self.pool, edition, htmls[edition],
                                              out / output_name(report.meta, edition), write, self.parts_cache,
                                              digest(salt, texts[edition]), companions, together,
                                              setting.inspect.key if setting.inspect else lambda ids: "")
        for chain in self.editions.values():
            chain.start()

    def layout(self, edition: str, written: bool = False) -> PageMap:
        """Wait for an edition's layout (`written`: and for every edition's file, the render
        processes ended: the EPUB, built from the print layout, then takes its memory while
        theirs is free — the build's peak is the larger of the two, not their sum)."""
        chain = self.editions[edition]
        if written:
            self.finish()
        chain.laid_out.wait()
        if chain.error is not None:
            raise chain.error
        return PageMap(edition, chain.pages, chain.anchors)

    def result(self, edition: str) -> RenderedPdf:
        """Wait for an edition to be written."""
        chain = self.editions[edition]
        chain.join()
        if chain.error is not None:
            raise chain.error
        assert chain.result is not None
        if not chain.reported:
            chain.reported = True
            for message in chain.result.warnings:
                log.warning("WeasyPrint: %s", message)
        return chain.result

    def finish(self) -> list[RenderedPdf]:
        """Wait for every edition to be written, then end the render processes."""
        try:
            return [self.result(edition) for edition in self.editions]
        finally:
            if not self.closed:
                self.closed = True
                self.pool.close()

    def stop(self) -> None:
        self.pool.stop()


# Characters the renderer draws that neither the HTML nor the stylesheets hold: the hyphen a line
# broken at a soft hyphen ends with (hyphenate-character), the list markers of WeasyPrint's
# user-agent stylesheet (disc, circle, square).
_GENERATED = "\u2010\u2022\u25e6\u25aa"


def edition_characters(html: str, edition: str) -> str:
    """Every character an edition may draw, sorted: those of its HTML (text and markup), of its
    stylesheets (generated content) and printable ASCII — the glyphs each part's font subsets
    keep, so that the parts share one subset of each font (fonts.shared_glyphs)."""
    found = set(unescape(html)) | {chr(c) for c in range(32, 127)} | set(_GENERATED)
    for name in FORMATS[edition].stylesheets:
        found |= set((STYLES / name).read_text(encoding="utf-8"))
    return "".join(sorted(c for c in found if c.isprintable() or c in "\u00a0\u00ad\u2060"))


def _salt(printing: Printing) -> str:
    """What every part's layout depends on besides its HTML: the publisher's code, stylesheets,
    fonts and profiles, the toolchain, and the printer's paper and report URN."""
    from .manifest import CODE, DEPENDS, digest_paths
    from .toolchain import digest_text

    return digest(digest_paths([*CODE, *DEPENDS["pdf"]]), digest_text(), printing.paper, printing.urn)


SETTLE = 6  # rounds of laying out parts again with corrected page numbers before giving up


class _Edition(threading.Thread):
    """One edition's parts, laid out in order on the pool, checked, written and joined."""

    def __init__(self, pool: Pool, edition: str, html: str, target: Path, write: bool, cache: Path | None,
                 salt: str, companions: tuple[Companion, ...], together: threading.Barrier,
                 inspected: Callable[[frozenset[str]], str] = lambda ids: "") -> None:
        super().__init__(daemon=True, name=f"pdf-{edition}")
        self.pool, self.edition, self.target, self.write, self.cache = pool, edition, target, write, cache
        self.salt, self.companions = salt, companions
        self.head, self.parts = split(html)
        self.laid_out = threading.Event()
        self.together = together
        self.inspected = inspected  # what a part's findings depend on besides its layout
        self.pages = 0
        self.anchors: dict[str, int] = {}
        self.error: BaseException | None = None
        self.result: RenderedPdf | None = None
        self.reported = False
        self.entries: dict[str, _Entry] = {}  # by key: every job of this edition so far

    def run(self) -> None:
        try:
            self.result = self._run()
        except BaseException as exc:  # noqa: BLE001 - told to whoever waits
            self.error = exc if isinstance(exc, RenderError) else RenderError(f"{self.edition} PDF: {exc}")
            self.together.abort()
        finally:
            self.laid_out.set()

    def _entry(self, job: Job) -> _Entry:
        """The job's entry: an earlier one of this build, the cache's, or the job submitted now."""
        if job.key in self.entries:
            return self.entries[job.key]
        entry = _cached(self.cache, job)
        if entry is None:
            entry = _Entry(job, self.pool.submit(job))
        log.debug("%s: part from page %d %s", self.edition, job.first,
                  "from the cache" if entry.known else "laid out" + ("" if job.write else " (a draft)"))
        self.entries[job.key] = entry
        return entry

    def _job(self, part: Part, first: int, numbers: dict[str, int]) -> Job:
        """The job of a part starting on page `first`, showing `numbers`; laid out only (not
        written) while a number it shows is not known yet: it will be laid out again."""
        html = part.html(self.head, first, {i: numbers[i] for i in part.numbered if i in numbers}, LINK_PREFIX)
        write = self.write and all(i in numbers for i in part.numbered)
        key = digest(self.salt, self.edition, html, self.inspected(part.ids)) + ("" if write else "-draft")
        return Job(key, self.edition, html, self.target.name, first, write, inspect=write or not self.write)

    def _run(self) -> RenderedPdf:
        guess = _plan(self.cache, self.edition)
        chosen: list[_Entry] = []
        for _ in range(SETTLE):
            starts = guess.get("starts", [])
            known: dict[str, int] = dict(guess.get("anchors", {}))
            if len(starts) == len(self.parts):  # the last build's starts: lay out every part at once
                for part, first in zip(self.parts, starts, strict=True):
                    self._entry(self._job(part, first, known))
            chosen, first, found = [], 1, {}
            for part in self.parts:
                entry = self._entry(self._job(part, first, {**known, **found}))
                layout = entry.layout()
                for anchor, page in layout.anchors.items():
                    found.setdefault(anchor, layout.first + page)
                chosen.append(entry)
                first = layout.first + layout.pages
            if all(entry.job == self._job(part, entry.job.first, found)
                   for part, entry in zip(self.parts, chosen, strict=True)):
                break
            guess = {"starts": [e.job.first for e in chosen], "anchors": found}
        else:
            raise RenderError(f"{self.edition} PDF: the page numbers do not settle after {SETTLE} layouts")
        layouts = [entry.layout() for entry in chosen]
        self.anchors = found
        blanks = [layout.first != entry.job.first for layout, entry in zip(layouts, chosen, strict=True)]
        laid_out = first - 1
        item = FORMATS[self.edition]
        signature = SIGNATURE if item.press and item.two_sided else 1
        self.pages = laid_out + (-laid_out % signature)
        self.laid_out.set()
        findings = tuple(finding for layout in layouts for finding in layout.findings)
        warnings = list(dict.fromkeys(w for entry in chosen for w in entry.written().warnings))
        if not self.write:
            return RenderedPdf(self.target, self.edition, self.pages, self.anchors, 0, "", tuple(warnings), findings)
        for entry in chosen:
            _keep(self.cache, entry)
        _forget(self.cache, self.edition, {e.job.key for e in chosen},
                {"starts": [e.job.first for e in chosen], "anchors": found})
        parts = tuple(entry.written().data for entry in chosen)
        try:  # the editions are joined once all of them are laid out and written, on one process
            self.together.wait()
        except threading.BrokenBarrierError:  # another edition failed: its error is reported
            pass
        joining = Joining(parts, tuple(blanks), signature, item.press)
        ticket = self.pool.submit(Job(digest(*(e.job.key for e in chosen)), self.edition, "", self.target.name,
                                      joined=joining))
        del joining
        if ticket.layout.result().pages != self.pages:
            raise RenderError(f"{self.target.name}: {ticket.layout.result().pages} pages written, "
                              f"{self.pages} laid out")
        data = ticket.written.result().data
        done = [self._companion(companion) for companion in self.companions]
        write_atomic(self.target, data)
        return RenderedPdf(self.target, self.edition, self.pages, self.anchors, len(data),
                           hashlib.sha256(data).hexdigest(), tuple(warnings), findings, tuple(done))

    def _companion(self, companion: Companion) -> RenderedPdf:
        html = companion.html(self.pages)
        job = Job(digest(self.salt, companion.key, html), companion.key, html, companion.target.name, inspect=False)
        entry = self._entry(job)
        written = entry.written()
        _keep(self.cache, entry)
        _forget(self.cache, companion.key, {job.key})
        write_atomic(companion.target, written.data)
        return RenderedPdf(companion.target, companion.key, entry.layout().pages, {}, len(written.data),
                           hashlib.sha256(written.data).hexdigest(), written.warnings)


@dataclass
class _Entry:
    """A job and its results: from the pool (a ticket) or from the cache (both known)."""

    job: Job
    ticket: Ticket | None = None
    known: tuple[Layout, Written] | None = None

    def layout(self) -> Layout:
        return self.known[0] if self.known else self.ticket.layout.result()  # type: ignore[union-attr]

    def written(self) -> Written:
        return self.known[1] if self.known else self.ticket.written.result()  # type: ignore[union-attr]


def page_count(data: bytes) -> int:
    """The page count of a PDF (bytes)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def _cached(cache: Path | None, job: Job) -> _Entry | None:
    """The job's layout and file as an earlier build wrote them (None when not kept, or unreadable)."""
    if cache is None or not job.write:
        return None
    name = f"{job.edition}-{job.key}"
    try:
        meta = json.loads((cache / f"{name}.json").read_text(encoding="utf-8"))
        data = (cache / f"{name}.pdf").read_bytes()
        if hashlib.sha256(data).hexdigest() != meta["sha256"] or not _well_formed(meta):
            return None  # torn or damaged: laid out again
        layout = Layout(meta["pages"], meta["first"], meta["anchors"], tuple(Finding(**f) for f in meta["findings"]))
        return _Entry(job, known=(layout, Written(data, tuple(meta["warnings"]))))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _well_formed(meta: Any) -> bool:
    """Whether a cached part's description has the shape `_keep` writes."""
    return (isinstance(meta, dict) and type(meta.get("pages")) is int and type(meta.get("first")) is int
            and isinstance(meta.get("anchors"), dict) and all(type(v) is int for v in meta["anchors"].values())
            and isinstance(meta.get("warnings"), list) and all(isinstance(w, str) for w in meta["warnings"])
            and isinstance(meta.get("findings"), list) and all(isinstance(f, dict) for f in meta["findings"]))


def _keep(cache: Path | None, entry: _Entry) -> None:
    """Keep a written job's file and layout for later builds."""
    if cache is None or not entry.job.write or entry.known:  # not written, or taken from the cache
        return
    name = f"{entry.job.edition}-{entry.job.key}"
    layout, written = entry.layout(), entry.written()
    cache.mkdir(parents=True, exist_ok=True)
    write_atomic(cache / f"{name}.pdf", written.data)
    write_atomic(cache / f"{name}.json", json.dumps({
        "pages": layout.pages, "first": layout.first, "anchors": layout.anchors,
        "findings": [dataclasses.asdict(f) for f in layout.findings], "warnings": list(written.warnings),
        "sha256": hashlib.sha256(written.data).hexdigest()}, sort_keys=True).encode())


def _plan(cache: Path | None, edition: str) -> dict[str, Any]:
    """The last build's part starts and page map of an edition (guesses for this one)."""
    if cache is None:
        return {}
    try:
        plan = json.loads((cache / f"{edition}.plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(plan, dict):
        return {}
    starts, anchors = plan.get("starts"), plan.get("anchors")
    if not (isinstance(starts, list) and all(type(n) is int and n > 0 for n in starts)):
        starts = []
    if not (isinstance(anchors, dict) and all(type(n) is int for n in anchors.values())):
        anchors = {}
    return {"starts": starts, "anchors": anchors}  # a damaged plan is no plan: a guess, never an input


def _forget(cache: Path | None, key: str, keep: set[str], plan: dict[str, Any] | None = None) -> None:
    """Drop a format's cached documents this build did not use; keep an edition's plan for the next."""
    if cache is None:
        return
    for path in cache.glob(f"{key}-*"):
        if path.stem.removeprefix(f"{key}-") not in keep:
            path.unlink(missing_ok=True)
    if plan is not None:
        write_atomic(cache / f"{key}.plan.json", json.dumps(plan, sort_keys=True).encode())


class PdfWriter:
    """Writes the PDF editions; their layouts, descriptions and the cover thumbnail are products.

    `write` starts the renders and returns at once with deferred products; `finish` waits for
    the files, `stop` ends the renders.
    """

    target = "pdf"

    def __init__(self, env: jinja2.Environment, options: BuildOptions) -> None:
        self.env = env
        self.editions = options.pdf_editions
        self.cache = options.cache  # subset fonts and laid-out parts, kept between builds
        self.jobs: PdfJobs | None = None
        use_cache(options.cache / "charts")  # drawings kept between builds

    def write(self, report: Report, stage: Path, products: Products) -> Products:
        jobs = self.jobs = PdfJobs(report, self.env, stage, self.editions, cache=self.cache)
        made = {k: f.made_by for k, f in FORMATS.items() if f.made_by in self.editions}  # the cover wrap
        names = {k: output_name(report.meta, k) for k in (*self.editions, *made)}

        def output(key: str) -> OutputFile:
            result = jobs.result(made.get(key, key))
            if key in made:
                result = next(c for c in result.companions if c.edition == key)
            return OutputFile(names[key], FORMATS[key].label, "PDF", "application/pdf", result.size,
                              result.sha256, result.pages)

        return products.add(
            "pdf", [Path(n) for n in names.values()],
            layouts={e: Deferred(compute=lambda e=e: jobs.layout(e, written=True)) for e in self.editions},
            outputs={**{k: Deferred() for k in FORMATS if FORMATS[k].target == "pdf"},  # none left from before
                     **{k: Deferred(compute=lambda k=k: output(k)) for k in names}},
            cover=Deferred(compute=lambda: cover_thumbnail(jobs.result("screen").path)))

    def finish(self) -> None:
        if self.jobs:
            for result in self.jobs.finish():
                for finding in result.findings:  # warnings: errors with --strict
                    (log.info if finding.allowed else log.warning)("Preflight: %s", finding)

    def stop(self) -> None:
        if self.jobs:
            self.jobs.stop()


_PDFIUM = threading.Lock()  # PDFium is not thread-safe; builds of the preview run in threads


def cover_thumbnail(pdf: Path) -> bytes | None:
    """The PDF's first page as a JPEG thumbnail (None if there is no PDF).

    Drawn by PDFium from its wheel (pypdfium2) and encoded by Pillow, never by a system tool
    (poppler's pdftoppm was optional, and its version and JPEG library changed the bytes).
    """
    if not pdf.is_file():
        return None
    import pypdfium2
    from PIL import Image

    with _PDFIUM:
        document = pypdfium2.PdfDocument(pdf.read_bytes())
        try:
            page = document[0]
            width = page.get_width()
            # Drawn at twice the size and scaled down: smoother edges than PDFium's own.
            picture = page.render(scale=2 * COVER_WIDTH / width, may_draw_forms=False).to_pil()
            page.close()
        finally:
            document.close()
    picture = picture.convert("RGB").resize((COVER_WIDTH, A4_HEIGHT), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=88, optimize=True)
    return buffer.getvalue()


def preflight(report: Report, options: BuildOptions) -> list[Finding]:
    """Lay out the PDF editions without writing them; return every preflight finding, in order.

    Raises RenderError when an edition cannot be laid out.
    """
    from .templates import make_env

    with tempfile.TemporaryDirectory() as temp:
        jobs = PdfJobs(report, make_env(), Path(temp), options.pdf_editions, write=False)
        try:
            return [finding for result in jobs.finish() for finding in result.findings]
        finally:
            jobs.stop()
