"""Editions: release, archive, compare."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.pdfcheck import page_texts

pytestmark = pytest.mark.slow  # two releases: four builds


def set_edition(content: Path, number: int, date: str, note: str) -> None:
    path = content / "report.yaml"
    text = path.read_text(encoding="utf-8")
    text, count = re.subn(r"edition:\n.*?(?=\npublisher:)",
                          f"edition:\n  number: {number}\n  date: {date}\n  note: {note}\n  history: []", text,
                          flags=re.S)
    assert count == 1
    path.write_text(text, encoding="utf-8")


def release(content: Path, out: Path, editions: Path):
    return run_cli("release", "--content", str(content), "--out", str(out), "--editions", str(editions), "-q")


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory):
    import shutil

    from tests.conftest import MINIMAL

    base = tmp_path_factory.mktemp("editions")
    content, out, archive = base / "content", base / "dist", base / "editions"
    shutil.copytree(MINIMAL, content)
    set_edition(content, 1, "2026-02-01", "First edition.")
    first = release(content, out, archive)
    assert first.exit_code == 0, first.output
    frozen = digests(archive / "1")
    # Edition 2: one chapter gains a sentence that cites one new reference.
    chapter = content / "chapters" / "02-flows.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "Gauges are read daily [@flow-data].",
        "Gauges are read daily [@flow-data]. Two new gauges opened in 2025 [@gauge-report]."), encoding="utf-8")
    with (content / "references.yaml").open("a", encoding="utf-8") as handle:
        handle.write("- {key: gauge-report, type: report, title: New Gauges, publisher: Hydrological Service, "
                     "date: 2025-11}\n")
    set_edition(content, 2, "2026-03-15", "Adds the 2025 gauges.")
    second = release(content, out, archive)
    assert second.exit_code == 0, second.output
    return content, out, archive, frozen


def test_released_files_never_change(two_editions):
    content, out, archive, frozen = two_editions
    assert digests(archive / "1") == frozen
    manifest = json.loads((archive / "1" / "manifest.json").read_text())
    assert manifest["edition"] == 1 and manifest["date"] == "2026-02-01"
    for item in manifest["files"]:
        data = (archive / "1" / item["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item["sha256"] and len(data) == item["size"]
    assert manifest["revision"].startswith(("git:", "sha256:"))
    assert sorted(f["name"] for f in manifest["files"]) == [
        "river-basin-note-ed1-cover.pdf", "river-basin-note-ed1-print.pdf", "river-basin-note-ed1-screen.pdf",
        "river-basin-note-ed1.epub"]
    # What built the edition: the toolchain of the build, as build-info.json has it too.
    from publisher.archive import releases
    from publisher.toolchain import toolchain

    assert manifest["toolchain"] == toolchain()
    assert dict(releases(archive)[0].toolchain) == toolchain()


def test_released_editions_are_whole_read_only_and_alone(two_editions):
    import stat

    _, _, archive, _ = two_editions
    assert sorted(p.name for p in archive.iterdir()) == ["1", "2"]  # no staging folder left
    for folder in archive.iterdir():
        listed = json.loads((folder / "manifest.json").read_text())["files"]
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [f["name"] for f in listed] + ["manifest.json", "snapshot.json"])
        assert stat.S_IMODE(folder.stat().st_mode) == 0o555
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in folder.iterdir())


def test_detail_page_lists_every_release(two_editions):
    _, out, archive, _ = two_editions
    page = (out / "index.html").read_text(encoding="utf-8")
    for number in (1, 2):
        for item in json.loads((archive / str(number) / "manifest.json").read_text())["files"]:
            link = f'href="editions/{number}/{item["name"]}"'
            assert link in page
            assert (out / "editions" / str(number) / item["name"]).read_bytes() == (archive / str(number) / item["name"]).read_bytes()


EXPECTED = {
    "since": 1,
    "note": "Adds the 2025 gauges.",
    "chapters": [{
        "slug": "flows", "title": "Flows and measurements", "status": "changed", "old_title": "",
        "sections_added": [], "sections_removed": [], "sections_changed": ["Gauges"],
        "words_added": 6, "words_removed": 0}],
    "figures_added": [], "figures_removed": [], "tables_added": [], "tables_removed": [],
    "references_added": ["gauge-report"], "references_removed": [],
}


def test_change_log_lists_exactly_the_changes(two_editions):
    _, out, _, _ = two_editions
    log = json.loads((out / "river-basin-note-ed2-changes.json").read_text(encoding="utf-8"))
    assert log == EXPECTED


def test_changes_section_in_every_format(two_editions):
    import zipfile

    _, out, _, _ = two_editions
    expected = "“Flows and measurements”: 6 words added, 0 removed; revised: Gauges."
    pdf_text = " ".join(" ".join(page_texts(out / "river-basin-note-ed2-screen.pdf")).split())
    assert "Changes in this edition Compared with edition 1. Adds the 2025 gauges." in pdf_text
    assert expected in pdf_text and "References added: gauge-report." in pdf_text
    with zipfile.ZipFile(out / "river-basin-note-ed2.epub") as archive:
        xhtml = " ".join(archive.read("EPUB/changes.xhtml").decode().split())
    page = " ".join((out / "index.html").read_text(encoding="utf-8").split())
    for html in (xhtml, page):
        assert expected.replace("“", "“") in html and "References added: gauge-report." in html
        assert html.count("<li>", html.index("changes-list")) >= 2


@pytest.mark.parametrize("change, message", [
    (lambda c: set_edition(c, 3, "2026-04-01", "Same text."),
     "Error: nothing changed since edition 2: there is nothing to release"),
    (lambda c: set_edition(c, 2, "2026-04-01", "Again."), "Error: edition 2 is not newer than the last released edition 2"),
    (lambda c: set_edition(c, 3, "2026-03-01", "Older."), "Error: edition date 2026-03-01 is not later than 2026-03-15"),
])
def test_release_guards(two_editions, tmp_path, change, message):
    import shutil

    content, out, archive, _ = two_editions
    copy = tmp_path / "content"
    shutil.copytree(content, copy)
    change(copy)
    result = release(copy, tmp_path / "dist", archive)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith(message)
