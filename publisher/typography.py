"""Typographic text: curly quotes and apostrophes in the report's language, and the print
edition's hyphenation policy.

Markdown text gets its quotes from the parser (markdown-it's typographer); `curl` gives plain
text fields (titles, captions' alt text, table headings, chart labels, bibliography entries) the
same treatment, with smartypants. `Hyphenator` decides where a word may break in the PDF: soft
hyphens at the language's pattern points (pyphen, the LibreOffice/TeX patterns), never in a name
(a capitalised word), an all-capitals abbreviation, a short word, or a word the report lists
as not to be broken.
"""

from __future__ import annotations

import re
from functools import lru_cache

import smartypants

# Quotation marks by language: (open double, close double, open single, close single).
QUOTES = {
    "en": "“”‘’", "ru": "«»„“", "kk": "«»„“", "ky": "«»„“", "tg": "«»„“", "uz": "«»‘’", "tk": "“”‘’",
    "ja": "「」『』", "de": "„“‚‘", "fr": "«»“”",
}
WORD = re.compile(r"[^\W\d_]+(?:[’'][^\W\d_]+)?")
SOFT_HYPHEN = "\u00ad"
# Words that are never parted from the number after them, and units never parted from the number
# before them (English; the pattern is per language).
LABELS = {"en": r"Chapters?|Sections?|Figures?|Tables?|Notes?|p\.|pp\.|para\.|paras\.|No\.|vol\.|art\.|Article"}
UNITS = r"km|m|kg|t|%|per\s?cent|percent|million|billion|trillion|bn|mn|yen|USD|EUR|MW|GW|km²|km³"


def curl(text: str, language: str = "en") -> str:
    """Straight quotes and apostrophes as typographic ones, in the language's style; dashes and
    everything else are left as written."""
    if "'" not in text and '"' not in text:
        return text
    curled = smartypants.smartypants(text, smartypants.Attr.q | smartypants.Attr.u)
    marks = QUOTES.get(language.split("-")[0].lower(), QUOTES["en"])
    if marks != QUOTES["en"]:
        curled = curled.translate(str.maketrans({"“": marks[0], "”": marks[1]}))
        curled = re.sub(r"‘([^‘’]*?)’(?!\w)", lambda m: f"{marks[2]}{m.group(1)}{marks[3]}", curled)
    return curled


def bind(text: str, language: str = "en") -> str:
    """No-break spaces where a line must not break: between a label and its number ("Chapter 7",
    "p. 4") and between a number and its unit ("3 trillion", "15 km")."""
    labels = LABELS.get(language.split("-")[0].lower(), LABELS["en"])
    text = re.sub(rf"\b({labels}) (?=[\dIVX(])", "\\1\u00a0", text)
    return re.sub(rf"(?<=\d) (?=(?:{UNITS})(?!\w))", "\u00a0", text)


class Hyphenator:
    """Where the PDF may break words: soft hyphens at the language's hyphenation points.

    `min_word` letters at least (7), `left`/`right` letters kept together at each end (3, 3);
    names (capitalised words), abbreviations in capitals, parts of hyphenated compounds and the
    `never` words are not broken.
    """

    def __init__(self, language: str, never: tuple[str, ...] = (), min_word: int = 7, left: int = 3,
                 right: int = 3) -> None:
        self.dictionary = _dictionary(language, left, right)
        self.never = frozenset(word.lower() for word in never)
        self.min_word = min_word

    def __call__(self, text: str) -> str:
        if self.dictionary is None:
            return text
        return WORD.sub(self._word, text)

    def _word(self, match: re.Match[str]) -> str:
        word, text = match.group(0), match.string
        # A part of a hyphenated compound breaks only at its hyphen ("Japanese-lan-guage" is not).
        before, after = text[match.start() - 1:match.start()], text[match.end():match.end() + 1]
        compound = bool(before) and before in "-‐" or bool(after) and after in "-‐"
        if len(word) < self.min_word or not word[0].islower() or word.lower() in self.never or compound:
            return word
        return str(self.dictionary.inserted(word, hyphen=SOFT_HYPHEN))


@lru_cache(maxsize=16)
def _dictionary(language: str, left: int, right: int) -> object | None:
    import pyphen

    tag = language.replace("-", "_")
    for candidate in (tag, tag.split("_")[0], {"en": "en_US"}.get(tag.split("_")[0], "")):
        if candidate and candidate in pyphen.LANGUAGES:
            return pyphen.Pyphen(lang=candidate, left=left, right=right)
    return None
