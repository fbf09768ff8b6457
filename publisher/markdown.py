"""Markdown for reports: CommonMark + tables + footnotes, with citations, cross-references,
abbreviations and figure/table blocks — parsed once, checked, and kept as a token tree.

`parse_document` parses a chapter body (or the introduction), reports what is not allowed
with its line, lists what the text defines and refers to, and returns a `Document`: the
tokens with their anchors (heading ids and numbers, paragraph ids) already set, so that
every writer renders the same tree in its own style (render.py). `parse_inline` does the
same for one line of Markdown held in a YAML field (captions, key points, table cells).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .errors import Problem

CITATION = re.compile(r"\[(@[^\[\]]+)\]")
CITE_ITEM = re.compile(r"\s*@([A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_])\s*(?:,\s*(.*?))?\s*$", re.S)
XREF = re.compile(r"(?<![\w@.])@(ch|sec|fig|tbl|gls):([A-Za-z0-9_+-]*[A-Za-z0-9_+])")
HEADING_ID = re.compile(r"\s*\{#([A-Za-z][\w:-]*)\}\s*$")
BLOCK_KINDS = ("figure", "table")
SAFE_LINK = re.compile(r"(https?://|mailto:)", re.I)
RAW_HTML = "raw HTML is not allowed (write \\< for a literal '<')"


def html_id(ref: str) -> str:
    """`sec:titr` → `sec-titr`: colons are not allowed in XML ids (EPUB)."""
    return ref.replace(":", "-").replace("+", "-plus-").replace("&", "-and-")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "section"


def make_parser() -> MarkdownIt:
    """The Markdown parser: CommonMark, GitHub tables, footnotes, typographer quotes.

    It sees raw HTML and every link, so that the scan can refuse them with a message and a
    line; the renderer (render.py) never emits either, whatever reaches it.
    """
    md = MarkdownIt("commonmark", {"typographer": True, "html": True})
    md.enable(["table", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    # markdown-it silently turns a javascript: link into plain text; let every link through
    # so that the scan can reject what is not http(s) or mailto with a message instead.
    md.validateLink = lambda url: True
    return md


@dataclass(frozen=True)
class Ref:
    """One reference in the text: a citation key, cross-reference or abbreviation."""

    kind: str  # cite | ch | sec | fig | tbl | gls
    key: str
    line: int
    path: str = ""  # the file, when it is not the document's own (a data file's cells)


@dataclass(frozen=True)
class Inline:
    """One run of inline Markdown from a YAML field: its source, tokens and references."""

    markdown = "inline"  # what the schema calls this kind of field

    source: str
    tokens: tuple[Token, ...] = field(repr=False, compare=False, default=())
    refs: tuple[Ref, ...] = field(repr=False, compare=False, default=())

    def __str__(self) -> str:
        return self.source

    @property
    def plain(self) -> str:
        """The text without Markdown syntax or citations, for lists, bookmarks and metadata."""
        return plain_text(self.source)


@dataclass(frozen=True)
class BlockSite:
    """A fenced figure or table block, as found in the text."""

    kind: str
    spec: str  # its YAML
    line: int  # the line of the opening fence
    token: Token = field(repr=False, compare=False)


@dataclass(frozen=True)
class Document:
    """A parsed body: tokens (without the notes), each note's tokens, and what it holds.

    The tokens are never changed after parsing; anchors are already set as attributes:
    `id` on headings, paragraphs and list items, heading numbers in `meta["number"]`, and
    the figure or table a fenced block stands for in `meta["block"]`.
    """

    markdown = "block"

    source: str
    slug: str
    tokens: tuple[Token, ...] = field(repr=False, compare=False)
    notes: dict[int, tuple[Token, ...]] = field(repr=False, compare=False)
    refs: tuple[Ref, ...] = field(repr=False, compare=False, default=())
    headings: tuple[tuple[int, str, str, int], ...] = ()  # level, ref, title, line
    blocks: tuple[BlockSite, ...] = field(repr=False, compare=False, default=())
    words: int = 0

    def __str__(self) -> str:
        return self.source


@dataclass
class _Scan:
    refs: list[Ref] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    words: int = 0


def parse_document(md: MarkdownIt, body: str, path: str, offset: int, slug: str,
                   number: int | None = None) -> tuple[Document, list[Problem]]:
    """Parse and check a body that starts at line offset+1 of `path`.

    `slug` names the document in anchors; `number` is its chapter number (None for front
    matter and the introduction), used to number sections 3.1, 3.1.2. Headings get ids only in
    chapters and front matter (`number` given or `slug` not "introduction").
    """
    scan = _Scan()
    env: dict[str, object] = {}
    tokens = md.parse(body, env)
    headings: list[tuple[int, str, str, int]] = []
    blocks: list[BlockSite] = []
    seen_auto: set[str] = set()
    end = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    for i, token in enumerate(tokens):
        line = offset + (token.map[0] + 1 if token.map else 1)
        if token.type == "heading_open" and i < end:  # a heading inside a note is not a section
            found = _scan_heading(token, tokens[i + 1], line, path, slug, scan, seen_auto)
            if found:
                headings.append(found)
        elif token.type == "fence" and token.info.strip() in BLOCK_KINDS:
            blocks.append(BlockSite(token.info.strip(), token.content, line, token))
        elif token.type in ("html_block", "html_inline"):
            scan.problems.append(Problem(path, line, "body", RAW_HTML))
        elif token.type == "inline":
            _scan_inline(token, line, path, scan)
    if slug != "introduction":
        _number_headings(tokens[:end], headings, number)
    _set_block_ids(tokens[:end], slug)
    for token in tokens:
        if token.type == "th_open":
            token.attrSet("scope", "col")
    document = Document(body, slug, tuple(tokens[:end]), _notes(tokens[end:]), tuple(scan.refs), tuple(headings),
                        tuple(blocks), scan.words)
    return document, scan.problems


def parse_inline(md: MarkdownIt, text: str, path: str, line: int, name: str) -> tuple[Inline, list[Problem]]:
    """Parse and check inline Markdown held in a YAML field; errors are named after the field."""
    scan = _Scan()
    tokens = md.parseInline(text, {})
    for token in tokens:
        _scan_inline(token, line, path, scan, name)
    children = tuple(tokens[0].children or ()) if tokens else ()
    return Inline(text, children, tuple(Ref(r.kind, r.key, r.line, path) for r in scan.refs)), scan.problems


def find_refs(text: str, path: str, line: int) -> list[Ref]:
    """The citations and cross-references in plain text that is not rendered as Markdown
    (a chart's data): they count for numbering and checking like any other."""
    found = []
    for match in CITATION.finditer(text):
        for part in match.group(1).split(";"):
            item = CITE_ITEM.match(part)
            if item:
                found.append(Ref("cite", item.group(1), line, path))
    found += [Ref(m.group(1), f"{m.group(1)}:{m.group(2)}", line, path) for m in XREF.finditer(text)]
    return found


def _scan_heading(token: Token, inline: Token, line: int, path: str, slug: str, scan: _Scan,
                  seen_auto: set[str]) -> tuple[int, str, str, int] | None:
    level = int(token.tag[1])
    if level == 1:
        scan.problems.append(Problem(path, line, "body",
                                     "level-one headings are not allowed: the title is the chapter's"))
        return None
    match = HEADING_ID.search(inline.content)
    title = HEADING_ID.sub("", inline.content).strip()
    if match:
        ref = match.group(1)
        if not ref.startswith("sec:"):
            scan.problems.append(Problem(path, line, "body", f"heading id {ref!r} must start with 'sec:'"))
    else:
        ref = f"sec:{slug}-{slugify(title)}"
        while ref in seen_auto:
            ref += "-x"
        seen_auto.add(ref)
    # The heading's own {#id} is markup, not text: take it off the last text child.
    if inline.children and inline.children[-1].type == "text":
        inline.children[-1].content = HEADING_ID.sub("", inline.children[-1].content).rstrip()
    return level, ref, title, line


def _number_headings(tokens: list[Token], headings: list[tuple[int, str, str, int]], number: int | None) -> None:
    """Set each heading's id and section number (3.1, 3.1.2; none in front matter)."""
    opens = [t for t in tokens if t.type == "heading_open" and t.tag != "h1"]
    counters = [0, 0]
    for token, (level, ref, _title, _line) in zip(opens, headings, strict=True):
        section = ""
        if number and level in (2, 3):
            counters[level - 2] += 1
            if level == 2:
                counters[1] = 0
            section = f"{number}.{counters[0]}" + (f".{counters[1]}" if level == 3 else "")
        token.attrSet("id", html_id(ref))
        token.meta = {**(token.meta or {}), "number": section}


def _set_block_ids(tokens: list[Token], slug: str) -> None:
    """Every paragraph and list item gets a stable id: the EPUB places its print-page markers
    (page-list) before the element that starts each page of the print PDF."""
    count = 0
    for token in tokens:
        if token.type in ("paragraph_open", "list_item_open") and not token.hidden:
            count += 1
            token.attrSet("id", f"b-{slug}-{count}")


def _notes(tokens: list[Token]) -> dict[int, tuple[Token, ...]]:
    """Each footnote's tokens, by its number (1, 2, … in order of definition)."""
    notes: dict[int, tuple[Token, ...]] = {}
    start = 0
    for i, token in enumerate(tokens):
        if token.type == "footnote_open":
            start = i + 1
        elif token.type == "footnote_close":
            notes[tokens[start - 1].meta["id"] + 1] = tuple(tokens[start:i])
    return notes


def _scan_inline(token: Token, line: int, path: str, scan: _Scan, name: str = "body") -> None:
    text = token.content
    for child in token.children or []:
        if child.type == "image":
            scan.problems.append(Problem(path, line, name,
                                         "inline images are not allowed: use a figure block with alt text"))
        elif child.type == "html_inline":
            scan.problems.append(Problem(path, line, name, RAW_HTML))
        elif child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            if not SAFE_LINK.match(href):
                scan.problems.append(Problem(path, line, name,
                                             f"link target {href!r} must be an http(s) URL; "
                                             "use @sec:/@fig:/@tbl: for internal references"))
    for match in CITATION.finditer(text):
        at = line + text.count("\n", 0, match.start())
        if "\n" in match.group(0):
            scan.problems.append(Problem(path, at, "citation", "a citation must not be split across lines"))
            continue
        for part in match.group(1).split(";"):
            item = CITE_ITEM.match(part)
            if item:
                scan.refs.append(Ref("cite", item.group(1), at))
            else:
                scan.problems.append(Problem(path, at, "citation", f"malformed citation {part.strip()!r}"))
    for match in XREF.finditer(text):
        scan.refs.append(Ref(match.group(1), f"{match.group(1)}:{match.group(2)}",
                             line + text.count("\n", 0, match.start())))
    for child in token.children or []:
        # A footnote reference without a definition stays plain text.
        for match in re.finditer(r"\[\^([^\]\s]+)\]", child.content if child.type == "text" else ""):
            at = text.find(match.group(0))
            scan.problems.append(Problem(path, line + text.count("\n", 0, max(at, 0)), "footnote",
                                         f"footnote [^{match.group(1)}] has no definition"))
    scan.words += count_words(HEADING_ID.sub("", text))


def count_words(text: str) -> int:
    """Words of prose: citation and cross-reference syntax does not count."""
    text = CITATION.sub(" ", text)
    text = XREF.sub(lambda m: "x" if m.group(1) == "gls" else "x x", text)
    return len(re.findall(r"[^\W_]+(?:[’'-][^\W_]+)*", text))


def plain_text(text: str) -> str:
    """Caption or heading text without Markdown syntax or citations, for lists and bookmarks."""
    text = CITATION.sub("", text)
    text = re.sub(r"[*_`]", "", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()
