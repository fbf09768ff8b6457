"""Bibliography entries: one consistent style for every output."""

from __future__ import annotations

import re

from datetime import date
from typing import TYPE_CHECKING

from markdown_it.common.utils import escapeHtml as esc

from .language import NAMES

if TYPE_CHECKING:
    from .model import ReferenceEntry

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def format_date(value: str) -> str:
    """2025-12-20 → 20 December 2025; 2025-12 → December 2025; 2025 → 2025."""
    parts = str(value).split("-")
    if len(parts) == 3:
        day = date(int(parts[0]), int(parts[1]), int(parts[2]))
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    if len(parts) == 2:
        return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def readable_url(url: str) -> str:
    """A URL as a reader should see it: percent-encoded UTF-8 decoded ("%D0%BA" → "к"), except
    where decoding would make it ambiguous or unprintable: an encoded space (ASCII or not, such as
    U+3000), slash, "%", control or other invisible character, and a letter that no bundled font
    can draw (Japanese, say: the PDF would drop it, publisher.fonts.check_glyphs), stays encoded
    as it was written, while the letters around it are decoded. A run that is not valid UTF-8
    stays encoded. The link itself keeps the encoded form."""
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
    """Return (html, plain text) for one references.yaml entry, in a report in `language` (a
    source in another language, whose name is known, says so: "In Russian.")."""
    author, publisher = entry.author, entry.publisher
    pieces_html, pieces_text = [], []
    lead = author or publisher
    if lead:
        pieces_html.append(f'<span class="ref-author">{esc(lead)}</span>.')
        pieces_text.append(f"{lead}.")
    title = entry.title.strip()
    pieces_html.append(f"<cite>{esc(title)}</cite>.")
    pieces_text.append(f"{title}.")
    if author and publisher:
        pieces_html.append(f"{esc(publisher)},")
        pieces_text.append(f"{publisher},")
    # A source that gives no date is "n.d."; a date is never guessed.
    when = format_date(entry.date) if entry.date else "n.d."
    pieces_html.append(esc(when) if when.endswith(".") else f"{esc(when)}.")
    pieces_text.append(when if when.endswith(".") else f"{when}.")
    source = entry.language.split("-")[0].lower()
    language = NAMES.get(source, "") if source != language.split("-")[0].lower() else ""
    if language:
        pieces_html.append(f"In {language}.")
        pieces_text.append(f"In {language}.")
    if entry.note:
        note = entry.note.strip().rstrip(".") + "."
        pieces_html.append(f'<span class="ref-note">{esc(note)}</span>')
        pieces_text.append(note)
    if entry.url:
        accessed = f" (accessed {format_date(entry.accessed)})" if entry.accessed else ""
        shown = readable_url(entry.url)
        pieces_html.append(f'<a class="ref-url" href="{esc(entry.url)}">{esc(shown)}</a>{esc(accessed)}')
        pieces_text.append(f"{shown}{accessed}")
    return " ".join(pieces_html), " ".join(pieces_text)
