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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.helpers import parseLinkLabel
from markdown_it.rules_core import StateCore
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
from .schema import KEY, reserved_host
from .yamlfile import CONTROL, character_problem

CITATION = re.compile(r"\[(@[^\[\]]+)\]")  # in raw text: what the parser takes for a citation
CITE_ITEM = re.compile(rf"\s*@({KEY})\s*(?:,\s*(.*?))?\s*$", re.S)
XREF_KINDS = ("ch", "sec", "fig", "tbl", "gls")
XREF = re.compile(rf"(?<![\w@.])@({'|'.join(XREF_KINDS)}):({KEY})")
HEADING_ID = re.compile(rf"\s*\{{#(sec:{KEY}|[A-Za-z][\w:-]*)\}}\s*$")
ATTEMPTED_ID = re.compile(r"(?<!\\)\{#([^}]*)\}\s*$")  # what an author meant as a heading's id (\{ is text)
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
    end of the paragraph at every "[^", which makes "[^[^[^…" quadratic.

    Every such label becomes a call (`footnote_ref`, meta: label and offset), defined or not: the
    note may be defined elsewhere in the chapter (a call in a table cell or a key point), and a
    call of a note that is defined nowhere is an error, never text printed as written."""
    start = state.pos
    if not FOOTNOTE_CALL.match(state.src, start, state.posMax):
        return False
    if not footnote_ref(state, silent, always_match=True):
        return False
    if not silent:
        state.tokens[-1].meta["offset"] = start
    return True


def _inline_note_rule(state: StateInline, silent: bool) -> bool:
    """`^[text]`: a note written where it is called (Pandoc's inline note). One `footnote_ref`
    token whose meta holds the note's inline tokens (`inline`); its label is set by the scan."""
    start = state.pos
    if not state.src.startswith("^[", start):
        return False
    end = parseLinkLabel(state, start + 1)
    if end < 0:
        return False
    if not silent:
        children: list[Token] = []
        state.md.inline.parse(state.src[start + 2:end], state.md, state.env, children)
        token = state.push("footnote_ref", "", 0)
        token.content = state.src[start:end + 1]
        token.meta = {"label": None, "inline": children, "text": state.src[start + 2:end], "offset": start}
    state.pos = end + 1
    return True


EM_DASH = re.compile(r"(^|[^-])---(?=[^-]|$)", re.M)
EN_DASH = re.compile(r"(^|[^-])--(?=[^-]|$)", re.M)
ELLIPSIS = re.compile(r"(?<!\.)\.\.\.(?!\.)")


def _dashes(state: StateCore) -> None:
    """The typographer's replacements that change no letters: `---` an em dash, `--` an en dash
    and `...` an ellipsis (Pandoc's `smart` extension). markdown-it's own replacements also turned
    (c), (r) and (tm) into ©, ® and ™ ("Article 4(c)"), two dots into an ellipsis and `+-` into ±;
    they are off. Text in code, and dashes written with a backslash (`\-\-`), stay as written."""
    for block in state.tokens:
        if block.type != "inline":
            continue
        inside_autolink = 0
        for token in block.children or ():
            if token.type == "text" and not inside_autolink:
                text = EM_DASH.sub("\\1\u2014", token.content)
                text = EN_DASH.sub("\\1\u2013", text)
                token.content = ELLIPSIS.sub("\u2026", text)
            elif token.type == "link_open" and token.info == "auto":
                inside_autolink += 1
            elif token.type == "link_close" and token.info == "auto":
                inside_autolink -= 1


def _bounded_label(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """A link, image or inline-note rule tried only where a "]" follows within MAX_LINK_TEXT
    characters: markdown-it looks for the end of the label to the end of the paragraph at every
    "[", which makes "[a[a[a…" or "[![[![…" quadratic (37 s for 2 MB of such paragraphs)."""
    def bounded(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] in "[!^" and state.src.find("]", state.pos, state.pos + MAX_LINK_TEXT) < 0:
            return False
        return rule(state, silent)

    return bounded


def make_parser(quotes: str = "“”‘’") -> MarkdownIt:
    """The Markdown parser: CommonMark, GitHub tables and strikethrough, footnotes (`[^label]`
    and inline `^[text]`), typographic quotes (`quotes`: the language's double and single marks)
    and dashes, citations and cross-references.

    It sees raw HTML and every link, so that the scan can refuse them with a message and a
    line; the renderer (render.py) never emits either, whatever reaches it. Blocks nested deeper
    than markdown-it's `maxNesting` levels are dropped by the parser without a word; a list takes
    two levels (the list and its item), a block quote one, so it is set to 2 × MAX_BLOCK_DEPTH + 2:
    the parser drops something only where `parse_document` refuses lists and quotes nested more
    than MAX_BLOCK_DEPTH deep anyway. Note definitions stay where they are written (the plugin
    would drop those the text does not call): `parse_document` takes them out.
    """
    md = MarkdownIt("commonmark", {"typographer": True, "html": True, "quotes": quotes,
                                   "maxNesting": 2 * MAX_BLOCK_DEPTH + 2})
    md.enable(["table", "smartquotes", "strikethrough"])
    md.core.ruler.before("smartquotes", "dashes", _dashes)
    md.use(footnote_plugin, move_to_end=False)
    md.inline.ruler.at("footnote_ref", _footnote_ref_rule)
    md.inline.ruler.at("footnote_inline", _inline_note_rule)
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
class Note:
    """A footnote: its label (`[^label]`; an inline note `^[…]` gets one that no author can
    write, with a space), its block tokens, the file line it starts on, and its number (0 until
    the loader numbers the notes of its document by their first call, in reading order)."""

    label: str
    tokens: tuple[Token, ...] = field(repr=False, compare=False)
    line: int
    number: int = 0


@dataclass(frozen=True)
class Inline:
    """One run of inline Markdown from a YAML field: its source, tokens and references; the
    notes it calls (`calls`: Ref(kind "note", key the label), in order) and the inline notes
    it defines (`^[…]`)."""

    markdown = "inline"  # what the schema calls this kind of field

    source: str
    tokens: tuple[Token, ...] = field(repr=False, compare=False, default=())
    refs: tuple[Ref, ...] = field(repr=False, compare=False, default=())
    calls: tuple[Ref, ...] = field(repr=False, compare=False, default=())
    notes: tuple[Note, ...] = field(repr=False, compare=False, default=())

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True)
class Heading:
    """A section heading: its id (`sec:…`), html anchor, number (3.1; "" when unnumbered),
    level (2–6), its line in the file and in the body (0-based: how the renderer finds it),
    its title as plain text (bookmarks, metadata) and as HTML phrasing content (`html`: contents
    and cross-references; see `phrasing`), both set once every label is known, and its inline
    tokens."""

    ref: str
    id: str
    number: str
    level: int
    line: int
    at: int
    title: str = ""
    tokens: tuple[Token, ...] = field(repr=False, compare=False, default=())
    html: str = ""


@dataclass(frozen=True)
class BlockSite:
    """A fenced figure or table block, as found in the text."""

    kind: str
    spec: str  # its YAML
    line: int  # the line of the opening fence
    key: int  # the fence's first line in the body (0-based): how the document names the block


@dataclass(frozen=True)
class Document:
    """A parsed body: tokens (without the note definitions), its notes by label, and what it holds.

    Anchors are set: `id` on paragraphs and list items; headings are described by `headings`
    (by the line their token starts on), and the figure or table each fenced block stands for
    by `blocks` (fence line → block id). `calls` are the text's note calls in reading order
    (Ref(kind "note", key the label)); once `number_notes` has run, `notes` holds the notes
    called, numbered.
    """

    markdown = "block"

    source: str
    slug: str
    tokens: tuple[Token, ...] = field(repr=False, compare=False)
    notes: Mapping[str, Note] = field(repr=False, compare=False)
    refs: tuple[Ref, ...] = field(repr=False, compare=False, default=())
    calls: tuple[Ref, ...] = field(repr=False, compare=False, default=())
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

    @property
    def numbered_notes(self) -> tuple[Note, ...]:
        """The notes in the order of their numbers."""
        return tuple(sorted(self.notes.values(), key=lambda note: note.number))


@dataclass
class _Scan:
    refs: list[Ref] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    words: int = 0
    elements: int = 0  # see count_elements
    calls: list[Ref] = field(default_factory=list)  # note calls, in order
    notes: list[Note] = field(default_factory=list)  # inline notes (^[…])
    prefix: str = ""  # makes the labels of inline notes unique in a chapter


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
    headings are sections that can be referred to (not in the introduction). The notes are
    found but not numbered: `number_notes` does that once every call is known (a chapter's key
    points and blocks may call notes too).
    """
    scan = _Scan(prefix=f"{slug} ")
    too_long = _long_line(body, path, offset)
    if too_long:
        return Document(body, slug, (), MappingProxyType({})), [too_long]
    tokens = md.parse(body, {})
    _check_size(tokens, offset, path, scan)
    text, definitions = _split_notes(tokens)
    headings: list[Heading] = []
    sites: list[BlockSite] = []
    seen_auto: set[str] = set()
    counters = [0, 0]
    for i, token in enumerate(text):
        line = offset + (token.map[0] + 1 if token.map else 1)
        if token.type == "heading_open":
            found = _scan_heading(token, text[i + 1], line, path, slug, scan, seen_auto)
            if found and sections:
                level, ref = found
                section = ""
                if number and level in (2, 3):
                    counters[level - 2] += 1
                    counters[1] = 0 if level == 2 else counters[1]
                    section = f"{number}.{counters[0]}" + (f".{counters[1]}" if level == 3 else "")
                headings.append(Heading(ref, html_id(ref), section, level, line, token.map[0] if token.map else 0,
                                        tokens=tuple(text[i + 1].children or ())))
        elif token.type == "fence" and token.info.strip() in BLOCK_KINDS:
            sites.append(BlockSite(token.info.strip(), token.content, line, token.map[0] if token.map else 0))
        else:
            _scan_block(text, i, line, path, scan, "heading" if i and text[i - 1].type == "heading_open" else "text")
    notes: dict[str, Note] = {}
    for opener, inside in definitions:
        line = offset + (opener.map[0] + 1 if opener.map else 1)
        label = opener.meta["label"]
        if label in notes:
            scan.problems.append(Problem(path, line, "footnote", f"footnote [^{label}] is defined twice (first on "
                                                                 f"line {notes[label].line})"))
            continue
        notes[label] = Note(label, tuple(inside), line)
        for i, token in enumerate(inside):
            at = offset + token.map[0] + 1 if token.map else line
            if token.type == "heading_open":
                scan.problems.append(Problem(path, at, "footnote", "a note cannot hold a heading"))
            elif token.type == "fence" and token.info.strip() in BLOCK_KINDS:
                scan.problems.append(Problem(path, at, "footnote", f"a note cannot hold a {token.info.strip()} "
                                                                   "block: put it in the text"))
            else:
                _scan_block(inside, i, at, path, scan, "note")
    for note in scan.notes:
        notes[note.label] = note
    scan.problems += [Problem(path, call.line, "footnote", f"footnote [^{call.key}] has no definition")
                      for call in scan.calls if call.key not in notes]
    _set_block_ids(text, slug)
    document = Document(body, slug, tuple(text), MappingProxyType(notes), tuple(scan.refs), tuple(scan.calls),
                        tuple(headings), tuple(sites), words=scan.words, offset=offset, elements=scan.elements)
    return document, scan.problems


def _scan_block(tokens: list[Token], i: int, line: int, path: str, scan: _Scan, place: str) -> None:
    """Check one block token that is not a heading or a figure or table block."""
    token = tokens[i]
    if token.type in ("html_block", "html_inline"):
        scan.problems.append(Problem(path, line, "body", RAW_HTML))
    elif token.type == "table_open":
        _check_table(tokens, i, line, path, scan)
    elif token.type == "inline":
        _scan_inline(token, line, path, scan, place=place)


def _split_notes(tokens: list[Token]) -> tuple[list[Token], list[tuple[Token, list[Token]]]]:
    """The text's tokens, and each note definition (its opening token, its block tokens), taken
    out of the text wherever it was written (also inside a list or a block quote)."""
    text: list[Token] = []
    found: list[tuple[Token, list[Token]]] = []
    stack: list[tuple[Token, list[Token]]] = []
    for token in tokens:
        if token.type == "footnote_reference_open":
            stack.append((token, []))
        elif token.type == "footnote_reference_close":
            found.append(stack.pop())
        elif stack:
            stack[-1][1].append(token)
        else:
            text.append(token)
    return text, sorted(found, key=lambda item: item[0].map[0] if item[0].map else 0)


def number_notes(document: Document, calls: Iterable[Ref], path: str, extra: Iterable[Note] = (),
                 strict: bool = False) -> tuple[Document, list[Problem]]:
    """The document with its notes numbered 1, 2, … by their first call, and only the notes
    called kept. `calls` are every call of the document in reading order (the text's, and those
    of its key points and blocks), `extra` the inline notes its YAML fields define.

    Problems: a call of a note defined nowhere in the document (an error, at the call; the text's
    own calls are checked by `parse_document`), a note that is never called (a warning, at the
    note: the publisher would otherwise drop it; an error when `strict`)."""
    notes = {**document.notes, **{note.label: note for note in extra}}
    numbers: dict[str, int] = {}
    problems = []
    own = set(document.calls)
    for call in calls:
        if call.key not in notes:
            if call in own:
                continue
            problems.append(Problem(call.path or path, call.line, "footnote", f"footnote [^{call.key}] has no "
                                                                              "definition"))
        elif call.key not in numbers:
            numbers[call.key] = len(numbers) + 1
    for label, note in notes.items():
        if label not in numbers and not label.startswith(" "):  # an inline note is where it is called
            problems.append(Problem(path, note.line, "footnote", f"footnote [^{label}] is never called",
                                    "error" if strict else "warning"))
    numbered = {label: dataclasses.replace(notes[label], number=number) for label, number in numbers.items()}
    return dataclasses.replace(document, notes=MappingProxyType(numbered)), problems


def parse_inline(md: MarkdownIt, text: str, path: str, line: int, name: str) -> tuple[Inline, list[Problem]]:
    """Parse and check inline Markdown held in a YAML field; errors are named after the field.

    Limits as for a paragraph: at most MAX_PARAGRAPH characters (longer text is refused before
    it is parsed), MAX_INLINE_DEPTH levels of nested markup. Note calls are kept with the field's
    path and line: the loader checks them against the notes of the chapter that holds it."""
    if len(text) > MAX_PARAGRAPH:
        return Inline(text), [Problem(path, line, name, f"the text has {len(text)} characters (at most "
                                                        f"{MAX_PARAGRAPH})")]
    scan = _Scan(prefix=f"{path}:{line}:{name} ")
    tokens = md.parseInline(text, {})
    for token in tokens:
        _scan_inline(token, line, path, scan, name)
    children = tuple(tokens[0].children or ()) if tokens else ()
    return Inline(text, children, tuple(dataclasses.replace(r, path=path) for r in scan.refs),
                  tuple(dataclasses.replace(r, path=path) for r in scan.calls), tuple(scan.notes)), scan.problems


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
    elif ATTEMPTED_ID.search(inline.content):  # an id the rule does not take would print as text
        scan.problems.append(Problem(path, line, "body", f"heading id {ATTEMPTED_ID.search(inline.content).group(1)!r} "
                                     "is not an id: 'sec:' then letters, digits and . _ + - (ending in a "
                                     "letter, digit, _ or +)"))
        return None
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


def _scan_inline(token: Token, line: int, path: str, scan: _Scan, name: str = "body", place: str = "text") -> None:
    """Check one run of inline tokens and collect its references and note calls; `place`: "text",
    or "heading" or "note", where no note may be called (nor in a link's text)."""
    if not _check_inline(token, line, path, scan, name):
        return
    text = token.content
    starts = [i for i, char in enumerate(text) if char == "\n"]  # a child's line, by bisection
    in_link = False
    children = token.children or []
    for i, child in enumerate(children):
        at = line + bisect.bisect_left(starts, child.meta["offset"]) if child.meta and "offset" in child.meta \
            else line
        in_link = child.type == "link_open" or in_link and child.type != "link_close"
        if child.type == "footnote_ref" and not in_link:  # a call in a link's text leaves the link unparsed
            before = "".join(t.content for t in children[:i] if t.type == "text")
            after = "".join(t.content for t in children[i + 1:] if t.type == "text")
            in_link = before.rfind("[") > before.rfind("]") and "](" in after
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
            elif reserved_host(href):
                scan.problems.append(Problem(path, line, name, reserved_host(href)))
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
        elif child.type == "footnote_ref":
            _scan_call(child, at, path, scan, name, "link" if in_link else place)
    scan.refs += [Ref("bare", key, line + bisect.bisect_left(starts, offset)) for key, offset in bare_keys(text)]
    scan.words += count_words(HEADING_ID.sub("", text))


BARE = re.compile(rf"(?<![\w@.\\])@({KEY})")
CODE_SPAN = re.compile(r"(`+).*?\1", re.S)


def bare_keys(text: str) -> list[tuple[str, int]]:
    """`@key` written outside brackets, code and citations (Pandoc's in-text citation), with its
    offset: the loader refuses those that name a source, which would otherwise print as written."""
    hidden = [m.span() for pattern in (CITATION, CODE_SPAN, XREF) for m in pattern.finditer(text)]
    return [(m.group(1), m.start()) for m in BARE.finditer(text)
            if not any(start <= m.start() < end for start, end in hidden)]


def _scan_call(child: Token, line: int, path: str, scan: _Scan, name: str, place: str) -> None:
    """A note call: `[^label]`, or an inline note `^[…]`, which is labelled and kept here."""
    refused = {"heading": "a heading cannot call a note (the contents and bookmarks repeat it): call it in the "
                          "text below",
               "note": "a note cannot call another note: write both notes in the text",
               "link": "a link's text cannot call a note (links do not nest): call it after the link"}
    if place in refused:  # the call still counts (its note is not "never called" too)
        scan.problems.append(Problem(path, line, "footnote", refused[place]))
        if child.meta.get("label") is not None:
            scan.calls.append(Ref("note", child.meta["label"], line))
        return
    label = child.meta.get("label")
    if label is None:
        label = child.meta["label"] = f" {scan.prefix}{len(scan.notes) + 1}"
        inline = Token("inline", "", 0)
        inline.content, inline.children = child.meta["text"], child.meta["inline"]
        opener, closer = Token("paragraph_open", "p", 1), Token("paragraph_close", "p", -1)
        opener.block = closer.block = inline.block = True
        scan.notes.append(Note(label, (opener, inline, closer), line))
        words = scan.words  # its words are counted with the paragraph that holds it
        _scan_inline(inline, line, path, scan, name, place="note")
        scan.words = words
    scan.calls.append(Ref("note", label, line))


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


_PHRASING = {"em_open": "<em>", "em_close": "</em>", "strong_open": "<strong>", "strong_close": "</strong>",
             "s_open": "<s>", "s_close": "</s>"}


def phrasing(tokens: tuple[Token, ...] | list[Token], label: Callable[[str, str], str]) -> str:
    """Inline tokens as HTML phrasing content, for the places that repeat a heading or a caption
    (contents, navigation, lists of figures, cross-references to a heading): the same words as
    `plain`, with emphasis, strong emphasis, strikethrough and code kept; links as their text
    (each of those places is a link itself, and links do not nest); citations and note calls
    left out (they belong to the text); cross-references as `label(kind, key)` gives them."""
    parts = []
    for token in tokens:
        if token.type in ("text", "html_inline"):
            parts.append(escapeHtml(token.content))
        elif token.type == "code_inline":
            parts.append(f"<code>{escapeHtml(token.content)}</code>")
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "xref":
            parts.append(escapeHtml(label(token.meta["kind"], token.meta["key"])))
        elif token.type in _PHRASING:
            parts.append(_PHRASING[token.type])
    html = re.sub(r"\s+", " ", "".join(parts))
    html = re.sub(r"\s+((?:</[a-z]+>)*[.,;:!?])", r"\1", html)
    return re.sub(r"<(em|strong|s|code)></\1>", "", html).strip()


def freeze_rows(rows: list[Any]) -> tuple[Mapping[str, Any], ...]:
    """Data rows as read-only mappings (the model is frozen)."""
    return tuple(MappingProxyType(dict(row)) for row in rows)
