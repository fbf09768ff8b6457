"""Issue 12, untrusted input cannot escape: the editions archive (read by every build), the source
revision a release records (never by running git), and the citation files (BibTeX, RIS)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from publisher.citation import bibtex, ris
from publisher.archive import MANIFEST, SNAPSHOT, Release, ReleasedFile, load_snapshot, read_released, releases
from publisher.edition import release
from publisher.revision import content_digest
from publisher.revision import revision as _revision
from publisher.errors import ContentError
from publisher.loader import load_report
from publisher.model import Person, Publisher
from publisher.web import _copy_releases
from tests.conftest import MINIMAL, run_cli

NAME = "river-basin-note-ed1-screen.pdf"
PDF = b"%PDF-1.7 the released edition\n"
EMPTY_SNAPSHOT = {"chapters": [], "figures": {}, "tables": {}, "references": {}}


def entry(name: str = NAME, data: bytes = PDF) -> dict[str, Any]:
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def make_edition(archive: Path, number: int = 1, change: Callable[[dict[str, Any]], Any] | None = None,
                 text: str | None = None) -> Path:
    """A released edition as `release` writes it, the manifest changed by `change` or replaced by text."""
    folder = archive / str(number)
    folder.mkdir(parents=True)
    (folder / NAME).write_bytes(PDF)
    manifest = {"edition": number, "date": "2026-02-01", "note": "First edition.", "report": "river-basin-note",
                "revision": "sha256:" + "0" * 64, "files": [entry()]}
    if change:
        change(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest) if text is None else text, encoding="utf-8")
    (folder / SNAPSHOT).write_text(json.dumps(EMPTY_SNAPSHOT), encoding="utf-8")
    return folder


def error_of(action: Callable[[], Any]) -> list[str]:
    with pytest.raises(ContentError) as caught:
        action()
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working directory, so that errors name `editions/1/manifest.json`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the manifest --------------------------------------------------------------------------

def set_file(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["files"][0].update(values)


M = "editions/1/manifest.json"
MANIFEST_CASES = [
    ("dot-dot", set_file(name="../../etc/passwd"), f"{M}: files[1].name: '../../etc/passwd' is not a plain file name"),
    ("absolute", set_file(name="/etc/passwd"), f"{M}: files[1].name: '/etc/passwd' is not a plain file name"),
    ("backslash", set_file(name="..\\..\\x.pdf"), f"{M}: files[1].name: '..\\\\..\\\\x.pdf' is not a plain file name"),
    ("nul", set_file(name="x.pdf\x00.txt"), f"{M}: files[1].name: control character U+0000 is not allowed"),
    ("separator", set_file(name="sub/x.pdf"), f"{M}: files[1].name: 'sub/x.pdf' is not a plain file name"),
    ("hidden", set_file(name=".x.pdf"), f"{M}: files[1].name: '.x.pdf' is not a plain file name"),
    ("dot-dot-alone", set_file(name=".."), f"{M}: files[1].name: '..' is not a plain file name"),
    ("not-an-output", set_file(name="index.html"), f"{M}: files[1].name: 'index.html' is not a plain file name"),
    ("name-type", set_file(name=["x.pdf"]), f"{M}: files[1].name: expected text, got a list"),
    ("sha-short", set_file(sha256="abc"),
     f"{M}: files[1].sha256: 'abc' is not a SHA-256 (64 lowercase hexadecimal digits)"),
    ("size-negative", set_file(size=-1), f"{M}: files[1].size: -1 is less than 0"),
    ("size-text", set_file(size="30"), f"{M}: files[1].size: expected a whole number, got text"),
    ("size-bool", set_file(size=True), f"{M}: files[1].size: expected a whole number, got true/false"),
    ("size-float", set_file(size=30.0), f"{M}: files[1].size: expected a whole number, got a number"),
    ("size-huge", set_file(size=1 << 40), f"{M}: files[1].size: {1 << 40} is larger than the limit of {256 << 20}"),
    ("file-field", set_file(mode="0777"), f"{M}: files[1].mode: unknown field"),
    ("file-missing-field", lambda m: m["files"][0].pop("sha256"), f"{M}: files[1].sha256: required field is missing"),
    ("file-not-object", lambda m: m.update(files=["x.pdf"]), f"{M}: files[1]: expected an object, got text"),
    ("files-not-list", lambda m: m.update(files={"name": NAME}), f"{M}: files: expected a list, got an object"),
    ("files-missing", lambda m: m.pop("files"), f"{M}: files: required field is missing"),
    ("twice", lambda m: m["files"].append(entry()), f"{M}: files[2].name: '{NAME}' is listed twice"),
    ("edition-other-folder", lambda m: m.update(edition=2), f"{M}: edition: 2 is not the number of its folder '1'"),
    ("edition-zero", lambda m: m.update(edition=0), f"{M}: edition: 0 is less than 1"),
    ("edition-text", lambda m: m.update(edition="1"), f"{M}: edition: expected a whole number, got text"),
    ("edition-missing", lambda m: m.pop("edition"), f"{M}: edition: required field is missing"),
    ("date-impossible", lambda m: m.update(date="2026-02-30"),
     f"{M}: date: impossible date '2026-02-30' (day is out of range for month)"),
    ("date-shape", lambda m: m.update(date="1 Feb 2026"), f"{M}: date: '1 Feb 2026' is not a date as YYYY-MM-DD"),
    ("date-type", lambda m: m.update(date=20260201), f"{M}: date: expected text, got a number"),
    ("note-type", lambda m: m.update(note={"html": "<script>"}), f"{M}: note: expected text, got an object"),
    ("revision", lambda m: m.update(revision="$(touch x)"),
     f"{M}: revision: '$(touch x)' is not a revision (git:<commit>, sha256:<digest> or both)"),
    ("unknown-field", lambda m: m.update(script="x"), f"{M}: script: unknown field"),
    ("toolchain-type", lambda m: m.update(toolchain="weasyprint 70"), f"{M}: toolchain: expected an object, got text"),
    ("toolchain-field", lambda m: m.update(toolchain={"weasyprint": "70.0", "shell": "bash"}),
     f"{M}: toolchain.shell: unknown field"),
    ("toolchain-version", lambda m: m.update(toolchain={"pango": "1.50 <script>"}),
     f"{M}: toolchain.pango: '1.50 <script>' is not a version (letters, digits and . + _ ~ -, at most 64)"),
    ("toolchain-version-type", lambda m: m.update(toolchain={"pango": 1.5}),
     f"{M}: toolchain.pango: expected text, got a number"),
    ("toolchain-flag", lambda m: m.update(toolchain={"harfbuzz-subset": "yes"}),
     f"{M}: toolchain.harfbuzz-subset: expected true/false, got text"),
    ("empty-object", lambda m: m.clear(), f"{M}: edition: required field is missing"),
]


@pytest.mark.parametrize("change, expected", [c[1:] for c in MANIFEST_CASES], ids=[c[0] for c in MANIFEST_CASES])
def test_malformed_manifest_is_one_error_naming_the_field(here: Path, change: Callable[[dict[str, Any]], Any],
                                                          expected: str) -> None:
    make_edition(here / "editions", change=change)
    assert error_of(lambda: releases(here / "editions")) == [expected]


@pytest.mark.parametrize("text, expected", [
    ('{\n  "edition": 1,\n  "date": \n}', f"{M}:4: invalid JSON: Expecting value"),
    ('{"edition": 1, "edition": 1}', f"{M}: invalid JSON: duplicate key 'edition'"),
    ("[1, 2]", f"{M}: expected an object, got a list"),
    ("[" * 100_000, f"{M}: invalid JSON: nested too deeply"),
    (" " * (1 << 20) + "{}", f"{M}: the file is larger than the limit of 1048576 bytes"),
], ids=["syntax", "duplicate-key", "list", "deep", "too-large"])
def test_unreadable_manifest_is_one_error(here: Path, text: str, expected: str) -> None:
    make_edition(here / "editions", text=text)
    assert error_of(lambda: releases(here / "editions")) == [expected]


def test_manifest_not_utf8(here: Path) -> None:
    folder = make_edition(here / "editions")
    (folder / MANIFEST).write_bytes(b'{"note": "\xff"}')
    assert error_of(lambda: releases(here / "editions")) == [f"{M}:1: not valid UTF-8 (byte 10)"]


def test_only_numbered_folders_are_editions(here: Path) -> None:
    """A `.2.partial` left by a release that was killed, and other names, are not editions."""
    archive = here / "editions"
    make_edition(archive)
    for leftover in (".2.partial", "notes", "2a"):
        (archive / leftover).mkdir()
        (archive / leftover / MANIFEST).write_text("not json", encoding="utf-8")
    (archive / "README").write_text("About this archive.", encoding="utf-8")
    assert [(r.number, r.date, [f.name for f in r.files]) for r in releases(archive)] == [(1, "2026-02-01", [NAME])]
    assert releases(here / "no-archive") == ()


def test_huge_number_in_manifest(here: Path) -> None:
    make_edition(here / "editions", text='{"edition": 1' + "0" * 5000 + "}")
    [message] = error_of(lambda: releases(here / "editions"))
    assert message.startswith(f"{M}: invalid JSON: Exceeds the limit (4300 digits)") and "\n" not in message


# --- the released files ---------------------------------------------------------------------

def replace_with_link(folder: Path, target: Path) -> None:
    target.write_bytes(PDF)  # the very bytes the manifest records: only the link gives it away
    (folder / NAME).unlink()
    (folder / NAME).symlink_to(target)


FILE_CASES = [
    ("changed", lambda f, t: (f / NAME).write_bytes(PDF.upper()),
     f"{M}: files[1].sha256: {NAME} does not match the SHA-256 recorded (it was changed)"),
    ("longer", lambda f, t: (f / NAME).write_bytes(PDF + b"more"),
     f"{M}: files[1].size: {NAME} is larger than the {len(PDF)} bytes recorded"),
    ("shorter", lambda f, t: (f / NAME).write_bytes(PDF[:3]),
     f"{M}: files[1].size: {NAME} has 3 bytes, not the {len(PDF)} recorded"),
    ("missing", lambda f, t: (f / NAME).unlink(), f"{M}: files[1].name: {NAME} does not exist"),
    ("symlink-outside", lambda f, t: replace_with_link(f, t / "outside.pdf"),
     f"{M}: files[1].name: {NAME} is a symbolic link, not a regular file"),
    ("fifo", lambda f, t: ((f / NAME).unlink(), os.mkfifo(f / NAME)),
     f"{M}: files[1].name: {NAME} is not a regular file"),
    ("folder", lambda f, t: ((f / NAME).unlink(), (f / NAME).mkdir()),
     f"{M}: files[1].name: {NAME} is not a regular file"),
    ("manifest-missing", lambda f, t: (f / MANIFEST).unlink(), f"{M}: the file does not exist"),
    ("manifest-fifo", lambda f, t: ((f / MANIFEST).unlink(), os.mkfifo(f / MANIFEST)),
     f"{M}: the file is not a regular file"),
    ("manifest-symlink", lambda f, t: ((t / "m.json").write_bytes((f / MANIFEST).read_bytes()),
                                       (f / MANIFEST).unlink(), (f / MANIFEST).symlink_to(t / "m.json")),
     f"{M}: the file is a symbolic link, not a regular file"),
]


@pytest.mark.parametrize("tamper, expected", [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_tampered_file_is_one_error(here: Path, tamper: Callable[[Path, Path], Any], expected: str) -> None:
    folder = make_edition(here / "editions")
    tamper(folder, here)
    assert error_of(lambda: releases(here / "editions")) == [expected]


def test_edition_folder_must_not_be_a_link(here: Path) -> None:
    elsewhere = make_edition(here / "elsewhere")
    (here / "editions").mkdir()
    (here / "editions" / "1").symlink_to(elsewhere)
    assert error_of(lambda: releases(here / "editions")) == [
        "editions/1: is a symbolic link: an edition must be a folder"]


def test_copy_reads_and_verifies_again(here: Path) -> None:
    """A file swapped after the build read the archive is not copied either."""
    folder = make_edition(here / "editions")
    out = here / "dist"
    found = releases(here / "editions")
    assert _copy_releases(types.SimpleNamespace(releases=found), out) == [out / "editions" / "1" / NAME]
    assert (out / "editions" / "1" / NAME).read_bytes() == PDF
    shutil.rmtree(out)
    replace_with_link(folder, here / "outside.pdf")
    assert error_of(lambda: _copy_releases(types.SimpleNamespace(releases=found), out)) == [
        f"{M}: files[1].name: {NAME} is a symbolic link, not a regular file"]
    assert not out.exists()


def test_copy_refuses_a_name_that_is_not_plain(here: Path) -> None:
    """Also for a Release that did not come from releases()."""
    folder = make_edition(here / "editions")
    (here / "secret.txt").write_bytes(PDF)
    hostile = Release(1, "2026-02-01", "", "", (ReleasedFile("../../secret.txt", entry()["sha256"], len(PDF)),),
                      folder)
    assert error_of(lambda: read_released(hostile, hostile.files[0])) == [
        f"{M}: files[1].name: '../../secret.txt' is not a plain file name"]
    assert error_of(lambda: _copy_releases(types.SimpleNamespace(releases=(hostile,)), here / "dist")) == [
        f"{M}: files[1].name: '../../secret.txt' is not a plain file name"]
    assert not (here / "dist").exists()


@pytest.mark.parametrize("change, expected", [
    (lambda s: s["chapters"].append({"slug": "a", "title": 7, "sections": []}),
     "editions/1/snapshot.json: chapters[1].title: expected text, got a number"),
    (lambda s: s["chapters"].append({"slug": "a", "title": "A", "sections": [{"id": "", "title": "", "text": None}]}),
     "editions/1/snapshot.json: chapters[1].sections[1].text: expected text, got null"),
    (lambda s: s["figures"].update({"fig:a": ["x"]}), "editions/1/snapshot.json: figures.fig:a: expected text, got a list"),
    (lambda s: s.pop("tables"), "editions/1/snapshot.json: tables: required field is missing"),
    (lambda s: s.update(extra=1), "editions/1/snapshot.json: extra: unknown field"),
], ids=["title", "text", "figure", "missing", "unknown"])
def test_malformed_snapshot_is_one_error(here: Path, change: Callable[[dict[str, Any]], Any], expected: str) -> None:
    folder = make_edition(here / "editions")
    data = json.loads(json.dumps(EMPTY_SNAPSHOT))
    change(data)
    (folder / SNAPSHOT).write_text(json.dumps(data), encoding="utf-8")
    found = releases(here / "editions")
    assert error_of(lambda: load_snapshot(found[0])) == [expected]


def test_build_refuses_an_archive_that_escapes(content: Path, here: Path) -> None:
    """The whole path: a plain web build with a hostile manifest stops with one line, writes nothing."""
    (here / "secret.txt").write_bytes(b"private key")
    make_edition(here / "editions", change=set_file(**entry("../../secret.txt", b"private key")))
    out = here / "dist"
    result = run_cli("web", "--content", str(content), "--out", str(out), "--editions", str(here / "editions"), "-q")
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: {M}: files[1].name: '../../secret.txt' is not a plain file name"]
    assert not out.exists()
    assert sorted(p.name for p in here.iterdir()) == ["content", "editions", "secret.txt"]


# --- the source revision of a release -------------------------------------------------------

GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "T",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"}
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def forbid_processes(patch: pytest.MonkeyPatch) -> None:
    def spawn(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a process was started: {args}")

    patch.setattr(subprocess.Popen, "__init__", spawn)
    for name in ("posix_spawn", "posix_spawnp", "system", "fork"):
        patch.setattr(os, name, spawn)


def revision_of(folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """_revision(folder, the files its report reads), failing if it starts any process."""
    sources = sources_of(folder)
    with monkeypatch.context() as patch:
        forbid_processes(patch)
        return _revision(folder, sources)


def sources_of(folder: Path) -> tuple[tuple[str, str], ...]:
    """The content files a folder's report reads, with their SHA-256s (what a release's digest covers)."""
    return load_report(folder)[0].sources


def commit_all(folder: Path) -> str:
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "Content")
    return git(folder, "rev-parse", "HEAD")


@needs_git
def test_release_runs_nothing_the_content_repository_configures(content: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    commit = commit_all(content)
    marker = tmp_path / "fsmonitor-ran"
    git(content, "config", "core.fsmonitor", f"touch {marker}; false")
    git(content, "status", "--porcelain")  # the trap works: git itself runs the command …
    assert marker.exists()
    marker.unlink()
    report = load_report(content)[0]
    out, archive = tmp_path / "dist", tmp_path / "editions"
    names = [f"river-basin-note-ed2-{e}.pdf" for e in ("screen", "print")] + ["river-basin-note-ed2.epub"]
    out.mkdir()
    for name in names:
        (out / name).write_bytes(PDF)
    with monkeypatch.context() as patch:
        forbid_processes(patch)
        frozen = release(report, out, archive, content, names)
    assert not marker.exists()  # … the release does not
    assert frozen.revision == f"git:{commit}+sha256:{content_digest(report.sources)}"
    assert json.loads((archive / "2" / MANIFEST).read_text())["revision"] == frozen.revision


@needs_git
def test_revision_reads_packed_refs_detached_heads_and_worktrees(content: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    commit = commit_all(content)
    digest = content_digest(sources_of(content))
    assert revision_of(content, monkeypatch) == f"git:{commit}+sha256:{digest}"
    git(content, "pack-refs", "--all")
    assert not (content / ".git" / "refs" / "heads" / "main").exists()
    assert revision_of(content, monkeypatch) == f"git:{commit}+sha256:{digest}"
    git(content, "checkout", "-q", "--detach")
    assert revision_of(content, monkeypatch) == f"git:{commit}+sha256:{digest}"
    git(content, "worktree", "add", "-q", str(tmp_path / "linked"), "main")
    assert (tmp_path / "linked" / ".git").is_file()
    assert revision_of(tmp_path / "linked", monkeypatch) == f"git:{commit}+sha256:{digest}"
    with (content / "chapters" / "03-outlook.md").open("a", encoding="utf-8") as chapter:
        chapter.write("\nA new paragraph.\n")  # not committed: the digest says so
    assert content_digest(sources_of(content)) != digest
    assert revision_of(content, monkeypatch) == f"git:{commit}+sha256:{content_digest(sources_of(content))}"


@needs_git
def test_revision_without_a_commit_is_the_digest(content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", revision_of(content, monkeypatch))
    git(content, "init", "-q", "-b", "main")  # no commit yet
    assert revision_of(content, monkeypatch) == f"sha256:{content_digest(sources_of(content))}"
    (content / ".git" / "HEAD").write_text("ref: refs/../../../../etc/passwd\n", encoding="utf-8")
    assert revision_of(content, monkeypatch) == f"sha256:{content_digest(sources_of(content))}"


# --- citation files -----------------------------------------------------------------------------

def lines_of(value: str) -> str:
    return " ".join(re.sub("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", value).split())


HOSTILE = {
    "title": 'Evil}, note = {pwned}, x = {\r\nER  - \nTY  - JOUR\n@misc{y, title={z}',
    "subtitle": "100% of $5 & #1_a^b~c \\ end\\}\u2028AU  - Mallory",
    "identifier": "urn:x:1\x0bKW  - y",
    "url": 'https://example.org/r}e{p\\o"r t',
}
PUBLISHER = Publisher(name="Pub {Inc\u2029PB  - X", url='https://example.org/a}b{c\\d"e f')
AUTHORS = ("Ada\rTY  - BOOK", "Bob}\x85ER  - ", "Cy{ \u2028")


@pytest.fixture(scope="module")
def hostile():
    report = load_report(MINIMAL)[0]
    people = tuple(Person(name=name) for name in AUTHORS) + (Person(name="Ed\nEditor", role="editor"),)
    return dataclasses.replace(report, meta=dataclasses.replace(report.meta, authors=people, publisher=PUBLISHER,
                                                                **HOSTILE))


def parse_bibtex(text: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Records as BibTeX reads them: `@` outside a record starts one; a value runs to its matching
    brace, and every brace counts (BibTeX does not take `\\{` as an escaped brace)."""
    records, at = [], 0
    while (at := text.find("@", at)) != -1:
        head = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,").match(text, at)
        assert head, f"malformed record at {text[at:]!r}"
        fields, at = [], head.end()
        while name := re.compile(r"\s*(\w+)\s*=\s*\{").match(text, at):
            depth, end = 1, name.end()
            while depth:
                assert end < len(text), "unbalanced braces"
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
            fields.append((name.group(1), text[name.end():end - 1]))
            at = re.compile(r"\s*,?").match(text, end).end()
        close = re.compile(r"\s*\}").match(text, at)
        assert close, f"record not closed at {text[at:]!r}"
        records.append((head.group(1), head.group(2), fields))
        at = close.end()
    return records


LATEX = {r"\textbackslash{}": "\\", r"\textbraceleft{}": "{", r"\textbraceright{}": "}",
         r"\textasciicircum{}": "^", r"\textasciitilde{}": "~", r"\%": "%", r"\&": "&", r"\$": "$", r"\#": "#",
         r"\_": "_"}
ESCAPE = re.compile("|".join(re.escape(k) for k in LATEX))


def test_bibtex_is_one_record_with_neutral_values(hostile) -> None:
    records = parse_bibtex(bibtex(hostile))
    assert len(records) == 1
    kind, key, fields = records[0]
    assert (kind, key) == ("techreport", "river_basin_note_ed2")
    assert [name for name, _ in fields] == ["title", "subtitle", "author", "institution", "year", "month",
                                            "edition", "url", "note"]
    values = dict(fields)
    for name, value in values.items():  # no LaTeX special is left active (the URL is checked below)
        plain = ESCAPE.sub("", value)
        plain = plain.replace("} and {", "")[1:-1] if name == "author" else plain
        assert name == "url" or not re.search(r"[\\{}%&$#_^~\n\r]", plain), (name, value)
    unescape = lambda value: ESCAPE.sub(lambda m: LATEX[m.group()], value)  # noqa: E731
    assert unescape(values["title"]) == lines_of(HOSTILE["title"]).replace('"', "''")
    assert unescape(values["subtitle"]) == lines_of(HOSTILE["subtitle"])
    assert unescape(values["institution"]) == lines_of(PUBLISHER.name)
    assert unescape(values["note"]) == lines_of(HOSTILE["identifier"])
    assert [unescape(a) for a in re.findall(r"\{((?:[^{}]|\{\})*)\}", values["author"])] == [
        lines_of(a) for a in AUTHORS]
    assert not re.search(r'[{}\\" ]', values["url"]) and unquote(values["url"]) == HOSTILE["url"]


def test_ris_is_one_record_with_one_line_values(hostile) -> None:
    text = ris(hostile)
    lines = text.splitlines()  # every line break a reader may honour, not only \n
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines), lines
    tags = [line[:2] for line in lines]
    assert tags == ["TY", "TI", "T2", "AU", "AU", "AU", "PB", "PY", "DA", "ET", "LA", "M3", "UR", "ER"]
    values = [line[6:] for line in lines]
    assert values[1:6] == [lines_of(HOSTILE["title"]), lines_of(HOSTILE["subtitle"]), *map(lines_of, AUTHORS)]
    assert values[6] == lines_of(PUBLISHER.name) and values[11] == lines_of(HOSTILE["identifier"])
    assert text.count("\n") == len(lines) and text.endswith("ER  - \n")
