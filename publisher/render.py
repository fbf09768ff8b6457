"""HTML from the parsed report: one renderer, a `Style` per output format.

The loader leaves every Markdown text parsed and numbered (markdown.py); a writer renders it
with `Renderer(report, style)`. The style says what differs between formats: where a link to
another part of the report goes, how a note is called and where notes are printed, how a
figure's drawing is embedded, and whether wide boxes scroll. Everything else — citations,
cross-references, abbreviations, headings, tables and captions — is rendered here, the same
for every format. The renderer never emits raw HTML or a link it did not make itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from .figure import draw, figure_html, table_html
from .markdown import CITATION, CITE_ITEM, SAFE_LINK, XREF, Document, Inline
from .model import Chapter, Figure, Report, Table


@dataclass(frozen=True)
class Style:
    """How one output format links, calls notes and embeds figures. Subclassed per writer.

    `mode` names the format for the few rules that differ (print, epub, web, page).
    """

    mode: str = "web"

    def href(self, current: str, target: str, anchor: str) -> str:
        """The link from document `current` to `anchor` in document `target`, both named by
        their file stem (01-overview, introduction, bibliography)."""
        return f"#{anchor}"

    @property
    def lead(self) -> str:
        """Put before each link the renderer makes (the PDF's line-breaking workaround)."""
        return ""

    def note_call(self, slug: str, number: int, note: str) -> str:
        """The call of note `number` in the text; `note` is the note's HTML."""
        note_id, ref_id = note_anchor(slug, number)
        return (f'<sup class="noteref"><a href="#{note_id}" id="{ref_id}" role="doc-noteref" '
                f'aria-label="Note {number}">{number}</a></sup>')

    def notes(self, slug: str, numbers: list[int], notes: dict[int, str]) -> str:
        """The notes of a document, after its text (empty when they are printed elsewhere)."""
        return ""

    def figure_body(self, figure: Figure, drawing: str) -> str:
        """The inside of a figure's frame: `drawing` is the inline SVG chart or the <img>."""
        return drawing

    def scrolls(self, slug: str) -> bool:
        """Whether wide tables and charts of this document scroll in their own box."""
        return False


def note_anchor(slug: str, number: int) -> tuple[str, str]:
    """The ids of a note and of its call."""
    return f"fn-{slug}-{number}", f"fnref-{slug}-{number}"


class _Env:
    """What the rules need while one document is rendered."""

    def __init__(self, renderer: Renderer, slug: str) -> None:
        self.renderer = renderer
        self.style = renderer.style
        self.slug = slug
        self.notes: dict[int, str] = {}
        self.order: list[int] = []
        self.tables = 0  # unnumbered (pipe) tables so far, to name their scroll boxes


class Renderer:
    """Renders a report's parsed texts to HTML fragments in one style."""

    def __init__(self, report: Report, style: Style) -> None:
        self.report = report
        self.style = style
        self.md = _make_renderer()
        self.targets = _targets(report)
        self.citations = {r.key: r.number for r in report.references}
        self.terms = {t.abbr: t for t in report.glossary}
        self.blocks: dict[str, Figure | Table] = {b.spec.id: b for b in (*report.figures, *report.tables)}
        self.stems = {c.slug: c.stem for c in report.documents}

    def href(self, current: str, target: str, anchor: str) -> str:
        """The style's link from document `current` to `anchor` in `target` (slugs)."""
        return self.style.href(self.stems.get(current, current), self.stems.get(target, target), anchor)

    # --- public ---------------------------------------------------------------------------
    def chapter(self, chapter: Chapter) -> str:
        """A chapter's key points, text and (where the style prints them here) its notes."""
        env = _Env(self, chapter.slug)
        points = [self._inline(p, env) for p in chapter.head.key_points]
        box = ('<aside class="key-points" aria-label="Key points"><p class="key-points-title">Key points</p><ul>'
               + "".join(f"<li>{p}</li>" for p in points) + "</ul></aside>\n") if points else ""
        return box + self._document(chapter.body, env)

    def document(self, document: Document) -> str:
        """A document that is not a chapter (the introduction), with its notes."""
        return self._document(document, _Env(self, document.slug))

    def inline(self, text: Inline, slug: str) -> str:
        """One inline text (a caption, a cell) as it appears in document `slug`."""
        return self._inline(text, _Env(self, slug))

    def cite(self, key: str, locator: str | None, slug: str) -> str:
        """One citation link ("3", "3, p. 4") to the bibliography."""
        number = self.citations[key]
        text = f"{number}, {locator}" if locator else str(number)
        return f'<a class="cite" href="{self.href(slug, "bibliography", "ref-" + key)}">{text}</a>'

    # --- the parts ------------------------------------------------------------------------
    def _document(self, document: Document, env: _Env) -> str:
        for number, tokens in document.notes.items():
            inner = self.md.renderer.render(list(tokens), self.md.options, {"env": env}).strip()
            env.notes[number] = re.sub(r"^<p>(.*)</p>$", r"\1", inner, flags=re.S)
        body = self.md.renderer.render(list(document.tokens), self.md.options, {"env": env})
        return body + self.style.notes(env.slug, env.order, env.notes)

    def _inline(self, text: Inline, env: _Env) -> str:
        return self.md.renderer.renderInline(list(text.tokens), self.md.options, {"env": env})

    def text(self, content: str, env: _Env) -> str:
        """Escaped text with citation, cross-reference and abbreviation syntax made links."""
        lead = self.style.lead
        slug = env.slug

        def cite(match: re.Match[str]) -> str:
            links = []
            for part in match.group(1).split(";"):
                item = CITE_ITEM.match(part)
                if not item or item.group(1) not in self.citations:
                    return match.group(0)
                links.append(self.cite(item.group(1), item.group(2), slug))
            return lead + '<span class="citation">[' + ", ".join(links) + "]</span>"

        def xref(match: re.Match[str]) -> str:
            kind, key = match.group(1), match.group(2)
            if kind == "gls":
                term = self.terms[key]
                return (f'{lead}<a class="gls" href="{self.href(slug, "glossary", term.anchor)}">'
                        f'<abbr title="{escapeHtml(term.expansion)}">{escapeHtml(key)}</abbr></a>')
            label, chapter, anchor = self.targets[f"{kind}:{key}"]
            return (f'{lead}<a class="xref xref-{kind}" href="{self.href(slug, chapter, anchor)}">'
                    f"{escapeHtml(label)}</a>")

        return XREF.sub(xref, CITATION.sub(cite, escapeHtml(content)))

    def block(self, ident: str, env: _Env) -> str:
        """A figure or table block, numbered, with its caption and source line."""
        block = self.blocks[ident]
        inline = lambda text: self._inline(text, env)  # noqa: E731
        if isinstance(block, Table):
            wrap = ""
            if self.style.scrolls(env.slug):
                wrap = f'<div class="table-wrap" role="region" tabindex="0" aria-label="Table {block.number}">'
            return table_html(block, inline, wrap)
        body = self.style.figure_body(block, draw(block))
        boxed = self.style.scrolls(env.slug) and body.startswith("<svg")
        return figure_html(block, body, inline, boxed)


def _targets(report: Report) -> dict[str, tuple[str, str, str]]:
    """Every cross-reference target: key → (label as plain text, document slug, anchor)."""
    from .markdown import html_id

    found: dict[str, tuple[str, str, str]] = {}
    for chapter in report.documents:
        found[f"ch:{chapter.slug}"] = (chapter.label, chapter.slug, chapter.anchor)
        for heading, (_level, ref, _title, _line) in zip(chapter.headings, chapter.body.headings, strict=True):
            label = f"Section {heading.number}" if heading.number else f"“{heading.title}”"
            found[ref] = (label, chapter.slug, heading.id)
        for figure in chapter.figures:
            found[figure.spec.id] = (f"Figure {figure.number}", chapter.slug, html_id(figure.spec.id))
        for table in chapter.tables:
            found[table.spec.id] = (f"Table {table.number}", chapter.slug, html_id(table.spec.id))
    return found


# --- markdown-it render rules ---------------------------------------------------------------

def _env(env: dict[str, Any]) -> _Env:
    return env["env"]  # type: ignore[no-any-return]


def _rule_text(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = _env(env)
    return state.renderer.text(tokens[idx].content, state)


def _rule_heading_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    token = tokens[idx]
    anchor = token.attrGet("id")
    if anchor is None:
        return f"<{token.tag}>"
    return f'<{token.tag} id="{anchor}"><span class="secnum">{token.meta.get("number", "")}</span> '


def _rule_fence(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    token = tokens[idx]
    if token.meta and token.meta.get("block"):
        state = _env(env)
        return state.renderer.block(token.meta["block"], state)
    return f"<pre><code>{escapeHtml(token.content)}</code></pre>\n"


def _rule_footnote_ref(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = _env(env)
    number = tokens[idx].meta["id"] + 1
    if number not in state.order:
        state.order.append(number)
    return state.style.note_call(state.slug, number, state.notes.get(number, ""))


def _rule_table_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = _env(env)
    if state.style.scrolls(state.slug):  # a pipe table: it has no number, its box is named by its place
        state.tables += 1
        return (f'<div class="table-wrap" role="region" tabindex="0" aria-label="Unnumbered table {state.tables}">'
                + self.renderToken(tokens, idx, options, env))
    return self.renderToken(tokens, idx, options, env)  # type: ignore[no-any-return]


def _rule_table_close(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = _env(env)
    html: str = self.renderToken(tokens, idx, options, env)
    return html.rstrip("\n") + "</div>\n" if state.style.scrolls(state.slug) else html


def _safe_link(token: Token | None) -> bool:
    return token is not None and bool(SAFE_LINK.match(str(token.attrGet("href") or "").strip()))


def _rule_link_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    # Only http(s) and mailto links are made; anything else shows as its text (the loader has
    # refused it already: this is the second line of defence).
    return self.renderToken(tokens, idx, options, env) if _safe_link(tokens[idx]) else ""  # type: ignore[no-any-return]


def _rule_link_close(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    opener = next((t for t in reversed(tokens[:idx]) if t.type == "link_open"), None)  # links do not nest
    return self.renderToken(tokens, idx, options, env) if _safe_link(opener) else ""  # type: ignore[no-any-return]


def _rule_raw(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return escapeHtml(tokens[idx].content)


def _make_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"typographer": True, "html": False})
    md.add_render_rule("text", _rule_text)
    md.add_render_rule("heading_open", _rule_heading_open)
    md.add_render_rule("fence", _rule_fence)
    md.add_render_rule("footnote_ref", _rule_footnote_ref)
    md.add_render_rule("table_open", _rule_table_open)
    md.add_render_rule("table_close", _rule_table_close)
    md.add_render_rule("link_open", _rule_link_open)
    md.add_render_rule("link_close", _rule_link_close)
    md.add_render_rule("html_block", _rule_raw)
    md.add_render_rule("html_inline", _rule_raw)
    md.add_render_rule("image", lambda *args, **kwargs: "")
    # The notes get each format's own back links, not the plugin's.
    md.add_render_rule("footnote_anchor", lambda *args, **kwargs: "")
    return md
