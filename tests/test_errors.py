"""The error catalogue: bad input gives exact one-line messages with path, line and field,
exit code 1, no traceback, and leaves the output folder as it was."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from publisher.errors import ContentError
from publisher.loader import load_report
from tests.conftest import run_cli


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


CH1 = "chapters/01-context.md"
CH2 = "chapters/02-flows.md"
CH3 = "chapters/03-outlook.md"

READ_AFTER = ("content/references.yaml:8: accessed: 2026-01-20 is after the date of this edition (2026-01-15), which "
              "cites 'basin-atlas': a source cannot be read after the report that cites it")

# (id, change to the fixture, expected messages)
CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("yaml-syntax", lambda c: edit(c / "report.yaml", "category: Testing", "category: [Testing"),
     ["content/report.yaml:11: invalid YAML: expected ',' or ']', but got ':'"]),
    ("wrong-type", lambda c: edit(c / "report.yaml", "number: 2", "number: two"),
     ["content/report.yaml:14: edition.number: expected a whole number, got text"]),
    ("missing-field", lambda c: edit(c / "report.yaml", "title: Water Sharing in the Aral Basin\n", ""),
     ["content/report.yaml:1: title: required field is missing"]),
    ("impossible-date", lambda c: edit(c / "report.yaml", "published: 2026-02-01", "published: 2026-02-30"),
     ["content/report.yaml:12: published: impossible date '2026-02-30' (day is out of range for month)"]),
    ("malformed-date", lambda c: edit(c / "report.yaml", "date: 2026-03-15", "date: 15/03/2026"),
     ["content/report.yaml:15: edition.date: expected a date as YYYY-MM-DD, got '15/03/2026'"]),
    ("edition-before-publication", lambda c: edit(c / "report.yaml", "date: 2026-03-15", "date: 2026-01-15"),
     ["content/report.yaml:15: edition.date: 2026-01-15 is before the report's publication date (2026-02-01)",
      "content/report.yaml:18: edition.history[1].date: 2026-02-01 is after the date of this edition (2026-01-15)",
      READ_AFTER]),
    ("first-edition-not-the-publication", lambda c: edit(c / "report.yaml", "number: 2", "number: 1"),
     ["content/report.yaml:15: edition.date: 2026-03-15: the first edition is the publication, dated 2026-02-01 "
      "(published)",
      "content/report.yaml:18: edition.history[1].number: 1 is not an earlier edition than this one (1)"]),
    ("edition-flow-style", lambda c: edit(c / "report.yaml", "edition:\n  number: 2\n  date: 2026-03-15\n  note: "
                                          "Corrected the flow figures.\n  history:\n    - {number: 1, date: 2026-02-01, "
                                          "note: First edition.}", "edition: {number: 2,\n  date: 2026-01-15}"),
     ["content/report.yaml:14: edition.date: 2026-01-15 is before the report's publication date (2026-02-01)",
      READ_AFTER]),
    ("history-after-the-edition", lambda c: edit(c / "report.yaml", "{number: 1, date: 2026-02-01",
                                                 "{number: 1, date: 2026-04-01"),
     ["content/report.yaml:18: edition.history[1].date: 2026-04-01 is after the date of this edition (2026-03-15)"]),
    ("history-not-earlier", lambda c: edit(c / "report.yaml", "{number: 1, date", "{number: 3, date"),
     ["content/report.yaml:18: edition.history[1].number: 3 is not an earlier edition than this one (2)"]),
    ("source-read-after-the-edition", lambda c: edit(c / "references.yaml", "accessed: 2026-01-20",
                                                     "accessed: 2026-03-20"),
     ["content/references.yaml:8: accessed: 2026-03-20 is after the date of this edition (2026-03-15), which cites "
      "'basin-atlas': a source cannot be read after the report that cites it"]),
    ("source-after-the-edition", lambda c: edit(c / "references.yaml", "date: 2021-05", "date: 2026-04"),
     ["content/references.yaml:13: date: 2026-04 is after the date of this edition (2026-03-15), which cites "
      "'flow-data': a report cannot cite what was published after it"]),
    ("bad-slug", lambda c: edit(c / "report.yaml", "id: river-basin-note", "id: River Basin"),
     ["content/report.yaml:1: id: 'River Basin' does not match the pattern [a-z0-9]+(?:-[a-z0-9]+)*"]),
    ("duplicate-yaml-key", lambda c: edit(c / "report.yaml", "category: Testing", "category: Testing\ncategory: Again"),
     ["content/report.yaml:11: category: duplicate key"]),
    ("bad-choice", lambda c: edit(c / "report.yaml", "role: editor", "role: boss"),
     ["content/report.yaml:24: authors[2].role: 'boss' is not one of: author, editor, contributor"]),
    ("bad-url", lambda c: edit(c / "report.yaml", "url: https://example.org/", "url: example.org"),
     ["content/report.yaml:21: publisher.url: expected an http(s) URL, got 'example.org'"]),
    ("missing-chapter-file", lambda c: os.remove(c / CH3),
     ["content/report.yaml:35: chapters: file 'chapters/03-outlook.md' does not exist"]),
    ("chapter-escapes", lambda c: edit(c / "report.yaml", "- chapters/03-outlook.md", "- ../outside.md"),
     ["content/report.yaml:35: chapters: '../outside.md' points outside the content folder"]),
    ("chapter-name", lambda c: (os.rename(c / CH3, c / "chapters/outlook.md"),
                                edit(c / "report.yaml", "- chapters/03-outlook.md", "- chapters/outlook.md")),
     ["content/report.yaml:35: chapters: chapter file 'outlook.md' must be named NN-slug.md"]),
    ("no-front-matter", lambda c: (c / CH3).write_text("Just text.\n", encoding="utf-8"),
     ["content/chapters/03-outlook.md:1: missing YAML front matter (--- … ---)"]),
    ("front-matter-type", lambda c: edit(c / CH2, "title: Flows and measurements", "title: [Flows]"),
     ["content/chapters/02-flows.md:2: title: expected text, got a list"]),
    ("key-point-colon", lambda c: edit(c / CH1, '"A treaty of 1998 set the rules: quotas and a commission [@treaty-1998]."',
                                       "A treaty of 1998 set the rules: quotas"),
     ["content/chapters/01-context.md:7: key_points[2]: expected text, got a mapping "
      "(a colon followed by a space starts a mapping: quote the text)"]),
    ("unknown-field-strict", lambda c: edit(c / CH2, "title: Flows and measurements", "title: Flows and measurements\nauthor: Me"),
     ["content/chapters/02-flows.md:3: author: unknown field"]),
    ("empty-chapter", lambda c: (c / CH3).write_text("---\ntitle: Outlook\n---\n\n", encoding="utf-8"),
     ["content/chapters/03-outlook.md:4: body: the chapter has no text"]),
    ("enormous-chapter", lambda c: append(c / CH3, "word " * 420_000),
     ["content/chapters/03-outlook.md: file is larger than the limit of 2000000 bytes"]),
    ("invalid-utf8", lambda c: (c / CH3).write_bytes(b"---\ntitle: Outlook\n---\n\nbad \xff byte\n"),
     ["content/chapters/03-outlook.md:5: not valid UTF-8 (byte 28)"]),
    ("unknown-citation", lambda c: edit(c / CH3, "[@treaty-1998]", "[@treaty-1999]"),
     ["content/chapters/03-outlook.md:5: citation: unknown reference key 'treaty-1999'"]),
    ("citation-split-across-lines", lambda c: edit(c / CH3, "[@treaty-1998]", "[@treaty-1998;\n@basin-atlas]"),
     ["content/chapters/03-outlook.md:5: citation: a citation must not be split across lines"]),
    ("malformed-citation", lambda c: edit(c / CH3, "[@treaty-1998]", "[@treaty-1998; p. 4]"),
     ["content/chapters/03-outlook.md:5: citation: malformed citation 'p. 4'"]),
    ("unknown-xref", lambda c: edit(c / CH3, "@tbl:states", "@tbl:nations"),
     ["content/chapters/03-outlook.md:6: cross-reference: unknown target 'tbl:nations'"]),
    ("unknown-chapter-ref", lambda c: edit(c / CH3, "@ch:context", "@ch:contexts"),
     ["content/chapters/03-outlook.md:6: cross-reference: unknown target 'ch:contexts'"]),
    ("unknown-glossary", lambda c: edit(c / CH3, "@gls:SDGs", "@gls:MDGs"),
     ["content/chapters/03-outlook.md:5: abbreviation: unknown glossary key 'MDGs'"]),
    ("duplicate-section-id", lambda c: edit(c / CH3, "{#sec:outlook-questions}", "{#sec:context-rules}"),
     ["content/chapters/03-outlook.md:8: id: duplicate id 'sec:context-rules' "
      "(first defined at content/chapters/01-context.md:31)"]),
    ("duplicate-figure-id", lambda c: edit(c / CH2, "id: fig:map", "id: fig:flows"),
     ["content/chapters/02-flows.md:22: id: duplicate id 'fig:flows' "
      "(first defined at content/chapters/02-flows.md:8)",
      "content/chapters/02-flows.md:6: cross-reference: unknown target 'fig:map'"]),
    ("bad-heading-id", lambda c: edit(c / CH3, "{#sec:outlook-questions}", "{#questions}"),
     ["content/chapters/03-outlook.md:8: body: heading id 'questions' must start with 'sec:'"]),
    ("unusable-heading-id", lambda c: edit(c / CH3, "{#sec:outlook-questions}", "{#sec:outlook%41}"),
     ["content/chapters/03-outlook.md:8: body: heading id 'sec:outlook%41' is not an id: 'sec:' then letters, "
      "digits and . _ + - (ending in a letter, digit, _ or +)"]),
    ("level-one-heading", lambda c: append(c / CH3, "\n# Another title\n"),
     ["content/chapters/03-outlook.md:12: body: level-one headings are not allowed: the title is the chapter's"]),
    ("raw-html", lambda c: append(c / CH3, "\n<div>raw</div>\n"),
     ["content/chapters/03-outlook.md:12: body: raw HTML is not allowed (write \\< for a literal '<')"]),
    ("script", lambda c: append(c / CH3, "\nText <script>alert(1)</script> here.\n"),
     ["content/chapters/03-outlook.md:12: body: raw HTML is not allowed (write \\< for a literal '<')",
      "content/chapters/03-outlook.md:12: body: raw HTML is not allowed (write \\< for a literal '<')"]),
    ("inline-image", lambda c: append(c / CH3, "\n![a map](images/basin.png)\n"),
     ["content/chapters/03-outlook.md:12: body: inline images are not allowed: use a figure block with alt text"]),
    ("javascript-link", lambda c: append(c / CH3, "\n[click](javascript:alert(1))\n"),
     ["content/chapters/03-outlook.md:12: body: link target 'javascript:alert(1)' must be an http(s) URL; "
      "use @sec:/@fig:/@tbl: for internal references"]),
    ("undefined-footnote", lambda c: append(c / CH3, "\nA claim.[^missing]\n"),
     ["content/chapters/03-outlook.md:12: footnote: footnote [^missing] has no definition"]),
    ("missing-alt", lambda c: edit(c / CH2, "alt: A blue square standing in for a map of the basin.\n", ""),
     ["content/chapters/02-flows.md:23: figure.alt: required field is missing"]),
    ("missing-image", lambda c: os.remove(c / "images/basin.png"),
     ["content/chapters/02-flows.md:25: figure.src: file 'images/basin.png' does not exist"]),
    ("image-escapes", lambda c: edit(c / CH2, "src: images/basin.png", "src: ../../etc/passwd"),
     ["content/chapters/02-flows.md:25: figure.src: '../../etc/passwd' points outside the content folder"]),
    ("remote-image", lambda c: edit(c / CH2, "src: images/basin.png", "src: https://example.org/map.png"),
     ["content/chapters/02-flows.md:25: figure.src: 'https://example.org/map.png' is a URL: "
      "content may only use files inside the content folder"]),
    ("symlink-outside", lambda c: (os.remove(c / "images/basin.png"),
                                   os.symlink("/etc/hostname", c / "images/basin.png")),
     ["content/chapters/02-flows.md:25: figure.src: 'images/basin.png' points outside the content folder"]),
    ("unknown-figure-kind", lambda c: edit(c / CH2, "kind: bar", "kind: pie"),
     ["content/chapters/02-flows.md:10: figure.kind: 'pie' is not one of: bar, grouped-bar, stacked-bar, line, timeline, map, vega-lite, image"]),
    ("bar-value-text", lambda c: edit(c / "data/flows.yaml", "value: 73", "value: lots"),
     ["content/data/flows.yaml:1: row 1: value: expected a number, got text"]),
    ("timeline-bad-date", lambda c: edit(c / "data/events.yaml", '"2005"', '"2005-13"'),
     ["content/data/events.yaml:3: row 3: date: impossible date '2005-13' (month must be in 1..12)"]),
    ("table-without-rows", lambda c: edit(c / CH1, "data: data/states.yaml\n", ""),
     ["content/chapters/01-context.md:41: table.data: needs a data file or inline rows"]),
    ("data-not-a-list", lambda c: (c / "data/states.yaml").write_text("state: one\n", encoding="utf-8"),
     ["content/chapters/01-context.md:43: table.data: data must be a non-empty list of mappings"]),
    ("duplicate-reference", lambda c: append(c / "references.yaml",
                                             "- {key: basin-atlas, type: book, title: Again, publisher: X, date: 2020}\n"),
     ["content/references.yaml:21: key: duplicate key 'basin-atlas' (first on line 1)"]),
    ("reference-not-cited", lambda c: append(c / "references.yaml",
                                             "- {key: spare, type: book, title: Spare, publisher: X, date: 2020}\n"),
     ["content/references.yaml:21: key: reference 'spare' is never cited"]),
    ("reference-missing-title", lambda c: edit(c / "references.yaml", "  title: Atlas of the Aral Basin\n", ""),
     ["content/references.yaml:1: [1].title: required field is missing"]),
    ("yaml-python-tag", lambda c: edit(c / "report.yaml", "category: Testing",
                                       'category: !!python/object/apply:os.system ["echo hi"]'),
     ["content/report.yaml:10: invalid YAML: could not determine a constructor for the tag "
      "'tag:yaml.org,2002:python/object/apply:os.system'"]),
    ("control-character", lambda c: edit(c / CH3, "title: Outlook", 'title: "Out\\x07look"'),
     ["content/chapters/03-outlook.md:2: title: control character U+0007 is not allowed"]),
    ("raw-control-character", lambda c: append(c / CH3, "\nbell \x07 here\n"),
     ["content/chapters/03-outlook.md:12: control character U+0007 is not allowed"]),
    ("glossary-type", lambda c: edit(c / "glossary.yaml", "expansion: Sustainable Development Goals",
                                     "expansion: [Sustainable]"),
     ["content/glossary.yaml:5: [2].expansion: expected text, got a list"]),
    # Issue 12: a single-line field refuses every line break, not only \n (a CR would start a new RIS tag).
    ("author-carriage-return", lambda c: edit(c / "report.yaml", "{name: Ada Fixture, role: author}",
                                              '{name: "Ada\\rFixture", role: author}'),
     ["content/report.yaml:23: authors[1].name: must be a single line"]),
    ("title-line-separator", lambda c: edit(c / CH3, "title: Outlook", 'title: "Out\\u2028look"'),
     ["content/chapters/03-outlook.md:2: title: must be a single line"]),
    ("publisher-next-line", lambda c: edit(c / "report.yaml", "name: Fixture Institute", 'name: "Fixture\\x85Institute"'),
     ["content/report.yaml:20: publisher.name: must be a single line"]),
    ("glossary-paragraph-separator", lambda c: edit(c / "glossary.yaml", "expansion: Sustainable Development Goals",
                                               'expansion: "Sustainable\\u2029Development Goals"'),
     ["content/glossary.yaml:5: [2].expansion: must be a single line"]),
    # Issue 13: what the docs call required is required (an empty list stopped the EPUB writer).
    ("no-chapters", lambda c: edit(c / "report.yaml", "chapters:\n  - chapters/01-context.md\n"
                                   "  - chapters/02-flows.md\n  - chapters/03-outlook.md", "chapters: []"),
     ["content/report.yaml:32: chapters: needs at least 1 item"]),
    ("no-authors", lambda c: edit(c / "report.yaml", "authors:\n  - {name: Ada Fixture, role: author}\n"
                                  "  - {name: Ben Editor, role: editor}", "authors: []"),
     ["content/report.yaml:22: authors: needs at least 1 item"]),
    # Every bad row of a data file, not only the first.
    ("every-bad-row", lambda c: edit(c / "data/events.yaml", 'date: "1998-03"', 'date: "1998-13"') or
     edit(c / "data/events.yaml", "level: expert}", "}") or edit(c / "data/events.yaml", '"2024-06-30"', '"2024-02-30"'),
     ["content/data/events.yaml:2: row 2: date: impossible date '1998-13' (month must be in 1..12)",
      "content/data/events.yaml:3: row 3: level: required field is missing",
      "content/data/events.yaml:5: row 5: date: impossible date '2024-02-30' "
      "(day is out of range for month)"]),
    # Review of issue 13: names the publisher uses itself, and keys text cannot refer to.
    ("reserved-front-name", lambda c: (os.rename(c / "front/summary.md", c / "front/glossary.md"),
                                       edit(c / "report.yaml", "- front/summary.md", "- front/glossary.md")),
     ["content/report.yaml:31: front: 'glossary.md': the name 'glossary' is the publisher's own (the report's "
      "glossary); rename the file"]),
    ("abbreviation-ending-in-a-dot", lambda c: edit(c / "glossary.yaml", "abbr: SDGs", "abbr: U.N."),
     ["content/glossary.yaml:4: [2].abbr: 'U.N.' does not match the pattern "
      "[A-Za-z0-9](?:[A-Za-z0-9_.+-]*[A-Za-z0-9_+])?"]),
    # Issue 16: a cell may call a note of its chapter; one that is defined nowhere is refused there.
    ("undefined-footnote-in-a-cell", lambda c: edit(c / CH2, "{name: Upper gauge,", '{name: "Upper gauge[^gone]",'),
     ["content/chapters/02-flows.md:37: footnote: footnote [^gone] has no definition"]),
    ("table-data-and-rows", lambda c: edit(c / CH2, "caption: Gauging stations.",
                                           "caption: Gauging stations.\ndata: data/states.yaml"),
     ["content/chapters/02-flows.md:37: table.rows: give the rows either inline or in a data file, not both"]),
    ("image-without-src", lambda c: edit(c / CH2, "src: images/basin.png\n", ""),
     ["content/chapters/02-flows.md:23: figure.src: required field is missing (when kind is image)"]),
    # Issue 14: every kind of input that escaped as a traceback, or that was accepted and then
    # took minutes to build, is refused with its file and line (the limits: tests/test_limits.py).
    ("yaml-nested-too-deep", lambda c: edit(c / "report.yaml", "category: Testing", "category: " + "[" * 5000),
     ["content/report.yaml:10: invalid YAML: lists and mappings are nested more than 100 levels deep"]),
    ("front-matter-nested-too-deep", lambda c: edit(c / CH3, "title: Outlook", "title: Outlook\nx: " + "{a: " * 3000),
     ["content/chapters/03-outlook.md:3: invalid YAML: lists and mappings are nested more than 100 levels deep"]),
    ("yaml-list-as-key", lambda c: edit(c / "report.yaml", "category: Testing", "category: Testing\n? [a, b]\n: c"),
     ["content/report.yaml:11: invalid YAML: a key must be text, not a list"]),
    ("yaml-mapping-as-key", lambda c: append(c / "data/flows.yaml", "- {? {a: 1}: x}\n"),
     ["content/data/flows.yaml:3: invalid YAML: a key must be text, not a mapping"]),
    ("yaml-explicit-tag-that-does-not-fit", lambda c: edit(c / "report.yaml", "number: 2", "number: !!int two"),
     ["content/report.yaml:14: invalid YAML: the value cannot be read as !!int"]),
    ("yaml-impossible-timestamp", lambda c: edit(c / "data/events.yaml", '"2024-06-30"', "!!timestamp 2024-02-30"),
     ["content/data/events.yaml:5: invalid YAML: the value cannot be read as !!timestamp"]),
    ("yaml-recursive-alias", lambda c: edit(c / "report.yaml", "category: Testing", "category: Testing\nx: &a [*a]"),
     ["content/report.yaml:11: invalid YAML: an alias refers to a list or mapping that holds it"]),
    ("number-of-5000-digits", lambda c: edit(c / "report.yaml", "number: 2", "number: " + "9" * 5000),
     ["content/report.yaml:14: invalid YAML: a number of 5000 characters is too long (at most 100): "
      "quote it if it is text"]),
    ("hex-number-of-5000-digits", lambda c: edit(c / "data/flows.yaml", "value: 73", "value: 0x" + "f" * 5000),
     ["content/data/flows.yaml:1: invalid YAML: a number of 5002 characters is too long (at most 100): "
      "quote it if it is text"]),
    ("edition-number-of-250-digits", lambda c: edit(c / "report.yaml", "number: 2", "number: " + "9" * 250),
     ["content/report.yaml:14: invalid YAML: a number of 250 characters is too long (at most 100): "
      "quote it if it is text"]),
    ("title-number-of-90-digits", lambda c: edit(c / CH3, "title: Outlook", "title: " + "9" * 90),
     ["content/chapters/03-outlook.md:2: title: the number is too long: quote it as text"]),
    ("lone-surrogate-in-title", lambda c: edit(c / "report.yaml", "title: Water Sharing in the Aral Basin",
                                               'title: "Water \\ud800"'),
     ["content/report.yaml:2: invalid YAML: U+D800 is half of a UTF-16 surrogate pair, not a character"]),
    ("lone-surrogate-in-a-cell", lambda c: edit(c / "data/states.yaml", "share: 43 %", 'share: "43 \\udfff"'),
     ["content/data/states.yaml:1: invalid YAML: U+DFFF is half of a UTF-16 surrogate pair, not a character"]),
    ("control-character-in-a-cell", lambda c: edit(c / "data/states.yaml", "share: 43 %", 'share: "43 \\x0c"'),
     ["content/data/states.yaml:1: row 1: share: control character U+000C is not allowed"]),
    ("form-feed-character-reference", lambda c: append(c / CH3, "\nA form feed &#12; here.\n"),
     ["content/chapters/03-outlook.md:12: body: control character U+000C is not allowed"]),
    ("report-id-too-long", lambda c: edit(c / "report.yaml", "id: river-basin-note", "id: " + "a" * 65),
     ["content/report.yaml:1: id: is 65 characters long (at most 64)"]),
    ("figure-id-too-long", lambda c: (edit(c / CH2, "id: fig:flows", "id: fig:" + "f" * 37),
                                      edit(c / CH2, "@fig:flows", "@fig:" + "f" * 37)),
     ["content/chapters/02-flows.md:9: figure.id: is 41 characters long (at most 40)"]),
    ("chapter-slug-too-long", lambda c: (os.rename(c / CH3, c / f"chapters/03-{'o' * 65}.md"),
                                         edit(c / "report.yaml", "- chapters/03-outlook.md",
                                              f"- chapters/03-{'o' * 65}.md")),
     [f"content/report.yaml:35: chapters: '03-{'o' * 55}…: the name is 65 characters long without its number "
      "(at most 64)"]),
    ("chapter-name-too-long-for-the-system", lambda c: edit(c / "report.yaml", "- chapters/03-outlook.md",
                                                            f"- chapters/03-{'o' * 300}.md"),
     [f"content/report.yaml:35: chapters: 'chapters/03-{'o' * 46}… cannot be read (File name too long)"]),
    ("symlink-loop", lambda c: (os.symlink("loop-b", c / "loop-a"), os.symlink("loop-a", c / "loop-b"),
                                edit(c / "report.yaml", "- chapters/03-outlook.md", "- loop-a/x.md")),
     ["content/report.yaml:35: chapters: 'loop-a/x.md' is a loop of symbolic links"]),
    ("glossary-links-to-itself", lambda c: (os.remove(c / "glossary.yaml"), os.symlink("glossary.yaml", c / "glossary.yaml")),
     ["content/glossary.yaml: 'glossary.yaml' is a loop of symbolic links"]),
    ("image-name-not-utf-8", lambda c: (os.rename(c / "images/basin.png", os.fsencode(c / "images") + b"/\xffbasin.png"),
                                        os.symlink(b"\xffbasin.png", os.fsencode(c / "images/basin.png"))),
     ["content/chapters/02-flows.md:25: figure.src: 'images/basin.png' leads to a file whose name is not UTF-8 text"]),
    ("chapter-too-deep", lambda c: (os.makedirs(c / ("d/" * 33)), os.rename(c / CH3, c / ("d/" * 33) / "03-outlook.md"),
                                    edit(c / "report.yaml", "- chapters/03-outlook.md", "- " + "d/" * 33 + "03-outlook.md")),
     ["content/report.yaml:35: chapters: 'd/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/… is more than 32 "
      "folders deep in the content folder"]),
    ("nested-emphasis", lambda c: append(c / CH3, "\n" + "*a " * 1000 + "b" + " a*" * 1000 + "\n"),
     ["content/chapters/03-outlook.md:12: body: emphasis, links and other markup are nested 1000 levels deep "
      "(at most 20)"]),
    ("nested-emphasis-in-a-caption", lambda c: edit(c / CH2, "caption: Sketch of the basin.",
                                                    "caption: " + "_a " * 30 + "b" + " a_" * 30),
     ["content/chapters/02-flows.md:26: figure.caption: emphasis, links and other markup are nested 30 levels deep "
      "(at most 20)"]),
    ("nested-brackets", lambda c: append(c / CH3, "\n" + "[" * 5000 + "a" + "]" * 5000 + "\n"),
     ["content/chapters/03-outlook.md:12: body: the line has 10001 characters (at most 10000): "
      "break it into paragraphs"]),
    ("paragraph-on-one-line-of-2-mb", lambda c: append(c / CH3, "\n" + "word " * 380_000 + "\n"),
     ["content/chapters/03-outlook.md:12: body: the line has 1900000 characters (at most 10000): "
      "break it into paragraphs"]),
    ("paragraph-too-long", lambda c: append(c / CH3, "\n" + ("word " * 16 + "\n") * 130),
     ["content/chapters/03-outlook.md:12: body: the paragraph has 10528 characters (at most 10000): split it"]),
    ("key-point-too-long", lambda c: edit(c / CH1, "  - Five states share the basin [@basin-atlas].",
                                          "  - " + "x" * 10_001),
     ["content/chapters/01-context.md:6: key_points[1]: the text has 10001 characters (at most 10000)"]),
    ("caption-line-too-long", lambda c: edit(c / CH2, "caption: Sketch of the basin.", "caption: " + "x" * 10_001),
     ["content/chapters/02-flows.md:26: body: the line has 10010 characters (at most 10000): "
      "break it into paragraphs"]),
    ("quotes-nested-too-deep", lambda c: append(c / CH3, "\n" + "> " * 25 + "deep\n"),
     ["content/chapters/03-outlook.md:12: body: lists and block quotes are nested more than 20 deep"]),
    ("too-many-elements", lambda c: append(c / CH3, ("\n" + "*a* " * 2000 + "\n") * 6),
     ["content/chapters/03-outlook.md:20: body: the text has more than 10000 elements (paragraphs, emphasis, "
      "citations …): split the chapter"]),
    ("too-many-elements-in-the-report", lambda c: [append(c / name, ("\n" + "*a* " * 2000 + "\n") * 4)
                                                   for name in (CH1, CH2, CH3)],
     ["content/chapters/03-outlook.md:4: with this text the report has more than 20000 elements (paragraphs, "
      "emphasis, citations, table cells …)"]),
    ("pipe-table-too-long", lambda c: append(c / CH3, "\n| a | b |\n| - | - |\n" + "| x | y |\n" * 501),
     ["content/chapters/03-outlook.md:12: body: the table has 501 rows (at most 500)"]),
    ("table-too-long", lambda c: (c / "data/states.yaml").write_text(
        "".join(f"- {{state: S{i}, share: {i} %}}\n" for i in range(501)), encoding="utf-8"),
     ["content/chapters/01-context.md:40: table: the table has 501 rows (at most 500)"]),
    ("table-too-wide", lambda c: edit(c / CH1, "  - {key: sources, label: Sources}",
                                      "\n".join(f"  - {{key: k{i}, label: K{i}}}" for i in range(9))),
     ["content/chapters/01-context.md:40: table: the table has 11 columns (at most 10)"]),
    ("bar-chart-too-long", lambda c: (c / "data/flows.yaml").write_text(
        "".join(f"- {{label: River {i}, value: {i}}}\n" for i in range(201)), encoding="utf-8"),
     ["content/chapters/02-flows.md:8: figure: the chart's data has 201 rows (at most 200)"]),
    ("timeline-too-many-levels", lambda c: (c / "data/events.yaml").write_text(
        "".join(f"- {{date: \"{1990 + i}\", level: level-{i}}}\n" for i in range(21)), encoding="utf-8"),
     ["content/chapters/01-context.md:18: figure: the timeline has 21 levels (at most 20)"]),
    ("bar-value-nan", lambda c: edit(c / "data/flows.yaml", "value: 73", "value: .nan"),
     ["content/data/flows.yaml:1: row 1: value: nan is not a number that can be drawn"]),
    ("bar-value-infinite", lambda c: edit(c / "data/flows.yaml", "value: 73", "value: -.inf"),
     ["content/data/flows.yaml:1: row 1: value: -inf is not a number that can be drawn"]),
    ("bar-value-10-to-the-400", lambda c: edit(c / "data/flows.yaml", "value: 73", "value: 1.0e+400"),
     ["content/data/flows.yaml:1: row 1: value: inf is not a number that can be drawn"]),
    ("bar-value-of-100-digits", lambda c: edit(c / "data/flows.yaml", "value: 73", "value: " + "9" * 100),
     [f"content/data/flows.yaml:1: row 1: value: {'9' * 59}… is not a number that can be drawn"]),
    ("timeline-date-nan", lambda c: edit(c / "data/events.yaml", '"2024-06-30"', ".nan"),
     ["content/data/events.yaml:5: row 5: date: expected a date as YYYY-MM-DD, got 'nan'"]),
    ("timeline-year-0", lambda c: edit(c / "data/events.yaml", '"2024-06-30"', '"0000-06-30"'),
     ["content/data/events.yaml:5: row 5: date: impossible date '0000-06-30' (year 0 is out of range)"]),
    # Issue 16: what would print as written, or be dropped, is refused where it is written.
    ("in-text-citation", lambda c: append(c / CH3, "\nAs @basin-atlas shows.\n"),
     ["content/chapters/03-outlook.md:12: citation: @basin-atlas is not a citation: write [@basin-atlas] "
      "(or \\@basin-atlas for the text)"]),
    ("note-called-in-a-heading", lambda c: append(c / CH3, "\n## A heading[^h]\n\nText.\n\n[^h]: A note.\n"),
     ["content/chapters/03-outlook.md:12: footnote: a heading cannot call a note (the contents and bookmarks "
      "repeat it): call it in the text below"]),
    ("note-called-in-a-link", lambda c: append(c / CH3, "\nSee [the atlas[^a]](https://example.org/).\n\n"
                                                        "[^a]: A note.\n"),
     ["content/chapters/03-outlook.md:12: footnote: a link's text cannot call a note (links do not nest): call it "
      "after the link"]),
    ("note-calls-a-note", lambda c: append(c / CH3, "\nText.[^a]\n\n[^a]: A note.[^b]\n\n[^b]: Another.\n"),
     ["content/chapters/03-outlook.md:14: footnote: a note cannot call another note: write both notes in the text"]),
    ("heading-in-a-note", lambda c: append(c / CH3, "\nText.[^a]\n\n[^a]: A note.\n\n    ## A heading\n"),
     ["content/chapters/03-outlook.md:16: footnote: a note cannot hold a heading"]),
    ("figure-in-a-note", lambda c: append(c / CH3, "\nText.[^a]\n\n[^a]: A note.\n\n    ```figure\n    id: fig:x\n"
                                                   "    ```\n"),
     ["content/chapters/03-outlook.md:16: footnote: a note cannot hold a figure block: put it in the text"]),
    ("note-defined-twice", lambda c: append(c / CH3, "\nText.[^a]\n\n[^a]: One.\n\n[^a]: Two.\n"),
     ["content/chapters/03-outlook.md:16: footnote: footnote [^a] is defined twice (first on line 14)"]),
    ("note-never-called", lambda c: append(c / CH3, "\n[^lost]: A note that no text calls.\n"),
     ["content/chapters/03-outlook.md:12: footnote: footnote [^lost] is never called"]),
    ("undefined-note-in-a-key-point", lambda c: edit(c / CH1, "  - Five states share the basin [@basin-atlas].",
                                                     "  - Five states share the basin.[^gone]"),
     ["content/chapters/01-context.md:6: footnote: footnote [^gone] has no definition"]),
    ("undefined-note-in-a-caption", lambda c: edit(c / CH2, "caption: Gauging stations.",
                                                   "caption: Gauging stations.[^gone]"),
     ["content/chapters/02-flows.md:32: footnote: footnote [^gone] has no definition"]),
    # ISBN-13: the check digit (978-3-16-148410-0 is valid), the prefix, the shape.
    ("isbn-check-digit", lambda c: edit(c / "report.yaml", "keywords:", "isbn: 978-3-16-148410-9\nkeywords:"),
     ["content/report.yaml:25: isbn: the check digit of 978-3-16-148410-9 is wrong: 9 where the other digits give 0"]),
    ("isbn-prefix", lambda c: edit(c / "report.yaml", "keywords:", "isbn: 123-3-16-148410-0\nkeywords:"),
     ["content/report.yaml:25: isbn: an ISBN-13 starts with 978 or 979, not 123"]),
    ("isbn-shape", lambda c: edit(c / "report.yaml", "keywords:", "isbn: 3-16-148410-X\nkeywords:"),
     ["content/report.yaml:25: isbn: expected an ISBN-13 (13 digits, hyphens allowed), got '3-16-148410-X'"]),
    # The paper's thickness: one way at most, and one that paper can have.
    ("caliper-and-ppi", lambda c: append(c / "report.yaml", "print:\n  caliper: 0.1\n  ppi: 400\n"),
     ["content/report.yaml:40: print.ppi: give the paper's caliper or its pages per inch, not both"]),
    ("caliper-range", lambda c: append(c / "report.yaml", "print:\n  caliper: 2\n"),
     ["content/report.yaml:39: print.caliper: 2 mm is not the thickness of a leaf of book paper (0.04–0.5 mm)"]),
    ("paper-choice", lambda c: append(c / "report.yaml", "print:\n  paper: glossy\n"),
     ["content/report.yaml:39: print.paper: 'glossy' is not one of: uncoated, coated"]),
]


@pytest.mark.parametrize("change, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_content_error_messages(content: Path, change: Callable[[Path], None], expected: list[str]) -> None:
    change(content)
    with pytest.raises(ContentError) as caught:
        load_report(content, strict=True)
    assert [str(p) for p in caught.value.problems] == expected


def test_a_note_never_called_is_a_warning_without_strict(content: Path) -> None:
    append(content / CH3, "\n[^lost]: A note that no text calls.\n")
    _, warnings = load_report(content, strict=False)
    assert [str(w) for w in warnings] == ["content/chapters/03-outlook.md:12: footnote: footnote [^lost] is never "
                                          "called"]


def test_unknown_field_is_a_warning_without_strict(content: Path) -> None:
    edit(content / CH2, "title: Flows and measurements", "title: Flows and measurements\nauthor: Me")
    report, warnings = load_report(content, strict=False)
    assert [str(w) for w in warnings] == ["content/chapters/02-flows.md:3: author: unknown field"]
    assert len(report.chapters) == 3


def test_every_error_is_reported_not_only_the_first(content: Path) -> None:
    edit(content / CH3, "[@treaty-1998]", "[@nope]")
    edit(content / CH3, "@tbl:states", "@tbl:nope")
    with pytest.raises(ContentError) as caught:
        load_report(content)
    assert len(caught.value.problems) == 2


@pytest.mark.parametrize("change, expected", [CASES[0][1:], CASES[19][1:], CASES[36][1:]],
                         ids=[CASES[0][0], CASES[19][0], CASES[36][0]])
def test_cli_reports_error_and_leaves_output_alone(content: Path, tmp_path: Path,
                                                   change: Callable[[Path], None],
                                                   expected: list[str]) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "previous.pdf").write_bytes(b"%PDF-previous")
    change(content)
    os.chdir(content.parent)
    result = run_cli("--content", "content", "--out", str(out))
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: {line}" for line in expected]
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["previous.pdf"]
