"""The loader turns a content folder into a frozen, numbered Report."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from publisher.loader import load_report
from tests.conftest import MINIMAL


@pytest.fixture(scope="module")
def report():
    return load_report(MINIMAL, strict=True)[0]


def test_chapters_in_order_with_numbers(report):
    assert [(c.number, c.slug, c.title) for c in report.chapters] == [
        (1, "context", "Context of the Basin"),
        (2, "flows", "Flows and measurements"),
        (3, "outlook", "Outlook"),
    ]
    assert [c.slug for c in report.front] == ["summary"]
    assert report.chapters[0].short_title == "Context"
    assert report.chapters[1].short_title == "Flows and measurements"


def test_sections_are_numbered_per_chapter(report):
    headings = [(h.number, h.title, h.level) for h in report.chapters[0].headings]
    assert headings == [("1.1", "Geography", 2), ("1.1.1", "Upstream and downstream", 3),
                        ("1.2", "Rules", 2)]
    assert report.chapters[0].headings[0].id == "sec-context-geography"


def test_figures_and_tables_numbered_across_the_report(report):
    assert [(f.number, f.id, f.chapter) for f in report.figures] == [
        (1, "fig-events", "context"), (2, "fig-flows", "flows"), (3, "fig-map", "flows")]
    assert [(t.number, t.id) for t in report.tables] == [(1, "tbl-states"), (2, "tbl-gauges")]
    assert report.tables[0].caption == "The basin states and their shares."


def test_citations_numbered_by_first_use(report):
    # The introduction cites basin-atlas first, the front matter flow-data, then treaty-1998.
    assert [(r.number, r.key) for r in report.references] == [
        (1, "basin-atlas"), (2, "flow-data"), (3, "treaty-1998")]
    assert report.references[0].entry.title.startswith("Atlas of the Aral Basin")
    assert report.references[2].entry.language == "ru"


def test_figures_and_tables_carry_their_data(report):
    timeline, flows, image = report.figures
    assert len(timeline.rows) == 5 and timeline.spec.kind == "timeline"
    assert flows.spec.unit == "km³" and image.asset == "images/basin.png"
    states = report.tables[0]
    assert [c.key for c in states.spec.columns] == ["state", "share", "sources"]
    assert str(states.rows[0][0]) == "Upstream A"
    # Only the image figure's file is an asset: charts are drawn by each writer.
    assert [a.name for a in report.assets] == ["images/basin.png"]


def test_the_model_is_format_neutral(report):
    # Nothing rendered: bodies are parsed token trees with their anchors already set.
    chapter = report.chapters[0]
    assert not any(hasattr(chapter, name) for name in ("html_print", "html_epub", "html_web"))
    assert [h.id for h in chapter.headings] == ["sec-context-geography", "sec-context-upstream", "sec-context-rules"]
    fences = [t.map[0] for t in chapter.body.tokens if t.type == "fence"]
    assert [chapter.body.blocks[line] for line in fences] == ["fig:events", "tbl:states"]


def test_metadata(report):
    meta = report.meta
    assert meta.id == "river-basin-note"
    assert meta.edition.number == 2 and meta.edition.date == "2026-03-15"
    assert [(e.number, e.date) for e in meta.edition.history] == [(1, "2026-02-01")]
    assert meta.urn == "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "report:river-basin-note"))
    assert meta.language == "en" and meta.category == "Testing"


def test_word_counts_skip_citation_syntax(report):
    outlook = report.chapters[2]
    # "The outlook depends on cooperation and on the SDGs, as Chapter 1 and Table 1 show."
    # (16 words) plus the heading (2) and the last paragraph (9): citation keys are not words.
    assert outlook.word_count == 27


def test_report_is_frozen(report):
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.meta = None  # type: ignore[misc]


def test_chart_data_gets_typographic_quotes(content):
    # A chart's labels are prose like any other text field (model.BarRow.label, TimelineRow.label).
    (content / "data" / "flows.yaml").write_text("""- {label: "Officials' \\"big\\" river", value: 73}\n""",
                                                 encoding="utf-8")
    flows = load_report(content)[0].figures[1]
    assert flows.rows[0].label == "Officials’ “big” river", flows.rows


def test_windows_line_ends_and_a_byte_order_mark_are_read_as_usual(content):
    plain_report = load_report(content)[0]
    for path in [content / "report.yaml", *content.glob("chapters/*.md"), *content.glob("data/*.yaml")]:
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    windows = load_report(content)[0]
    assert [c.title for c in windows.chapters] == [c.title for c in plain_report.chapters]
    assert [c.word_count for c in windows.chapters] == [c.word_count for c in plain_report.chapters]
    assert windows.meta.introduction.source == plain_report.meta.introduction.source


def test_a_kept_yaml_document_is_the_document_parsed(tmp_path, monkeypatch):
    import os
    import pickle

    from publisher import yamlfile

    text = "a: 1\nb:\n  - x\n  - {c: [1, 2.5, null, true], d: !!binary aGk=}\n"
    with yamlfile.kept_in(tmp_path):
        parsed, problems = yamlfile.parse_yaml(text, "data/f.yaml", 3)
        assert problems == [] and not list(tmp_path.iterdir())  # written once the report has loaded
    assert len(list(tmp_path.iterdir())) == 1
    with monkeypatch.context() as patched, yamlfile.kept_in(tmp_path):
        patched.setattr(yamlfile, "_parse", lambda *args: pytest.fail("parsed again"))
        kept, problems = yamlfile.parse_yaml(text, "data/f.yaml", 3)
    assert kept == parsed and problems == []
    assert (kept.line, kept.key_lines, kept["b"].item_lines) == (parsed.line, parsed.key_lines, parsed["b"].item_lines)
    assert kept["b"][1].line_of("d") == 6 and isinstance(kept["b"], yamlfile.Seq)
    # A file in the cache that names anything else is not loaded: the text is parsed again.
    (path,) = tmp_path.iterdir()
    path.write_bytes(pickle.dumps(os.getcwd))
    with yamlfile.kept_in(tmp_path):
        assert yamlfile.parse_yaml(text, "data/f.yaml", 3) == (parsed, [])
    # A document with problems is not kept, and nothing is written when the report does not load.
    with yamlfile.kept_in(tmp_path / "new"):
        assert yamlfile.parse_yaml("a: 1\na: 2\n", "data/g.yaml")[1]
    with pytest.raises(ValueError), yamlfile.kept_in(tmp_path / "new"):
        yamlfile.parse_yaml("b: 1\n", "data/h.yaml")
        raise ValueError("the report does not load")
    assert not (tmp_path / "new").exists()
