"""The printer's files: PDF/X-4 structure, CMYK colour, marks and boxes, the page order of the
book block, the cover wrap (size, spine, barcode) and what stays as it was (the screen edition).

No free full PDF/X validator runs here: these tests check the structure PDF/X-4 asks for with
pikepdf and poppler (what is and is not checked: docs/printing.md).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pytest

from publisher.check import press_problems
from publisher.formats import PROFILES
from publisher.model import PrintSettings
from publisher.press import PAPERS, document_id
from publisher.wrap import BLEED, TRIM, Wrap, spine_mm, wrap_for
from tests.conftest import MINIMAL, Built, _shared, run_cli
from tests.pdfcheck import page_of, page_texts, run

MM = 72 / 25.4
ISBN = "978-3-16-148410-0"  # a valid ISBN-13 (its check digit is 0)


def _build_with_isbn(folder: Path) -> None:
    shutil.copytree(MINIMAL, folder / "content")
    with (folder / "content" / "report.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"isbn: {ISBN}\n")
    result = run_cli("pdf", "--content", str(folder / "content"), "--out", str(folder / "dist"), "-q", "--strict")
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def isbn_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The fixture report with an ISBN, its PDFs built once."""
    return _shared(tmp_path_factory, "isbn", _build_with_isbn)


def _printers_files(built: Built) -> list[Path]:
    return [built.file("-print.pdf"), built.file("-cover.pdf")]


# --- PDF/X-4 ------------------------------------------------------------------------------------

def test_printers_files_are_pdfx4_with_a_cmyk_output_intent(real_built, isbn_built):
    for built in (real_built, isbn_built):
        urn = built.report.meta.urn
        for path in _printers_files(built):
            with pikepdf.open(path) as pdf:
                assert pdf.pdf_version == "1.6"
                intents = [i for i in pdf.Root.OutputIntents if i.S == "/GTS_PDFX"]
                assert len(intents) == 1
                intent = intents[0]
                assert str(intent.OutputConditionIdentifier) == "FOGRA47"
                assert str(intent.RegistryName) == "http://www.color.org"
                assert str(intent.Info) == "PSO Uncoated ISO12647 (ECI)"
                profile = intent.DestOutputProfile
                assert int(profile.N) == 4
                # The profile is embedded unaltered (its licence forbids changes).
                assert profile.read_bytes() == (PROFILES / PAPERS["uncoated"].profile).read_bytes()
                meta = pdf.open_metadata()
                assert meta.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"
                assert meta.get("pdf:Trapped") == "False"
                assert str(pdf.trailer.Info.Trapped) == "/False"
                assert meta.get("xmpMM:DocumentID") == document_id(path.name, urn)
                assert meta.get("xmpMM:VersionID") and meta.get("xmpMM:RenditionClass")
                assert str(pdf.trailer.Info.Title) and not pdf.is_encrypted
                assert "/StructTreeRoot" not in pdf.Root  # not tagged: a printer's file
            assert press_problems(pikepdf.open(path), path) == []


def test_printers_files_have_trim_and_bleed_boxes_on_every_page(real_built, isbn_built):
    for built in (real_built, isbn_built):
        for path in _printers_files(built):
            with pikepdf.open(path) as pdf:
                for page in pdf.pages:
                    assert "/Annots" not in page.obj  # no links on paper
                    trim = [float(v) for v in page.obj.TrimBox]
                    bleed = [float(v) for v in page.obj.BleedBox]
                    media = [float(v) for v in page.obj.MediaBox]
                    assert [b - t for b, t in zip(bleed, trim)] == pytest.approx(
                        [-BLEED * MM, -BLEED * MM, BLEED * MM, BLEED * MM], abs=0.01)
                    assert media[0] <= bleed[0] and media[1] <= bleed[1]
                    assert media[2] >= bleed[2] and media[3] >= bleed[3]


def test_printers_files_embed_and_subset_every_font(real_built, isbn_built):
    for built in (real_built, isbn_built):
        for path in _printers_files(built):
            lines = run("pdffonts", str(path)).splitlines()[2:]
            assert lines, path
            for line in lines:
                emb, sub = line.split()[-5:-3]
                assert (emb, sub) == ("yes", "yes"), line


def _colour_operators(pdf: pikepdf.Pdf) -> list[tuple[str, tuple[str, ...]]]:
    """Every colour-setting operator of every page and form XObject."""
    found = []
    streams = [*pdf.pages, *(o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Form")]
    for stream in streams:
        for operands, operator in pikepdf.parse_content_stream(stream):
            if str(operator) in ("rg", "RG", "g", "G", "k", "K", "cs", "CS", "sc", "SC", "scn", "SCN"):
                found.append((str(operator), tuple(str(o) for o in operands)))
    return found


def test_printers_files_are_cmyk_with_text_in_black_ink_only(real_built, isbn_built):
    """No RGB where the publisher chooses the colour (the charts, the stylesheets): every colour
    is set in DeviceCMYK (or the registration colour of the marks); body text is 100 % K."""
    for built in (real_built, isbn_built):
        for path in _printers_files(built):
            with pikepdf.open(path) as pdf:
                operators = _colour_operators(pdf)
                assert not [op for op in operators if op[0] in ("rg", "RG")], path
                spaces = {args[0] for op, args in operators if op in ("cs", "CS")}
                assert spaces <= {"/DeviceCMYK", "/Registration"}, (path, spaces)
                groups = [o.Group for o in pdf.objects if isinstance(o, pikepdf.Stream) and "/Group" in o]
                # Transparency blends in CMYK: the output profile's space.
                assert all(str(g.CS) == "/DeviceCMYK" or int(g.CS[1].N) == 4 for g in groups)
    with pikepdf.open(real_built.file("-print.pdf")) as pdf:
        fills = [args for op, args in _colour_operators(pdf) if op == "scn"]
    assert fills.count(("0", "0", "0", "1")) > len(fills) / 3  # the text: black ink, no rich black
    assert ("0.1", "0.75", "1", "0.35") in fills  # the accent's build (ink.py)


def test_rgb_images_of_the_content_are_colour_managed(fixture_built):
    """The fixture's PNG is RGB: in the print edition it is tagged with the sRGB profile (an
    ICCBased colour space, which PDF/X-4 allows), and DeviceRGB is remapped by DefaultRGB."""
    with pikepdf.open(fixture_built.file("-print.pdf")) as pdf:
        images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
        colour = [o.ColorSpace for o in images if "/ColorSpace" in o and o.ColorSpace != "/DeviceGray"]
        assert colour and all(str(c[0]) == "/ICCBased" and int(c[1].N) == 3 for c in colour)
        spaces = pdf.pages[0].Resources.ColorSpace
        assert str(spaces.DefaultRGB[0]) == "/ICCBased"
    with pikepdf.open(fixture_built.file("-screen.pdf")) as pdf:
        images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
        assert any(o.get("/ColorSpace") == "/DeviceRGB" for o in images)  # the screen edition is untouched


def test_the_output_profiles_are_the_published_files():
    """The ECI profiles are kept byte for byte (their licence forbids altering them), and the
    licence note beside them names each with its digest."""
    note = (PROFILES / "LICENSE.md").read_text(encoding="utf-8")
    for paper in PAPERS.values():
        data = (PROFILES / paper.profile).read_bytes()
        assert f"{hashlib.sha256(data).hexdigest()}  {paper.profile}" in note
        assert b"may be used, embedded, exchanged, and shared without restriction" in data


# --- marks and page order ---------------------------------------------------------------------

def _marks(pdf: pikepdf.Pdf, page: pikepdf.Page) -> list[tuple[float, float, float, float]]:
    """The lines drawn in the registration colour on a page: (x1, y1, x2, y2)."""
    lines, start, registration = [], None, False
    for operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name == "CS":
            space = page.Resources.ColorSpace.get(str(operands[0]))
            registration = space is not None and str(space[0]) == "/Separation" and str(space[1]) == "/All"
        elif name == "m":
            start = [float(v) for v in operands]
        elif name == "l" and registration and start:
            lines.append((*start, *[float(v) for v in operands]))
    return lines


def test_crop_marks_lie_outside_the_bleed_in_registration_colour(real_built):
    with pikepdf.open(real_built.file("-print.pdf")) as pdf:
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            media = [float(v) for v in page.obj.MediaBox]
            marks = _marks(pdf, page)
            assert len(marks) == 8  # two at each corner
            for x1, y1, x2, y2 in marks:
                assert ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 >= 5 * MM - 0.01  # at least 5 mm long
                outside = (max(x1, x2) <= bleed[0] or min(x1, x2) >= bleed[2]
                           or max(y1, y2) <= bleed[1] or min(y1, y2) >= bleed[3])
                assert outside, (x1, y1, x2, y2)
                assert media[0] <= min(x1, x2) and max(x1, x2) <= media[2]
                assert media[1] <= min(y1, y2) and max(y1, y2) <= media[3]
                on_trim = [abs(v - t) < 0.01 for v in (x1, y1) for t in trim]  # on a trim line's extension
                assert x1 == x2 and (on_trim[0] or on_trim[2]) or y1 == y2 and (on_trim[5] or on_trim[7])


@pytest.fixture(scope="module")
def print_texts(real_built) -> list[str]:
    return page_texts(real_built.file("-print.pdf"))


def test_the_book_block_opens_with_the_title_page_and_its_imprint(real_built, print_texts):
    title = real_built.report.meta.title
    first = " ".join(print_texts[0].split())
    assert title.split()[1] in first and "Contents" not in first  # page 1 (a recto): the title page
    assert "How to cite this report" in print_texts[1]  # its back: the imprint
    assert re.match(r"\s*Contents\b", print_texts[2])  # the contents on a recto
    assert real_built.report.meta.kind.upper() not in first  # the cover is not in the book block


def _anchors(path: Path) -> dict[str, int]:
    """The PDF's named destinations (the HTML's ids): name → page number."""
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, 1)}
        names = pdf.Root.Names.Dests.Names
        return {str(names[i]): pages[names[i + 1][0].objgen] for i in range(0, len(names), 2)}


def test_sections_open_on_right_hand_pages(real_built, print_texts):
    anchors = _anchors(real_built.file("-print.pdf"))
    report = real_built.report
    openers = {name: anchors[name] for name in ("contents", "introduction", "bibliography", "glossary")}
    openers.update({c.anchor: anchors[c.anchor] for c in report.chapters})
    assert len(openers) == 13
    assert {name: page for name, page in openers.items() if page % 2 == 0} == {}
    for number in range(1, 10):  # the page an anchor names is the page the reader sees the opening on
        assert openers[report.chapters[number - 1].anchor] == page_of(print_texts, rf"CHAPTER {number}\s*\n", 5)


def test_blank_pages_are_blank_and_the_count_is_a_multiple_of_four(real_built, print_texts):
    pages = len(print_texts)
    assert pages % 4 == 0
    blanks = [number for number, text in enumerate(print_texts, 1) if not text.strip()]
    assert blanks, "the real report has sections that need a blank verso before them"
    last = max(number for number, text in enumerate(print_texts, 1) if text.strip())
    assert pages - last <= 3  # at most three pages of padding to the multiple of four
    for number in blanks:  # a verso before a recto opening, or the padding at the end
        assert number % 2 == 0 or number > last, number
        if number < last:  # what follows a blank verso opens a section
            assert number + 1 in set(_anchors(real_built.file("-print.pdf")).values()) | {pages}, number
    with pikepdf.open(real_built.file("-print.pdf")) as pdf:
        assert len(pdf.pages) == pages
        # A blank page draws nothing but its crop marks (no running head, no folio).
        for number in blanks:
            ops = [str(o) for _, o in pikepdf.parse_content_stream(pdf.pages[number - 1])]
            assert "Tj" not in ops and "TJ" not in ops
    assert str(pages) in (real_built.out / "index.html").read_text(encoding="utf-8")


def test_the_epub_page_list_follows_the_book_block(real_built, print_texts):
    with zipfile.ZipFile(real_built.file(".epub")) as book:
        nav = book.read("EPUB/nav.xhtml").decode("utf-8")
    files = {int(label): name for name, label in re.findall(r'<a href="([^"#]+)#page-\d+">(\d+)</a>', nav)}
    anchors = _anchors(real_built.file("-print.pdf"))
    # The page a section opens on in print is a page of that section in the EPUB.
    assert files[page_of(print_texts, r"CHAPTER 1\s*\n", start=5)] == "01-overview.xhtml"
    assert files[anchors["bibliography"]] == "bibliography.xhtml"
    assert files[anchors["glossary"]] == "glossary.xhtml"
    last = max(number for number, text in enumerate(print_texts, 1) if text.strip())  # then the padding
    assert max(int(n) for n in re.findall(r'#page-\d+">(\d+)</a>', nav)) == last


# --- the cover wrap -----------------------------------------------------------------------------

def test_the_cover_wraps_the_book_block(real_built, isbn_built):
    for built in (real_built, isbn_built):
        with pikepdf.open(built.file("-print.pdf")) as pdf:
            pages = len(pdf.pages)
        with pikepdf.open(built.file("-cover.pdf")) as pdf:
            assert len(pdf.pages) == 1
            page = pdf.pages[0]
            media = [float(v) for v in page.obj.MediaBox]
            trim = [float(v) for v in page.obj.TrimBox]
        spine = spine_mm(pages, built.report.meta.print)
        sheet = ((media[2] - media[0]) / MM, (media[3] - media[1]) / MM)
        assert sheet == pytest.approx((2 * TRIM[0] + spine + 2 * BLEED, TRIM[1] + 2 * BLEED), abs=0.05)
        assert ((trim[2] - trim[0]) / MM, (trim[3] - trim[1]) / MM) == pytest.approx(
            (2 * TRIM[0] + spine, TRIM[1]), abs=0.05)


def test_the_spine_width_comes_from_the_page_count_and_the_paper():
    default = PrintSettings()
    assert spine_mm(80, default) == 4.0  # 40 leaves of 80 g/m² uncoated, 0.1 mm each
    assert spine_mm(80, PrintSettings(paper="coated")) == 2.8
    assert spine_mm(240, PrintSettings(caliper=0.12)) == 14.4
    assert spine_mm(400, PrintSettings(ppi=400)) == 25.4  # 400 pages per inch: an inch
    assert spine_mm(84, default) > spine_mm(80, default)
    assert not Wrap(80, 4.0).spine_text and Wrap(120, 6.0).spine_text
    assert wrap_for(80, default).sheet == (2 * 210 + 4.0 + 6, 297 + 6)


def test_a_wide_spine_carries_title_and_publisher(tmp_path, fixture_built):
    from publisher.pdf import CONTENT_ROOT, render_pdf
    from publisher.templates import make_env
    from publisher.wrap import wrap_html

    report = fixture_built.report
    for pages, spine_text in ((80, False), (240, True)):
        target = tmp_path / f"wrap-{pages}.pdf"
        render_pdf(wrap_html(report, make_env(), pages), "cover", target, CONTENT_ROOT, {})
        text = run("pdftotext", "-raw", str(target), "-")
        # The publisher is on the back and the front, and on a wide spine; so is the title's last word.
        assert len(re.findall(r"\bInstitute\b", text)) == 2 + spine_text, (pages, text)
        assert len(re.findall(r"\bBasin\b", text)) == 1 + spine_text, (pages, text)


def test_the_back_cover_carries_standfirst_and_barcode(isbn_built, fixture_built):
    text = " ".join(run("pdftotext", str(isbn_built.file("-cover.pdf")), "-").split())
    assert "A short fixture report used by the test suite." in text
    assert f"ISBN {ISBN}" in text and "9 783161 484100" in text
    without = " ".join(run("pdftotext", str(fixture_built.file("-cover.pdf")), "-").split())
    assert "ISBN" not in without and "A short fixture report" in without


EAN_L = ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111",
         "0001011"]
EAN_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]


def _ean13_modules(digits: str) -> str:
    """The 95 modules of an EAN-13 (1: bar), from GS1's encoding tables, written out here."""
    right = ["".join("1" if b == "0" else "0" for b in code) for code in EAN_L]
    left = "".join(EAN_L[int(d)] if parity == "L" else right[int(d)][::-1]
                   for d, parity in zip(digits[1:7], EAN_PARITY[int(digits[0])]))
    return "101" + left + "01010" + "".join(right[int(d)] for d in digits[7:]) + "101"


def test_the_barcode_encodes_the_isbn():
    from publisher.barcode import MODULE, isbn_barcode

    for isbn in (ISBN, "979-10-90636-07-1", "9780306406157"):
        code = isbn_barcode(isbn)
        modules = ["0"] * 95
        for x, width in re.findall(r'<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"', code.svg):
            start = round(float(x) / MODULE)
            for i in range(start, start + round(float(width) / MODULE)):
                modules[i] = "1"
        digits = re.sub(r"\D", "", isbn)
        assert "".join(modules) == _ean13_modules(digits), isbn
        assert code.digits == f"{digits[0]} {digits[1:7]} {digits[7:]}"
        assert "rgb" not in code.svg.lower() and "#" not in code.svg and "<text" not in code.svg


def test_the_cover_is_part_of_a_release(tmp_path):
    # (test_editions checks the released file list; here the name the release copies)
    from publisher.formats import FORMATS

    assert FORMATS["cover"].made_by == "print" and FORMATS["cover"].suffix == "-cover.pdf"


# --- what stays as it was ------------------------------------------------------------------------

def test_the_screen_edition_stays_pdf_ua_and_rgb_with_its_cover(fixture_built):
    screen = fixture_built.file("-screen.pdf")
    with pikepdf.open(screen) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfuaid:part") == "1" and not meta.get("pdfxid:GTS_PDFXVersion")
        assert "/OutputIntents" not in pdf.Root
        operators = _colour_operators(pdf)
        assert any(op == "rg" for op, _ in operators)  # RGB, as before
        media = [float(v) for v in pdf.pages[0].MediaBox]
        assert media == pytest.approx([0, 0, 595.276, 841.89], abs=0.5)  # no bleed, no marks
    first = " ".join(page_texts(screen)[0].split())
    assert "Fixture Institute" in first and "Edition 2" in first  # the cover page leads the screen edition


def test_the_detail_page_offers_the_printers_files_apart(fixture_built):
    from lxml import html as lhtml

    tree = lhtml.fromstring((fixture_built.out / "index.html").read_bytes())
    downloads = tree.xpath("//section[@id='downloads']//a/@href")
    printers = tree.xpath("//section[@id='printers']//a/@href")
    assert tree.xpath("string(//section[@id='printers']/h2)") == "For printers"
    assert printers == ["river-basin-note-ed2-print.pdf", "river-basin-note-ed2-cover.pdf"]
    assert not set(printers) & set(downloads)
    note = " ".join(tree.xpath("string(//p[@class='printers-note'])").split())
    assert "PDF/X-4" in note and "FOGRA47" in note


def test_the_paper_chooses_the_output_profile(tmp_path, fixture_built):
    from publisher.pdf import CONTENT_ROOT, Printing, render_pdf
    from publisher.templates import make_env
    from publisher.wrap import wrap_html

    target = tmp_path / "coated.pdf"
    render_pdf(wrap_html(fixture_built.report, make_env(), 80), "cover", target, CONTENT_ROOT, {},
               printing=Printing("coated", fixture_built.report.meta.urn))
    with pikepdf.open(target) as pdf:
        intent = pdf.Root.OutputIntents[0]
        assert str(intent.OutputConditionIdentifier) == "FOGRA43"
        assert intent.DestOutputProfile.read_bytes() == (PROFILES / PAPERS["coated"].profile).read_bytes()


@pytest.mark.parametrize("paint", ['fill="rgb(228, 228, 228)"', 'fill="#4c78a8"', 'stroke="steelblue"',
                                   'fill="hsl(0, 100%, 50%)"', 'stop-color="#FFF"', 'color="red"'])
def test_every_colour_form_a_chart_engine_writes_becomes_cmyk(paint):
    """Vega writes fills as rgb(), an author's spec may name colours: each becomes a CMYK build
    (greys black ink only), so no RGB reaches the printer's file."""
    from publisher.ink import press_svg

    converted = press_svg(f"<svg><path {paint}/><path fill=\"none\" stroke=\"url(#g)\"/></svg>")
    assert "rgb" not in converted and "#" not in converted.replace("url(#g)", "")
    assert re.search(r'(fill|stroke|stop-color|color)="device-cmyk\([\d. ]+\)"', converted)
    assert 'fill="none"' in converted and 'stroke="url(#g)"' in converted
