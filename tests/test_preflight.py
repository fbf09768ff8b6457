"""The layout preflight: each rule finds its fault in a document made to have it, and only there.

Each fixture is a small HTML page laid out by WeasyPrint with just enough CSS to force one
fault (a narrow page, a column width, widows allowed …); the test asserts the exact finding.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher import preflight

PAGE = "@page { size: 120mm 90mm; margin: 10mm; } body { font: 10pt/14pt serif; margin: 0; }"
SOURCES = {"b-x-1": "content/x.md:3", "b-x-2": "content/x.md:5", "b-x-3": "content/x.md:7", "sec-x": "content/x.md:9",
           "tbl-t": "content/x.md:11", "fn-x-1": "content/x.md:20", "fnref-x-1": "content/x.md:20"}


def layout(body: str, css: str = "") -> preflight.Layout:
    from weasyprint import CSS, HTML

    html = f'<html lang="en"><head><title>t</title></head><body>{body}</body></html>'
    document = HTML(string=html).render(stylesheets=[CSS(string=PAGE + css)])
    return preflight.read_layout(document, "screen")


def findings(body: str, css: str = "", rule: str = "") -> list[str]:
    found = preflight.inspect(layout(body, css), SOURCES)
    return [str(f) for f in found if not rule or f.rule == rule]


WORDS = " ".join(["lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"] * 6)


def test_a_clean_page_has_no_findings():
    assert findings(f'<p id="b-x-1">{WORDS[:300]}.</p>', "p { text-align: left; }") == []


def test_orphan_and_widow():
    # A paragraph split with one line left at the foot of the page (and one carried over).
    filler = '<p id="b-x-1" style="height: 62mm; margin: 0">x</p>'
    body = filler + f'<p id="b-x-2" style="margin:0">{WORDS[:200]}</p>'
    css = "p { orphans: 1; widows: 1; text-align: left; }"
    found = findings(body, css)
    assert "content/x.md:5: page 1 (screen): orphan: the paragraph leaves one line at the foot of page 1" in found, found


def test_widow():
    filler = '<p id="b-x-1" style="height: 57mm; margin: 0">x</p>'
    body = filler + f'<p id="b-x-2" style="margin:0">{WORDS[:150]}</p>'
    found = findings(body, "p { orphans: 1; widows: 1; text-align: left; }", "widow")
    assert found == ["content/x.md:5: page 2 (screen): widow: the paragraph carries one line over to page 2"], found


def test_hyphen_rules():
    # Soft hyphens force breaks: three in a row, a two-letter fragment, and a broken name.
    words = "aaaa " + "bbbb\u00adcccc " * 12
    found = findings(f'<p id="b-x-1" style="width: 10.2ch">{words}</p>',
                     "p { hyphens: manual; font-family: monospace; text-align: left }", "hyphen-ladder")
    assert found and found[0].startswith("content/x.md:3: page 1 (screen): hyphen-ladder: three hyphenated line ends")
    mono = "p { hyphens: manual; text-align: left; font-family: monospace }"
    short = findings('<p id="b-x-1" style="width: 12.2ch">aaaaaaaa in\u00adterpretation</p>', mono, "hyphen-short")
    assert short == ["content/x.md:3: page 1 (screen): hyphen-short: “in-/terpretation” leaves fewer than three "
                     "letters on a side"], short
    # Automatic hyphenation breaks a name; a soft hyphen the author put in a name is accepted.
    auto = "p { hyphens: auto; text-align: left; font-family: monospace }"
    name = findings('<p id="b-x-1" lang="en" style="width: 12.2ch">aaaaaa Kazakhstan</p>', auto, "hyphen-name")
    assert name == ["content/x.md:3: page 1 (screen): hyphen-name: the name “Kazakhstan” is broken across lines"], name
    assert findings('<p id="b-x-1" style="width: 12.2ch">aaaaaa Kaza\u00adkhstan</p>', mono, "hyphen-name") == []


def test_line_end_rules():
    mono = "p { text-align: left; font-family: monospace }"
    # A zero-width space after "(" (once the PDF's workaround for a WeasyPrint bug) lets "(" end a line.
    found = findings('<p id="b-x-1" style="width: 10.2ch">aaaaaaaa (\u200bbbbbbbbbbbbb)</p>', mono, "line-end")
    assert found == ["content/x.md:3: page 1 (screen): line-end: “(” is left at the end of a line"], found
    label = findings('<p id="b-x-1" style="width: 12.2ch">aaaa Chapter 7 for more</p>', mono, "line-end")
    assert label == ["content/x.md:3: page 1 (screen): line-end: “Chapter / 7” is split across lines"], label
    currency = findings('<p id="b-x-1" style="width: 12.2ch">aaaaaaa USD 700 more</p>', mono, "line-end")
    assert currency == ["content/x.md:3: page 1 (screen): line-end: “USD / 700” splits an amount from its "
                        "currency"], currency
    short = findings('<p id="b-x-1" style="width: 14.2ch">aaaaaaa on 19 December</p>', mono, "line-end")
    assert short == ["content/x.md:3: page 1 (screen): line-end: “19 / December” leaves a short number at the end "
                     "of a line"], short
    # After a label the number is the label's: "Table 2 / shows" is a good break.
    assert findings('<p id="b-x-1" style="width: 12.2ch">aa Table 2 shows</p>', mono, "line-end") == []
    compound = findings('<p id="b-x-1" style="width: 12.2ch">aaaaaaa Japan–Central Asia</p>', mono, "compound-break")
    assert compound == ["content/x.md:3: page 1 (screen): compound-break: the compound “Japan–Central” is broken "
                        "across lines"], compound
    assert findings('<p id="b-x-1" style="width: 12.2ch">aaaaaaa Japan–⁠Central Asia</p>', mono,
                    "compound-break") == []


def test_paragraph_ends():
    justify = "p { text-align: justify; font-family: monospace; margin: 0 }"
    runt = findings('<p id="b-x-1" style="width: 10.2ch">aaaa bbbbb an.</p>', justify, "runt")
    assert runt == ["content/x.md:3: page 1 (screen): runt: the paragraph's last line holds only “an.”"], runt
    # Two words, or a word with its citation, are a proper last line.
    assert findings('<p id="b-x-1" style="width: 10.2ch">aaaa bbbbb an end.</p>', justify, "runt") == []
    fragment = findings('<p id="b-x-1" style="width: 10.2ch">aaaa bbbb inter­pretation.</p>', justify + "p {"
                        "hyphens: manual }", "hyphen-last")
    assert fragment == ["content/x.md:3: page 1 (screen): hyphen-last: the paragraph ends on the word fragment "
                        "“pretation.”"], fragment
    # A word broken at the foot of a page (on a two-sided layout, only at the foot of a recto).
    filler = '<p id="b-x-2" style="height: 58mm">x</p>'
    turn = f'{filler}<p id="b-x-1" style="width: 10.2ch; orphans: 1; widows: 1">aaaa bbbb inter­pretation aa.</p>'
    found = findings(turn, justify + "p { hyphens: manual }", "hyphen-page")
    assert found == ["content/x.md:3: page 1 (screen): hyphen-page: a word is broken across the page turn 1–2"], found
    two_sided = layout(turn, justify + "p { hyphens: manual }")
    two_sided.two_sided = True
    turn_2 = [f for f in preflight.inspect(two_sided, SOURCES) if f.rule == "hyphen-page"]
    assert [f.page for f in turn_2] == [1]  # page 1 is a recto: the leaf turns after it


def test_loose_line():
    # A long unbreakable word pushed to the next line leaves the line before it gappy.
    loose = findings(f'<p id="b-x-1" style="width: 40ch">aa bb cc dd ee ff {"x" * 30} gg hh</p>',
                     "p { text-align: justify; font-family: monospace }", "loose-line")
    assert len(loose) == 1 and loose[0].startswith("content/x.md:3: page 1 (screen): loose-line: justification widens "
                                                   "the word spaces by"), loose
    assert findings(f'<p id="b-x-1" style="width: 40ch">{WORDS[:200]}</p>',
                    "p { text-align: justify; font-family: monospace }", "loose-line") == []


def test_citation_break():
    found = findings('<p id="b-x-1" style="width: 40mm">aaaaaaaaaaa bbbbbbbbb ccccccccccc dd '
                     '<span class="citation">[12, para. 4]</span> eeee</p>', "p { text-align: left }", "citation-break")
    assert found == ["content/x.md:3: page 1 (screen): citation-break: a citation is broken across lines: "
                     "“[12, / para. 4] eee…”"], found


def test_note_on_another_page():
    # WeasyPrint keeps a note with its call when it can; the rule is shown on the layout model
    # of a page where it did not (upstream issue 1564), and on a real layout where it did.
    pages = [preflight.Page(n, 0, 100, 0, 100, 120, 120, "chapter", False) for n in (1, 2)]
    pages[0].calls.append("fnref-x-1")
    pages[1].notes.append("fn-x-1")
    found = [str(f) for f in preflight.inspect(preflight.Layout("screen", pages), SOURCES) if f.rule == "note-page"]
    assert found == ["content/x.md:20: page 1 (screen): note-page: note 1 is called on page 1 and printed on page 2"]
    kept = ('<p id="b-x-1" style="margin: 0; height: 62mm">x</p><p id="b-x-2" style="margin:0">words '
            '<a class="fn-call" id="fnref-x-1"></a><span class="footnote" id="fn-x-1">' + "note " * 80 + "</span></p>")
    assert findings(kept, ".footnote { float: footnote; }", "note-page") == []


def test_page_fill_and_low_heading():
    body = (f'<section class="front" id="s1"><p id="b-x-1">{WORDS[:100]}</p></section>'
            f'<section class="front" id="s2" style="break-before: page"><p id="b-x-2" style="height: 57mm">x</p>'
            f'<h2 id="sec-x">A heading</h2><p id="b-x-3">{WORDS}</p></section>'
            f'<section class="front" id="s3" style="break-before: page"><p id="b-x-1">{WORDS[:60]}</p></section>')
    found = findings(body, "p { margin: 0; text-align: left; orphans: 1 } h2 { margin: 0; font-size: 12pt }")
    assert ("content/x.md:9: page 2 (screen): heading-low: a heading with 1 line(s) under it at the foot of the page "
            "(at least 6)") in found, found
    assert not any("page-fill" in f and "page 1 " in f for f in found), found  # a section ends there
    # At the end of a section, a heading with its one short paragraph may sit low.
    end = body.replace(f'<p id="b-x-3">{WORDS}</p>', f'<p id="b-x-3">{WORDS[:40]}</p>')
    assert not [f for f in findings(end, "p { margin: 0 } h2 { margin: 0 }") if "heading-low" in f]
    # A heading or glossary term ends a page, apart from the text it leads into.
    kept = findings(f'<p id="b-x-1" style="height: 62mm; margin: 0">x</p><h2 id="sec-x" style="margin: 0; '
                    f'font-size: 10pt">Aaa</h2><p id="b-x-2">{WORDS[:100]}</p>',
                    "h2 { break-after: auto } p { orphans: 1 }", "keep-with-next")
    assert kept == ["content/x.md:9: page 1 (screen): keep-with-next: “Aaa” ends the page, apart from what it leads"], kept
    rows = "".join(f"<tr><td>row {i}<br>more<br>more</td></tr>" for i in range(3))
    caption = findings(f'<p id="b-x-1" style="height: 58mm; margin: 0">x</p><table id="tbl-t"><caption>Table 1. '
                       f'Aaa</caption><tbody>{rows}</tbody></table><p id="b-x-2">{WORDS[:50]}</p>',
                       "tr { break-inside: avoid } tbody tr:nth-child(n+2) { break-before: avoid }", "keep-with-next")
    assert len(caption) == 1 and caption[0].startswith("content/x.md:11: page 1 (screen): keep-with-next: "), caption
    # A heading at the top of a page that did not open a section keeps its space above (as
    # WeasyPrint keeps it inside a named page).
    top = findings(f'<div style="page: chapter"><p id="b-x-1" style="height: 65mm; margin: 0">x</p><h2 id="sec-x" '
                   f'style="margin: 20px 0 0">Aaa</h2><p id="b-x-2">{WORDS[:100]}</p></div>', "", "top-gap")
    assert top == ["content/x.md:9: page 2 (screen): top-gap: the text starts 20 px below the top of the text "
                   "block"], top
    assert findings(f'<div style="page: chapter"><p id="b-x-1" style="height: 65mm; margin: 0">x</p><h2 id="sec-x" '
                    f'style="margin: 20px 0 0; margin-break: discard">Aaa</h2><p id="b-x-2">{WORDS[:100]}</p></div>',
                    "", "top-gap") == []
    middle = findings(f'<p id="b-x-1">{WORDS[:40]}</p><p id="b-x-2" style="break-before: page">{WORDS}</p>',
                      "p { margin: 0; text-align: left }", "page-fill")
    assert middle == ["content/x.md:3: page 1 (screen): page-fill: the page is only 7 % full"] or \
        (len(middle) == 1 and "page 1 (screen): page-fill: the page is only" in middle[0]), middle


def test_table_split_and_header():
    rows = "".join(f"<tr><td>row {i}</td></tr>" for i in range(12))
    body = (f'<p style="height: 48mm; margin: 0">x</p><table id="tbl-t"><thead><tr><th>Head</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")
    found = findings(body, "tr { height: 6mm }", "table-split")
    assert any(f.startswith("content/x.md:11: page 1 (screen): table-split: the table has only") for f in found), found
    bare = findings(f'<p style="height: 48mm; margin: 0">x</p><table id="tbl-t"><tbody>{rows}</tbody></table>',
                    "tr { height: 6mm }", "table-header")
    assert bare == ["content/x.md:11: page 2 (screen): table-header: the table continues on page 2 without its "
                    "header"], bare


def test_overflow():
    token = "Ab" * 70  # a long token with no place to break (a file name, a hash)
    found = findings(f'<p id="b-x-1">{token}</p>', "p { text-align: left }", "overflow")
    assert len(found) == 1 and re.fullmatch(
        rf"content/x.md:3: page 1 \(screen\): overflow: “{token[:40]}” runs \d+ px past its column", found[0]), found


def test_straight_quotes_and_running_heads():
    found = findings('<p id="b-x-1">It said "no".</p>', "", "straight-quotes")
    assert found == ["content/x.md:3: page 1 (screen): straight-quotes: a straight quote in “It said \"no\".”"]
    heads = ('<section style="string-set: head \'Global issues\'"><p>a</p></section>'
             '<section style="break-before: page; string-set: head \'Regional Issues\'"><p>b</p></section>'
             '<section style="break-before: page; string-set: head \'Human resources\'"><p>c</p></section>')
    case = findings(heads, "@page { @top-left { content: string(head) } }", "running-head-case")
    assert case == ["report: page 2 (screen): running-head-case: “Regional Issues” is in title case; the other "
                    "running heads are in sentence case"], case


def test_code_keeps_its_straight_quotes():
    # Code is set as written; the text around it on the same line is still checked.
    assert findings('<p id="b-x-1">Set <code>x = "a"</code> here.</p>', "", "straight-quotes") == []
    found = findings('<p id="b-x-1">Set <code>x</code> to "a".</p>', "", "straight-quotes")
    assert found == ['content/x.md:3: page 1 (screen): straight-quotes: a straight quote in “Set x to "a".”'], found


def test_lone_leader():
    entry = '<a class="toc-entry" style="display: block">Aaaaaaa bbbbbbb ccccccc<br>. . . . . . . . 12</a>'
    found = findings(entry, "", "leader-alone")
    assert found == ["report: page 1 (screen): leader-alone: a dot leader stands alone on a line"], found


@pytest.mark.parametrize("rule", preflight.RULE_NAMES)
def test_every_rule_is_documented_and_tested(rule):
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "preflight.md").read_text(encoding="utf-8")
    assert f"`{rule}`" in doc
    assert f'"{rule}"' in Path(__file__).read_text(encoding="utf-8") or f"{rule}:" in Path(__file__).read_text(
        encoding="utf-8")


# --- in a build -----------------------------------------------------------------------------------

# A word of 20 letters in a tenth of the page: too short to be broken anywhere (longer tokens are,
# typography.mark_long), too long for its column: it runs past it. The finding names the block.
NARROW = ("\n```table\nid: tbl:narrow\ncaption: Ten narrow columns.\nrows:\n  - {"
          + ", ".join(f"c{i}: x" for i in range(9)) + ", c9: " + "Ab" * 10 + "}\ncolumns:\n"
          + "".join(f"  - {{key: c{i}, label: C{i}}}\n" for i in range(10)) + "```\n\nSee @tbl:narrow.\n")
FENCE = "```table"


def test_the_build_reports_findings_with_their_source_line(content, tmp_path):
    from tests.conftest import run_cli

    chapter = content / "chapters" / "03-outlook.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + NARROW, encoding="utf-8")
    line = chapter.read_text(encoding="utf-8").splitlines().index(FENCE) + 1
    result = run_cli("pdf", "--content", str(content), "--out", str(tmp_path / "out"))
    expected = f"content/chapters/03-outlook.md:{line}: page"
    found = [x for x in result.output.splitlines() if x.startswith("Preflight: ") and "overflow" in x]
    assert len(found) == 2 and all(expected in x for x in found), result.output  # both editions
    strict = run_cli("pdf", "--content", str(content), "--out", str(tmp_path / "strict"), "--strict")
    assert strict.exit_code == 1


def test_preflight_command_and_an_allowance(content):
    from tests.conftest import run_cli

    chapter = content / "chapters" / "03-outlook.md"
    text = chapter.read_text(encoding="utf-8") + NARROW
    chapter.write_text(text, encoding="utf-8")
    result = run_cli("preflight", "--content", str(content))
    assert result.exit_code == 1 and "overflow" in result.output and result.output.strip().endswith("2 finding(s)")
    line = text.splitlines().index(FENCE) + 1 + 4  # the front matter grows by four lines
    allowed = text.replace("title: Outlook\n", "title: Outlook\npreflight:\n  - rule: overflow\n"
                                               f"    line: {line}\n    reason: The file name must stay whole.\n")
    chapter.write_text(allowed, encoding="utf-8")
    result = run_cli("preflight", "--content", str(content))
    assert result.exit_code == 0, result.output
    assert "(allowed: The file name must stay whole.)" in result.output
    assert result.output.strip().endswith("0 finding(s), 2 allowed")


def test_an_allowance_names_a_known_rule(content):
    from publisher.errors import ContentError
    from publisher.loader import load_report

    chapter = content / "chapters" / "03-outlook.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "title: Outlook\n", "title: Outlook\npreflight:\n  - {rule: ugly, reason: none}\n"), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_report(content)
    assert str(caught.value.problems[0]).startswith("content/chapters/03-outlook.md:4: preflight[1].rule: 'ugly' is "
                                                    "not one of: widow, orphan")


def test_short_line():
    # A forced line break inside justified text leaves the line before it short of the margin.
    found = findings(f'<p id="b-x-1">aaaa bbbb<br>{WORDS[:200]}</p>', "p { text-align: justify }", "short-line")
    assert len(found) == 1 and found[0].startswith("content/x.md:3: page 1 (screen): short-line: a justified line "
                                                   "stops"), found


def test_caption_case():
    captions = "".join(f'<figure id="fig-{i}"><figcaption><span class="label">Figure {i}.</span> {text}</figcaption>'
                       f"</figure>" for i, text in enumerate(["Meetings by level and year", "Flows of the two rivers",
                                                              "Trade With Japan By Year"], 1))
    found = findings(captions, "", "caption-case")
    assert found == ["report: page 1 (screen): caption-case: “Trade With Japan By Year” is in title case; the other "
                     "captions are in sentence case"], found


CHART = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60" width="200" height="60" font-size="11">'
         '<title>t</title><text x="10" y="20">One label</text><text x="30" y="22">Another label</text>'
         '<g transform="translate(150, 0)"><text x="0" y="50">Cut off at the edge</text></g></svg>')


def test_chart_text_is_measured():
    from publisher.charttext import chart_problems, text_boxes, text_width

    assert 40 < text_width("One label", 11) < 60  # Inter at 11 units
    (_, _, width, height), boxes = text_boxes(CHART)
    assert (width, height) == (200, 60) and [b.text for b in boxes] == ["One label", "Another label",
                                                                        "Cut off at the edge"]
    assert boxes[2].left == 150  # the translation is followed
    assert chart_problems(CHART) == ["“Cut off at the edge” runs outside the chart",
                                     "“One label” overlaps “Another label”"]
    # A straight quote drawn in a chart is as wrong as one in the running text.
    assert chart_problems(CHART.replace("One label", "Officials' label")) == [
        "a straight quote in “Officials' label”", "“Cut off at the edge” runs outside the chart",
        "“Officials' label” overlaps “Another label”"]
    # A label ending at the edge is inside; text under a rotation is not judged.
    assert chart_problems(CHART.replace('<text x="30" y="22">', '<text x="30" y="50">').replace(
        'translate(150, 0)', 'rotate(90)')) == []


def test_chart_text_rule_names_the_figure_page():
    body = f'<figure id="fig-t">{CHART}<figcaption>Figure 1. A chart</figcaption></figure>'
    found = [str(f) for f in preflight.inspect(layout(body), {"fig-t": "content/x.md:30"},
                                               charts={"fig-t": ("“Cut off” runs outside the chart",)})]
    assert found == ["content/x.md:30: page 1 (screen): chart-text: “Cut off” runs outside the chart"], found


def test_a_section_whose_last_page_holds_a_line_or_two_is_found():
    """A bullet carried over to an otherwise empty last page of a section is a fault; the same
    text on the page that opens the section (a short section) is not."""
    css = "p { text-align: left; orphans: 2; widows: 2; margin: 0 }"
    found = []
    for count in range(1, 40):
        body = ('<section class="chapter" id="s1">' + "".join(f'<p id="b-x-1">line {i}</p>' for i in range(count))
                + f'<ul><li id="b-x-2">{WORDS[:150]}</li></ul></section>'
                '<section class="chapter" id="s2" style="break-before: page"><p id="b-x-3">y</p></section>')
        pages = layout(body, css).pages
        if len(pages) == 3 and len(pages[1].lines) <= 3:
            found = findings(body, css, "section-tail")
            break
    assert found and "page 2 (screen): section-tail" in found[0]
    short = '<section class="chapter" id="s1"><p id="b-x-1">one line</p></section>'
    assert findings(short, css, "section-tail") == []


def test_a_citation_and_a_label_split_over_a_page_turn_are_found():
    css = "p { text-align: left; orphans: 1; widows: 1; margin: 0 }"
    lead = "".join(f'<p id="b-x-1">line {i}</p>' for i in range(12))
    for count in range(60):  # move the citation word by word until the page turn falls inside it
        body = lead + f'<p id="b-x-2">{"wo " * count}aaaaa [12, para. 4] {"word " * 40}</p>'
        pages = layout(body, css).pages
        last = pages[0].lines[-1].text
        if len(pages) > 1 and last.count("[") > last.count("]"):
            found = findings(body, css)
            assert any("page 1 (screen): citation-break: a citation is broken across pages 1–2" in f
                       for f in found), found
            return
    pytest.fail("no layout split the citation over the page turn")


def test_an_empty_line_has_no_end_to_check() -> None:
    """A line whose text is empty (WeasyPrint lays one out before a table's header row in some
    layouts) is neither a line ending on an opening bracket nor one starting with a closer: the
    check passes over it (it raised IndexError and failed the build without a file or line)."""
    from publisher.preflight import Layout, Line, Page, check_line_ends

    def line(text: str, y: float) -> Line:
        return Line(page=1, x=0, y=y, width=100, right=100, height=12, text=text, owner="p1", tags=("p",),
                    classes=frozenset(), align="left", last=False, block=1)

    page = Page(number=1, top=0, bottom=800, left=0, right=500, width=600, height=800, name="", blank=False,
                lines=[line("", 10), line("", 22), line("text (", 34), line(") more", 46)])
    found = [message for _, _, message in check_line_ends(Layout("screen", [page]))]
    assert found == ["“(” is left at the end of a line", "“)” starts a line"]
