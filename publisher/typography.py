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
LABELS = {"en": r"Chapters?|Sections?|Figures?|Tables?|Notes?|Paragraphs?|Articles?|p\.|pp\.|para\.|paras\.|No\."
                r"|vol\.|art\.",
          "ru": r"[Гг]лав[аеуы]|гл\.|[Рр]аздел[аеу]?|разд\.|[Рр]исун(?:ок|ке|ка)|рис\.|[Тт]аблиц[аеуы]|табл\."
                r"|с\.|№|ст\.|п\.|т\.|вып\.",
          "kk": r"б\.|№|бап|т\."}
UNITS = r"km|m|kg|t|%|per\s?cent|percent|million|billion|trillion|bn|mn|yen|USD|EUR|MW|GW|km²|km³"


# Citation locators by language: the page label for one page and for a range ("p. 4", "pp. 4–7";
# "с. 4" in Russian (ГОСТ Р 7.0.100), "б. 4" in Kazakh). An author's locator in any of these forms is
# printed in the report's language (`locator`).
PAGE_LOCATORS = {"en": ("p.", "pp."), "ru": ("с.", "с."), "kk": ("б.", "б."), "ky": ("б.", "б."),
                 "tg": ("с.", "с."), "uz": ("b.", "b."), "tk": ("s.", "s."), "ja": ("p.", "pp."),  # ja: PAGE_SUFFIXES
                 "de": ("S.", "S."), "fr": ("p.", "p.")}
# Languages whose page label follows the number, as their cross-references' do ("4ページ", as
# "8ページ" in "図1（8ページ）"): a page or a range of pages; any other locator keeps PAGE_LOCATORS.
PAGE_SUFFIXES = {"ja": "ページ", "zh": "页"}
_PAGE_LABEL = re.compile(r"(?:pp?|с|б|S|s|b)\.(\s*)(?=\d)")


def locator(text: str, language: str = "en") -> str:
    """A citation's locator with its page label in `language`: "p. 4" → "с. 4" in Russian,
    "4ページ" in Japanese, "pp. 4-7" → "pp. 4–7"; a locator that is not a page ("chap. 3",
    "para. 12") is left as written."""
    match = _PAGE_LABEL.match(text)
    if not match:
        return text
    code = language.split("-")[0].lower()
    rest = re.sub(r"(?<=\d)\s*-\s*(?=\d)", "–", text[match.end():])  # a range takes an en dash
    if code in PAGE_SUFFIXES and re.fullmatch(r"\d+(?:\s*[-–,]\s*\d+)*", rest.strip()):
        return rest.strip() + PAGE_SUFFIXES[code]
    one, many = PAGE_LOCATORS.get(code, PAGE_LOCATORS["en"])
    label = many if re.match(r"\d+\s*[-–,]\s*\d", rest) else one  # a range or a list of pages
    return f"{label}{match.group(1)}{rest}"


# The spaced dash between two parts of a sentence or title: an en dash by default (British and
# most European usage), an em dash where the language's typography sets one (Russian and the
# languages of Central Asia written in Cyrillic: Мильчин, «Справочник издателя и автора»).
DASHES = {"ru": "—", "uk": "—", "be": "—", "kk": "—", "ky": "—", "tg": "—", "mn": "—"}


def curl(text: str, language: str = "en") -> str:
    """Straight quotes and apostrophes as typographic ones, in the language's style, and a hyphen
    between two numbers as the en dash of a range ("19-20 December" → "19–20", not an ISO date
    "2025-12-20"), and a hyphen with a space on each side as the language's spaced dash ("Russia -
    Islamic World" → "Russia – Islamic World"; an em dash in Russian and the other languages whose
    typography sets one: DASHES); everything else is left as written."""
    text = re.sub(r"(?<![\d\-/.])(\d{1,4})-(\d{1,4})(?![\d\-/])", "\\1–\\2", text)
    if " - " in text:
        dash = DASHES.get(language.split("-")[0].lower(), "–")
        text = re.sub(r"(?<=\S) - (?=\S)", f"\u00a0{dash} ", text)
    if "'" not in text and '"' not in text:
        return text
    curled = smartypants.smartypants(text, smartypants.Attr.q | smartypants.Attr.u)
    marks = QUOTES.get(language.split("-")[0].lower(), QUOTES["en"])
    if marks != QUOTES["en"]:
        curled = curled.translate(str.maketrans({"“": marks[0], "”": marks[1]}))
        curled = re.sub(r"‘([^‘’]*?)’(?!\w)", lambda m: f"{marks[2]}{m.group(1)}{marks[3]}", curled)
    return curled


CURRENCIES = r"USD|EUR|JPY|GBP|CNY|KZT|UZS|KGS|TJS|TMT|RUB|US\$|\$|€|£|¥|≈|~|c\."
NAME_PART = r"[A-Z][\w’']*"


def bind(text: str, language: str = "en") -> str:
    """No-break characters where a line must not break (a typesetter's ties):

    - between a label and its number ("Chapter 7", "p. 4"), a currency and its amount ("USD 700"),
      and a short number (at most three digits: a count, a day) and the word after it
      ("11 SOMs", "19 December", "3 trillion"), or a number and its unit ("15 km", "45 %");
    - after a sign of approximation or comparison standing alone ("≈ USD 2.2 m", "< 5 %");
    (compounds of names are kept whole by keep_compounds).
    """
    labels = LABELS.get(language.split("-")[0].lower(), LABELS["en"])
    text = re.sub(rf"\b({labels}) (?=[\dIVX(])", "\\1\u00a0", text)
    text = re.sub(rf"(?<!\S)({CURRENCIES}) (?=\d)", "\\1\u00a0", text)
    # A labelled number ("Paragraph 4 keeps") is already tied to its label, not to the next word.
    text = re.sub(r"(?<![\d.,:\u00a0])(\d{1,3}(?:[.,]\d+)?) (?=[^\W\d])", "\\1\u00a0", text)
    text = re.sub(rf"(?<=\d) (?=(?:{UNITS})(?!\w))", "\u00a0", text)
    # A sign of approximation or comparison stays with what it qualifies ("(≈ USD 2.2 m)").
    text = re.sub(r"(?<![^\s(\[])([≈~∼≤≥<>±]) (?=\S)", "\\1\u00a0", text)
    return text


# Marks around a run of text that must not break (a compound of names); the PDF's renderer turns
# them into a no-wrap span, so that the text itself (searched, copied) keeps its plain hyphen.
KEEP_OPEN, KEEP_CLOSE = "\ue000", "\ue001"
KEEP_AT_MOST = 30  # characters of a compound kept whole
COMPOUND = re.compile(r"[^\W\d_][\w’']*(?:[-–—][^\W\d_][\w’']*)+")


def keep_compounds(text: str) -> str:
    """Compounds of names marked to stay whole: a hyphen or dash with a capitalised word on one side
    ("Trans-Caspian", "Japan-Central", "Uzbekistan–Japan", "X-ray" is left alone)."""
    def mark(match: re.Match[str]) -> str:
        parts = re.split(r"[-–—]", match.group(0))
        if sum(part[:1].isupper() for part in parts) < 2 and not (len(parts[0]) == 1 and parts[0].isupper()):
            return match.group(0)
        if len(match.group(0)) > KEEP_AT_MOST:  # too long to be sure of a line: it breaks at its hyphens
            return match.group(0)
        return KEEP_OPEN + match.group(0) + KEEP_CLOSE
    return COMPOUND.sub(mark, text)


# Marks around a token too long for a line (a file name, a URL), which the PDF's renderer turns
# into a span that may break anywhere (print.css: .break-anywhere).
LONG_OPEN, LONG_CLOSE = "\ue002", "\ue003"
LONG = 20  # characters: a token without a break point that is longer may break anywhere
_TOKEN = re.compile(rf"[^\s\u00a0\ue000-\ue003]{{{LONG + 1},}}")


def mark_long(text: str) -> str:
    """Tokens with a run of more than LONG characters between places to break (spaces, soft
    hyphens, hyphens: a file name, a URL, a chemical name) marked to break anywhere rather than
    run past the margin or a table column; words with hyphenation points close enough together
    are left to break at them."""
    def mark(match: re.Match[str]) -> str:
        token = match.group(0)
        if max(len(part) for part in re.split(f"[-{SOFT_HYPHEN}]", token)) <= LONG:
            return token
        return LONG_OPEN + token + LONG_CLOSE
    return _TOKEN.sub(mark, text)


# A sentence's end: terminal punctuation, then any closing quotes and brackets ("Why?”", "г.)").
_ENDED = re.compile(r"[.!?…。！？][\"'”’»」』)\]）]*$")
# A full stop right after another sentence end ("г.." from "…%(date)s." and "2 марта 2026 г.",
# "v3.0.</a>." after a link, "(see annex)..", "Why?.", "“Flows.”.", "。。"), not part of an
# ellipsis or a path ("../").
_SECOND_STOP = re.compile(r"(?:(?<=[^.]\.)|(?<=[?!…。！？])|(?<=[.?!…。！？][\"'”’»」』)\]）]))"
                          r"((?:</[A-Za-z][\w-]*>)*)[.。](?=\s|$|<|[\"'”’»)\]」』）])")


# A full stop after an ellipsis ("Corrected…." from "…%(note)s." and a note that trails off).
_STOP_AFTER_ELLIPSIS = re.compile(r"(?:(?<=\w\.\.\.)|(?<=\w…))\.(?=\s|$|<)")


def full_stop(text: str) -> str:
    """`text` ended as a sentence: a full stop added unless it already ends in terminal
    punctuation (before any closing quotes or brackets), so that a piece ending on an abbreviation
    ("2 марта 2026 г.", "Smith Jr.") or a question ("Why Central Asia?") gets no second mark."""
    stripped = text.rstrip()
    return stripped if not stripped or _ENDED.search(stripped) else stripped + "."


def no_full_stop(text: str) -> str:
    """`text` without the full stop that ends it (to stand in parentheses: "(Review draft)",
    "(初版)"); an ellipsis or a probable abbreviation's stop stays ("(Corrected…)",
    "(2 марта 2026 г.)", "(tables etc.)")."""
    stripped = text.rstrip()
    # The stop goes after a word of four letters or more, a number, a bracket, a link or Japanese;
    # it stays after a short word, which may be an abbreviation ("etc.", "гг.", "U.S.").
    ends = re.search(r"(?:[^\W\d_]{4,}|[\d)\]/”’»」』）\u3040-\u30ff\u3400-\u9fff])[.。]$", stripped)
    return stripped[:-1] if ends and not stripped.endswith("..") else stripped


def one_stop(text: str) -> str:
    """A sentence's full stop after a word that ends in one dropped ("15 января 2026 г.." → "… г."),
    as a typesetter sets a sentence ending on an abbreviation; an ellipsis and a path ("../")
    stay. Markup in, markup out."""
    from markupsafe import Markup

    plain = str(text)  # (re on Markup would escape the closing tags it puts back)
    stopped = _STOP_AFTER_ELLIPSIS.sub("", _SECOND_STOP.sub(r"\1", plain))
    return Markup(stopped) if isinstance(text, Markup) else stopped


# Characters of Chinese and Japanese text set without spaces between them: ideographs, kana, CJK
# symbols and punctuation, full-width punctuation and half-width katakana (not full-width Latin
# letters and digits: "Ａ Ｂ" keeps its space).
_WIDE = ("\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3200-\u9fff\uf900-\ufaff\ufe30-\ufe4f"
         "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uffef")
_WIDE_CHAR = re.compile(f"[{_WIDE}]")
_RAW = ("pre", "code", "script", "style", "textarea")  # elements whose text is never respaced
_SPOKEN = re.compile(r'(\b(?:alt|title|aria-label|data-label)=")([^"]*)"')
_BETWEEN_WIDE = re.compile(f"(?<=[{_WIDE}])[ \t\r\n]+(?=[{_WIDE}])")
SPACED_NOT = ("ja", "zh")  # languages written without spaces between words


def east_asian_spacing(html: str) -> str:
    """An HTML document in Japanese or Chinese without the spaces Western habits put in it: a
    space or line break with a Chinese or Japanese character or full-width punctuation on both
    sides is removed, and so is one between such a character and a citation, note call or
    cross-reference, whose label is a word of the text ("ものです [1]。" → "ものです[1]。", "図1 に示す"
    → "図1に示す", "取り分 。" → "取り分。", a soft line break of the source between two characters),
    whatever markup lies between; the no-break space the PDF glues a citation with goes too. CSS
    Text 3 §4.1.3 asks browsers to drop such line breaks; neither WeasyPrint nor the reading
    systems do. The text of the attributes a reader sees or hears (alt, title, aria-label, a
    table cell's data-label) loses its spaces between two such characters too. Kept: a space
    next to Latin letters or digits ("Tokyo で", code), a no-break space the author typed, and
    the text of `pre`, `code`, `script` and `style` (whose edges count as the neighbours of a
    space beside them)."""
    pieces = re.split(r"(<[^>]*>)", html)
    raw, texts, editable, stack = 0, [], set(), []
    after_ref: set[int] = set()  # text pieces right after the end of a citation or cross-reference
    before_ref: set[int] = set()  # text pieces right before the start of one
    for index, piece in enumerate(pieces):
        if not piece.startswith("<"):
            if piece:
                texts.append(index)
                if not raw:
                    editable.add(index)
            continue
        name = re.match(r"<(/?)([A-Za-z][\w:-]*)", piece)
        if not name:
            continue
        closing, tag = name.group(1) == "/", name.group(2).lower()
        if not closing and not raw:  # the text of attributes a reader sees or hears
            pieces[index] = _SPOKEN.sub(lambda m: m.group(1) + _BETWEEN_WIDE.sub("", m.group(2)) + '"', piece)
        if tag in _RAW and not piece.endswith("/>"):
            raw = max(raw - 1, 0) if closing else raw + 1
        elif tag in ("a", "span"):
            if closing:
                if stack and stack.pop():
                    after = index + 1  # past the closing tags around it (a note's <sup>)
                    while after < len(pieces) and (pieces[after].startswith("</") or not pieces[after]):
                        after += 1
                    after_ref.add(after)
            else:
                ref = re.search(r'class="[^"]*\b(xref|cite|citation)\b|role="doc-noteref"', piece) is not None
                stack.append(ref)
                before = index - 1  # before the opening tags around it
                while before > 0 and (re.match(r"<[A-Za-z]", pieces[before]) or not pieces[before]):
                    before -= 1
                if ref:
                    before_ref.add(before)
    for n, index in enumerate(texts):
        if index not in editable:
            continue
        text = pieces[index]
        before = pieces[texts[n - 1]].rstrip("\u2060")[-1:] if n else ""
        after = pieces[texts[n + 1]].lstrip("\u2060")[:1] if n + 1 < len(texts) else ""

        def drop(match: re.Match[str], text: str = text, index: int = index, before: str = before,
                 after: str = after) -> str:
            head, tail = text[:match.start()].rstrip("\u2060"), text[match.end():].lstrip("\u2060")
            at_ref_end, at_ref_start = not head and index in after_ref, not tail and index in before_ref
            if "\u00a0" in match.group(0) and not (at_ref_end or at_ref_start or text[match.end():][:1] == "\u2060"):
                return match.group(0)  # the author's no-break space, not the publisher's glue
            left = "\u3000" if at_ref_end else head[-1:] or before
            right = "\u3000" if at_ref_start else tail[:1] or after
            return "" if _WIDE_CHAR.match(left) and _WIDE_CHAR.match(right) else match.group(0)

        pieces[index] = re.sub(r"[ \t\r\n\u00a0]+", drop, text)
    return "".join(pieces)


def tie_last_words(text: str) -> str:
    """The last two words of a paragraph joined by a no-break space, so that a paragraph never
    ends on a line holding one word (unless the two are too long to share a line's end)."""
    match = re.search(r"(\S+) (\S+)\s*$", text)
    if not match or len(match.group(1)) + len(match.group(2)) > 24:
        return text
    return text[:match.start()] + f"{match.group(1)}\u00a0{match.group(2)}" + text[match.end(2):]


MACHINE = re.compile(r"://|[/_@\\]|\.[a-z]{2,4}\b")  # an address, a path or a file name


class Hyphenator:
    """Where the PDF may break words: soft hyphens at the language's hyphenation points.

    `min_word` letters at least (6), `left`/`right` letters kept together at each end (3, 3);
    names (capitalised words), abbreviations in capitals, parts of hyphenated compounds, words in
    addresses and file names (they break without a hyphen: mark_long) and the `never` words are
    not broken.
    """

    def __init__(self, language: str, never: tuple[str, ...] = (), min_word: int = 6, left: int = 3,
                 right: int = 3, exceptions: tuple[str, ...] = ()) -> None:
        """`exceptions`: words with their break points marked by "-" ("Berdi-mu-ha-medov"), which
        break there and only there, names included (as TeX's \\hyphenation)."""
        self.dictionary = _dictionary(language, left, right)
        self.never = frozenset(word.lower() for word in never)
        self.min_word = min_word
        self.exceptions = {word.replace("-", ""): word.replace("-", SOFT_HYPHEN) for word in exceptions}

    def __call__(self, text: str, final: bool = False) -> str:
        """The text with soft hyphens; `final`: it ends a paragraph, whose last word is never broken
        (a paragraph must not end on the fragment of a word)."""
        if self.dictionary is None and not self.exceptions:
            return text
        hyphenated = WORD.sub(self._word, text)
        if final:
            last = list(WORD.finditer(text))
            if last:
                tail = text[last[-1].start():]
                hyphenated = WORD.sub(self._word, text[:last[-1].start()]) + tail
        return hyphenated

    def _word(self, match: re.Match[str]) -> str:
        word, text = match.group(0), match.string
        # A part of a hyphenated compound breaks only at its hyphen ("Japanese-lan-guage" is not).
        before, after = text[match.start() - 1:match.start()], text[match.end():match.end() + 1]
        compound = bool(before) and before in "-‐" or bool(after) and after in "-‐"
        # A word in an address or a file name never gets a hyphen that is not in it ("exam-ple.org").
        start = max(text.rfind(" ", 0, match.start()), text.rfind("\n", 0, match.start())) + 1
        end = min((i for i in (text.find(" ", match.end()), text.find("\n", match.end())) if i >= 0), default=len(text))
        if MACHINE.search(text[start:end]):
            return word
        if word in self.exceptions:
            return self.exceptions[word]
        if self.dictionary is None:
            return word
        if len(word) < self.min_word or not word[0].islower() or word.lower() in self.never or compound:
            return word
        return str(self.dictionary.inserted(word, hyphen=SOFT_HYPHEN))


@lru_cache(maxsize=16)
def _dictionary(language: str, left: int, right: int) -> object | None:
    import pyphen

    tag = language.replace("-", "_")
    # A bare language means its most used variety: "en" is American English (pyphen's "en" is British).
    default = {"en": "en_US", "de": "de_DE", "pt": "pt_PT"}.get(tag, tag)
    for candidate in (default, tag, tag.split("_")[0]):
        if candidate and candidate in pyphen.LANGUAGES:
            return pyphen.Pyphen(lang=candidate, left=left, right=right)
    return None
