"""Bibliography entries: one consistent style for every output."""

from __future__ import annotations

import re

from typing import TYPE_CHECKING

from markdown_it.common.utils import escapeHtml as esc

from .language import language as language_of
from .typography import full_stop

if TYPE_CHECKING:
    from .model import ReferenceEntry


def format_date(value: str, language: str = "en") -> str:
    """A full or partial date written out in `language` (CLDR, language.py): in English
    2025-12-20 → 20 December 2025; 2025-12 → December 2025; 2025 → 2025."""
    return language_of(language).date(value)


def readable_url(url: str) -> str:
    """A URL as a reader should see it: percent-encoded UTF-8 decoded ("%D0%BA" → "к"), except
    where decoding would make it ambiguous or unprintable: an encoded space (ASCII or not, such as
    U+3000), slash, "%", control or other invisible character, and a letter that no bundled font
    can draw (Japanese, say: the PDF would drop it, publisher.fonts.check_glyphs), stays encoded
    as it was written, while the letters around it are decoded. A run that is not valid UTF-8
    stays encoded. The link itself keeps the encoded form."""
    if "%" not in url:  # nothing encoded (most URLs): the fonts' coverage is not read
        return url
    from .fonts import covered

    drawable = covered()

    def decode(match: re.Match[str]) -> str:
        encoded = match.group(0)
        try:
            text = bytes.fromhex(encoded.replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            return encoded
        shown, at = [], 0
        for char in text:
            width = 3 * len(char.encode("utf-8"))  # "%xx" per UTF-8 byte
            shown.append(char if _visible(char) and ord(char) in drawable else encoded[at:at + width])
            at += width
        return "".join(shown)

    return re.sub(r"(?:%[0-9A-Fa-f]{2})+", decode, url)


def _visible(char: str) -> bool:
    import unicodedata

    return ord(char) > 0x7F and unicodedata.category(char)[0] in "LMN" or char in "-._~()'!*,"


def format_reference(entry: ReferenceEntry, language: str = "en") -> tuple[str, str]:
    """Return (html, plain text) for one references.yaml entry, in a report in `language`: its
    dates and the publisher's words ("n.d.", "accessed") in that language, and a source in
    another language says which, named in the report's ("In Russian.", CLDR's names)."""
    written = language_of(language)
    author, publisher = entry.author, entry.publisher
    pieces_html, pieces_text = [], []
    lead = author or publisher
    if lead:
        ended = full_stop(lead)
        pieces_html.append(f'<span class="ref-author">{esc(lead)}</span>{esc(ended[len(lead):])}')
        pieces_text.append(ended)
    title = entry.title.strip()
    ended = full_stop(title)
    pieces_html.append(f"<cite>{esc(title)}</cite>{esc(ended[len(title):])}")
    pieces_text.append(ended)
    if author and publisher:
        pieces_html.append(f"{esc(publisher)},")
        pieces_text.append(f"{publisher},")
    # A source that gives no date is "n.d."; a date is never guessed.
    # Translators: "no date", for a source that gives none.
    when = written.date(entry.date) if entry.date else written.gettext("n.d.")
    pieces_html.append(esc(full_stop(when)))
    pieces_text.append(full_stop(when))
    source = entry.language.split("-")[0].lower()
    named = written.name(source) if source and source != written.code else ""
    if named and named != source:  # a language CLDR does not name is not mentioned
        said = written.gettext("In %(language)s.") % {"language": named}
        pieces_html.append(esc(said))
        pieces_text.append(said)
    if entry.note:
        note = full_stop(entry.note.strip())
        pieces_html.append(f'<span class="ref-note">{esc(note)}</span>')
        pieces_text.append(note)
    if entry.url:
        accessed = " (" + written.gettext("accessed %(date)s") % {"date": written.date(entry.accessed)} + ")" \
            if entry.accessed else ""
        shown = readable_url(entry.url)
        pieces_html.append(f'<a class="ref-url" href="{esc(entry.url)}">{esc(shown)}</a>{esc(accessed)}')
        pieces_text.append(f"{shown}{accessed}")
    return " ".join(pieces_html), " ".join(pieces_text)
