"""Editorial checks on the real report: its reader-visible text carries no working notes and
keeps the house style.

The research behind the report uses a working vocabulary ("placeholder date", "stored copy",
"excerpt", "(inference)", "single non-official source" ...). None of it may reach a reader. These
tests read the text of every output the way a reader gets it (PDF text, EPUB XHTML and package
metadata, web pages, the citation exports) and fail with the output file and the offending
sentence. The same scan holds the house style for dashes and dates (a spaced hyphen is never a
dash; month names are never abbreviated). The report is built once per session by the
``real_built`` fixture (tests/conftest.py); nothing here builds again.
"""

from __future__ import annotations

import html
import re
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.conftest import CONTENT

# Phrases from the research notes that must never be printed. (pattern, why)
WORKING_NOTES: list[tuple[str, str]] = [
    (r"place-?holder", "placeholder (a guessed date or text)"),
    (r"research\s+file", "points to the research file"),
    (r"stored\s+(?:web\s+)?cop(?:y|ies)", "how the research was read"),
    (r"fact\s+sheet", "points to the fact sheet"),
    (r"\bexcerpts?\b", "how the research was read"),
    (r"not\s+visible", "how the research was read"),
    (r"not\s+named\s+in\b", "how the research was read"),
    (r"\b(?:un)?readable\b", "how the research was read"),
    (r"\bcompiler\b", "the research compiler"),
    (r"(?-i:\b(?:TODO|TBD|TK|FIXME|XXX)\b)", "an unfinished-work marker"),
    (r"\blorem\s+ipsum\b|\blorem\b", "filler text"),
    (r"\[\s*citation needed\s*\]", "an unfinished-work marker"),
    (r"\(\s*inference\s*\)", "a research label"),
    (r"\((?:single non-?official source|academic source|analysis)\)", "a research label"),
    (r"\bsingle,?\s+non-?official\b", "the research label 'single non-official source'"),
    (r"\bnon-?official\s+source", "the research label 'non-official source'"),
    (r"(?-i:\bCONFLICT\b)", "a research label"),
    (r"approximate\s+date", "a guessed date"),
    (r"date\s+inferred|inferred\s+date", "a guessed date"),
    (r"undated\s+page", "a research note on dating"),
    (r"exact\s+(?:day|date)\s+not\s+(?:shown|given)", "a research note on dating"),
    (r"year\s+(?:of\s+publication\s+)?only", "a research note on dating"),
    (r"\bDate\s*=", "a research note on dating"),
    (r"\bsources\s+read\b", "research-file wording"),
    # A bibliography date of 1 January is the research's stand-in for an undated source.
    (r"\.\s+1\s+January\s+(?:19|20)\d\d\.", "a stand-in date (1 January) in a reference"),
]
# The house style (the glossary's and the bibliography's comments say the same): a break in a
# sentence is a spaced en dash and a relation or range a closed one, never a spaced hyphen or an
# em dash; months are spelled out ("7 September 2016", never "7 Sept 2016" or "Feb 2013").
MONTH = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
HOUSE_STYLE: list[tuple[str, str]] = [
    # (not a RIS tag's separator, "TY  - RPRT", nor the EPUB accessibility conformance identifier,
    # "EPUB Accessibility 1.1 - WCAG 2.1 Level AA", which are fixed formats)
    (r"(?-i:(?<![A-Z][A-Z0-9])(?<=\w) - (?=\w)(?!WCAG\b))", "a spaced hyphen used as a dash (house style: en dash)"),
    (r"\u2014", "an em dash (house style: en dash)"),
    (rf"(?-i:\b\d{{1,2}}\s+{MONTH}\.?\s+\d{{4}}\b|\b{MONTH}\.?\s+\d{{4}}\b)", "an abbreviated month"),
]
PATTERNS = [(re.compile(p, re.I), why) for p, why in WORKING_NOTES + HOUSE_STYLE]


class _Text(HTMLParser):
    """Reader-visible text of an (X)HTML or SVG page: text nodes plus alt, title and aria-label."""

    SKIP = {"script", "style"}
    ATTRIBUTES = ("alt", "title", "aria-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        values = dict(attrs)
        self.parts.extend(f" {values[a]} " for a in self.ATTRIBUTES if values.get(a))
        if tag == "meta" and values.get("name") == "description" and values.get("content"):
            self.parts.append(f" {values['content']} ")
        # Block boundaries become spaces so words of adjacent cells never run together.
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def markup_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return normalise(html.unescape("".join(parser.parts)))


def normalise(text: str) -> str:
    text = text.replace("\u00ad", "")
    # Words the PDF hyphenated at a line end (U+2010) are joined again.
    text = re.sub(r"(\w)\u2010\s*\n\s*(\w)", r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip()


def pdf_pages(path: Path) -> list[str]:
    raw = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return [normalise(page) for page in raw.split("\f")]


def sentence_at(text: str, start: int, end: int) -> str:
    left = max(text.rfind(". ", 0, start), text.rfind("? ", 0, start), text.rfind("! ", 0, start))
    left = 0 if left < 0 else left + 2
    right = min((i for i in (text.find(". ", end), text.find("? ", end), text.find("! ", end)) if i >= 0),
                default=len(text))
    sentence = text[max(left, start - 240):min(right + 1, end + 240)]
    return sentence.strip()


def findings(where: str, text: str) -> list[str]:
    found = []
    for pattern, why in PATTERNS:
        for match in pattern.finditer(text):
            found.append(f"{where}: [{why}] …{sentence_at(text, match.start(), match.end())}…")
    return found


def outputs(built) -> dict[str, list[tuple[str, str]]]:
    """Every output's reader-visible text as (where, text) pairs, by kind."""
    pdfs = {}
    for suffix in ("-screen.pdf", "-print.pdf"):
        path = built.file(suffix)
        pdfs[suffix] = [(f"{path.name} p. {n}", text) for n, text in enumerate(pdf_pages(path), 1) if text]
    epub = built.file(".epub")
    with zipfile.ZipFile(epub) as book:
        chapters = [(f"{epub.name}:{name}", markup_text(book.read(name).decode("utf-8")))
                    for name in sorted(book.namelist()) if name.endswith((".xhtml", ".svg"))]
        # The package metadata and the EPUB 2 table of contents are shown by reading systems too.
        chapters += [(f"{epub.name}:{name}", markup_text(book.read(name).decode("utf-8")))
                     for name in sorted(book.namelist()) if name.endswith((".opf", ".ncx"))]
    assert any(name.endswith("nav.xhtml") for name, _ in chapters)
    assert any(name.endswith(".opf") for name, _ in chapters)
    pages = [built.out / "index.html", *sorted((built.out / "read").glob("*.html"))]
    assert len(pages) > 10, pages
    web = [(str(p.relative_to(built.out)), markup_text(p.read_text(encoding="utf-8"))) for p in pages]
    exports = sorted(p for p in (built.out / "cite").iterdir() if p.suffix in (".bib", ".ris"))
    assert {p.suffix for p in exports} == {".bib", ".ris"}, exports
    cite = [(str(p.relative_to(built.out)), normalise(p.read_text(encoding="utf-8"))) for p in exports]
    return {"screen PDF": pdfs["-screen.pdf"], "print PDF": pdfs["-print.pdf"], "EPUB": chapters, "web": web,
            "citation exports": cite}


@pytest.fixture(scope="module")
def texts(real_built):
    return outputs(real_built)


@pytest.mark.parametrize("kind", ["screen PDF", "print PDF", "EPUB", "web", "citation exports"])
def test_no_working_notes_in_reader_text(texts, kind):
    assert texts[kind], kind
    problems = [line for where, text in texts[kind] for line in findings(where, text)]
    assert not problems, f"{len(problems)} working note(s) in the {kind}:\n" + "\n".join(problems)


def test_the_checks_see_the_bibliography_and_tables(texts):
    # Guard against an extractor that silently reads nothing: the bibliography, a table's
    # source column and a figure caption must all be in every kind of output.
    for kind, items in texts.items():
        joined = " ".join(text for _, text in items)
        if kind == "citation exports":
            assert "Policy Files" in joined and "Tokyo Declaration" in joined, kind
            continue
        assert "Bibliography" in joined and "Anadolu Agency" in joined, kind
        assert re.search(r"Table \d", joined) and re.search(r"Figure \d", joined), kind


def test_the_patterns_catch_the_old_notes():
    for note in ("1 January 2010. Undated page; placeholder date.", "Compiled from the research file.",
                 "Publication date not shown in the excerpt", "Date not visible",
                 "wire-style report, agency not named in excerpt", "only the opening part was readable",
                 "Secondary copy; stored copy", "(single non-official source)", "(inference)",
                 "TODO", "[citation needed]", "the fact sheet says", "Amount TK.", "Lorem ipsum dolor sit amet",
                 "Russia - Islamic World", "a break — like this", "Signed 7 Sept 2016", "Feb 2013", "28 Aug 2004"):
        assert findings("sample", note), note
    for fine in ("Publisher not identified.", "In Japanese.", "This is our inference.", "todo list",
                 "On 1 January 2017 the waiver took effect.", "Russia – Islamic World", "19–20 December",
                 "Japan–Central Asia", "7 September 2016", "In Turkmen.", "a talk (TKO)", "May 2019",
                 "2025-12-20", "-screen.pdf", "TY - RPRT T2 - What", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"):
        assert not findings("sample", fine), fine


def test_the_scan_fails_on_a_planted_note(real_built, tmp_path):
    # The whole chain (extraction and patterns) can fail: a copy of the real outputs with one
    # working note planted in a web page and one in a citation export is reported in both places.
    import shutil

    copy = tmp_path / "dist"
    shutil.copytree(real_built.out, copy, ignore=shutil.ignore_patterns("*.pdf", ".build"))
    page = copy / "read" / "bibliography.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Anadolu Agency", "Anadolu Agency (date not visible)", 1),
                    encoding="utf-8")
    bib = next((copy / "cite").glob("*.bib"))
    bib.write_text(bib.read_text(encoding="utf-8").replace("note = {", "note = {placeholder date; ", 1),
                   encoding="utf-8")
    for pdf in real_built.out.glob("*.pdf"):  # outputs() reads both editions: link, do not copy
        (copy / pdf.name).symlink_to(pdf)
    built = type(real_built)(real_built.content, copy, real_built.report)
    texts = outputs(built)
    web = [line for where, text in texts["web"] for line in findings(where, text)]
    cite = [line for where, text in texts["citation exports"] for line in findings(where, text)]
    assert any("bibliography.html" in line and "not visible" in line for line in web), web
    assert any(".bib" in line and "placeholder" in line for line in cite), cite


# The bibliography may print only a date the source gives: never the research's stand-in for an
# undated page, and never a day it only estimated.
RESEARCH = Path(__file__).resolve().parents[2] / "shared" / "research" / "sources.yaml"
GUESSED = re.compile(r"placeholder|approximate|inferred|undated|date = |year only|year of publication only|"
                     r"exact day not shown|not shown in the excerpt", re.I)


def test_reference_dates_are_never_guessed():
    if not RESEARCH.exists():
        pytest.skip("the shared research folder is not beside the project")
    research = {s["key"]: s for s in yaml.safe_load(RESEARCH.read_text(encoding="utf-8"))}
    problems = []
    for ref in yaml.safe_load((CONTENT / "references.yaml").read_text(encoding="utf-8")):
        source = research[ref["key"]]
        date, known = str(ref.get("date") or ""), str(source.get("date") or "")
        note = str(source.get("note") or "")
        if date and not known.startswith(date):
            problems.append(f"{ref['key']}: {date} is not the research date {known or '(none)'}")
        elif date and GUESSED.search(note) and len(date) == 10:
            problems.append(f"{ref['key']}: prints the day {date}, which the research marks as guessed ({note})")
        elif date and re.search(r"placeholder|undated", note, re.I):
            problems.append(f"{ref['key']}: prints {date}, but the source is undated ({note})")
    assert not problems, "\n".join(problems)


# Capitalised names that are not abbreviations for a reader to look up: companies and a news site
# that call themselves so (NEC, NTT Docomo, ITOCHU, ERG, DID Press).
NAMES_IN_CAPITALS = {"NEC", "NTT", "ITOCHU", "ERG", "DID"}
ABBREVIATION = re.compile(r"(?<![\w@:/.-])([A-Z][A-Z0-9]*[A-Z0-9](?:[+-][A-Z0-9]+)*)s?(?![\w’'-])")


def main_text(page: Path) -> str:
    """The text of a web page's <main> element (not its navigation, header or footer)."""
    markup = page.read_text(encoding="utf-8")
    start, end = markup.find("<main"), markup.find("</main>")
    assert 0 <= start < end, page
    # The publisher's own words (a chart's "Download the data (CSV)") are not the author's text.
    main = re.sub(r'<p class="figure-download">.*?</p>', "", markup[start:end], flags=re.S)
    return markup_text(main)


def test_every_abbreviation_in_the_text_is_in_the_glossary(real_built):
    # The reader's text: every chapter and front-matter page of the web edition (the bibliography,
    # whose titles are given as published, and the glossary itself are not the text).
    glossary = {term.abbr.removesuffix("s") for term in real_built.report.glossary}
    pages = [p for p in sorted((real_built.out / "read").glob("*.html"))
             if p.stem not in ("bibliography", "glossary", "index")]
    assert len(pages) >= 10, pages
    missing: dict[str, str] = {}
    for page in pages:
        for match in ABBREVIATION.finditer(main_text(page)):
            abbr = match.group(1)
            if abbr not in glossary and abbr not in NAMES_IN_CAPITALS:
                missing.setdefault(abbr, page.name)
    assert not missing, "abbreviations used but not in glossary.yaml: " + ", ".join(
        f"{abbr} ({where})" for abbr, where in sorted(missing.items()))


def test_the_glossary_is_alphabetical_and_uniform(real_built):
    terms = real_built.report.glossary
    keys = [term.abbr.casefold() for term in terms]
    assert keys == sorted(keys), keys
    for term in terms:
        # Every entry reads "Expansion. Definition." – the same punctuation throughout.
        assert term.definition.strip(), f"{term.abbr}: no definition"
        assert term.definition.rstrip().endswith("."), f"{term.abbr}: the definition does not end with a full stop"
        assert not term.expansion.rstrip().endswith((".", ";", ",")), f"{term.abbr}: punctuation after the expansion"
        assert term.expansion[:1].isupper() and term.definition[:1].isupper(), term.abbr


def test_the_abbreviation_pattern():
    text = "The FMMs and the SOM met; CA+JAD, COVID-19 and the SDG Centre; not Nuclear-Weapon-Free or A."
    assert [m.group(1) for m in ABBREVIATION.finditer(text)] == ["FMM", "SOM", "CA+JAD", "COVID-19", "SDG"]
