"""The reading edition: the whole report as linked HTML pages in dist/read/."""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import escape

from .citation import plain_citation
from .model import Chapter, Heading, Report
from .output import write_atomic
from .templates import render

log = logging.getLogger(__name__)

READ = "read"
TABLE_WRAP = re.compile(r'<div class="table-wrap"><table class="data-table[^"]*" id="([^"]+)"')
BARE_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
SVG_FIGURE = re.compile(r'(<figure class="[^"]*" id="([^"]+)">)<div class="figure-body">(?=<svg)')


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
    return f"{chapter.number:02d}-{chapter.slug}.html" if chapter.number else f"{chapter.slug}.html"


def pages(report: Report) -> list[Page]:
    """Every page in reading order: contents, introduction, front matter, chapters, back matter."""
    meta = report.meta
    found = [
        Page("index.html", "Contents", "Contents", "contents", meta.standfirst),
        Page("introduction.html", "Introduction", "Introduction", "section",
             f"The introduction to {meta.title}.", anchor="introduction", body=meta.introduction_web),
    ]
    for chapter in report.front + report.chapters:
        label = f"{chapter.number}. {chapter.title}" if chapter.number else chapter.title
        found.append(Page(page_file(chapter), chapter.title, label, "section",
                          chapter.summary or f"{chapter.label} of {meta.title}.", anchor=chapter.anchor,
                          number=chapter.number, chapter=chapter,
                          body=scroll_boxes(chapter),
                          sections=tuple(h for h in chapter.headings if h.level == 2)))
    found.append(Page("bibliography.html", "Bibliography", "Bibliography", "bibliography",
                      f"The sources cited in {meta.title}."))
    if report.glossary:
        found.append(Page("glossary.html", "Glossary", "Glossary", "glossary",
                          f"The abbreviations used in {meta.title}."))
    return found


def scroll_boxes(chapter: Chapter) -> str:
    """The chapter's web body with every box that may scroll sideways made reachable by keyboard.

    On a phone a wide table, or a chart kept at a legible size, scrolls inside its own box; a
    box that scrolls must be focusable (WCAG 2.1.1), and a focusable box needs a name.
    Pipe tables, which the Markdown renderer leaves bare, get the same box.
    """
    names = {t.id: f"Table {t.number}" for t in chapter.tables}
    names.update({f.id: f"Figure {f.number}" for f in chapter.figures})

    def box(kind: str, name: str) -> str:
        return f'<div class="{kind}" role="region" tabindex="0" aria-label="{escape(name)}">'

    def table(match: re.Match[str]) -> str:
        return match.group(0).replace('<div class="table-wrap">',
                                      box("table-wrap", names.get(match.group(1), "Table")))

    def figure(match: re.Match[str]) -> str:
        return match.group(1) + box("figure-body", names.get(match.group(2), "Figure"))

    bare = itertools.count(1)

    def pipe_table(match: re.Match[str]) -> str:
        # Landmarks need distinct names, and a pipe table has no caption or number of its own.
        return box("table-wrap", f"Unnumbered table {next(bare)}") + f"<table>{match.group(1)}</table></div>"

    html = TABLE_WRAP.sub(table, chapter.html_web)
    html = SVG_FIGURE.sub(figure, html)
    return BARE_TABLE.sub(pipe_table, html)


def write_site(report: Report, env: jinja2.Environment, out: Path) -> list[Path]:
    """Write dist/read/: one page per section, plus the images the figures use.

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
    for asset in report.assets:
        written.append(write_atomic(folder / asset.name, asset.data))
    return written

