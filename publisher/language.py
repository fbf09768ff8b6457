"""A report's language: the publisher's own words in it, from the message catalogues
(catalogue.py), and how it writes dates, numbers, file sizes, ordinals and the names of
languages, from CLDR (Babel).

`language(tag)` gives the `Language` of a BCP 47 tag, cached. CLDR's long date form is used
for full dates ("2 марта 2026 г.", "2026年3月2日") and its year-and-month skeleton for partial
ones. English without a region writes as British publishing does, the project's house style
("2 March 2026"; `en-US` gives "March 2, 2026"). A language CLDR does not know is written with
English conventions.
"""

from __future__ import annotations

import gettext as _gettext
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError

from .catalogue import translations
from .typography import QUOTES

CLDR_DEFAULTS = {"en": "en_GB"}  # a bare tag → the CLDR locale whose conventions it follows


@dataclass(frozen=True)
class Language:
    """The words and conventions of one language (`tag`: BCP 47, as the report gives it)."""

    tag: str
    locale: Locale = field(compare=False, repr=False)
    messages: _gettext.NullTranslations = field(compare=False, repr=False)

    @property
    def code(self) -> str:
        """The primary language subtag, lower case: `kk` for `kk-Cyrl-KZ`."""
        return self.tag.split("-")[0].lower()

    # --- the publisher's words (catalogue.py) ------------------------------------------------
    def gettext(self, message: str) -> str:
        """`message` (English, as the templates and the code give it) in this language."""
        return self.messages.gettext(message)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        """The form of a message for `number` (CLDR's plural rules, in the catalogue's header)."""
        return self.messages.ngettext(singular, plural, number)

    def pgettext(self, context: str, message: str) -> str:
        """A message whose translation depends on `context` ("Edition" as a heading or a field)."""
        return self.messages.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, number: int) -> str:
        return self.messages.npgettext(context, singular, plural, number)

    # --- CLDR --------------------------------------------------------------------------------
    def date(self, value: str) -> str:
        """A date as the language writes it: YYYY-MM-DD in CLDR's long form ("2 March 2026"),
        YYYY-MM as month and year ("March 2026", "март 2026 г."), YYYY as the year alone."""
        from babel.dates import format_date, format_skeleton

        parts = [int(p) for p in str(value).split("-")]
        if len(parts) == 3:
            return format_date(date(*parts), "long", locale=self.locale)
        if len(parts) == 2:
            return format_skeleton("yMMMM", date(parts[0], parts[1], 1), locale=self.locale)
        return str(parts[0])

    def number(self, value: float, decimals: int | None = None) -> str:
        """A number with the language's separators ("12.3", "12,3"); `decimals` fixes the digits
        after the point."""
        from babel.numbers import format_decimal

        pattern = None if decimals is None else "#,##0." + "0" * decimals if decimals else "#,##0"
        return format_decimal(value, format=pattern, locale=self.locale)

    def vega_locale(self) -> dict[str, Any]:
        """How a chart writes numbers and dates in this language: Vega's `config.locale`, a
        d3-format locale (`number`) and a d3-time-format locale (`time`), both from CLDR.

        `number`: the decimal mark, group separator and minus sign of CLDR's number symbols, the
        group sizes of its decimal pattern and how its percent pattern ends ("45\u00a0%"):
        "12 345,5" in Russian and Kazakh, "12,345.5" in Japanese; India's 3-then-2 groups
        repeated as d3 wants them. `time`: the month and weekday names in their stand-alone forms,
        the day periods, and CLDR's short date, medium time and medium date-time patterns
        rewritten as d3 directives (`dd.MM.y` → `%d.%m.%Y`).
        Limits of d3 (Vega): the digits are always Latin; CLDR's minimum grouping digits (Spanish
        "1000" but "10 000") are not kept; and an axis of dates orders day and month by Vega's
        own patterns ("янв. 07"), with the language's names."""
        from babel import numbers

        primary, secondary = self.locale.decimal_formats[None].grouping
        grouping = [primary] if primary == secondary else [primary] + [secondary] * 10
        number = {"decimal": numbers.get_decimal_symbol(self.locale),
                  "thousands": numbers.get_group_symbol(self.locale),
                  "grouping": grouping if primary < 100 else [100],  # a pattern without groups
                  "currency": ["", ""], "minus": numbers.get_minus_sign_symbol(self.locale),
                  "percent": _percent_suffix(self.locale)}
        names = self.locale.months["stand-alone"], self.locale.days["stand-alone"]
        sunday_first = [6, 0, 1, 2, 3, 4, 5]  # CLDR counts the days from Monday, d3 from Sunday
        periods = self.locale.day_periods.get("format", {})
        am_pm = [next((periods.get(width, {}).get(period) for width in ("abbreviated", "wide", "narrow")
                       if periods.get(width, {}).get(period)), period.upper()) for period in ("am", "pm")]
        both = str(self.locale.datetime_formats["medium"])
        time = {"dateTime": _unquoted(both).replace("{1}", "%x").replace("{0}", "%X"),
                "date": _d3_time(self.locale.date_formats["short"].pattern),
                "time": _d3_time(self.locale.time_formats["medium"].pattern),
                "periods": am_pm,
                "days": [names[1]["wide"][i] for i in sunday_first],
                "shortDays": [names[1]["abbreviated"][i] for i in sunday_first],
                "months": [names[0]["wide"][i] for i in range(1, 13)],
                "shortMonths": [names[0]["abbreviated"][i] for i in range(1, 13)]}
        return {"number": number, "time": time}

    def data_number(self, value: float) -> str:
        """A value of a report's data as the language writes it, with every decimal it has and
        no more ("12 345,5", "0,00001", "1,500"): CLDR's separators, the digits as given."""
        from decimal import Decimal

        whole = isinstance(value, int) or float(value).is_integer()
        decimals = 0 if whole else max(0, -int(Decimal(repr(float(value))).as_tuple().exponent))
        return self.number(int(value) if decimals == 0 else value, decimals)

    def size(self, size: int) -> str:
        """A file size in bytes as people read it ("812 bytes", "12.3 KB", "4.1 MB"; 1 KB = 1024
        bytes): the number by CLDR, the unit from the catalogue."""
        if size < 1024:
            return self.ngettext("%(number)s byte", "%(number)s bytes", size) % {"number": self.number(size)}
        if size < 1024 * 1024:
            return self.gettext("%(number)s KB") % {"number": self.number(size / 1024, 1)}
        return self.gettext("%(number)s MB") % {"number": self.number(size / 1024 / 1024, 1)}

    def ordinal(self, number: int) -> str:
        """`number` as an ordinal numeral ("1st", "22nd", "3-е", "第3"): CLDR's ordinal plural
        category of the number (one, two, few, many, other) chooses the catalogue's form."""
        category = self.locale.ordinal_form(number)
        forms = {
            "zero": self.pgettext("ordinal, CLDR category zero", "%(number)sth"),
            "one": self.pgettext("ordinal, CLDR category one", "%(number)sst"),
            "two": self.pgettext("ordinal, CLDR category two", "%(number)snd"),
            "few": self.pgettext("ordinal, CLDR category few", "%(number)srd"),
            "many": self.pgettext("ordinal, CLDR category many", "%(number)sth"),
            "other": self.pgettext("ordinal, CLDR category other", "%(number)sth"),
        }
        return forms.get(category, forms["other"]) % {"number": number}

    def name(self, tag: str) -> str:
        """The name of language `tag` in this language, as CLDR gives it ("Russian", "русский",
        "ロシア語"); the tag itself for a language CLDR does not name."""
        try:
            named = Locale.parse(tag.replace("-", "_").split("_")[0]).get_language_name(self.locale)
        except (UnknownLocaleError, ValueError):
            return tag
        return named or tag

    def tie_date(self, text: str) -> str:
        """A written date held together where it must not break: the day and the month, and a
        year and its abbreviation ("20\u00a0December", "2026\u00a0г.")."""
        text = text.replace(" ", "\u00a0", 1)
        return re.sub(r"(\d) (?=\w{1,3}\.)", "\\1\u00a0", text)


# CLDR date field (its letters) → d3-time-format directive (d3-time-format's README).
_D3_FIELDS = {"y": "%Y", "yyyy": "%Y", "yy": "%y", "M": "%-m", "MM": "%m", "MMM": "%b", "MMMM": "%B",
              "L": "%-m", "LL": "%m", "LLL": "%b", "LLLL": "%B", "d": "%-d", "dd": "%d",
              "E": "%a", "EE": "%a", "EEE": "%a", "EEEE": "%A", "c": "%a", "ccc": "%a", "cccc": "%A",
              "H": "%-H", "HH": "%H", "h": "%-I", "hh": "%I", "m": "%-M", "mm": "%M",
              "s": "%-S", "ss": "%S", "a": "%p", "b": "%p", "B": "%p"}


def _percent_suffix(locale: Locale) -> str:
    """What follows a percentage in CLDR's percent pattern ("%" in English, "\u00a0%" in Russian
    and Kazakh); the bare sign for a pattern that puts it first (d3 only appends it)."""
    pattern = str(locale.percent_formats[None].pattern).split(";")[0]
    tail = pattern[len(pattern.rstrip("%\u00a0\u202f ")):]
    return tail if tail.endswith("%") else "%"


def _unquoted(pattern: str) -> str:
    """A CLDR pattern's literal text as it prints ('at' → at, '' → ')."""
    return re.sub(r"'([^']*)'", lambda m: m.group(1) or "'", pattern)


def _d3_time(pattern: str) -> str:
    """A CLDR date or time pattern (`dd.MM.y`, `H:mm:ss`) as a d3-time-format specifier
    (`%d.%m.%Y`, `%-H:%M:%S`); a field d3 has no directive for (an era) is left out."""
    from babel.dates import parse_pattern

    def field(match: re.Match[str]) -> str:
        return _D3_FIELDS.get(match.group(1), "")

    return re.sub(r"%\((\w+)\)s", field, parse_pattern(pattern).format).strip()


def language(tag: str) -> Language:
    """The Language of a BCP 47 tag (`ru`, `kk-KZ`, `en-US`): its catalogue (read again each time,
    compiled once per content: an edited catalogue is seen by the next build) and CLDR locale."""
    return Language(tag, _locale(tag), translations(tag))


@lru_cache(maxsize=32)
def _locale(tag: str) -> Locale:
    primary = tag.replace("_", "-").split("-")[0].lower()
    cldr = CLDR_DEFAULTS.get(tag.lower(), tag.replace("-", "_"))
    locale = None
    for candidate in (cldr, primary):
        try:
            locale = Locale.parse(candidate)
            break
        except (UnknownLocaleError, ValueError):
            continue
    return locale or Locale.parse("en_GB")


def cross_label(words: Language, kind: str, number: object, title: str = "") -> str:
    """How a cross-reference to a chapter, section, figure or table reads in running text, in the
    report's language ("Figure 3"; "рис. 3": a form that fits any grammatical case); a section
    without a number is its title in quotes. A label and its number are never parted at a line
    end ("Chapter / 7"): their spaces are no-break spaces."""
    if kind == "sec" and not number:
        marks = QUOTES.get(words.code, QUOTES["en"])
        return f"{marks[0]}{title}{marks[1]}"
    messages = {"ch": words.pgettext("cross-reference", "Chapter %(number)s"),
                "sec": words.pgettext("cross-reference", "Section %(number)s"),
                "fig": words.pgettext("cross-reference", "Figure %(number)s"),
                "tbl": words.pgettext("cross-reference", "Table %(number)s")}
    return (messages[kind] % {"number": number}).replace(" ", "\u00a0")


def language_name(tag: str, within: str = "en") -> str:
    """`en-GB` → `English`: the name of a language in the language `within`, capitalised as a
    value on its own ("Русский")."""
    name = language(within).name(tag)
    return name[:1].upper() + name[1:]
