"""A part of a PDF edition: one of the report's top-level sections (the title pages, the
contents, a chapter, the bibliography…), laid out by WeasyPrint as a document of its own.

An edition's HTML (pdf.render_html) marks where each part starts; `split` cuts it there. A part
is laid out knowing the page it starts on (its folios count on from there), the side that page
is on, and the page number of every element it refers to by page — a cross-reference's
", p. 37", a contents entry — which the other parts' layouts give (the edition's page map).
Its HTML says all of that (`Part.html`), so the HTML is the whole key of its layout: the same
HTML is the same pages, byte for byte, whether the part was laid out in this build or taken
from the cache of an earlier one (pdf.py), and an edited chapter costs the layout of that chapter
(and of the parts whose numbers it moved), not of the edition.

A link to an element of another part is written as `stitch.LINK_PREFIX` + the element's id,
which the join (stitch.py) turns back into a link inside the one PDF.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html import escape

from .errors import RenderError

# Where the edition's HTML (templates/print/report.html) starts a part: before each top-level
# section. Authors' text cannot write it (the Markdown renderer escapes HTML).
MARK = "<!--publisher:part-->"

# The elements whose text is the page number of another element: a cross-reference to a section,
# figure or table (the number follows it: `language_css` in pdf.py; not one to a chapter) and a
# contents entry (print.css: .toc-page).
_XREF = re.compile(r'<a class="xref xref-(?!ch")[^"]*" href="#([^"]+)"')
_TOC_PAGE = re.compile(r'<span class="toc-page" data-target="#([^"]+)">')
_HREF = re.compile(r'href="#([^"]+)"')
_ID = re.compile(r'\sid="([^"]+)"')
UNKNOWN = "0"  # the number shown until a referred element's page is known (never in a finished PDF)


@dataclass(frozen=True)
class Part:
    """One part of an edition's HTML: its place (`index`, 0-based), its body's HTML, the ids it
    defines and the ids whose page numbers it shows (in order of first use)."""

    index: int
    body: str
    ids: frozenset[str]
    numbered: tuple[str, ...]

    def html(self, head: str, first_page: int, numbers: dict[str, int], link_prefix: str) -> str:
        """The part as a document of its own: `head` is the edition's HTML up to and including
        `<body …>`; the first page is page `first_page` (its folio; an odd one on the right-hand
        side, an even one on the left); `numbers` gives the page of each element in `numbered` (a
        missing one shows UNKNOWN); links to ids the part does not define go to
        `link_prefix` + id."""
        # The first page is on the side its number says, unless the part's first element opens
        # on a given side (a printer's chapter on a recto): then it is the next page, and the
        # page before it is left blank (stitch.py). pdf.py's `_opening_side` applies the break.
        other = first_page + 1
        left, right_number = (first_page, other) if first_page % 2 == 0 else (other, first_page)
        page_rules = (f"<style>@page :first:left {{ counter-reset: page {left}; }} "
                      f"@page :first:right {{ counter-reset: page {right_number}; }} "
                      f"html {{ break-before: {'right' if first_page % 2 else 'left'}; }}</style>")
        at = head.rindex("</head>")
        body = _HREF.sub(lambda m: m.group(0) if m.group(1) in self.ids else
                         f'href="{escape(link_prefix)}{m.group(1)}"', self.numbered_body(numbers))
        return head[:at] + page_rules + head[at:] + body + "</body></html>"

    def numbered_body(self, numbers: dict[str, int]) -> str:
        """The part's body with the page numbers it shows filled in from `numbers` (UNKNOWN when
        missing)."""
        body = _XREF.sub(lambda m: f'{m.group(0)} data-page="{numbers.get(m.group(1), UNKNOWN)}"', self.body)
        return _TOC_PAGE.sub(lambda m: f'<span class="toc-page" data-target="#{m.group(1)}" '
                                       f'data-page="{numbers.get(m.group(1), UNKNOWN)}">', body)


def split(html: str) -> tuple[str, list[Part]]:
    """The edition's HTML cut into its parts: (the head up to and including `<body …>`, parts).

    Raises RenderError if the HTML has no part marks, or text outside the parts."""
    start = html.find("<body")
    if start < 0:
        raise RenderError("the edition's HTML has no body")
    opened = html.index(">", start) + 1
    head, body = html[:opened], html[opened:]
    end = body.rfind("</body>")
    body = body[:end] if end >= 0 else body
    pieces = body.split(MARK)
    if len(pieces) < 2 or pieces[0].strip():
        raise RenderError("the edition's HTML is not marked into parts")
    parts = []
    for index, piece in enumerate(pieces[1:]):
        numbered = dict.fromkeys([*_XREF.findall(piece), *_TOC_PAGE.findall(piece)])
        parts.append(Part(index, piece, frozenset(_ID.findall(piece)), tuple(numbered)))
    return head, parts


def digest(*pieces: str | bytes) -> str:
    """A SHA-256 over pieces of a key (each length-prefixed, so that no two keys run together)."""
    sha = hashlib.sha256()
    for piece in pieces:
        data = piece.encode("utf-8", "surrogatepass") if isinstance(piece, str) else piece
        sha.update(len(data).to_bytes(8, "big") + data)
    return sha.hexdigest()
