"""Markdown for reports: CommonMark + tables + footnotes, with citations, cross-references,
abbreviations and figure/table blocks — parsed once, checked, and kept as a token tree.

Citations (`[@key, p. 4; @other]`) and cross-references (`@sec:id`, `@fig:id`, `@tbl:id`,
`@ch:id`, `@gls:KEY`) are inline tokens of their own, made by the parser: the checks, the
numbering and every writer see the same thing. `parse_document` parses a chapter body (or the
introduction), reports what is not allowed with its line, and returns a `Document` whose
anchors (heading ids and numbers, paragraph ids) are set; `parse_inline` does the same for one
line of Markdown held in a YAML field (captions, key points, table cells). Nothing is changed
in a token tree once it is returned.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import footnote_ref

from .errors import Problem
from .limits import (
    MAX_BLOCK_DEPTH, MAX_CITATION, MAX_ELEMENTS, MAX_FOOTNOTE_LABEL, MAX_INLINE_DEPTH, MAX_LINK_TEXT, MAX_PARAGRAPH,
    MAX_TABLE_COLUMNS, MAX_TABLE_ROWS,
)
from .schema import KEY
from .yamlfile import CONTROL, character_problem

CITATION = re.compile(r"\[(@[^\[\]]+)\]")  # in raw text: what the parser takes for a citation
CITE_ITEM = re.compile(rf"\s*@({KEY})\s*(?:,\s*(.*?))?\s*$", re.S)
XREF_KINDS = ("ch", "sec", "fig", "tbl", "gls")
XREF = re.compile(rf"(?<![\w@.])@({'|'.join(XREF_KINDS)}):({KEY})")
HEADING_ID = re.compile(rf"\s*\{{#(sec:{KEY}|[A-Za-z][\w:-]*)\}}\s*$")
BLOCK_KINDS = ("figure", "table")
SAFE_LINK = re.compile(r"(https?://|mailto:)", re.I)
RAW_HTML = "raw HTML is not allowed (write \\< for a literal '<')"
WORD = re.compile(r"[^\W_]+(?:[’'-][^\W_]+)*")
FOOTNOTE_CALL = re.compile(rf"\[\^([^\]\s]{{1,{MAX_FOOTNOTE_LABEL}}})\]")
LANGUAGE_TAG = re.compile(r"[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*")  # BCP 47, as report.yaml's `language`
PASSAGE = "a passage in another language is written [text]{lang=tg}: a language tag and nothing else"
SPAN_ATTRIBUTES = re.compile(r"\]\{[^{}\n]*\}")


def html_id(ref: str) -> str:
    """`sec:titr` → `sec-titr`: colons are not allowed in XML ids (EPUB)."""
    return ref.replace(":", "-").replace("+", "-plus-").replace("&", "-and-").replace(".", "-dot-")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "section"


# --- the parser ---------------------------------------------------------------------------------

def _citation_rule(state: StateInline, silent: bool) -> bool:
    """`[@key, locator; @key2]` → one `citation` token with its items."""
    start = state.pos
    if not state.src.startswith("[@", start):
        return False
    # At most MAX_CITATION characters ahead: a search to the end of the text for every "[@" would
    # make a paragraph of "[@[@[@…" quadratic.
    end = state.src.find("]", start, start + MAX_CITATION)
    if end < 0 or "[" in state.src[start + 1:end]:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.content = state.src[start:end + 1]
        items = []
        for part in state.src[start + 1:end].split(";"):
            item = CITE_ITEM.match(part)
            items.append((item.group(1), item.group(2) or "") if item else (None, part.strip()))
        token.meta = {"items": tuple(items), "offset": start}
    state.pos = end + 1
    return True


def _xref_rule(state: StateInline, silent: bool) -> bool:
    """`@sec:id`, `@gls:KEY` … → one `xref` token (not after a letter, `@` or `.`: e-mail)."""
    start = state.pos
    if state.src[start] != "@" or (start and re.match(r"[\w@.]", state.src[start - 1])):
        return False
    match = XREF.match(state.src, start)
    if not match:
        return False
    if not silent:
        token = state.push("xref", "", 0)
        token.content = match.group(0)
        token.meta = {"kind": match.group(1), "key": match.group(2), "offset": start}
    state.pos = match.end()
    return True


def _footnote_ref_rule(state: StateInline, silent: bool) -> bool:
    """The footnote plugin's `[^label]` rule, tried only where a label of at most
    MAX_FOOTNOTE_LABEL characters and its "]" follow: the plugin itself looks for the "]" to the
    end of the paragraph at every "[^", which makes "[^[^[^…" quadratic."""
    if not FOOTNOTE_CALL.match(state.src, state.pos, state.posMax):
        return False
    return footnote_ref(state, silent)


def _bounded_label(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """A link, image or inline-note rule tried only where a "]" follows within MAX_LINK_TEXT
    characters: markdown-it looks for the end of the label to the end of the paragraph at every
    "[", which makes "[a[a[a…" or "[![[![…" quadratic (37 s for 2 MB of such paragraphs)."""
    def bounded(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] in "[!^" and state.src.find("]", state.pos, state.pos + MAX_LINK_TEXT) < 0:
            return False
        return rule(state, silent)

    return bounded


def make_parser() -> MarkdownIt:
    """The Markdown parser: CommonMark, GitHub tables, footnotes, typographer quotes, citations
    and cross-references.

    It sees raw HTML and every link, so that the scan can refuse them with a message and a
    line; the renderer (render.py) never emits either, whatever reaches it. Blocks nested deeper
    than markdown-it's `maxNesting` levels are dropped by the parser without a word; a list takes
    two levels (the list and its item), a block quote one, so it is set to 2 × MAX_BLOCK_DEPTH + 2:
    the parser drops something only where `parse_document` refuses lists and quotes nested more
    than MAX_BLOCK_DEPTH deep anyway.
    """
    md = MarkdownIt("commonmark", {"typographer": True, "html": True, "maxNesting": 2 * MAX_BLOCK_DEPTH + 2})
    md.enable(["table", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.inline.ruler.at("footnote_ref", _footnote_ref_rule)
    for name in ("link", "image", "footnote_inline"):
        rule = next(r for r in md.inline.ruler.__rules__ if r.name == name)
        md.inline.ruler.at(name, _bounded_label(rule.fn))
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.inline.ruler.before("link", "xref", _xref_rule)
    # A passage in another language: [Тоҷикистон]{lang=tg} (a bracketed span; the scan allows a
    # language tag and nothing else on it).
    attrs_plugin(md, after=("span_close",), spans=True)
    # markdown-it silently turns a javascript: link into plain text; let every link through
    # so that the scan can reject what is not http(s) or mailto with a message instead.
    md.validateLink = lambda url: True
    return md


# --- what a parse gives -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Ref:
    """One reference in the text: a citation key, cross-reference or abbreviation."""

    kind: str  # cite | ch | sec | fig | tbl | gls
    key: str  # the reference key, or kind:id for cross-references
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


@dataclass(frozen=True)
class Heading:
    """A section heading: its id (`sec:…`), html anchor, number (3.1; "" when unnumbered),
    level (2–6), its line in the file and in the body (0-based: how the renderer finds it),
    plain title (set once every label is known), and inline tokens."""

    ref: str
    id: str
    number: str
    level: int
    line: int
    at: int
    title: str = ""
    tokens: tuple[Token, ...] = field(repr=False, compare=False, default=())


@dataclass(frozen=True)
class BlockSite:
    """A fenced figure or table block, as found in the text."""

    kind: str
    spec: str  # its YAML
    line: int  # the line of the opening fence
    key: int  # the fence's first line in the body (0-based): how the document names the block


@dataclass(frozen=True)
class Document:
    """A parsed body: tokens (without the notes), each note's tokens, and what it holds.

    Anchors are set: `id` on paragraphs and list items; headings are described by `headings`
    (by the line their token starts on), and the figure or table each fenced block stands for
    by `blocks` (fence line → block id).
    """

    markdown = "block"

    source: str
    slug: str
    tokens: tuple[Token, ...] = field(repr=False, compare=False)
    notes: Mapping[int, tuple[Token, ...]] = field(repr=False, compare=False)
    refs: tuple[Ref, ...] = field(repr=False, compare=False, default=())
    headings: tuple[Heading, ...] = ()
    sites: tuple[BlockSite, ...] = field(repr=False, compare=False, default=())
    blocks: Mapping[int, str] = field(repr=False, compare=False, default_factory=lambda: MappingProxyType({}))
    words: int = 0
    offset: int = 0  # the file line just before the body's first line
    elements: int = 0  # the HTML elements it becomes (count_elements): what the report-wide limit counts

    def line_of(self, token: Token) -> int:
        """The file line a block token starts on."""
        return self.offset + (token.map[0] + 1 if token.map else 1)

    def __str__(self) -> str:
        return self.source

    def heading_at(self, line: int) -> Heading | None:
        """The heading whose token starts on body line `line` (0-based), if it is a section."""
        return next((h for h in self.headings if h.at == line), None)


@dataclass
class _Scan:
    refs: list[Ref] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    words: int = 0
    elements: int = 0  # see count_elements


def _long_line(body: str, path: str, offset: int, name: str = "body") -> Problem | None:
    """A line over MAX_PARAGRAPH characters, refused before it is parsed: a paragraph on one line
    of megabytes would take minutes to parse and lay out."""
    for line_number, line in enumerate(body.split("\n"), offset + 1):
        if len(line) > MAX_PARAGRAPH:
            return Problem(path, line_number, name, f"the line has {len(line)} characters (at most {MAX_PARAGRAPH}): "
                                                    "break it into paragraphs")
    return None


def _check_table(tokens: list[Token], start: int, line: int, path: str, scan: _Scan) -> None:
    """A Markdown pipe table (tokens[start] is its table_open) of at most MAX_TABLE_ROWS rows
    and MAX_TABLE_COLUMNS columns, like a table block."""
    rows = columns = 0
    for token in tokens[start + 1:]:
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            rows += 1
        elif token.type in ("th_open", "td_open") and rows == 1:
            columns += 1
    rows -= 1  # the header row
    if rows > MAX_TABLE_ROWS:
        scan.problems.append(Problem(path, line, "body", f"the table has {rows} rows (at most {MAX_TABLE_ROWS})"))
    if columns > MAX_TABLE_COLUMNS:
        scan.problems.append(Problem(path, line, "body",
                                     f"the table has {columns} columns (at most {MAX_TABLE_COLUMNS})"))


def count_elements(tokens: tuple[Token, ...] | list[Token]) -> int:
    """The HTML elements tokens become (paragraphs, list items, emphasis, links, citations …),
    children included; runs of text and line breaks inside a paragraph are not elements. What
    the PDF renderer costs grows with them: about a millisecond each."""
    return sum((token.nesting == 1 or (token.nesting == 0 and token.type not in _NOT_ELEMENTS))
               + count_elements(token.children or ()) for token in tokens)


_NOT_ELEMENTS = frozenset({"text", "softbreak", "inline"})


_CONTAINERS = frozenset({"blockquote", "bullet_list", "ordered_list"})


def _check_size(tokens: list[Token], offset: int, path: str, scan: _Scan) -> None:
    """Refuse a document of more than MAX_ELEMENTS elements (see `count_elements`), or whose lists
    and block quotes are nested in one another more than MAX_BLOCK_DEPTH deep, at the line where
    it goes over."""
    count = depth = 0
    deep = False
    for token in tokens:
        before, count = count, count + count_elements((token,))
        line = offset + (token.map[0] + 1 if token.map else 1)
        if before <= MAX_ELEMENTS < count:
            scan.problems.append(Problem(path, line, "body", f"the text has more than {MAX_ELEMENTS} elements "
                                                             "(paragraphs, emphasis, citations …): split the chapter"))
        if token.type.rsplit("_", 1)[0] in _CONTAINERS:
            depth += token.nesting
            if depth > MAX_BLOCK_DEPTH and not deep:
                deep = True
                scan.problems.append(Problem(path, line, "body", f"lists and block quotes are nested more than "
                                                                 f"{MAX_BLOCK_DEPTH} deep"))
    scan.elements = count


def parse_document(md: MarkdownIt, body: str, path: str, offset: int, slug: str,
                   number: int | None = None, sections: bool = True) -> tuple[Document, list[Problem]]:
    """Parse and check a body that starts at line offset+1 of `path`.

    `slug` names the document in anchors; `number` is its chapter number (None for front
    matter and the introduction), used to number sections 3.1, 3.1.2; `sections`: whether its
    headings are sections that can be referred to (not in the introduction).
    """
    scan = _Scan()
    too_long = _long_line(body, path, offset)
    if too_long:
        return Document(body, slug, (), MappingProxyType({})), [too_long]
    tokens = md.parse(body, {})
    _check_size(tokens, offset, path, scan)
    end = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    headings: list[Heading] = []
    sites: list[BlockSite] = []
    seen_auto: set[str] = set()
    counters = [0, 0]
    for i, token in enumerate(tokens):
        line = offset + (token.map[0] + 1 if token.map else 1)
        if token.type == "heading_open" and i < end:  # a heading inside a note is not a section
            found = _scan_heading(token, tokens[i + 1], line, path, slug, scan, seen_auto)
            if found and sections:
                level, ref = found
                section = ""
                if number and level in (2, 3):
                    counters[level - 2] += 1
                    counters[1] = 0 if level == 2 else counters[1]
                    section = f"{number}.{counters[0]}" + (f".{counters[1]}" if level == 3 else "")
                headings.append(Heading(ref, html_id(ref), section, level, line, token.map[0] if token.map else 0,
                                        tokens=tuple(tokens[i + 1].children or ())))
        elif token.type == "fence" and token.info.strip() in BLOCK_KINDS:
            sites.append(BlockSite(token.info.strip(), token.content, line, token.map[0] if token.map else 0))
        elif token.type in ("html_block", "html_inline"):
            scan.problems.append(Problem(path, line, "body", RAW_HTML))
        elif token.type == "table_open":
            _check_table(tokens, i, line, path, scan)
        elif token.type == "inline":
            _scan_inline(token, line, path, scan)
    _set_block_ids(tokens[:end], slug)
    document = Document(body, slug, tuple(tokens[:end]), MappingProxyType(_notes(tokens[end:])), tuple(scan.refs),
                        tuple(headings), tuple(sites), words=scan.words, offset=offset, elements=scan.elements)
    return document, scan.problems


def parse_inline(md: MarkdownIt, text: str, path: str, line: int, name: str) -> tuple[Inline, list[Problem]]:
    """Parse and check inline Markdown held in a YAML field; errors are named after the field.

    Limits as for a paragraph: at most MAX_PARAGRAPH characters (longer text is refused before
    it is parsed), MAX_INLINE_DEPTH levels of nested markup."""
    if len(text) > MAX_PARAGRAPH:
        return Inline(text), [Problem(path, line, name, f"the text has {len(text)} characters (at most "
                                                        f"{MAX_PARAGRAPH})")]
    scan = _Scan()
    tokens = md.parseInline(text, {})
    for token in tokens:
        _scan_inline(token, line, path, scan, name, notes=False)
    children = tuple(tokens[0].children or ()) if tokens else ()
    return Inline(text, children, tuple(dataclasses.replace(r, path=path) for r in scan.refs)), scan.problems


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
                  seen_auto: set[str]) -> tuple[int, str] | None:
    level = int(token.tag[1])
    if level == 1:
        scan.problems.append(Problem(path, line, "body",
                                     "level-one headings are not allowed: the title is the chapter's"))
        return None
    match = HEADING_ID.search(inline.content)
    if match:
        ref = match.group(1)
        if not ref.startswith("sec:"):
            scan.problems.append(Problem(path, line, "body", f"heading id {ref!r} must start with 'sec:'"))
    else:
        ref = f"sec:{slug}-{slugify(plain(inline.children or (), lambda kind, key: key))}"
        while ref in seen_auto:
            ref += "-x"
        seen_auto.add(ref)
    # The heading's own {#id} is markup, not text: take it off the last text child.
    if inline.children and inline.children[-1].type == "text":
        inline.children[-1].content = HEADING_ID.sub("", inline.children[-1].content).rstrip()
    return level, ref


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


def _check_inline(token: Token, line: int, path: str, scan: _Scan, name: str) -> bool:
    """Whether one paragraph (or heading, list item's text, table cell) is within the limits: at
    most MAX_PARAGRAPH characters and MAX_INLINE_DEPTH levels of nested markup, and no character
    XML cannot hold (a character reference such as &#12; is decoded by the parser). A paragraph
    too long is not looked at further."""
    if len(token.content) > MAX_PARAGRAPH:
        scan.problems.append(Problem(path, line, name, f"the paragraph has {len(token.content)} characters "
                                                       f"(at most {MAX_PARAGRAPH}): split it"))
        return False
    depth = deepest = 0
    bad = None
    for child in token.children or []:
        depth += child.nesting
        deepest = max(deepest, depth)
        for value in (child.content, *(str(v) for v in child.attrs.values())):
            bad = bad or CONTROL.search(value)
    if deepest > MAX_INLINE_DEPTH:
        scan.problems.append(Problem(path, line, name, f"emphasis, links and other markup are nested {deepest} "
                                                       f"levels deep (at most {MAX_INLINE_DEPTH})"))
    if bad:
        scan.problems.append(Problem(path, line, name, character_problem(bad.group())))
    return True


def _scan_inline(token: Token, line: int, path: str, scan: _Scan, name: str = "body", notes: bool = True) -> None:
    if not _check_inline(token, line, path, scan, name):
        return
    text = token.content
    starts = [i for i, char in enumerate(text) if char == "\n"]  # a child's line, by bisection
    for child in token.children or []:
        at = line + bisect.bisect_left(starts, child.meta["offset"]) if child.meta and "offset" in child.meta \
            else line
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
        elif child.type == "citation":
            if "\n" in child.content:
                scan.problems.append(Problem(path, at, "citation", "a citation must not be split across lines"))
                continue
            for key, part in child.meta["items"]:
                if key is None:
                    scan.problems.append(Problem(path, at, "citation", f"malformed citation {part!r}"))
                else:
                    scan.refs.append(Ref("cite", key, at))
        elif child.type == "xref":
            scan.refs.append(Ref(child.meta["kind"], f"{child.meta['kind']}:{child.meta['key']}", at))
        elif child.type == "span_open":
            attributes = dict(child.attrs)
            if set(attributes) != {"lang"} or not LANGUAGE_TAG.fullmatch(str(attributes["lang"])):
                scan.problems.append(Problem(path, line, name, PASSAGE))
        elif child.type == "footnote_ref" and not notes:
            scan.problems.append(Problem(path, line, name, "notes are not allowed here: put the note in the chapter"))
        elif child.type == "text":
            # A footnote reference without a definition stays plain text.
            for match in FOOTNOTE_CALL.finditer(child.content):
                reason = "has no definition" if notes else "cannot be used here: put the note in the chapter"
                scan.problems.append(Problem(path, line, "footnote", f"footnote [^{match.group(1)}] {reason}"))
    scan.words += count_words(HEADING_ID.sub("", text))


def count_words(text: str) -> int:
    """Words of prose: citation and cross-reference syntax does not count."""
    text = SPAN_ATTRIBUTES.sub("]", CITATION.sub(" ", text))
    text = XREF.sub(lambda m: "x" if m.group(1) == "gls" else "x x", text)
    return len(WORD.findall(text))


def plain(tokens: tuple[Token, ...] | list[Token], label: Callable[[str, str], str]) -> str:
    """Inline tokens as plain text, for contents lists, bookmarks, running heads and metadata:
    markup and citations dropped, cross-references as `label(kind, key)` gives them."""
    parts = []
    for token in tokens:
        if token.type in ("text", "code_inline", "html_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "xref":
            parts.append(label(token.meta["kind"], token.meta["key"]))
    text = re.sub(r"\s+", " ", "".join(parts))
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()


def freeze_rows(rows: list[Any]) -> tuple[Mapping[str, Any], ...]:
    """Data rows as read-only mappings (the model is frozen)."""
    return tuple(MappingProxyType(dict(row)) for row in rows)
