"""The layout preflight: what a typesetter would reject, found in the laid-out pages.

WeasyPrint lays the report out as pages of boxes before it writes the PDF. `inspect` reads
those boxes — lines with their text and place, the blocks and tables they belong to, notes
and their calls, running heads — into a small layout model (`Layout`), and each rule looks
for one kind of fault in it. A finding names the source line of the paragraph, heading,
table or figure the box came from (`sources`: element id → "path:line"), the page, the
edition, the rule and what is wrong, e.g.

    content/chapters/02-future.md:41: page 19 (screen): note-page: note 3 is printed on page 20

Rules (see docs/preflight.md for what each checks and why): widow, orphan, hyphen-ladder,
hyphen-short, hyphen-name, line-end, citation-break, note-page, page-fill, heading-low,
table-split, table-header, overflow, straight-quotes, running-head-case, caption-case,
leader-alone, short-line. An author silences one finding on purpose in the content (see
`Allowance`), with a reason that the preflight prints.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

HYPHENS = "\u2010-\u00ad"
INVISIBLE = "\u200b\u2060\u00ad"  # zero-width space, word joiner, soft hyphen
OPENERS = "([{“‘"
CLOSERS = ")]}”’"
LABEL_WORDS = ("Chapter", "Section", "Figure", "Table", "p.", "pp.", "para.", "paras.", "No.", "vol.")
UNITS = ("km", "m", "kg", "t", "%", "bn", "mn", "million", "billion", "trillion", "yen", "USD", "MW", "GW",
         "km³", "pp", "per cent")
TOLERANCE = 1.0  # px: what counts as running past an edge
RUNT = 10  # characters: a last line holding only the end of a citation is a runt when shorter
HEADING_LINES = 6  # lines of text a heading near a page's foot keeps under it (print.css: orphans 6)
SECTION_TAIL = 5  # lines of text at least on a section's last page (one that does not also open it)
TOP_GAP = 4.0  # px: space above the first line of a page beyond which the page starts low
LOOSE = 0.5  # em: word space added by justification beyond which a line is loose (a normal space is ~0.25 em:
#   beyond this, spaces are more than tripled)
CURRENCY = ("USD", "EUR", "JPY", "GBP", "CNY", "KZT", "UZS", "KGS", "TJS", "TMT", "RUB", "US$", "$", "€", "£", "¥",
            "≈", "~", "c.")
RULE_NAMES = ("widow", "orphan", "hyphen-ladder", "hyphen-short", "hyphen-name", "line-end", "citation-break",
              "note-page", "page-fill", "heading-low", "table-split", "table-header", "overflow", "straight-quotes",
              "running-head-case", "leader-alone", "short-line", "hyphen-page", "hyphen-last", "runt",
              "compound-break", "loose-line", "keep-with-next", "top-gap", "caption-case", "chart-text")
CODE_TAGS = ("code", "kbd", "samp", "pre")  # text set as written: its quotes are the author's
LONG_CITATION = 2  # sources in one citation beyond which it may break between them (as render.py)


@dataclass(frozen=True)
class Finding:
    """One fault a reader would see: where it comes from, the page, the rule and what is wrong."""

    where: str  # "path:line" of the source text the box came from ("" when it is the publisher's own text)
    page: int
    edition: str
    rule: str
    message: str
    allowed: str = ""  # the author's reason, when the content allows this finding

    def __str__(self) -> str:
        text = f"{self.where or 'report'}: page {self.page} ({self.edition}): {self.rule}: {self.message}"
        return text + (f" (allowed: {self.allowed})" if self.allowed else "")


@dataclass
class Line:
    """One line of text as laid out: page, place (px), text, and the elements it sits in."""

    page: int
    x: float
    y: float
    width: float
    right: float  # the right edge of the line's containing block
    height: float
    text: str
    owner: str  # id of the nearest paragraph-like element (p, li, heading, caption, note …)
    tags: tuple[str, ...]  # the element tags from the page down to the line
    classes: frozenset[str]  # classes of the elements it sits in
    align: str
    last: bool  # the last line of its block on this page
    block: int  # an index shared by the lines of one block fragment
    pieces: tuple[tuple[str, str], ...] = ()  # (text, id of the nearest element with an id) per text box
    spacing: float = 0.0  # the widest word space justification added, in ems of the text
    plain: str | None = None  # the line's text less what is set as code (<code>, <kbd> …: left as written)


@dataclass
class Page:
    number: int
    top: float  # the content area, px
    bottom: float
    left: float
    right: float
    width: float  # the page, px
    height: float
    name: str  # the @page name (cover, plain, chapter …)
    blank: bool
    lines: list[Line] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)  # running heads' text
    notes: list[str] = field(default_factory=list)  # ids of the notes printed on this page
    calls: list[str] = field(default_factory=list)  # ids of the note calls on this page
    # (owner, x, y, width, height) of images, charts and tables
    boxes: list[tuple[str, float, float, float, float]] = field(default_factory=list)
    tables: list[tuple[str, int, bool]] = field(default_factory=list)  # (table id, body rows here, has header)
    starts: list[str] = field(default_factory=list)  # ids of sections (front, chapter, back) that start here
    bottom_used: float = 0.0  # the lowest point of the body flow
    notes_top: float = 0.0  # where the note area starts (0: no notes on the page)


@dataclass
class Layout:
    edition: str
    pages: list[Page]
    two_sided: bool = False  # recto/verso pages: only a recto's foot is a page turn


def read_layout(document: Any, edition: str, two_sided: bool = False, first: int = 1) -> Layout:
    """The layout model of a rendered WeasyPrint Document (before it is written); `two_sided`: the
    edition is printed on both sides of the leaf (formats.Format.two_sided); `first`: the folio of
    its first page (a part of an edition, pdf.py, starts where the part before it ends)."""
    from weasyprint.formatting_structure import boxes

    pages = []
    counter = [0]  # numbers the blocks of lines across the whole document
    seen: set[str] = set()
    for number, page in enumerate(document.pages, first):
        box = page._page_box
        left, top = box.content_box_x(), box.content_box_y()
        model = Page(number, top, top + box.height, left, left + box.width, box.margin_width(), box.margin_height(),
                     str(box.page_type.name or ""), bool(box.page_type.blank))
        _walk(box, model, [], boxes, counter)
        # A section's box is cut at each page: it starts on the first page that holds it.
        model.starts = [ident for ident in model.starts if ident not in seen]
        seen.update(model.starts)
        pages.append(model)
    return Layout(edition, pages, two_sided)


def _element_info(box: Any) -> tuple[str, str, frozenset[str]]:
    element = getattr(box, "element", None)
    if element is None or box.element_tag is None:
        return "", "", frozenset()
    return element.get("id") or "", box.element_tag, frozenset((element.get("class") or "").split())


def _walk(box: Any, page: Page, stack: list[tuple[str, str, frozenset[str], Any]], boxes: Any,
          counter: list[int]) -> None:
    kind = type(box)
    if str(getattr(box, "element_tag", "") or "").endswith("::marker"):
        return  # a list item's number or bullet is not a line of its text
    if isinstance(box, boxes.MarginBox):
        text = " ".join(t.text for t in box.descendants() if isinstance(t, boxes.TextBox)).strip()
        if text:
            page.heads.append(text)
        return
    if isinstance(box, boxes.FootnoteAreaBox):
        if box.children:
            page.notes_top = box.position_y
        for child in box.descendants():
            ident = _element_info(child)[0]
            if ident.startswith("fn-") and ident not in page.notes:
                page.notes.append(ident)
        return
    ident, tag, classes = _element_info(box)
    pushed = box.element is not None and tag and (not stack or stack[-1][3] is not box.element)
    if pushed:
        stack.append((ident, tag, classes, box.element))
        if ident.startswith("fnref-"):
            page.calls.append(ident)
        if classes & {"chapter", "front", "back"} or ident in ("introduction", "contents", "list-of-figures"):
            if box.element.tag == "section" and ident and ident not in page.starts:
                page.starts.append(ident)
    if isinstance(box, boxes.LineBox):
        _line(box, page, stack, boxes, counter)
    elif isinstance(box, (boxes.ReplacedBox,)):
        page.boxes.append((_owner(stack), box.position_x, box.position_y, box.margin_width(), box.margin_height()))
        page.bottom_used = max(page.bottom_used, box.position_y + box.margin_height())
    elif isinstance(box, boxes.TableBox) and kind is not boxes.InlineTableBox:
        bodies = [g for g in box.children if isinstance(g, boxes.TableRowGroupBox)]
        header = any(g.is_header for g in bodies)
        rows = sum(len(g.children) for g in bodies if not g.is_header and not g.is_footer)
        page.tables.append((ident or _owner(stack), rows, header))
        page.boxes.append((ident or _owner(stack), box.position_x, box.position_y, box.margin_width(),
                           box.margin_height()))
    if isinstance(box, boxes.BlockContainerBox) and any(isinstance(c, boxes.LineBox) for c in box.children):
        counter[0] += 1
        lines = [c for c in box.children if isinstance(c, boxes.LineBox)]
        box._preflight_last = lines[-1]
        box._preflight_block = counter[0]
    for child in getattr(box, "children", ()):
        if hasattr(child, "children") or isinstance(child, boxes.TextBox):
            if isinstance(box, boxes.BlockContainerBox) and isinstance(child, boxes.LineBox):
                child._preflight_parent = box
            _walk(child, page, stack, boxes, counter)
    if pushed:
        stack.pop()


def _owner(stack: list[tuple[str, str, frozenset[str], Any]]) -> str:
    """The id of the nearest element that has one."""
    return next((ident for ident, _, _, _ in reversed(stack) if ident), "")


def _line(box: Any, page: Page, stack: list[tuple[str, str, frozenset[str], Any]], boxes: Any,
          counter: list[int]) -> None:
    pieces: list[tuple[str, str]] = []
    spacing = [0.0]
    plain: list[str] = []

    def collect(node: Any, owner: str, in_code: bool) -> None:
        ident, tag, _ = _element_info(node) if getattr(node, "element", None) is not None else ("", "", None)
        owner = ident or owner
        in_code = in_code or tag in CODE_TAGS
        if isinstance(node, boxes.TextBox):
            pieces.append((node.text, owner))
            if not in_code:
                plain.append(node.text)
            if node.justification_spacing and " " in node.text:
                spacing[0] = max(spacing[0], node.justification_spacing / node.style["font_size"])
        for child in getattr(node, "children", ()):
            collect(child, owner, in_code)

    owner = _owner(stack)
    for child in box.children:
        collect(child, owner, False)
    parent = getattr(box, "_preflight_parent", None)
    container = parent if parent is not None else box
    right = container.content_box_x() + container.width
    text = "".join(text for text, _ in pieces)
    page.lines.append(Line(
        page.number, box.position_x, box.position_y, box.width, right, box.height, text, owner,
        tuple(tag for _, tag, _, _ in stack), frozenset().union(*(c for _, _, c, _ in stack)) if stack else frozenset(),
        str(box.style["text_align_all"]), parent is not None and getattr(parent, "_preflight_last", None) is box,
        getattr(parent, "_preflight_block", -1), tuple(pieces), spacing[0], "".join(plain)))
    bottom = box.position_y + box.height
    if "footnote" not in (c for _, _, cs, _ in stack for c in cs):
        page.bottom_used = max(page.bottom_used, bottom)


# --- the rules -----------------------------------------------------------------------------------

def _body_lines(page: Page) -> list[Line]:
    """Lines of running text: not notes, running heads, contents entries or charts."""
    return [line for line in page.lines if not line.classes & {"footnote", "toc-entry", "chart"}
            and "figure-body" not in line.classes]


def _blocks(layout: Layout) -> dict[int, list[Line]]:
    found: dict[int, list[Line]] = {}
    for page in layout.pages:
        for line in page.lines:
            found.setdefault(line.block, []).append(line)
    return found


def check_widows(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """A paragraph split across pages must leave at least two lines on each side."""
    by_owner: dict[str, list[Line]] = {}
    for page in layout.pages:
        for line in _body_lines(page):
            if line.owner.startswith("b-"):
                by_owner.setdefault(line.owner, []).append(line)
    for lines in by_owner.values():
        pages = sorted({line.page for line in lines})
        for before, after in zip(pages, pages[1:], strict=False):
            first = [line for line in lines if line.page == before]
            second = [line for line in lines if line.page == after]
            if len(first) == 1:
                yield first[0], "orphan", f"the paragraph leaves one line at the foot of page {before}"
            if len(second) == 1:
                yield second[0], "widow", f"the paragraph carries one line over to page {after}"


def _hyphenated(line: Line) -> bool:
    """Whether the line ends in a hyphen added to break a word (not one written in the text)."""
    return line.text.rstrip()[-1:] in "\u2010\u00ad"


def check_hyphens(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """No more than two hyphenated line ends in a row; no break leaving fewer than three letters
    on a side; no break inside a capitalised word (a name)."""
    for lines in _blocks(layout).values():
        run = 0
        for line, following in zip(lines, [*lines[1:], None], strict=True):
            if not _hyphenated(line):
                run = 0
                continue
            run += 1
            if run == 3:
                yield line, "hyphen-ladder", "three hyphenated line ends in a row"
            # Soft hyphens are only where a word may break: the word is read without them.
            head = re.search(r"([\w’'-]+)[\u2010\u00ad]\s*$", line.text.replace("\u00ad", ""))
            tail = re.match(r"\s*([\w’']+)", following.text.replace("\u00ad", "")) if following else None
            if head and tail:
                before, after = re.split(r"[-‐]", head.group(1))[-1], tail.group(1)
                word = f"{head.group(1)}{after}"
                if len(before) < 3 or len(re.sub(r"\W", "", after)) < 3:
                    yield line, "hyphen-short", f"“{before}-/{after}” leaves fewer than three letters on a side"
                # A break at a soft hyphen in a name is the author's (the publisher sets none there).
                by_hand = line.text.rstrip().endswith("\u00ad\u2010")
                if (word[:1].isupper() or re.search(r"-[A-Z]", word)) and not by_hand:
                    yield line, "hyphen-name", f"the name “{word}” is broken across lines"


def _pairs(layout: Layout, running: bool = True) -> Iterator[tuple[Line, Line]]:
    """Each line with the line that follows it in the same block: on the same page, and across a
    page turn (the last line of an element's piece on one page with the first of its piece on the
    next). `running`: lines of running text only (_body_lines); else every line, notes included."""
    last: dict[str, Line] = {}
    for page in layout.pages:
        lines = _body_lines(page) if running else page.lines
        for line, following in zip(lines, lines[1:], strict=False):
            if following.block == line.block:
                yield line, following
        firsts: dict[str, Line] = {}
        for line in lines:
            if line.owner:
                firsts.setdefault(line.owner, line)
        for owner, first in firsts.items():
            before = last.get(owner)
            if before is not None and before.page == page.number - 1:
                yield before, first
        for line in lines:
            if line.owner:
                last[line.owner] = line


def check_line_ends(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """Nothing stranded at a line's end or start, within a page or over a page turn: an opening
    bracket, a label without its number ("Chapter / 7"), a number without its unit."""
    for line, following in _pairs(layout):
        end = line.text.rstrip().rstrip(INVISIBLE).rstrip()
        start = following.text.lstrip().lstrip(INVISIBLE)
        if end and end[-1] in OPENERS:  # ("" is in every string: an empty line has no end)
            yield line, "line-end", f"“{end[-1]}” is left at the end of a line"
        if start and start[0] in CLOSERS and start[0] != "’":
            yield following, "line-end", f"“{start[0]}” starts a line"
        last_word = end.split()[-1] if end.split() else ""
        if last_word in LABEL_WORDS and re.match(r"[\d\[]", start):
            yield line, "line-end", f"“{last_word} / {start.split()[0]}” is split across lines"
        first_word = start.split()[0] if start.split() else ""
        if re.fullmatch(r"[\d.,]+", last_word) and first_word.rstrip(".,;") in UNITS:
            yield line, "line-end", f"“{last_word} / {first_word}” splits a number from its unit"
        elif last_word in CURRENCY and re.match(r"\d", first_word):
            yield line, "line-end", f"“{last_word} / {first_word}” splits an amount from its currency"
        elif (re.fullmatch(r"\d{1,3}", last_word) and re.match(r"[^\W\d]", first_word)
              and not re.search(rf"(?:{'|'.join(map(re.escape, LABEL_WORDS))})[\s\u00a0]+\d+$", end)):
            yield line, "line-end", f"“{last_word} / {first_word}” leaves a short number at the end of a line"
        if (re.search(r"(?<![/\w])[A-Z][\w’']*[-–—]$", end) and re.match(r"[A-Z]", start)
                and "/" not in end.split()[-1]):
            yield line, "compound-break", f"the compound “{end.split()[-1]}{first_word}” is broken across lines"


def _paragraphs(layout: Layout) -> Iterator[list[Line]]:
    """The lines of each paragraph of running text, across pages, in order."""
    by_owner: dict[str, list[Line]] = {}
    for page in layout.pages:
        for line in _body_lines(page):
            if line.owner.startswith("b-") and "td" not in line.tags and "th" not in line.tags:
                by_owner.setdefault(line.owner, []).append(line)
    yield from by_owner.values()


def _words(text: str) -> list[str]:
    """The words of a line, citations and note calls left out."""
    text = re.sub(r"\[[^\]]*\]?|^[^\[]*\]", "", text.replace("\u200b", "").replace("\u2060", ""))
    return [word for word in text.split() if re.search(r"\w", word)]


def check_paragraph_ends(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """No word broken across a page turn; a paragraph does not end on the fragment of a broken
    word, nor on a line that holds a single word (a runt)."""
    for lines in _paragraphs(layout):
        for line, following in zip(lines, lines[1:], strict=False):
            # Two-sided, a word may run on from a verso to the recto beside it, never over a leaf.
            turn = line.page % 2 == 1 if layout.two_sided else True
            if following.page != line.page and turn and _hyphenated(line):
                yield line, "hyphen-page", f"a word is broken across the page turn {line.page}–{following.page}"
        if len(lines) < 2 or not lines[-1].last or lines[-1].align != "justify":
            continue
        words = _words(lines[-1].text)
        if len(words) == 1 and _hyphenated(lines[-2]):
            yield lines[-1], "hyphen-last", f"the paragraph ends on the word fragment “{words[0]}”"
        elif len(words) == 1 and "[" not in lines[-1].text or not words and len(lines[-1].text.strip()) < RUNT:
            yield lines[-1], "runt", f"the paragraph's last line holds only “{lines[-1].text.strip()}”"


def check_citations(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """A citation or cross-reference stays whole on one line (and one page): no bracket left open
    at a line's end. A citation of three or more sources, or one in a table cell, may break
    between two sources, never inside one ("[2, para. / 4]") or away from its bracket."""
    for line, following in _pairs(layout, running=False):
        text = line.text.rstrip()
        opened = _open_bracket(text)
        if opened < 0:
            continue
        group = text[opened:] + " " + following.text.lstrip()
        group = group[:group.find("]") + 1] if "]" in group else group
        items = len(re.findall(r"\d+(?:, (?:p|pp|para|paras|sec|ch|fig|tbl)\.?[^;,\]]*)?", group))
        between = re.search(r"[,;]$", text) is not None and not re.search(
            r"(?:p|pp|para|paras)\.\s*\d*[,;]?$", text)
        if between and (items > LONG_CITATION or "td" in line.tags or "th" in line.tags):
            continue
        where = f"pages {line.page}–{following.page}" if following.page != line.page else "lines"
        yield line, "citation-break", (f"a citation is broken across {where}: "
                                       f"“{text[opened:]} / {following.text[:12]}…”")


def _open_bracket(text: str) -> int:
    """Where the bracket left open at the end of a line starts (-1 if none is)."""
    depth, start = 0, -1
    for index, char in enumerate(text):
        if char == "[":
            depth, start = depth + 1, index if depth == 0 else start
        elif char == "]" and depth:
            depth -= 1
    return start if depth else -1


def check_notes(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """A note is printed on the page of its call."""
    printed = {ident: page.number for page in layout.pages for ident in page.notes}
    for page in layout.pages:
        for call in page.calls:
            note = "fn-" + call[len("fnref-"):]
            if printed.get(note, page.number) != page.number:
                yield _at(page, note), "note-page", (f"note {note.rsplit('-', 1)[-1]} is called on page {page.number} "
                                                     f"and printed on page {printed[note]}")


def _at(page: Page, owner: str) -> Line:
    """A stand-in line that names an element on a page (for findings not tied to one line)."""
    return Line(page.number, 0, 0, 0, 0, 0, "", owner, (), frozenset(), "", False, -1)


def _fill(page: Page) -> float:
    """How much of the room for the body flow (the content area less the notes) it fills, 0–1."""
    floor = page.notes_top or page.bottom
    return (page.bottom_used - page.top) / max(floor - page.top, 1.0)


def check_pages(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """A section's last page, unless it also opens the section, holds at least SECTION_TAIL lines
    or a figure or table (not a bullet or two carried over to an otherwise empty page). A page in
    the middle of a section is full: no more than a fifth of it left empty by a figure
    or table too tall for the space left (a third before a heading kept with its first lines);
    no heading near the foot of a page with fewer than HEADING_LINES lines under it; nothing that
    leads into the next block (a heading, a glossary term, a table's caption) is the last thing on
    a page; the text of a page that does not open a section starts at the top of the text block
    (a heading's or table's space above it is dropped at a page break, as a typesetter drops it)."""
    for index, page in enumerate(layout.pages):
        if page.name in ("cover", "plain") or page.blank or not page.lines:
            continue
        following = layout.pages[index + 1] if index + 1 < len(layout.pages) else None
        section_ends = following is None or following.blank or bool(following.starts) or following.name in (
            "cover", "plain")
        body = _body_lines(page)
        used = _fill(page)
        # A heading kept with the lines under it may leave up to a third of the page before it.
        heading_next = following is not None and any(
            line.tags[-1:] and line.tags[-1] in ("h2", "h3", "h4") for line in _body_lines(following)[:1])
        if used < (2 / 3 if heading_next else 0.8) and not section_ends:
            owner = next((line.owner for line in reversed(body) if line.owner), "")
            yield _at(page, owner), "page-fill", f"the page is only {int(used * 100)} % full"
        if section_ends and not page.starts and len(body) < SECTION_TAIL and not page.boxes:
            owner = next((line.owner for line in reversed(body) if line.owner), "")
            yield _at(page, owner), "section-tail", (f"the section's last page holds only {len(body)} line(s) "
                                                     f"(at least {SECTION_TAIL})")
        for index_line, line in enumerate(body):
            if line.tags[-1:] and line.tags[-1] in ("h2", "h3", "h4") and not section_ends:
                under = [other for other in body[index_line + 1:] if not other.tags[-1:] or other.tags[-1] not in (
                    "h2", "h3", "h4")]
                if line.y > page.top + 0.5 * (page.bottom - page.top) and len(under) < HEADING_LINES:
                    yield line, "heading-low", (f"a heading with {len(under)} line(s) under it at the foot of the page "
                                                f"(at least {HEADING_LINES})")
        if body and not section_ends and (body[-1].tags[-1:] and body[-1].tags[-1] in ("h2", "h3", "h4", "dt")
                                          or "caption" in body[-1].tags):
            yield body[-1], "keep-with-next", f"“{body[-1].text.strip()[:40]}” ends the page, apart from what it leads"
        tops = [line.y for line in body] + [y for _, _, y, _, _ in page.boxes]
        if tops and index and not page.starts and min(tops) > page.top + TOP_GAP:
            owner = min(body, key=lambda line: line.y).owner if body else ""
            yield _at(page, owner), "top-gap", (f"the text starts {round(min(tops) - page.top)} px below "
                                                "the top of the text block")


def check_tables(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """A table split across pages leaves at least three rows on each side and repeats its header."""
    fragments: dict[str, list[tuple[int, int, bool]]] = {}
    for page in layout.pages:
        for ident, rows, header in page.tables:
            fragments.setdefault(ident, []).append((page.number, rows, header))
    for ident, parts in fragments.items():
        if len(parts) < 2:
            continue
        for index, (number, rows, header) in enumerate(parts):
            page = layout.pages[number - layout.pages[0].number]
            if rows < 3:
                yield _at(page, ident), "table-split", f"the table has only {rows} row(s) on page {number}"
            if index and not header:
                yield _at(page, ident), "table-header", f"the table continues on page {number} without its header"


def check_overflow(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """Nothing runs past the text block or off the page."""
    for page in layout.pages:
        if page.name == "cover":
            continue
        for line in page.lines:
            limit = min(line.right, page.right) if line.right > line.x else page.right
            if line.x + line.width > limit + TOLERANCE and line.text.strip():
                beyond = round(line.x + line.width - limit)
                yield line, "overflow", f"“{line.text.strip()[:40]}” runs {beyond} px past its column"
        for owner, x, y, width, height in page.boxes:
            if x + width > page.right + TOLERANCE or y + height > page.bottom + TOLERANCE:
                yield _at(page, owner), "overflow", "a table or image runs past the text block"


def check_quotes(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """Typographic quotes wherever the reader sees text (code is left alone)."""
    for page in layout.pages:
        for line in page.lines:
            if set(line.tags) & set(CODE_TAGS):
                continue
            # Inline code is set as written: only the line's other text counts.
            found = re.search(r"[\"']", line.text if line.plain is None else line.plain)
            if found:
                yield line, "straight-quotes", f"a straight quote in “{line.text.strip()[:60]}”"
        for head in page.heads:
            if re.search(r"[\"']", head):
                yield _at(page, ""), "straight-quotes", f"a straight quote in the running head “{head}”"


def _case(text: str) -> str:
    """"sentence" or "title" case of a heading, judged by its words after the first."""
    words = [w for w in re.findall(r"[A-Za-z][\w’'-]*", text)[1:] if len(w) > 3]
    if not words:
        return ""
    capitals = sum(w[0].isupper() for w in words)
    return "title" if capitals == len(words) else "sentence" if capitals < len(words) else ""


def check_case(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """Running heads in one case (title case or sentence case), and figure and table captions in
    one case."""
    heads: dict[str, int] = {}
    for page in layout.pages:
        for head in page.heads[:1]:  # the left-hand head: the section's name
            if not head.isdigit():
                heads.setdefault(head, page.number)
    first = layout.pages[0].number if layout.pages else 1
    yield from _one_case({head: _at(layout.pages[number - first], "") for head, number in heads.items()},
                         "running-head-case", "running heads")
    captions: dict[str, list[Line]] = {}
    for page in layout.pages:
        for line in page.lines:
            if ("caption" in line.tags or "figcaption" in line.tags) and "fig-source" not in line.classes \
                    and "table-source" not in line.classes and "toc-entry" not in line.classes:
                captions.setdefault(line.owner, []).append(line)
    texts = {}
    for lines in captions.values():
        text = re.sub(r"^(Figure|Table)\s+\d+\.\s*", "", " ".join(line.text.strip() for line in lines))
        texts[text.replace("\u00ad", "")] = lines[0]
    yield from _one_case(texts, "caption-case", "captions")


def _one_case(items: dict[str, Line], rule: str, what: str) -> Iterator[tuple[Line, str, str]]:
    cases = {text: _case(text) for text in items}
    common = max(("sentence", "title"), key=lambda c: sum(v == c for v in cases.values()))
    for text, case in cases.items():
        if case and case != common:
            yield items[text], rule, f"“{text[:60]}” is in {case} case; the other {what} are in {common} case"


def check_leaders(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """A contents or list entry's dot leader never sits alone on a line."""
    for page in layout.pages:
        for line in page.lines:
            if "toc-entry" in line.classes and line.text.count(".") > 2 and not re.sub(r"[.\s\d]", "", line.text):
                yield line, "leader-alone", "a dot leader stands alone on a line"


def check_short_lines(layout: Layout) -> Iterator[tuple[Line, str, str]]:
    """A justified line that is not the last of its paragraph fills the measure, and does so
    without word spaces stretched past LOOSE ems (rivers of white)."""
    for page in layout.pages:
        for line in _body_lines(page):
            if line.align == "justify" and not line.last and line.spacing > LOOSE:
                yield line, "loose-line", (f"justification widens the word spaces by {line.spacing:.2f} em in "
                                           f"“{line.text.strip()[:40]}”")
            if line.align == "justify" and not line.last and line.width < (line.right - line.x) - 3:
                yield line, "short-line", (f"a justified line stops {round(line.right - line.x - line.width)} px "
                                           "short of the margin")


RULES = (check_widows, check_hyphens, check_line_ends, check_paragraph_ends, check_citations, check_notes,
         check_pages, check_tables, check_overflow, check_quotes, check_case, check_leaders, check_short_lines)


@dataclass(frozen=True)
class Allowance:
    """A finding an author accepts on purpose: the rule, the file (and line, 0: any) and why."""

    rule: str
    path: str
    line: int
    reason: str

    def covers(self, finding: Finding) -> bool:
        path, _, line = finding.where.rpartition(":")
        return finding.rule == self.rule and path == self.path and (not self.line or str(self.line) == line)


def check_charts(layout: Layout, charts: dict[str, tuple[str, ...]]) -> Iterator[tuple[Line, str, str]]:
    """No chart text outside its drawing or over other text (`charts`: figure id → what
    charttext.chart_problems found in the chart's SVG), reported on the chart's page."""
    for page in layout.pages:
        for owner, *_ in page.boxes:
            for problem in charts.pop(owner, ()):
                yield _at(page, owner), "chart-text", problem


def inspect(layout: Layout, sources: dict[str, str], allowances: tuple[Allowance, ...] = (),
            charts: dict[str, tuple[str, ...]] | None = None) -> list[Finding]:
    """Every finding of every rule, in page order; `sources` maps element ids to "path:line", and
    a finding an allowance covers carries the author's reason; `charts` maps figure ids to the
    problems of their charts' text."""
    found = set()
    rules = [*RULES, lambda layout: check_charts(layout, dict(charts or {}))]
    for rule in rules:
        for line, name, message in rule(layout):
            finding = Finding(sources.get(line.owner, ""), line.page, layout.edition, name, message)
            allowed = next((a.reason for a in allowances if a.covers(finding)), "")
            found.add(dataclasses.replace(finding, allowed=allowed) if allowed else finding)
    return sorted(found, key=lambda f: (f.page, f.rule, f.where, f.message))


@dataclass(frozen=True)
class Inspection:
    """What a render process needs to inspect its layout: where each element comes from, and the
    findings the authors accept."""

    sources: dict[str, str]
    allowances: tuple[Allowance, ...] = ()
    charts: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (figure id, problems of its chart's text)

    def key(self, ids: Iterable[str]) -> str:
        """What the findings on the elements `ids` (a part of an edition) depend on besides the
        layout: their source lines, the allowances of their files and their charts' problems —
        part of the part's cache key (pdf.py), so that a moved line or a new allowance is seen."""
        wanted = set(ids)
        sources = sorted((i, self.sources[i]) for i in wanted if i in self.sources)
        paths = {where.rpartition(":")[0] for _, where in sources}
        allowances = sorted(dataclasses.astuple(a) for a in self.allowances if a.path in paths)
        charts = sorted((i, list(p)) for i, p in self.charts if i in wanted)
        return json.dumps([sources, allowances, charts], ensure_ascii=False)

    def __call__(self, document: Any, edition: str, two_sided: bool = False, first: int = 1) -> list[Finding]:
        return inspect(read_layout(document, edition, two_sided, first), self.sources, self.allowances,
                       dict(self.charts))


def inspection(report: Any, charts: Iterable[tuple[str, tuple[str, ...]]] = ()) -> Inspection:
    """The inspection of a report: its source map, every chapter's allowances, and what is wrong
    with the text of the charts as the PDF draws them ((figure id, problems) pairs)."""
    allowances = tuple(Allowance(a.rule, c.source_path, a.line, a.reason)
                       for c in report.documents for a in c.head.preflight)
    return Inspection(source_map(report), allowances, tuple(charts))


def source_map(report: Any) -> dict[str, str]:
    """Every element id the writers give to content → the "path:line" it comes from."""
    from .markdown import html_id

    found: dict[str, str] = {}

    def document(doc: Any, path: str) -> None:
        for token in doc.tokens:
            ident = token.attrGet("id") if token.attrs else None
            if ident:
                found[ident] = f"{path}:{doc.line_of(token)}"
        for heading in doc.headings:
            found[heading.id] = f"{path}:{heading.line}"
        for site in doc.sites:
            block = doc.blocks.get(site.key)
            if block:
                found[html_id(block)] = f"{path}:{site.line}"
        for note in doc.notes.values():
            found[f"fn-{doc.slug}-{note.number}"] = f"{path}:{note.line}"
            found[f"fnref-{doc.slug}-{note.number}"] = f"{path}:{note.line}"

    for chapter in report.documents:
        found[chapter.anchor] = f"{chapter.source_path}:2"
        document(chapter.body, chapter.source_path)
    return found
