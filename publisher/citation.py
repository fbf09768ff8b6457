"""How to cite the report: plain text, BibTeX and RIS, all from the same metadata.

The metadata is the content's, so it is untrusted: every value is escaped for its format, so that
no title or name can close a field, add one, or start another record.
"""

from __future__ import annotations

import re
import unicodedata

from .language import Language, language
from .model import Report
from .typography import full_stop

# LaTeX specials. Braces become commands with balanced braces: BibTeX counts `\{` as an opening
# brace like any other, so `\{` alone would still end (or extend) the field.
_BIBTEX = str.maketrans({
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "%": r"\%", "&": r"\&", "$": r"\$", "#": r"\#", "_": r"\_",
    "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
})
# What may stand in a URL as it is (RFC 3986: unreserved, reserved and `%`); anything else, braces
# and backslashes included, is percent-encoded.
_URL_SAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")


def one_line(value: str) -> str:
    """value on one line: every control, line- or paragraph-break character (CR, LF, U+0085,
    U+2028, U+2029, …) becomes a space, runs of white space become one space, ends are trimmed."""
    spaced = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in value)
    return " ".join(spaced.split())


def bibtex_text(value: str) -> str:
    """A value for a brace-delimited BibTeX field: on one line, braces balanced, LaTeX specials
    (`\\ { } % & $ # _ ^ ~`) written as commands or escapes that print them."""
    return one_line(value).translate(_BIBTEX)


def bibtex_url(value: str) -> str:
    """A URL for BibTeX's `url` field (read verbatim): on one line, with every character that may
    not stand in a URL (braces, backslash, quotes, spaces, …) percent-encoded."""
    return _URL_SAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), one_line(value))


def ris_text(value: str) -> str:
    """A value for an RIS line `XX  - value`: on one line, so that it cannot start another tag."""
    return one_line(value)


def _authors(report: Report) -> list[str]:
    return [a.name for a in report.meta.authors if a.role == "author"] or [report.meta.publisher.name]


def full_title(title: str, subtitle: str, written: Language) -> str:
    """A title and its subtitle as one, joined as the language joins them ("Title: subtitle";
    "題：副題" in Japanese; "Why Asia? A study" after a question or exclamation mark)."""
    if not subtitle:
        return title
    if title.rstrip()[-1:] in "?!？！":  # a title that asks or exclaims takes no colon after its mark
        return f"{title.rstrip()} {subtitle}"
    # Translators: a title and its subtitle as one (in a citation, the imprint).
    return written.pgettext("title and subtitle", "%(title)s: %(subtitle)s") % {"title": title, "subtitle": subtitle}


def plain_citation(report: Report) -> str:
    """The suggested citation as one line of text: authors. Title: subtitle. Edition N. Publisher,
    date. Where to find it (the report's `url`, else its URN)."""
    meta = report.meta
    written = language(meta.language)
    title = full_title(meta.title, meta.subtitle, written)
    edition = written.gettext("Edition %(number)s") % {"number": meta.edition.number,
                                                       "ordinal": written.ordinal(meta.edition.number)}
    when = full_stop(written.date(meta.edition.date))  # a date may end with an abbreviation ("2 марта 2026 г.")
    # Where to find it: the report's page if it has one, else its identifier.
    return (f"{full_stop('; '.join(_authors(report)))} {full_stop(title)} {full_stop(edition)} "
            f"{meta.publisher.name}, {when} {meta.url or meta.urn}.")


def bibtex(report: Report) -> str:
    """One `@techreport` record; every value escaped (bibtex_text, bibtex_url)."""
    meta = report.meta
    key = re.sub(r"[^A-Za-z0-9_]", "_", meta.id) + f"_ed{meta.edition.number}"
    fields = [
        ("title", bibtex_text(meta.title.replace('"', "''"))),
        ("subtitle", bibtex_text(meta.subtitle)),
        ("author", " and ".join("{" + bibtex_text(a) + "}" for a in _authors(report))),
        ("institution", bibtex_text(meta.publisher.name)),
        ("year", bibtex_text(meta.edition.date[:4])),
        ("month", bibtex_text(meta.edition.date[5:7])),
        ("edition", str(meta.edition.number)),
        ("url", bibtex_url(meta.url or meta.publisher.url)),
        ("note", bibtex_text(meta.urn)),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@techreport{{{key},\n{body}\n}}\n"


def ris(report: Report) -> str:
    """One RIS record (`TY  - RPRT` … `ER  - `); every value on one line (ris_text)."""
    meta = report.meta
    lines = [("TY", "RPRT"), ("TI", meta.title)]
    if meta.subtitle:
        lines.append(("T2", meta.subtitle))
    lines += [("AU", name) for name in _authors(report)]
    lines += [("PB", meta.publisher.name), ("PY", meta.edition.date[:4]), ("DA", meta.edition.date.replace("-", "/")),
              ("ET", str(meta.edition.number)), ("LA", meta.language), ("M3", meta.urn)]
    if meta.url or meta.publisher.url:
        lines.append(("UR", meta.url or meta.publisher.url))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {ris_text(value)}\n" for tag, value in lines)
