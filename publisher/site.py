"""The reading edition: the whole report as linked HTML pages in dist/read/.

Notes are endnotes at the end of each page, links go between the pages, charts are SVG files
(a wide drawing, and a narrow one on phones) with their data as a table and as CSV beside
them, and wide tables scroll in their own focusable box.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markdown_it.common.utils import escapeHtml

from .citation import plain_citation
from .chart import OUTPUTS, chart_text, standalone, svg
from .figure import data_csv, data_table_html, draw, picture_html, svg_file, svg_size
from .markdown import html_id
from .model import Chapter, Figure, Heading, Report
from .output import write_atomic
from .formats import READ, asset_href, document_stem
from .language import Language, cross_label, language
from .render import BIBLIOGRAPHY, GLOSSARY, NoteText, Renderer, Style, note_anchor
from .templates import render

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class WebStyle(Style):
    """The pages of read/: endnotes, links between pages, scrolling boxes for wide things; the
    notes' labels in `words`'s language."""

    words: Language | None = None

    @property
    def _words(self) -> Language:
        return self.words or language("en")

    def href(self, current: str, target: str, anchor: str) -> str:
        return f"#{anchor}" if current == target else f"{page_name(target)}#{anchor}"

    def note_call(self, slug: str, number: int, note: NoteText, call: int) -> str:
        note_id, ref_id = note_anchor(slug, number, call)
        name = escapeHtml(self._words.gettext("Note %(number)s") % {"number": number})
        return (f'<sup class="noteref"><a href="#{note_id}" id="{ref_id}" role="doc-noteref" '
                f'aria-label="{name}">{number}</a></sup>')

    def notes(self, slug: str, notes: list[tuple[int, NoteText, int]]) -> str:
        if not notes:
            return ""
        words = self._words
        link = escapeHtml(words.gettext("Back"))
        parts = []
        for number, note, calls in notes:
            note_id, ref_id = note_anchor(slug, number)
            name = escapeHtml(words.gettext("Back to note %(number)s in the text") % {"number": number})
            back = f'<a href="#{ref_id}" role="doc-backlink" class="backlink" aria-label="{name}">{link}</a>'
            if calls > 1:  # a note called in several places links back to each
                again = words.gettext("Back to call %(call)s of note %(number)s")
                back = escapeHtml(words.gettext("Back to the text:")) + " " + ", ".join(
                    f'<a href="#{note_anchor(slug, number, call)[1]}" role="doc-backlink" class="backlink" '
                    f'aria-label="{escapeHtml(again % {"call": call, "number": number})}">{call}</a>'
                    for call in range(1, calls + 1))
            parts.append(f'<li id="{note_id}">{note.with_first("", back)}</li>')
        return ('<section class="notes" role="doc-endnotes" aria-labelledby="notes-' + slug
                + '"><h2 id="notes-' + slug + '">' + escapeHtml(words.gettext("Notes")) + "</h2><ol>"
                + "".join(parts) + "</ol></section>")

    def figure_body(self, figure: Figure) -> str:
        # The wide drawing, or the narrow one on a phone (its text stays legible), then the data
        # as a table for screen readers and anyone who wants the numbers, and as CSV.
        if figure.spec.kind == "image":
            return draw(figure)
        stem = chart_stem(figure)
        return (picture_html(stem, figure.alt, svg_size(svg(figure, OUTPUTS["web"])))
                + data_table_html(figure, stem + ".csv", self._words))

    def scrolls(self, boxed: bool) -> bool:
        # On a phone a wide table scrolls inside its own box;
        # a box that scrolls must be focusable (WCAG 2.1.1), and a focusable box needs a name.
        return boxed


def chart_stem(figure: Figure) -> str:
    """Where a chart's files go in read/ (without the suffix)."""
    return f"figures/{html_id(figure.spec.id)}"


def chart_files(report: Report, cache: Path | None = None) -> list[tuple[str, bytes]]:
    """Every chart's files in read/: the wide and the narrow drawing (fonts embedded, subset
    once for all of them and kept in `cache`), and its data as CSV."""
    charts = [f for f in report.figures if f.spec.kind != "image"]
    drawings = {(f.spec.id, o): svg(f, OUTPUTS[o]) for f in charts for o in ("web", "narrow")}
    text = chart_text(list(drawings.values()))
    found = []
    for figure in charts:
        stem = chart_stem(figure)
        found += [(f"{stem}.svg", svg_file(standalone(drawings[figure.spec.id, "web"], text, cache))),
                  (f"{stem}-narrow.svg", svg_file(standalone(drawings[figure.spec.id, "narrow"], text, cache))),
                  (f"{stem}.csv", data_csv(figure, language(report.meta.language)))]
    return found


def page_name(stem: str) -> str:
    """The file of a page in read/, from a document's stem: `01-overview.html`."""
    return f"{stem}.html"


@dataclass(frozen=True)
class Page:
    """One HTML file of the reading edition."""

    file: str
    title: str  # the page's heading
    nav_label: str  # its entry in the contents and the pager
    template: str
    description: str
    anchor: str = ""
    number: int | None = None
    chapter: Chapter | None = None
    body: str = ""
    sections: tuple[Heading, ...] = ()


def page_file(chapter: Chapter) -> str:
    """`01-overview.html` for a chapter, `summary.html` for a front-matter section."""
    return page_name(document_stem(chapter))


def pages(report: Report) -> list[Page]:
    """Every page in reading order: contents, introduction, front matter, chapters, back matter."""
    meta = report.meta
    words = language(meta.language)
    _ = words.gettext
    renderer = Renderer(report, WebStyle(words))
    found = [
        Page("index.html", _("Contents"), _("Contents"), "contents", meta.standfirst),
        Page("introduction.html", _("Introduction"), _("Introduction"), "section",
             _("The introduction to %(title)s.") % {"title": meta.title}, anchor="introduction",
             body=renderer.introduction()),
    ]
    for chapter in report.documents:
        label = f"{chapter.number}. {chapter.title}" if chapter.number else chapter.title
        named = cross_label(words, "ch", chapter.number).replace("\u00a0", " ") if chapter.number else chapter.title
        described = _("%(chapter)s of %(title)s.") % {"chapter": named, "title": meta.title}
        found.append(Page(page_file(chapter), chapter.title, label, "section",
                          chapter.summary or described, anchor=chapter.anchor,
                          number=chapter.number, chapter=chapter, body=renderer.chapter(chapter),
                          sections=chapter.sections))
    if report.references:
        found.append(Page(page_name(BIBLIOGRAPHY), _("Bibliography"), _("Bibliography"), "bibliography",
                          _("The sources cited in %(title)s.") % {"title": meta.title}))
    if report.glossary:
        found.append(Page(page_name(GLOSSARY), _("Glossary"), _("Glossary"), "glossary",
                          _("The abbreviations used in %(title)s.") % {"title": meta.title}))
    return found


def write_site(report: Report, env: jinja2.Environment, out: Path, cache: Path | None = None,
               texts: list[str] | None = None) -> list[Path]:
    """Write dist/read/: one page per section, plus the images the figures use; each page's HTML
    is also added to `texts` (if given: what the web fonts are cut to).

    Files left in read/ by an earlier build that this one did not write are removed, so a
    renamed chapter leaves no orphan page behind.
    """
    folder = out / READ
    every = pages(report)
    files = {p.chapter.slug: p.file for p in every if p.chapter}
    common = {"report": report, "meta": report.meta, "root": "../", "pages": every, "files": files,
              "citation": plain_citation(report)}
    written = []
    for i, page in enumerate(every):
        html = render(env, f"web/read/{page.template}.html", page=page, chapter=page.chapter,
                      anchor=page.anchor, body=page.body, prev=every[i - 1] if i else None,
                      next=every[i + 1] if i + 1 < len(every) else None, sidebar=i > 0,
                      current="contents" if i == 0 else "", **common)
        written.append(write_atomic(folder / page.file, html))
        if texts is not None:
            texts.append(html)
    for asset in report.assets:
        written.append(write_atomic(folder / asset_href(asset.name), asset.data))
    for name, data in chart_files(report, cache):
        written.append(write_atomic(folder / name, data))
    return written

