"""The real report in content/: structure, length, citations, and its outputs."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from publisher.markdown import CITATION, CITE_ITEM, XREF
from tests.conftest import CONTENT
from tests.pdfcheck import fonts, outline, page_of, page_texts, structure_tags

TITLES = [
    "Overview: Review of Japan–Central Asia Cooperation",
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


RESEARCH = Path(os.environ.get("PUBLISHER_RESEARCH", Path(__file__).resolve().parents[2] / "shared" / "research"))


def test_references_come_from_the_research_sources(report):
    # The research folder lives beside the project (../shared/research), not in it; a clone
    # without it cannot run this test, and says so (set PUBLISHER_RESEARCH to point at it).
    research = RESEARCH / "sources.yaml"
    if not research.exists():
        pytest.skip(f"no research sources at {research} (../shared/research beside the project, "
                    "or PUBLISHER_RESEARCH): the report's references were not checked against them")
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


def test_pdf_headings_one_h1_per_chapter_and_in_order(real_built):
    tags = [t for t in structure_tags(real_built.file("-screen.pdf")) if re.fullmatch(r"H[1-6]", t)]
    # Contents, two lists, the introduction, two front sections, nine chapters, bibliography, glossary.
    assert tags.count("H1") == 17
    levels = [int(t[1]) for t in tags]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), "a heading level is skipped"


def test_bookmarks_match_chapters_and_sections(real_built, report):
    marks = outline(real_built.file("-screen.pdf"))
    top = [title for depth, title in marks if depth == 0]
    assert top == ["Contents", "List of figures", "List of tables", "Introduction",
                   *[c.title for c in report.front], *TITLES, "Bibliography", "Glossary"]
    for chapter in report.chapters:
        start = marks.index((0, chapter.title))
        end = next((i for i in range(start + 1, len(marks)) if marks[i][0] == 0), len(marks))
        sections = [title for depth, title in marks[start + 1:end] if depth == 1]
        assert sections == [f"{h.number} {h.title}" for h in chapter.headings if h.level == 2]


def test_no_running_heads_on_openers_or_blank_pages(real_built):
    running = "Central Asia + Japan” Dialogue Summit Tokyo Declaration"
    # The screen edition puts the report title on every page; print, on left-hand pages only.
    for suffix, expected in (("-screen.pdf", 50), ("-print.pdf", 18)):
        texts = page_texts(real_built.file(suffix))
        for number, text in enumerate(texts, 1):
            if re.search(r"CHAPTER \d", text) or not text.strip():
                assert running not in text, (suffix, number)
        # Ordinary pages do carry them.
        assert sum(running in t for t in texts) >= expected


def test_print_edition_geometry(real_built):
    import pikepdf

    a4, bleed, mm = (595.276, 841.89), 3 / 25.4 * 72, 72 / 25.4
    with pikepdf.open(real_built.file("-print.pdf")) as pdf:
        for page in pdf.pages:
            trim = [float(v) for v in page.TrimBox]
            bleeds = [float(v) for v in page.BleedBox]
            media = [float(v) for v in page.MediaBox]
            assert (trim[2] - trim[0], trim[3] - trim[1]) == pytest.approx(a4, abs=0.5)
            assert (bleeds[2] - bleeds[0], bleeds[3] - bleeds[1]) == pytest.approx(
                (a4[0] + 2 * bleed, a4[1] + 2 * bleed), abs=0.05)
            # The sheet holds the crop marks outside the bleed: at least 5 mm of them past it.
            assert media[0] <= bleeds[0] - 5 * mm and media[3] >= bleeds[3] + 5 * mm
    texts = page_texts(real_built.file("-print.pdf"))
    for number in range(1, 10):
        opener = page_of(texts, rf"CHAPTER {number}\s*\n", start=5)
        assert opener % 2 == 1, f"chapter {number} opens on page {opener}, a left-hand page"


def test_rebuild_is_byte_identical(real_built, tmp_path):
    # The EPUB and every web file, rebuilt from the same content and the same print layout; that
    # the PDFs rebuild identically is shown on the fixture (test_cli), which costs a tenth.
    import shutil

    from tests.conftest import run_cli

    again = tmp_path / "again"
    shutil.copytree(real_built.out / ".build", again / ".build", ignore=shutil.ignore_patterns("manifest.json"))
    for pdf in real_built.out.glob("*.pdf"):
        shutil.copy(pdf, again / pdf.name)
    assert run_cli("epub", "web", "--content", str(CONTENT), "--out", str(again), "-q").exit_code == 0
    rebuilt = [p.relative_to(again) for p in again.rglob("*") if p.is_file() and ".build" not in p.parts]
    assert len(rebuilt) > 20
    for name in rebuilt:
        assert (real_built.out / name).read_bytes() == (again / name).read_bytes(), name


ACE = Path(__file__).resolve().parent.parent / ".tools" / "node" / "node_modules" / ".bin" / "ace-cli"


@pytest.mark.slow
def test_real_epub_passes_ace(real_built, tmp_path):
    import json
    import os
    import shutil

    if not ACE.exists() or not shutil.which("chromium"):
        pytest.skip("Ace needs .ci/install-tools.sh (ace-cli and chromium)")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": shutil.which("chromium") or ""}
    result = subprocess.run([str(ACE), "-E", "-s", "-f", "-o", str(tmp_path / "ace"),
                             str(real_built.file(".epub"))], env=env, capture_output=True, text=True)
    report = json.loads((tmp_path / "ace" / "report.json").read_text(encoding="utf-8"))
    violations = [(a["earl:test"]["dct:title"], doc["earl:testSubject"]["url"])
                  for doc in report["assertions"] for a in doc.get("assertions", [])]
    assert result.returncode == 0 and report["earl:result"]["earl:outcome"] == "pass", violations[:20]


@pytest.mark.slow
def test_real_epub_converts_for_kindle(real_built, tmp_path):
    import shutil

    if not shutil.which("ebook-convert"):
        pytest.skip("calibre's ebook-convert is installed by .ci/install-tools.sh")
    target = tmp_path / "book.azw3"
    result = subprocess.run(["ebook-convert", str(real_built.file(".epub")), str(target)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert target.stat().st_size > 100_000


def test_no_stranded_words_in_justified_text(real_built):
    # WeasyPrint 70 could leave one word or a word fragment alone on a line before an inline
    # link ("what" / "bilateral and aid…"); publisher/markdown.py works around it.
    for suffix in ("-screen.pdf", "-print.pdf"):
        lines = "\n".join(page_texts(real_built.file(suffix))).splitlines()
        stranded = [(a.strip(), b.strip()[:40]) for a, b in zip(lines, lines[1:])
                    if re.fullmatch(r"\s*[A-Za-z][\w‐’-]{0,12}", a) and re.match(r"\s*[a-z]", b) and len(b.strip()) > 75]
        assert not stranded, (suffix, stranded)
