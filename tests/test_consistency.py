"""The output folder and the editions archive stay consistent: commits that are killed or that run
side by side, --strict, the folders a build may write into, and the structural checks of the EPUB
and the web edition that every build makes before anything is moved into place."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from tests.conftest import ROOT, run_cli
from tests.crashpoint import commit_steps
from tests.pagecheck import page_problems

BUILD = [sys.executable, str(ROOT / "build.py")]
CHAPTER = Path("chapters") / "02-flows.md"
SENTENCE = "Gauges are read daily [@flow-data]."


def cli(content: Path, out: Path, *args: str, quiet: bool = True):
    return run_cli("--content", str(content), "--out", str(out), *(["-q"] if quiet else []), *args)


def edit(content: Path, words: str) -> None:
    """Change a sentence of the fixture, so that every output changes."""
    path = content / CHAPTER
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"Gauges are read daily(?: [^\[]*)? \[@flow-data\]\.", f"Gauges are read daily {words} [@flow-data].",
                  text, count=1)
    path.write_text(text, encoding="utf-8")


def outputs(out: Path) -> dict[str, str]:
    """The digest of every output file (not the build's own state)."""
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and ".build" not in p.relative_to(out).parts}


def everything(out: Path) -> dict[str, bytes]:
    """Every file of the output folder with its bytes, the manifest and products too (not caches)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and "cache" not in p.relative_to(out).parts}


def settled(out: Path) -> None:
    """No commit is left unfinished and no stage is left behind."""
    assert not (out / ".build" / "commit.json").exists()
    assert not list((out / ".build").glob("stage-*"))


@pytest.fixture
def built_copy(fixture_built, tmp_path):
    """A writable copy of the fixture's content and of its complete build (PDFs, EPUB, web)."""
    content, out = tmp_path / "content", tmp_path / "out"
    shutil.copytree(fixture_built.content, content)
    shutil.copytree(fixture_built.out, out, ignore=shutil.ignore_patterns("stage-*"))
    return content, out


# --- 1. a commit killed at any step --------------------------------------------------------------

class Crash(BaseException):
    """Stands in for a kill: nothing catches it, and the steps after it do not happen."""


def _commit_steps(monkeypatch, limit: int, out: Path) -> list[int]:
    """Make the limit-th step of a commit crash (tests/crashpoint.py); returns the step counter."""
    def crash(step: int) -> None:
        raise Crash(f"killed at step {step}")

    count = [0]
    replace, unlink = commit_steps(limit, out, crash, count)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "unlink", unlink)
    return count


@pytest.mark.slow
def test_a_commit_killed_at_any_step_is_completed_by_the_next_build(built_copy, tmp_path, monkeypatch):
    # The EPUB and the web edition of an edited report are committed, and the commit is stopped at
    # each of its steps in turn; then the report is built from the unedited content again. Every
    # time, the detail page describes the files beside it — and after the next build every output
    # is the unedited report's: the killed commit was completed, then rebuilt, never half-trusted.
    original, base = built_copy
    edited = tmp_path / "edited" / "content"
    shutil.copytree(original, edited)
    edit(edited, "by two observers")
    expected = outputs(base)
    trial = tmp_path / "trial"
    shutil.copytree(base, trial)
    with monkeypatch.context() as patch:
        counter = _commit_steps(patch, -1, trial)
        assert cli(edited, trial, "epub", "web").exit_code == 0
        steps = counter[0]
    shutil.rmtree(trial)
    assert steps > 20, steps  # every file of the EPUB and the web edition, the state, the journal
    old_page = (base / "index.html").read_bytes()
    failures = []
    for limit in range(steps):
        out = tmp_path / f"out-{limit}"
        shutil.copytree(base, out)
        with monkeypatch.context() as patch:
            _commit_steps(patch, limit, out)
            with pytest.raises(Crash):
                cli(edited, out, "epub", "web")
        # Right after the kill: a new detail page comes only after the files it describes.
        if (out / "index.html").read_bytes() != old_page and page_problems(out):
            failures.append(f"step {limit}: new page beside old files: {page_problems(out)}")
        result = cli(original, out)
        assert result.exit_code == 0, result.output
        if page_problems(out) or outputs(out) != expected:
            failures.append(f"step {limit}: after the next build ({result.output.strip()[:40]!r}): "
                            f"{page_problems(out) or 'outputs differ from the report'}")
        settled(out)
        shutil.rmtree(out)
    assert failures == []


KILL = r"""
import os, signal, sys
from pathlib import Path
from tests.crashpoint import commit_steps

os.replace, os.unlink = commit_steps(int(sys.argv[1]), Path(sys.argv[2]),
                                     lambda step: os.kill(os.getpid(), signal.SIGKILL))
from publisher.cli import main
main(sys.argv[3:])
"""


@pytest.mark.slow
@pytest.mark.parametrize("limit", [0, 14, 27])  # of 28 steps
def test_a_commit_killed_with_sigkill_is_completed_by_the_next_build(built_copy, tmp_path, limit):
    # The same with a real kill -9 of the build process, at a few steps of its commit.
    original, out = built_copy
    edited = tmp_path / "edited" / "content"
    shutil.copytree(original, edited)
    edit(edited, "by three observers")
    run = subprocess.run([sys.executable, "-c", KILL, str(limit), str(out), "epub", "web", "--content", str(edited),
                          "--out", str(out), "-q"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert (out / ".build" / "commit.json").exists() or not list((out / ".build").glob("stage-*")), \
        "a stage was left without a journal"
    result = cli(edited, out, "epub", "web", quiet=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Completing the commit"), result.output
    assert "Up to date" in result.output  # the commit was completed, not redone
    assert page_problems(out) == []
    settled(out)
    assert "by three observers" in (out / "read" / "02-flows.html").read_text(encoding="utf-8")


def test_recovery_is_itself_safe_to_kill_at_any_step(tmp_path, monkeypatch):
    # A journal rolled forward, stopped at each of its steps, and rolled forward again ends in the
    # state of the whole commit.
    from publisher import journal

    def prepare(out: Path) -> journal.Journal:
        stage = out / ".build" / "stage-1-abc"
        for name, data in {"a.pdf": "new a", "read/p.html": "new page", "index.html": "new index",
                           ".build/manifest.json": "{}"}.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_text(data)
        (out / "read").mkdir(parents=True)
        for name in ("a.pdf", "index.html", "read/old.html"):
            (out / name).write_text("old")
        record = journal.Journal(stage.name, ("a.pdf", "read/p.html", "index.html", ".build/manifest.json"),
                                 ("read/old.html",))
        record.write(out)
        return record

    def state(out: Path) -> dict[str, str]:
        return {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}

    whole = tmp_path / "whole"
    prepare(whole)
    assert journal.recover(whole)
    expected = state(whole)
    assert expected == {".build/manifest.json": "{}", "a.pdf": "new a", "index.html": "new index",
                        "read/p.html": "new page"}
    for limit in range(7):  # four moves, one removal, the journal's removal; and past the end
        out = tmp_path / f"out-{limit}"
        prepare(out)
        with monkeypatch.context() as patch:
            _commit_steps(patch, limit, out)
            try:
                journal.recover(out)
            except Crash:
                pass
        journal.recover(out)
        assert state(out) == expected, limit


def test_a_commit_that_cannot_be_completed_is_an_error_not_a_traceback(tmp_path):
    from publisher import journal
    from publisher.errors import ReportError

    out = tmp_path / "out"
    (out / ".build" / "stage-1-abc").mkdir(parents=True)
    (out / ".build" / "stage-1-abc" / "index.html").write_text("new")
    (out / "index.html").mkdir()  # a folder where the page goes
    (out / "index.html" / "x").write_text("")
    journal.Journal("stage-1-abc", ("index.html",)).write(out)
    with pytest.raises(ReportError, match="cannot complete the commit of a build that was stopped"):
        journal.settle(out)
    assert (out / ".build" / "commit.json").exists()  # kept for the next attempt


def test_an_unreadable_journal_makes_every_output_stale(built_copy):
    content, out = built_copy
    (out / ".build" / "commit.json").write_text('{"stage": "../../etc", "moves": [], "removals": []}')
    from publisher.pipeline import BuildOptions, stale_targets

    from publisher import journal

    journal.settle(out)
    assert not (out / ".build" / "commit.json").exists()
    assert set(stale_targets(BuildOptions(content, out))) == {"pdf", "epub", "web"}


# --- 1. builds side by side ------------------------------------------------------------------------

@pytest.mark.slow
def test_a_web_build_beside_a_pdf_build_never_leaves_a_page_describing_other_files(built_copy):
    # The preview's quick web build and its background PDF build are separate builds. Whatever
    # order they commit in, the detail page describes the PDFs beside it, and a later build never
    # says "Up to date" about one that does not.
    content, out = built_copy
    rng = random.Random(14)
    for round_ in range(4):
        edit(content, f"in round {round_}")
        pdf = subprocess.Popen([*BUILD, "pdf", "--content", str(content), "--out", str(out), "-q"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(rng.uniform(0.5, 3.0))
        web = subprocess.Popen([*BUILD, "web", "--content", str(content), "--out", str(out), "-q"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        logs = [pdf.communicate(timeout=600)[0], web.communicate(timeout=600)[0]]
        assert (pdf.returncode, web.returncode) == (0, 0), logs
        assert page_problems(out) == [], f"round {round_}"
        settled(out)
        later = cli(content, out)
        assert later.exit_code == 0
        assert page_problems(out) == [], f"round {round_}, after {later.output.strip()[:30]!r}"


def test_a_pdf_build_rebuilds_the_page_that_describes_the_pdfs(built_copy, monkeypatch):
    # `build pdf` in a folder with a detail page and an EPUB rebuilds them in the same commit.
    from publisher.options import BuildOptions
    from publisher.pipeline import stale_targets

    content, out = built_copy
    edit(content, "by a pdf build")
    assert set(stale_targets(BuildOptions(content, out, ("pdf",)))) == {"pdf", "epub", "web"}
    assert set(stale_targets(BuildOptions(content, out, ("web",)))) == {"web"}


def test_a_build_that_read_replaced_products_writes_them_again(built_copy, tmp_path, monkeypatch):
    # A web build read the PDFs' descriptions; before it commits, another build replaces the PDFs.
    # It writes the detail page again, under the lock, from the descriptions on disk.
    from publisher import pipeline, products

    content, out = built_copy
    edit(content, "by a racing build")
    descriptions = json.loads((out / ".build" / "products.json").read_text())
    real_load = products.Products.load
    calls = [0]

    def load(folder):
        calls[0] += 1
        found = real_load(folder)
        if calls[0] == 3:  # the commit's look at the disk: another build replaced the screen PDF
            pdf = out / descriptions["outputs"]["screen"]["name"]
            pdf.write_bytes(pdf.read_bytes() + b"\n% another build\n")
            data = pdf.read_bytes()
            descriptions["outputs"]["screen"].update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
            (out / ".build" / "products.json").write_text(json.dumps(descriptions))
            found = real_load(folder)
        return found

    monkeypatch.setattr(pipeline.Products, "load", staticmethod(load))
    assert cli(content, out, "web").exit_code == 0
    assert calls[0] >= 3
    assert page_problems(out) == []
    monkeypatch.setattr(pipeline.Products, "load", staticmethod(real_load))
    assert cli(content, out, "web", quiet=False).output.startswith("Up to date")


# --- 2. --strict judges before the commit ---------------------------------------------------------

@pytest.mark.slow
def test_strict_fails_before_anything_is_moved_into_place(built_copy, monkeypatch):
    from publisher import pdf

    content, out = built_copy
    edit(content, "with a renderer warning")
    before = everything(out)
    real = pdf.render_job

    def warns(*args, **kwargs):  # runs in the forked render processes too
        return dataclasses.replace(real(*args, **kwargs), warnings=("a renderer warning for the test",))

    monkeypatch.setattr(pdf, "render_job", warns)
    for _ in range(2):  # and the next run judges again: it is not "Up to date"
        result = cli(content, out, "--strict", quiet=False)
        assert result.exit_code == 1, result.output
        assert everything(out) == before
        assert "Up to date" not in result.output
        assert "warning(s) with --strict: nothing was written" in result.output
    # Without --strict the warning is only shown; a later --strict build judges those outputs again.
    result = cli(content, out)
    assert result.exit_code == 0 and "a renderer warning for the test" in result.output
    built = everything(out)
    result = cli(content, out, "--strict")
    assert result.exit_code == 1 and "Up to date" not in result.output
    assert everything(out) == built


# --- 3. the output folder may not be inside the content folder ------------------------------------

@pytest.mark.parametrize("command", [[], ["web"], ["release"], ["serve", "--port", "0"]])
@pytest.mark.parametrize("inside", [True, False])
def test_an_output_folder_inside_the_content_folder_is_refused(content, command, inside):
    out = content / "dist" if inside else content
    before = sorted(content.rglob("*"))
    # In a process of its own, with a time limit: a preview that is not refused serves forever.
    run = subprocess.run([*BUILD, *command, "--content", str(content), "--out", str(out)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "is inside the content folder" in run.stderr and "Traceback" not in run.stderr
    assert sorted(content.rglob("*")) == before


def test_an_output_folder_inside_the_archive_and_an_archive_inside_the_output_are_refused(content, tmp_path):
    from publisher.options import BuildOptions, FolderError
    from publisher.pipeline import build

    archive = tmp_path / "editions"
    result = run_cli("--content", str(content), "--out", str(archive / "dist"), "--editions", str(archive))
    assert result.exit_code == 2 and "is inside the editions archive" in result.output
    with pytest.raises(FolderError, match="inside the output folder"):
        build(BuildOptions(content, tmp_path))  # the default archive, tmp_path/editions
    (content / "dist").symlink_to(tmp_path / "elsewhere")
    BuildOptions(content, content / "dist")  # a link out of the content folder leads elsewhere: fine
    (tmp_path / "link").symlink_to(content)
    with pytest.raises(FolderError):
        BuildOptions(content, tmp_path / "link" / "out")
    assert not (tmp_path / "elsewhere").exists() and not (content / "out").exists()


# --- 4. the EPUB's structure and the web edition's links, checked in every build -------------------

def rewrite(data: bytes, changes: dict[str, tuple[str, str] | bytes | None]) -> bytes:
    """The EPUB with files replaced in text (old, new), given new bytes, or removed (None)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            change = changes.get(info.filename, b"")
            if change is None:
                continue
            body = source.read(info)
            if isinstance(change, tuple):
                assert change[0].encode() in body, (info.filename, change[0])
                body = body.replace(change[0].encode(), change[1].encode(), 1)
            target.writestr(info, body)
        for name, change in changes.items():
            if name not in source.namelist() and isinstance(change, bytes):
                target.writestr(name, change)
    return out.getvalue()


@pytest.fixture(scope="module")
def book(fixture_built) -> bytes:
    return fixture_built.file(".epub").read_bytes()


def test_the_built_epub_has_no_structural_problem(book):
    from publisher.container import epub_problems

    assert epub_problems(book) == []


@pytest.mark.parametrize("changes, expected", [
    ({"EPUB/01-context.xhtml": ('href="#fn-context-1"', 'href="#fn-context-9"')},
     "EPUB/01-context.xhtml: reference '#fn-context-9': no id 'fn-context-9' in EPUB/01-context.xhtml"),
    ({"EPUB/02-flows.xhtml": ('href="bibliography.xhtml#ref-flow-data"', 'href="bibliography.xhtml#ref-gone"')},
     "EPUB/02-flows.xhtml: reference 'bibliography.xhtml#ref-gone': no id 'ref-gone' in EPUB/bibliography.xhtml"),
    ({"EPUB/02-flows.xhtml": ('href="bibliography.xhtml#ref-flow-data"', 'href="bibliografy.xhtml"')},
     "EPUB/02-flows.xhtml: reference 'bibliografy.xhtml': no file EPUB/bibliografy.xhtml in the book"),
    ({"EPUB/images/fig-events.png": None},
     "EPUB/content.opf: manifest item 'images/fig-events.png' is not in the zip"),
    ({"EPUB/01-context.xhtml": ("</body>", "</bdy>")}, "EPUB/01-context.xhtml: not well-formed XML"),
    ({"EPUB/01-context.xhtml": ('id="sec-context-rules"', 'id="sec-context-geography"')},
     "EPUB/01-context.xhtml: id 'sec-context-geography' is used twice"),
    ({"EPUB/nav.xhtml": ('href="01-context.xhtml#sec-context-geography"', 'href="01-context.xhtml#sec-gone"')},
     "EPUB/nav.xhtml: reference '01-context.xhtml#sec-gone': no id 'sec-gone' in EPUB/01-context.xhtml"),
    ({"EPUB/toc.ncx": ('src="01-context.xhtml"', 'src="01-kontext.xhtml"')},
     "EPUB/toc.ncx: reference '01-kontext.xhtml': no file EPUB/01-kontext.xhtml in the book"),
    ({"EPUB/extra.xhtml": b"<html/>"}, "EPUB/extra.xhtml: is in the zip but not declared in the manifest"),
    ({"EPUB/content.opf": ('<itemref idref="doc01"', '<itemref idref="doc99"')},
     "EPUB/content.opf: spine entry 'doc99' is not a manifest id"),
    ({"EPUB/styles/fonts.css": ('url("fonts/', 'url("fontz/')}, "EPUB/styles/fonts.css: reference 'fontz/"),
    ({"EPUB/01-context.xhtml": ('src="images/fig-events.svg"', 'src="images/fig-gone.svg"')},
     "EPUB/01-context.xhtml: reference 'images/fig-gone.svg': no file EPUB/images/fig-gone.svg in the book"),
])
def test_each_structural_problem_of_an_epub_is_named(book, changes, expected):
    from publisher.container import check_epub
    from publisher.errors import OutputError

    with pytest.raises(OutputError) as raised:
        check_epub(rewrite(book, changes), "book.epub")
    assert str(raised.value).startswith(f"book.epub: {expected}"), str(raised.value)


def test_a_build_with_a_broken_epub_link_fails_and_writes_nothing(content, tmp_path, monkeypatch):
    from publisher.epub import EpubStyle

    monkeypatch.setattr(EpubStyle, "href", lambda self, current, target, anchor: f"{target}.xhtml#gone-{anchor}")
    out = tmp_path / "out"
    result = cli(content, out, "epub")
    assert result.exit_code == 1, result.output
    assert re.match(r"Error: river-basin-note-ed2\.epub: EPUB/\S+\.xhtml: reference '\S+#gone-\S+': no id ",
                    result.output), result.output
    assert not [p for p in out.rglob("*") if p.is_file() and "cache" not in p.parts]  # only reusable subset fonts


def test_a_build_with_a_broken_web_link_fails_and_writes_nothing(content, tmp_path, monkeypatch):
    from publisher.site import WebStyle

    monkeypatch.setattr(WebStyle, "href", lambda self, current, target, anchor:
                        f"#{anchor}" if current == target else f"{target}-gone.html#{anchor}")
    out = tmp_path / "out"
    result = cli(content, out, "web")
    assert result.exit_code == 1, result.output
    assert re.match(r"Error: web edition: \S+\.html: link '\S+-gone\.html#\S+': no file read/\S+-gone\.html",
                    result.output), result.output
    assert not [p for p in out.rglob("*") if p.is_file() and "cache" not in p.parts]  # only reusable subset fonts


def test_a_broken_fragment_on_the_web_is_named(content, tmp_path, monkeypatch):
    from publisher.site import WebStyle

    monkeypatch.setattr(WebStyle, "href", lambda self, current, target, anchor: f"#{anchor}-gone")
    result = cli(content, tmp_path / "out", "web")
    assert result.exit_code == 1
    assert re.match(r"Error: web edition: \S+\.html: link '\S*#\S+-gone': no ", result.output), result.output


# --- 1. releases --------------------------------------------------------------------------------

RELEASE_KILL = r"""
import os, signal, sys

mode = sys.argv[1]
real_replace, real_rename = os.replace, os.rename

def replace(src, dst, *args, **kwargs):
    if ".partial" in str(dst) and mode == "staged":
        os.kill(os.getpid(), signal.SIGKILL)
    if ".partial" in str(dst) and mode == "slow":
        import time
        time.sleep(0.3)
    return real_replace(src, dst, *args, **kwargs)

def rename(src, dst, *args, **kwargs):
    if ".partial" in str(src) and mode == "before-rename":
        os.kill(os.getpid(), signal.SIGKILL)
    real_rename(src, dst, *args, **kwargs)
    if ".partial" in str(src) and mode == "renamed":
        os.kill(os.getpid(), signal.SIGKILL)

os.replace, os.rename = replace, rename
from publisher.cli import main
main(sys.argv[2:])
"""


def release_command(mode: str, content: Path, out: Path, archive: Path) -> list[str]:
    return [sys.executable, "-c", RELEASE_KILL, mode, "release", "--content", str(content), "--out", str(out),
            "--editions", str(archive), "-q"]


def frozen(archive: Path) -> None:
    """The archive holds whole, read-only editions and nothing else (no staging left)."""
    from publisher.archive import releases

    assert [p.name for p in archive.iterdir()] == ["2"]
    edition = archive / "2"
    names = sorted(p.name for p in edition.iterdir())
    listed = json.loads((edition / "manifest.json").read_text())["files"]
    assert names == sorted([f["name"] for f in listed] + ["manifest.json", "snapshot.json"])
    assert stat.S_IMODE(edition.stat().st_mode) == 0o555
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in edition.iterdir())
    assert [r.number for r in releases(archive)] == [2]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["staged", "before-rename", "renamed"])
def test_a_killed_release_is_cleaned_up_or_complete(built_copy, tmp_path, mode):
    content, out = built_copy
    archive = tmp_path / "editions"
    run = subprocess.run(release_command(mode, content, out, archive), capture_output=True, text=True, cwd=ROOT,
                         timeout=600)
    assert run.returncode == -signal.SIGKILL, run.stderr
    again = run_cli("release", "--content", str(content), "--out", str(out), "--editions", str(archive), "-q")
    if mode == "renamed":  # the edition was released whole before the kill
        assert again.exit_code == 1 and "edition 2 is not newer than the last released" in again.output, again.output
    else:
        assert again.exit_code == 0, again.output
    frozen(archive)
    assert cli(content, out).exit_code == 0
    assert 'href="editions/2/' in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_two_releases_at_once_freeze_one_edition(built_copy, tmp_path):
    # Two releases of the same edition from two output folders into one archive: one releases,
    # the other is refused, and the frozen edition holds exactly its files.
    content, out = built_copy
    other = tmp_path / "other"
    shutil.copytree(out, other)
    archive = tmp_path / "editions"
    runs = [subprocess.Popen(release_command("slow", content, folder, archive), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, cwd=ROOT) for folder in (out, other)]
    logs = [run.communicate(timeout=900)[0] for run in runs]
    assert sorted(run.returncode for run in runs) == [0, 1], logs
    refused = logs[[run.returncode for run in runs].index(1)]
    assert "Error: edition 2 is not newer than the last released edition 2" in refused, refused
    assert "Traceback" not in "".join(logs)
    frozen(archive)
