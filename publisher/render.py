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
from .typography import KEEP_CLOSE, KEEP_OPEN, LONG_CLOSE, LONG_OPEN
from .typography import locator as page_locator
from .formats import document_stem
from .language import Language, cross_label, language
from .markdown import LANGUAGE_TAG, SAFE_LINK, Document, Inline, html_id
from .model import Chapter, Figure, Report, Table, Term

LONG_CITATION = 2  # sources in one citation beyond which it may break between them (CSS)
LONG_CITATION_TEXT = 30  # characters of a citation beyond which it may break (a long locator)
# The parts of the report every format has besides its chapters: the names links use for them.
BIBLIOGRAPHY = "bibliography"
GLOSSARY = "glossary"


def term_anchor(term: Term) -> str:
    """The anchor of an abbreviation in the glossary."""
    return f"gls-{html_id(term.abbr.lower())}"


def reference_anchor(key: str) -> str:
    """The anchor of a source in the bibliography."""
    return f"ref-{key}"


def note_anchor(slug: str, number: int, call: int = 1) -> tuple[str, str]:
    """The ids of a note and of its `call`-th call (the first: `fnref-slug-N`; the others:
    `fnref-slug-N-2`, …: one note, one number, every call with an id of its own)."""
    return f"fn-{slug}-{number}", f"fnref-{slug}-{number}" + (f"-{call}" if call > 1 else "")


@dataclass(frozen=True)
class NoteText:
    """A note as HTML: its first paragraph's inline content (`lead`; "" when the note starts
    with another block) and the blocks after it (`rest`: paragraphs, lists, quotes, code)."""

    lead: str
    rest: str = ""

    def with_first(self, html: str, last: str = "") -> str:
        """The note as blocks, `html` put before the first paragraph's text and `last` after the
        last paragraph's (or in paragraphs of their own where the note has none there)."""
        first = " ".join(part for part in (html, self.lead) if part)
        blocks = (f"<p>{first}</p>" if first else "") + self.rest
        if last:
            if self.rest or not self.lead:
                blocks += f'<p class="note-back">{last}</p>'
            else:
                blocks = blocks[:-len("</p>")] + f" {last}</p>"
        return blocks


@dataclass(frozen=True)
class Style:
    """How one output format links, calls notes and embeds figures; each writer subclasses it."""

    def href(self, current: str, target: str, anchor: str) -> str:
        """The link from document `current` to `anchor` in document `target`, both named by their
        file stem (01-overview, introduction, bibliography)."""
        return f"#{anchor}"

    def prose(self, text: str, final: bool = False, tie: bool = True, hyphenate: bool = True,
              language: str = "") -> str:
        """Running text as this format sets it (the PDF adds its ties and soft hyphens); `final`:
        the text ends its paragraph; `tie`: its last two words may be tied (no citation follows);
        `hyphenate`: words may break (not in headings); `language`: the text is a passage in
        another language than the report's (its tag), set by that language's rules."""
        return text

    @property
    def lead(self) -> str:
        """Put before each link the renderer makes (the PDF's line-breaking workaround)."""
        return ""

    @property
    def glue(self) -> str:
        """The space before a citation: a no-break space where the format must never start a line
        with a citation or leave one alone on a paragraph's last line."""
        return " "

    def note_call(self, slug: str, number: int, note: NoteText, call: int) -> str:
        """The `call`-th call (1, 2, …) of note `number` in the text (ids: `note_anchor`)."""
        raise NotImplementedError

    def notes(self, slug: str, notes: list[tuple[int, NoteText, int]]) -> str:
        """The notes of a document — (number, note, how many times it is called) in order —
        after its text (or what the format needs there when they are printed elsewhere)."""
        return ""

    def ordered_list(self, start: int) -> str:
        """The opening tag of an ordered list whose first item is numbered `start`."""
        return f'<ol start="{start}">' if start != 1 else "<ol>"

    def heading_attributes(self, number: str, title: str) -> str:
        """More attributes of a section heading (number, plain title), each after a space."""
        return ""

    def figure_body(self, figure: Figure) -> str:
        """The inside of a figure's frame: the chart's inline SVG, or the image."""
        return draw(figure)

    def scrolls(self, boxed: bool) -> bool:
        """Whether wide tables and charts scroll in their own box (`boxed`: the document allows it)."""
        return False


class _Env:
    """What the rules need while one document is rendered."""

    def __init__(self, renderer: Renderer, slug: str, document: Document | None = None, boxed: bool = True) -> None:
        self.renderer = renderer
        self.style = renderer.style
        self.slug = slug
        self.document = document
        self.scrolls = renderer.style.scrolls(boxed)
        self.notes: dict[int, NoteText] = {}  # by number
        self.calls: dict[int, int] = {}  # note number → the calls rendered so far
        self.tables = 0  # unnumbered (pipe) tables so far, to name their scroll boxes
        self.in_link = False
        self.fields = False  # rendering a caption, a table cell or a key point, not a paragraph
        self.heading = False  # rendering a heading
        self.languages: list[str] = []  # the passages in other languages the text is inside


class Renderer:
    """Renders a report's parsed texts to HTML fragments in one style."""

    def __init__(self, report: Report, style: Style) -> None:
        self.report = report
        self.style = style
        self.md = _make_renderer()
        self.words = language(report.meta.language)
        self.targets = targets(report, self.words)
        self.citations = {r.key: r.number for r in report.references}
        self.terms = {t.abbr: t for t in report.glossary}
        self.blocks: dict[str, Figure | Table] = {b.spec.id: b for b in (*report.figures, *report.tables)}
        self.stems = {c.slug: document_stem(c) for c in report.documents}
        # An unnumbered heading is referred to by its title, in the same words as the contents.
        self.titles = {h.ref: h.html for c in report.documents for h in c.headings if not h.number}

    # --- public ---------------------------------------------------------------------------
    def chapter(self, chapter: Chapter) -> str:
        """A chapter's key points, text and (where the style prints them here) its notes."""
        env = _Env(self, chapter.slug, chapter.body)
        self._notes(chapter.body, env)  # before the key points, which may call notes
        points = [self._inline(p, env) for p in chapter.head.key_points]
        title = escapeHtml(self.words.gettext("Key points"))
        box = (f'<aside class="key-points" aria-label="{title}"><p class="key-points-title">{title}</p><ul>'
               + "".join(f"<li>{p}</li>" for p in points) + "</ul></aside>\n") if points else ""
        return box + self._document(chapter.body, env)

    def introduction(self) -> str:
        """The report's introduction, with its notes."""
        document = self.report.meta.introduction
        return self._document(document, _Env(self, document.slug, document, boxed=False))

    def inline(self, text: Inline, slug: str) -> str:
        """One inline text (a caption, a cell) as it appears in document `slug`."""
        return self._inline(text, _Env(self, slug))

    def href(self, current: str, target: str, anchor: str) -> str:
        """The style's link from document `current` to `anchor` in `target` (slugs, or the
        fixed names BIBLIOGRAPHY and GLOSSARY)."""
        return self.style.href(self.stems.get(current, current), self.stems.get(target, target), anchor)

    # --- the parts ------------------------------------------------------------------------
    def _notes(self, document: Document, env: _Env) -> None:
        """Render a document's notes, before its text calls them (the PDF prints a note at its call)."""
        if env.notes:
            return
        options, state = self.md.options, {"env": env}
        for note in document.numbered_notes:
            tokens = list(note.tokens)
            if len(tokens) >= 3 and tokens[0].type == "paragraph_open":
                lead = self.md.renderer.renderInline(tokens[1].children or [], options, state).strip()
                env.notes[note.number] = NoteText(lead, self.md.renderer.render(tokens[3:], options, state).strip())
            else:
                env.notes[note.number] = NoteText("", self.md.renderer.render(tokens, options, state).strip())

    def _document(self, document: Document, env: _Env) -> str:
        self._notes(document, env)
        body = self.md.renderer.render(list(document.tokens), self.md.options, {"env": env})
        called = [(number, env.notes[number], env.calls[number]) for number in sorted(env.calls)]
        return body + self.style.notes(env.slug, called)

    def _inline(self, text: Inline, env: _Env) -> str:
        fields, env.fields = env.fields, True
        try:
            return self.md.renderer.renderInline(list(text.tokens), self.md.options, {"env": env})
        finally:
            env.fields = fields

    def _citation(self, token: Token, env: _Env, lead: bool = True) -> str:
        """A citation; `lead`: glued to what comes before it (not after a plain space: between
        citations, "[1], [2]", the line may break)."""
        items = token.meta["items"]
        if any(key not in self.citations for key, _ in items):  # refused by the loader
            return escapeHtml(token.content)
        # With a locator anywhere, items are separated by semicolons: "[1, p. 4; 2, p. 7]" and keep
        # the author's order; without, they are sorted and runs of three or more are joined: "[2, 5–7]".
        located = any(locator for _, locator in items)
        separator = "; " if located else ", "
        href = {key: self.href(env.slug, BIBLIOGRAPHY, reference_anchor(key)) for key, _ in items}

        def link(key: str, text: str) -> str:
            if env.in_link:
                return escapeHtml(text)
            kind = "cite cite-long" if len(text) > LONG_CITATION_TEXT else "cite"  # a long locator may break
            return f'<a class="{kind}" href="{href[key]}">{escapeHtml(text)}</a>'

        if located:
            language = self.report.meta.language
            links = [link(key, f"{self.citations[key]}, {page_locator(where, language)}" if where
                          else str(self.citations[key])) for key, where in items]
        else:
            links = []
            for run in _runs(sorted({key for key, _ in items}, key=self.citations.__getitem__), self.citations):
                if len(run) < 3:
                    links += [link(key, str(self.citations[key])) for key in run]
                else:
                    links.append('<span class="cite-range">' + link(run[0], str(self.citations[run[0]])) + "–"
                                 + link(run[-1], str(self.citations[run[-1]])) + "</span>")
        # A long citation may break between its sources, and inside a long locator: never past the margin.
        shown = sum(len(str(self.citations[key])) + len(locator) + 2 for key, locator in items)
        kind = "citation citation-long" if len(items) > LONG_CITATION or shown > LONG_CITATION_TEXT else "citation"
        # A citation that may break keeps its last two sources together (no "163]." alone on a line).
        tail = separator.join(links[-2:]).replace(separator, separator.rstrip() + "\u00a0")
        glue = self.style.lead if lead else ""
        return glue + f'<span class="{kind}">[' + separator.join([*links[:-2], tail]) + "]</span>"

    def _xref(self, token: Token, env: _Env, lead: bool = True) -> str:
        """A cross-reference or glossary link; `lead`: glued to what comes before it (not after a space)."""
        glue = self.style.lead if lead else ""
        kind, key = token.meta["kind"], token.meta["key"]
        if kind == "gls":
            term = self.terms[key]
            abbr = f'<abbr title="{escapeHtml(term.expansion)}">{escapeHtml(key)}</abbr>'
            if env.in_link:
                return abbr
            href = self.href(env.slug, GLOSSARY, term_anchor(term))
            return f'{glue}<a class="gls" href="{href}">{abbr}</a>'
        label, chapter, anchor = self.targets[f"{kind}:{key}"]
        title = self.titles.get(f"{kind}:{key}")
        shown = f"“{title}”" if title is not None else escapeHtml(label)
        if title is None:  # a numbered label breaks nowhere, not even at its hyphen ("1-кесте", "2-бөлім")
            shown = re.sub(r"\S*(?:\d-|-\d)\S*", lambda m: f'<span class="nobr">{m.group(0)}</span>', shown)
        if env.in_link:
            return shown
        return f'{glue}<a class="xref xref-{kind}" href="{self.href(env.slug, chapter, anchor)}">{shown}</a>'

    def _block(self, ident: str, env: _Env) -> str:
        """A figure or table block, numbered, with its caption and source line."""
        block = self.blocks[ident]

        def inline(text: Inline) -> str:
            return self._inline(text, env)

        if isinstance(block, Table):
            wrap = ""
            if env.scrolls:
                name = escapeHtml(self.words.gettext("Table %(number)s") % {"number": block.number})
                wrap = f'<div class="table-wrap" role="region" tabindex="0" aria-label="{name}">'
            return table_html(block, inline, wrap, self.words)
        # A chart fits every screen (a narrow drawing on phones): its box never needs to scroll.
        return figure_html(block, self.style.figure_body(block), inline, words=self.words)


def targets(report: Report, words: Language | None = None) -> dict[str, tuple[str, str, str]]:
    """Every cross-reference target: key → (label as plain text, document slug, anchor), the
    label in the report's language (`cross_label`)."""
    words = words or language(report.meta.language)
    found: dict[str, tuple[str, str, str]] = {}
    for chapter in report.documents:
        label = cross_label(words, "ch", chapter.number) if chapter.number else chapter.title
        found[f"ch:{chapter.slug}"] = (label, chapter.slug, chapter.anchor)
        for heading in chapter.headings:
            found[heading.ref] = (cross_label(words, "sec", heading.number, heading.title), chapter.slug, heading.id)
        for block in (*chapter.figures, *chapter.tables):
            kind = "fig" if isinstance(block, Figure) else "tbl"
            found[block.spec.id] = (cross_label(words, kind, block.number), chapter.slug, block.id)
    return found


# --- markdown-it render rules ---------------------------------------------------------------

def _env(env: dict[str, Any]) -> _Env:
    return env["env"]  # type: ignore[no-any-return]


def _rule_text(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = _env(env)
    # Only a paragraph of running text ends on tied words; a caption or a table cell is too narrow.
    # A paragraph that ends on a citation has its last word glued to it: no other tie is needed.
    cited = idx + 1 < len(tokens) and tokens[idx + 1].type == "citation"
    if state.heading:
        return _kept(escapeHtml(state.style.prose(tokens[idx].content, tie=False, hyphenate=False)))
    final = not state.fields and _final(tokens, idx)
    passage = state.languages[-1] if state.languages else ""
    text = state.style.prose(tokens[idx].content, final, tie=not cited, language=passage)
    if final and not cited and idx and tokens[idx - 1].type == "xref" and re.fullmatch(r" \S+(?: |$)", text):
        # One word left after a cross-reference ends the paragraph with it ("Table 2 describes").
        text = state.style.glue + text[1:]
    # A citation is glued to the word before it; between citations ("[1], [2]") the line may break.
    if idx + 1 < len(tokens) and tokens[idx + 1].type == "citation" and text.endswith(" ") \
            and not _between_citations(tokens, idx):
        text = text[:-1] + state.style.glue
    return _kept(escapeHtml(text))


def _kept(html: str) -> str:
    """Runs the style marked to stay whole (typography.keep_compounds) as no-wrap spans, and
    tokens it marked as too long for a line (typography.mark_long) as spans that break anywhere."""
    return (html.replace(KEEP_OPEN, '<span class="nobr">').replace(KEEP_CLOSE, "</span>")
            .replace(LONG_OPEN, '<span class="break-anywhere">').replace(LONG_CLOSE, "</span>"))


def _runs(keys: list[str], numbers: dict[str, int]) -> list[list[str]]:
    """Sorted keys grouped into runs of consecutive numbers: [2, 5, 6, 7] → [[2], [5, 6, 7]]."""
    runs: list[list[str]] = []
    for key in keys:
        if runs and numbers[key] == numbers[runs[-1][-1]] + 1:
            runs[-1].append(key)
        else:
            runs.append([key])
    return runs


def _final(tokens: list[Token], idx: int) -> bool:
    """Whether no more words follow this text token in its paragraph (only punctuation, closing
    markup, citations or notes)."""
    for token in tokens[idx + 1:]:
        if token.type in ("xref", "code_inline", "image") or (
                token.type == "text" and token.content.strip(" .,;:!?)]”’\u00a0")):
            return False
    return True


def _rule_citation(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = _env(env)
    # After a plain space (one _rule_text left, between citations) the line may break before it.
    spaced = idx > 0 and tokens[idx - 1].type == "text" and tokens[idx - 1].content[-1:] == " " \
        and _between_citations(tokens, idx - 1)
    return state.renderer._citation(tokens[idx], state, lead=not spaced)


def _between_citations(tokens: list[Token], idx: int) -> bool:
    """Whether text token `idx` only separates two citations (", ", "; ", " and ")."""
    return (0 < idx < len(tokens) - 1 and tokens[idx - 1].type == "citation" and tokens[idx + 1].type == "citation"
            and not re.search(r"\w", tokens[idx].content))


def _rule_xref(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = _env(env)
    # After a space the line may break before the link; after "(" or a quote it may not.
    spaced = idx > 0 and tokens[idx - 1].type == "text" and tokens[idx - 1].content[-1:] == " "
    return state.renderer._xref(tokens[idx], state, lead=not spaced)


def _rule_heading_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    token, state = tokens[idx], _env(env)
    state.heading = True  # set ragged and whole, its text is also the PDF's bookmark: no ties, no soft hyphens
    heading = state.document.heading_at(token.map[0]) if state.document and token.map else None
    if heading is None:
        return f"<{token.tag}>"
    more = state.style.heading_attributes(heading.number, heading.title)
    number = f'<span class="secnum">{heading.number}</span> ' if heading.number else ""
    return f'<{token.tag} id="{heading.id}"{more}>{number}'


def _rule_heading_close(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    _env(env).heading = False
    return f"</{tokens[idx].tag}>\n"


def _rule_fence(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    token, state = tokens[idx], _env(env)
    block = state.document.blocks.get(token.map[0]) if state.document and token.map else None
    if block:
        return state.renderer._block(block, state)
    return _code(token.content)


def _rule_code_block(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return _code(tokens[idx].content)


def _code(content: str) -> str:
    """A code block: each line a block of its own that wraps where it must (styles: `pre` wraps),
    its continuation lines indented two characters more than the line, so that the code keeps
    its indentation and no line runs off the page."""
    lines = content[:-1].split("\n") if content.endswith("\n") else content.split("\n")
    parts = []
    for line in lines:
        hang = len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip(" ")) + 2
        parts.append(f'<span class="code-line" style="padding-left: {hang}ch; text-indent: -{hang}ch">'
                     f"{escapeHtml(line)}</span>")
    return f"<pre><code>{''.join(parts)}</code></pre>\n"


def _rule_footnote_ref(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = _env(env)
    note = state.document.notes.get(tokens[idx].meta.get("label")) if state.document else None
    if note is None or note.number not in state.notes:  # refused by the loader
        return ""
    call = state.calls[note.number] = state.calls.get(note.number, 0) + 1
    return state.style.note_call(state.slug, note.number, state.notes[note.number], call)


def _rule_ordered_list_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    start = tokens[idx].attrGet("start")
    return _env(env).style.ordered_list(int(start) if start is not None else 1) + "\n"


def _rule_th_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    # Header cells of pipe tables say what they head (accessibility checkers ask for scope).
    align = tokens[idx].attrGet("style")
    return f'<th{f" style={chr(34)}{align}{chr(34)}" if align else ""} scope="col">'


def _rule_table_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = _env(env)
    state.fields = True  # its cells are too narrow for tied last words
    if state.scrolls:  # a pipe table: it has no number, its box is named by its place
        state.tables += 1
        return (f'<div class="table-wrap" role="region" tabindex="0" aria-label="Unnumbered table {state.tables}">'
                + self.renderToken(tokens, idx, options, env))
    return self.renderToken(tokens, idx, options, env)  # type: ignore[no-any-return]


def _rule_table_close(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    html: str = self.renderToken(tokens, idx, options, env)
    _env(env).fields = False
    return html.rstrip("\n") + "</div>\n" if _env(env).scrolls else html


def _safe_link(token: Token | None) -> bool:
    return token is not None and bool(SAFE_LINK.match(str(token.attrGet("href") or "").strip()))


def _rule_link_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    # Only http(s) and mailto links are made; anything else shows as its text (the loader has
    # refused it already: this is the second line of defence).
    if not _safe_link(tokens[idx]):
        return ""
    _env(env).in_link = True  # references inside a link are text: links do not nest
    return self.renderToken(tokens, idx, options, env)  # type: ignore[no-any-return]


def _rule_link_close(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    opener = next((t for t in reversed(tokens[:idx]) if t.type == "link_open"), None)  # links do not nest
    _env(env).in_link = False
    return self.renderToken(tokens, idx, options, env) if _safe_link(opener) else ""  # type: ignore[no-any-return]


def _rule_span_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """A passage in another language (`[text]{lang=tg}`): a span with its language, for HTML and
    XHTML alike; the PDF sets its words with that language's hyphenation."""
    tag = str(tokens[idx].attrGet("lang") or "")
    if not LANGUAGE_TAG.fullmatch(tag):  # refused by the loader
        return "<span>"
    _env(env).languages.append(tag)
    return f'<span lang="{tag}" xml:lang="{tag}">'


def _rule_span_close(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    opener = next((t for t in reversed(tokens[:idx]) if t.type == "span_open"), None)
    if opener is not None and LANGUAGE_TAG.fullmatch(str(opener.attrGet("lang") or "")) and _env(env).languages:
        _env(env).languages.pop()
    return "</span>"


def _rule_raw(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return escapeHtml(tokens[idx].content)


def _make_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"typographer": True, "html": False})
    md.enable("strikethrough")
    for name, rule in {"text": _rule_text, "citation": _rule_citation, "xref": _rule_xref,
                       "heading_open": _rule_heading_open, "heading_close": _rule_heading_close,
                       "fence": _rule_fence, "code_block": _rule_code_block, "footnote_ref": _rule_footnote_ref,
                       "ordered_list_open": _rule_ordered_list_open,
                       "th_open": _rule_th_open, "table_open": _rule_table_open, "table_close": _rule_table_close,
                       "link_open": _rule_link_open, "link_close": _rule_link_close, "html_block": _rule_raw,
                       "span_open": _rule_span_open, "span_close": _rule_span_close,
                       "html_inline": _rule_raw}.items():
        md.add_render_rule(name, rule)
    md.add_render_rule("image", lambda *args, **kwargs: "")
    # The notes get each format's own back links, not the plugin's.
    md.add_render_rule("footnote_anchor", lambda *args, **kwargs: "")
    return md
