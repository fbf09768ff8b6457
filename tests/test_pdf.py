"""The PDF editions, read back with qpdf, poppler and pikepdf."""

from __future__ import annotations

import re
import subprocess

import pikepdf
import pytest

from tests.pdfcheck import fonts, outline, page_of, page_texts, run, structure_tags


@pytest.fixture(scope="module")
def screen(fixture_built):
    return fixture_built.file("-screen.pdf")


@pytest.fixture(scope="module")
def texts(screen):
    return page_texts(screen)


def test_file_names_carry_the_edition(fixture_built):
    names = sorted(p.name for p in fixture_built.out.glob("*.pdf"))
    assert names == ["river-basin-note-ed2-cover.pdf", "river-basin-note-ed2-print.pdf",
                     "river-basin-note-ed2-screen.pdf"]


def test_metadata_comes_from_the_content(screen, fixture_built):
    info = run("pdfinfo", str(screen))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 10 <= pages <= 20  # cover, title, imprint, contents, lists, front matter, 3 chapters, back matter
    assert pages == len(page_texts(screen))
    assert "Title:           Water Sharing in the Aral Basin" in info
    assert "Author:          Ada Fixture, Ben Editor" in info
    assert "Keywords:        water, basin, testing" in info
    assert "CreationDate:    Sun Feb  1 00:00:00 2026 UTC" in info
    assert "ModDate:         Sun Mar 15 00:00:00 2026 UTC" in info
    assert "Tagged:          yes" in info


def test_qpdf_finds_no_problems(fixture_built):
    for pdf in fixture_built.out.glob("*.pdf"):
        result = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors found" in result.stdout


def test_fonts_are_bundled_embedded_and_subset(screen):
    rows = fonts(screen)
    assert rows
    assert {r["emb"] for r in rows} == {"yes"} and {r["sub"] for r in rows} == {"yes"}
    names = [re.sub(r"^[A-Z]{6}\+", "", r["name"]) for r in rows]
    assert all(n.startswith(("Charis-SIL", "Inter")) for n in names), names


def _pdf_fonts(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Dictionary]:
    return {str(font.BaseFont): font for page in pdf.pages
            for font in page.obj.Resources.get("/Font", {}).values()}


def _to_unicode(font: pikepdf.Dictionary) -> dict[int, str]:
    data = font.ToUnicode.read_bytes().decode("latin-1")
    return {int(glyph, 16): bytes.fromhex(text).decode("utf-16-be")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S)
            for glyph, text in re.findall(r"<([0-9a-f]+)>\s*<([0-9a-f]*)>", block)}


def _drawn_glyphs(pdf: pikepdf.Pdf) -> dict[str, set[int]]:
    """The glyph ids each font draws in the pages' content (two bytes each, Identity-H)."""
    drawn: dict[str, set[int]] = {}
    for page in pdf.pages:
        names = {str(k): str(v.BaseFont) for k, v in page.obj.Resources.get("/Font", {}).items()}
        current = None
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "Tf":
                current = names[str(operands[0])]
            elif str(operator) in ("Tj", "TJ"):
                strings = operands[0] if str(operator) == "TJ" else operands
                for item in strings:
                    if isinstance(item, pikepdf.String):
                        raw = bytes(item)
                        drawn.setdefault(current, set()).update(
                            int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2))
    return drawn


def test_every_glyph_drawn_maps_to_its_text(fixture_built):
    """PDF/UA (and copying, searching, reading aloud): each glyph on a page has Unicode text in
    its font's ToUnicode map, ligatures and contextual forms too ("fi" → f, i)."""
    for edition in ("-screen.pdf", "-print.pdf"):
        with pikepdf.open(fixture_built.file(edition)) as pdf:
            fonts, drawn = _pdf_fonts(pdf), _drawn_glyphs(pdf)
            maps = {name: _to_unicode(font) for name, font in fonts.items()}
            for name, glyphs in drawn.items():
                assert glyphs <= set(maps[name]), (edition, name, glyphs - set(maps[name]))
                assert all(maps[name][g] for g in glyphs)
            assert any(len(text) > 1 for m in maps.values() for text in m.values()), "no ligature drawn"


def test_fonts_are_cut_by_the_publisher(screen, fixture_built):
    """The embedded fonts are the bundled ones cut by fontTools here (`subset_glyphs`), never by
    the system's hb-subset: the same bytes on every machine, and no layout tables. Each keeps the
    glyphs drawn and those of the edition's characters (`shared_glyphs`: one cut for all parts)."""
    import io

    from fontTools.ttLib import TTFont

    from publisher.formats import FONTS
    from publisher.fonts import shared_glyphs, subset_glyphs
    from publisher.pdf import edition_characters, render_html
    from publisher.templates import make_env

    text = edition_characters(render_html(fixture_built.report, make_env(), "screen"), "screen")

    bundled = {}
    for path in FONTS.glob("*.[ot]tf"):
        with TTFont(str(path), lazy=True) as font:
            bundled[font["name"].getDebugName(4)] = path
    with pikepdf.open(screen) as pdf:
        for name, font in _pdf_fonts(pdf).items():
            descriptor = font.DescendantFonts[0].FontDescriptor
            embedded = (descriptor.get("/FontFile2") or descriptor.get("/FontFile3")).read_bytes()
            with TTFont(io.BytesIO(embedded)) as cut:
                full_name = cut["name"].getDebugName(4)
                assert not {"GSUB", "GPOS", "GDEF"} & set(cut.keys()), name
            data = bundled[full_name].read_bytes()
            expected = subset_glyphs(data, set(_to_unicode(font)) | shared_glyphs(data, 0, text))
            assert embedded == expected, name


def test_pdf_ua_structure(screen):
    with pikepdf.open(screen) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        assert "pdfuaid:part" in str(pdf.open_metadata())
    tags = structure_tags(screen)
    assert "Figure-no-alt" not in tags
    assert tags.count("Figure-alt") == 3
    # H1: Contents, lists of figures and tables, Introduction, summary, 3 chapters, bibliography, glossary.
    assert tags.count("H1") == 10


def test_text_covers_every_part(texts):
    joined = "\n".join(texts)
    for expected in ("How to cite this report", "Contents", "List of figures",
                     "Executive summary", "Context of the Basin", "Bibliography", "Glossary",
                     "Oʻzbekiston", "Кыргызстан", "Interstate Commission for Water Coordination"):
        assert expected.lower() in joined.lower(), expected


def test_cross_references_carry_page_numbers(texts):
    table_page = page_of(texts, r"Table 1\. The basin states")
    assert re.search(rf"Table 1, p\. {table_page}\b", "\n".join(texts))


def test_contents_page_numbers_match_the_pages(texts):
    contents = texts[page_of(texts, r"^\s*Contents") - 1]
    for number, title in ((1, "Context of the Basin"), (2, "Flows and measurements"), (3, "Outlook")):
        listed = int(re.search(rf"{number}\s+{title}[ .]*(\d+)", contents).group(1))
        real = page_of(texts, rf"CHAPTER {number}\s*\n\s*{title}")
        assert listed == real, title


def test_bibliography_lines_share_one_hanging_indent(fixture_built):
    # Each entry's first line starts where its later lines do, right of the "[n]" label (a space
    # between the label and the text once pushed first lines a space further in).
    for edition in ("-screen.pdf", "-print.pdf"):
        path = fixture_built.file(edition)
        page = page_of(page_texts(path), r"(?m)^\s*Bibliography\s*$")
        layout = run("pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(path), "-")
        lines = [[(float(x), float(y), word) for x, y, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', line)]
            for line in re.findall(r"<line\b.*?</line>", layout, re.S)]
        labels = {round(line[0][1], 1) for line in lines if re.fullmatch(r"\[\d+\]", line[0][2])}
        left = min(line[0][0] for line in lines if re.fullmatch(r"\[\d+\]", line[0][2]))
        body = [line for line in lines if line[0][1] >= min(labels) - 0.5 and line[0][0] > left + 1
                and not line[0][2].isdigit()]
        first = {round(line[0][0], 1) for line in body if round(line[0][1], 1) in labels}
        hanging = {round(line[0][0], 1) for line in body if round(line[0][1], 1) not in labels}
        assert first and hanging, edition  # some entry runs over a line, or the test proves nothing
        starts = first | hanging
        assert max(starts) - min(starts) < 0.5, (edition, sorted(starts))


def test_footnotes_on_their_page(texts):
    # WeasyPrint 70 moved notes to later pages when the note area had a border or padding.
    for call, note in ((r"releases,\s.*explains\.1", "1. The commission began in 1992"),
                       (r"lists the gauges\.1", "1. Flows are given in cubic")):
        call_page = next(i for i, t in enumerate(texts) if re.search(call, t, re.S))
        assert note in texts[call_page], (call, call_page + 1)
    assert "\n".join(texts).count("The commission began in 1992") == 1


def test_bookmarks_follow_chapters_and_sections(screen):
    marks = outline(screen)
    assert (0, "Context of the Basin") in marks
    assert (1, "1.1 Geography") in marks
    assert (2, "1.1.1 Upstream and downstream") in marks
    assert (0, "Bibliography") in marks


def test_print_edition_has_bleed_and_trim(fixture_built):
    with pikepdf.open(fixture_built.file("-print.pdf")) as pdf:
        page = pdf.pages[0]
        trim = [float(v) for v in page.TrimBox]
        media = [float(v) for v in page.MediaBox]
    a4 = (595.276, 841.89)
    assert trim[2] - trim[0] == pytest.approx(a4[0], abs=0.5)
    assert trim[3] - trim[1] == pytest.approx(a4[1], abs=0.5)
    assert media[2] - media[0] == pytest.approx(a4[0] + 2 * 12 / 25.4 * 72, abs=0.5)
    assert media[3] - media[1] == pytest.approx(a4[1] + 2 * 12 / 25.4 * 72, abs=0.5)  # bleed and marks


@pytest.mark.parametrize(("shown", "text", "char", "field"), [
    ("content/report.yaml", "title: A\nsubtitle: B\u00e9\n", "\u00e9", "subtitle"),
    ("content/data/places.yaml", "- {name: Astana, lon: 71, label: A\u00e9}\n", "\u00e9", "label"),
    ("content/references.yaml", "- id: a\n  title: X\n  authors:\n    - Y\u00e9\n", "Y", "authors"),
    ("content/chapters/1.md", "---\ntitle: T\nsummary: S\u00e9\n---\n\nBody\n", "\u00e9", "summary"),
    ("content/chapters/1.md", "---\ntitle: T\n---\n\nBody\n\n```figure\nid: fig:a\ncaption: C\u00e9\n```\n", "C",
     "figure.caption"),
    ("content/chapters/1.md", "---\ntitle: T\n---\n\n```\nkey: \u00e9\n```\n\u00e9\n", "\u00e9", "text"),
    ("locales/ru/LC_MESSAGES/messages.po", 'msgid "a"\nmsgstr "\u00e9"\n', "\u00e9", "msgstr"),
    # A colon in prose is not a key; a block scalar's lines belong to its key; ~~~ fences too.
    ("content/report.yaml", 'title: A\nsubtitle: "Japan and Central Asia: B\u00e9"\n', "\u00e9", "subtitle"),
    ("content/chapters/1.md", "---\ntitle: T\nsummary: >-\n  Note: S\u00e9\n---\n\nBody\n", "\u00e9", "summary"),
    ("content/chapters/1.md", '---\ntitle: T\n---\n\n~~~figure\nid: fig:a\ncaption: "C. Note: \u00e9"\n~~~\n', "\u00e9",
     "figure.caption"),
    ("content/chapters/1.md", "---\ntitle: T\n---\n\n```table\nid: t\nrows:\n  - {kuni: X\u00e9, w: 1}\n```\n", "X",
     "table.kuni"),
])
def test_a_character_in_a_content_file_is_named_by_its_field(shown, text, char, field):
    """The missing-glyph error names the field as well as the file and line (fonts.field_at)."""
    from publisher.fonts import field_at

    assert field_at(shown, text, text.find(char)) == field


def test_missing_glyph_fails_the_build(content, tmp_path):
    from tests.conftest import run_cli

    chapter = content / "chapters" / "03-outlook.md"
    text = chapter.read_text(encoding="utf-8")
    # Korean: no bundled face has Hangul (Japanese has its face); the first line that holds it is named.
    chapter.write_text(text + "\nThe word 대화 means dialogue.\n", encoding="utf-8")
    line = text.count("\n") + 2
    out = tmp_path / "out"
    result = run_cli("pdf", "--content", str(content), "--out", str(out), "-q")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {chapter.relative_to(content.parent)}:{line}: text: character '대' (U+B300) "
                                    "is not in any bundled font (and 1 more); the PDF would silently drop it")
    assert not out.exists() or not list(out.glob("*.pdf"))


def test_archival_edition_on_request(content, tmp_path):
    from tests.conftest import run_cli

    out = tmp_path / "out"
    assert run_cli("pdf", "web", "--archival", "--content", str(content), "--out", str(out), "-q").exit_code == 0
    archive = out / "river-basin-note-ed2-archive.pdf"
    with pikepdf.open(archive) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "U"
        assert "/OutputIntents" in pdf.Root
    assert subprocess.run(["qpdf", "--check", str(archive)], capture_output=True).returncode == 0
    assert 'href="river-basin-note-ed2-archive.pdf"' in (out / "index.html").read_text(encoding="utf-8")


def test_cover_and_colophon_say_what_the_document_is(texts, fixture_built):
    """The cover names the kind of document, its authors, publisher and edition (not the site's
    breadcrumb); the imprint reads as a colophon with no field names or raw identifiers, and its
    suggested citation says where to find the report."""
    meta = fixture_built.report.meta
    cover = " ".join(texts[0].split())
    for expected in ("POLICY BRIEF", meta.title, "Ada Fixture", "Fixture Institute", "Edition 2 · 15 March 2026"):
        assert expected in cover, expected
    assert "Testing" not in cover  # the category is the web site's breadcrumb, not the subject
    colophon = next(" ".join(t.split()) for t in texts if "How to cite this report" in t)
    assert "Policy brief by Ada Fixture and Ben Editor (editor). Published by Fixture Institute on 1 February 2026." \
        in colophon
    assert "Edition 2, 15 March 2026: Corrected the flow figures." in colophon
    assert "Earlier editions: edition 1, 1 February 2026 (First edition)." in colophon
    assert meta.url in colophon and colophon.rstrip().endswith(meta.url + ".")
    assert "urn:uuid" not in colophon and not re.search(r"\b(Identifier|Licence|Publisher):", colophon)
