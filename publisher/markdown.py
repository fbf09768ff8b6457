"""Markdown for reports: CommonMark + tables + footnotes, with citations, cross-references,
abbreviations and figure/table blocks.

Two passes, so that numbers are known before anything is rendered:
`scan_markdown` parses one document and lists what it defines and refers to (with lines);
`render_markdown` renders it once all numbers are assigned, for one target (print/epub/web).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .errors import Problem

CITATION = re.compile(r"\[(@[^\[\]]+)\]")
CITE_ITEM = re.compile(r"\s*@([A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_])\s*(?:,\s*(.*?))?\s*$", re.S)
XREF = re.compile(r"(?<![\w@.])@(ch|sec|fig|tbl|gls):([A-Za-z0-9_+-]*[A-Za-z0-9_+])")
HEADING_ID = re.compile(r"\s*\{#([A-Za-z][\w:-]*)\}\s*$")
BLOCK_KINDS = ("figure", "table")


def html_id(ref: str) -> str:
    """`sec:titr` → `sec-titr`: colons are not allowed in XML ids (EPUB)."""
    return ref.replace(":", "-").replace("+", "-plus-").replace("&", "-and-")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "section"


SAFE_LINK = re.compile(r"(https?://|mailto:)", re.I)


def make_parser(scan: bool = True) -> MarkdownIt:
    """The Markdown parser: CommonMark, GitHub tables, footnotes, typographer quotes.

    Two flavours with the same syntax. The scanning parser (`scan=True`, pass one) sees raw
    HTML and every link, so that the scan can refuse them with a message and a line; the
    rendering parser (pass two) treats raw HTML as text and drops links that are not http(s)
    or mailto, so that nothing the scan missed can ever reach a reader as markup.
    """
    md = MarkdownIt("commonmark", {"typographer": True, "html": scan})
    md.enable(["table", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    if scan:
        # markdown-it silently turns a javascript: link into plain text; let every link through
        # so that the scan can reject what is not http(s) or mailto with a message instead.
        md.validateLink = lambda url: True
    else:
        md.validateLink = lambda url: bool(SAFE_LINK.match(url.strip()))
    return md


@dataclass
class Ref:
    """One reference in the text: a citation key, cross-reference or abbreviation."""

    kind: str  # cite | ch | sec | fig | tbl | gls
    key: str
    line: int
    path: str = ""  # the file, when it is not the document's own (a data file's cells)


@dataclass
class Block:
    """A fenced figure or table block, as found in pass one."""

    kind: str
    spec: Any
    line: int  # the line of the opening fence


@dataclass
class Scan:
    """What pass one found in a document."""

    headings: list[tuple[int, str, str, int]] = field(default_factory=list)  # level, id, title, line
    blocks: dict[int, Block] = field(default_factory=dict)  # fence line → block
    refs: list[Ref] = field(default_factory=list)
    words: int = 0
    problems: list[Problem] = field(default_factory=list)


def scan_markdown(md: MarkdownIt, body: str, path: str, offset: int, slug: str) -> Scan:
    """Pass one: list headings, blocks and references of a body that starts at line offset+1."""
    scan = Scan()
    tokens = md.parse(body, {})
    seen_auto: set[str] = set()
    for i, token in enumerate(tokens):
        line = offset + (token.map[0] + 1 if token.map else 1)
        if token.type == "heading_open":
            _scan_heading(token, tokens[i + 1], line, path, slug, scan, seen_auto)
        elif token.type == "fence" and token.info.strip() in BLOCK_KINDS:
            scan.blocks[line] = Block(token.info.strip(), token.content, line)
        elif token.type in ("html_block", "html_inline"):
            scan.problems.append(Problem(path, line, "body", RAW_HTML))
        elif token.type == "inline":
            _scan_inline(token, line, path, scan)
    return scan


def scan_text(md: MarkdownIt, text: str, path: str, line: int, name: str, block: bool = False) -> Scan:
    """Pass one for Markdown held in a YAML field (captions, sources, cells, key points, the
    introduction): the same rules as a chapter body, errors named after the field.

    `line` is the field's line in `path`; `block` allows paragraphs and lists (the
    introduction), otherwise the text is one inline run.
    """
    if block:
        scan = scan_markdown(md, text, path, line, "text")
        scan.problems = [dataclasses.replace(p, field=name) if p.field == "body" else p for p in scan.problems]
        return scan
    scan = Scan()
    for token in md.parseInline(text, {}):
        _scan_inline(token, line, path, scan, name)
    return scan


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


def _scan_heading(token: Token, inline: Token, line: int, path: str, slug: str, scan: Scan,
                  seen_auto: set[str]) -> None:
    level = int(token.tag[1])
    if level == 1:
        scan.problems.append(Problem(path, line, "body",
                                     "level-one headings are not allowed: the title is the chapter's"))
        return
    match = HEADING_ID.search(inline.content)
    title = HEADING_ID.sub("", inline.content).strip()
    if match:
        ref = match.group(1)
        if not ref.startswith("sec:"):
            scan.problems.append(Problem(path, line, "body",
                                         f"heading id {ref!r} must start with 'sec:'"))
    else:
        ref = f"sec:{slug}-{slugify(title)}"
        while ref in seen_auto:
            ref += "-x"
        seen_auto.add(ref)
    scan.headings.append((level, ref, title, line))


RAW_HTML = "raw HTML is not allowed (write \\< for a literal '<')"


def _scan_inline(token: Token, line: int, path: str, scan: Scan, name: str = "body") -> None:
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


@dataclass(frozen=True)
class Target:
    """Something a cross-reference can point at."""

    label: str  # "Figure 3"
    chapter: str  # slug of the document that holds it
    anchor: str  # html id
    number: int = 0  # of a figure or table


@dataclass
class Context:
    """What pass two needs: resolved numbers and how to link in this target."""

    mode: str  # print | epub | web
    slug: str
    targets: dict[str, Target]
    citations: dict[str, int]
    glossary: dict[str, tuple[str, str]]  # abbr → (anchor, expansion)
    href: Callable[[str, str], str]  # (document slug, anchor) → href
    blocks: dict[int, str]  # fence map line (0-based in body) → rendered HTML
    headings: dict[int, tuple[str, str]]  # heading map line (0-based in body) → (id, number)
    notes: dict[int, str] = field(default_factory=dict)
    note_order: list[int] = field(default_factory=list)
    blocks_seen: int = 0  # numbers paragraphs and list items the same way in every target
    in_notes: bool = False

    def block_id(self) -> str:
        self.blocks_seen += 1
        return f"b-{self.slug}-{self.blocks_seen}"

    def note_anchor(self, number: int) -> tuple[str, str]:
        return f"fn-{self.slug}-{number}", f"fnref-{self.slug}-{number}"


def resolve_refs(html: str, ctx: Context) -> str:
    """Turn citation, cross-reference and abbreviation syntax in escaped text into links."""
    # WeasyPrint 70 sometimes breaks the line before an inline element badly (a lone word or a
    # word fragment on a line of its own, e.g. "what" / "Credit-"); an invisible zero-width
    # space before each link keeps its line breaking right. Only the PDF needs it.
    lead = "\u200b" if ctx.mode == "print" else ""

    def cite(match: re.Match[str]) -> str:
        links = []
        for part in match.group(1).split(";"):
            item = CITE_ITEM.match(part)
            if not item or item.group(1) not in ctx.citations:
                return match.group(0)
            key, locator = item.group(1), item.group(2)
            number = ctx.citations[key]
            text = f"{number}, {locator}" if locator else str(number)
            links.append(f'<a class="cite" href="{ctx.href("bibliography", "ref-" + key)}">{text}</a>')
        return lead + '<span class="citation">[' + ", ".join(links) + "]</span>"

    def xref(match: re.Match[str]) -> str:
        kind, ref = match.group(1), f"{match.group(1)}:{match.group(2)}"
        if kind == "gls":
            anchor, expansion = ctx.glossary[match.group(2)]
            return (f'{lead}<a class="gls" href="{ctx.href("glossary", anchor)}">'
                    f'<abbr title="{escapeHtml(expansion)}">{escapeHtml(match.group(2))}</abbr></a>')
        target = ctx.targets[ref]
        return (f'{lead}<a class="xref xref-{kind}" href="{ctx.href(target.chapter, target.anchor)}">'
                f"{target.label}</a>")

    return XREF.sub(xref, CITATION.sub(cite, html))


def render_markdown(md: MarkdownIt, body: str, ctx: Context) -> tuple[str, str]:
    """Pass two: render a body for one target; return (body html, notes html)."""
    env: dict[str, Any] = {"ctx": ctx}
    tokens = md.parse(body, env)
    end = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    _render_notes(md, tokens[end:], env)
    html = md.renderer.render(tokens[:end], md.options, env)
    return html, _notes_block(ctx)


def _render_notes(md: MarkdownIt, tokens: list[Token], env: dict[str, Any]) -> None:
    ctx: Context = env["ctx"]
    ctx.in_notes = True
    start = 0
    for i, token in enumerate(tokens):
        if token.type == "footnote_open":
            start = i + 1
        elif token.type == "footnote_close":
            number = tokens[start - 1].meta["id"] + 1
            inner = md.renderer.render(tokens[start:i], md.options, env).strip()
            ctx.notes[number] = re.sub(r"^<p>(.*)</p>$", r"\1", inner, flags=re.S)
    ctx.in_notes = False


def _notes_block(ctx: Context) -> str:
    if not ctx.note_order or ctx.mode == "print":
        return ""
    parts = []
    for number in ctx.note_order:
        note_id, ref_id = ctx.note_anchor(number)
        back = f'<a href="#{ref_id}" role="doc-backlink" class="backlink">{number}.</a>'
        if ctx.mode == "epub":
            parts.append(f'<aside epub:type="footnote" role="doc-footnote" id="{note_id}" '
                         f'class="footnote"><p>{back} {ctx.notes[number]}</p></aside>')
        else:
            parts.append(f'<li id="{note_id}"><p>{ctx.notes[number]} '
                         f'<a href="#{ref_id}" role="doc-backlink" class="backlink" '
                         f'aria-label="Back to note {number} in the text">Back</a></p></li>')
    if ctx.mode == "epub":
        return '<section class="notes">' + "".join(parts) + "</section>"
    return ('<section class="notes" role="doc-endnotes" aria-labelledby="notes-' + ctx.slug
            + '"><h2 id="notes-' + ctx.slug + '">Notes</h2><ol>' + "".join(parts) + "</ol></section>")


def _rule_text(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return resolve_refs(escapeHtml(tokens[idx].content), env["ctx"])


def _rule_heading_open(self: Any, tokens: list[Token], idx: int, options: Any,
                       env: dict[str, Any]) -> str:
    ctx: Context = env["ctx"]
    token, inline = tokens[idx], tokens[idx + 1]
    found = ctx.headings.get(token.map[0] if token.map else -1)
    # The heading's own {#id} must not show: strip it from the last text child.
    if inline.children and inline.children[-1].type == "text":
        inline.children[-1].content = HEADING_ID.sub("", inline.children[-1].content).rstrip()
    if not found:
        return f"<{token.tag}>"
    anchor, number = found
    return f'<{token.tag} id="{anchor}"><span class="secnum">{number}</span> '


def _rule_fence(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    token = tokens[idx]
    ctx: Context = env["ctx"]
    if token.info.strip() in BLOCK_KINDS and token.map:
        return ctx.blocks[token.map[0]]
    return f"<pre><code>{escapeHtml(token.content)}</code></pre>\n"


def _rule_footnote_ref(self: Any, tokens: list[Token], idx: int, options: Any,
                       env: dict[str, Any]) -> str:
    ctx: Context = env["ctx"]
    number = tokens[idx].meta["id"] + 1
    if number not in ctx.note_order:
        ctx.note_order.append(number)
    note_id, ref_id = ctx.note_anchor(number)
    if ctx.mode == "print":
        # The empty anchor marks the call's page; tests compare it with the note's page.
        return (f'<a class="fn-call" id="{ref_id}"></a>'
                f'<span class="footnote" id="{note_id}">{ctx.notes.get(number, "")}</span>')
    if ctx.mode == "epub":
        return (f'<a epub:type="noteref" role="doc-noteref" href="#{note_id}" id="{ref_id}" '
                f'class="noteref">{number}</a>')
    return (f'<sup class="noteref"><a href="#{note_id}" id="{ref_id}" role="doc-noteref" '
            f'aria-label="Note {number}">{number}</a></sup>')


def _rule_block_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    # Every paragraph and list item gets a stable id: the EPUB places its print-page markers
    # (page-list) before the element that starts each page of the print PDF.
    ctx: Context = env["ctx"]
    if not ctx.in_notes and not tokens[idx].hidden:
        tokens[idx].attrSet("id", ctx.block_id())
    return self.renderToken(tokens, idx, options, env)


def _rule_th_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    # Header cells of pipe tables say what they head (accessibility checkers ask for scope).
    tokens[idx].attrSet("scope", "col")
    return self.renderToken(tokens, idx, options, env)


def install_rules(md: MarkdownIt) -> MarkdownIt:
    """Attach the report's render rules (pass two) to a parser."""
    md.add_render_rule("th_open", _rule_th_open)
    md.add_render_rule("paragraph_open", _rule_block_open)
    md.add_render_rule("list_item_open", _rule_block_open)
    md.add_render_rule("text", _rule_text)
    md.add_render_rule("heading_open", _rule_heading_open)
    md.add_render_rule("fence", _rule_fence)
    md.add_render_rule("footnote_ref", _rule_footnote_ref)
    # The notes get our own back links (per target), not the plugin's.
    md.add_render_rule("footnote_anchor", lambda *args, **kwargs: "")
    return md
