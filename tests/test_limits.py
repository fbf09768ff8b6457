"""Issue 14: no accepted input takes unbounded work, and no bad input escapes as a traceback.

Each kind of input that once took minutes (alias bombs, quadratic parsing, huge tables, SVG
<use> amplification, diffs and digests of the editions archive) or crashed (deep folders, symlink
loops, output folders that cannot be written, broken PDFs) has a test here that fails on the
code before the fix; the exact messages of content errors are in test_errors.py (CASES). Time
bounds are only a guard against hangs: builds run in a subprocess with a generous timeout.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher import limits
from publisher.errors import ContentError, printable
from publisher.loader import load_report
from tests.conftest import ROOT, run_cli

BUILD = [sys.executable, str(ROOT / "build.py")]
CH2 = "chapters/02-flows.md"
CH3 = "chapters/03-outlook.md"


def build(content: Path, out: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own, from the content's parent folder (as a user runs
    it), killed after `timeout` seconds: a hang fails the test instead of stopping the suite."""
    return subprocess.run([*BUILD, *args, "--content", str(content), "--out", str(out), "-q"], cwd=content.parent,
                          capture_output=True, text=True, timeout=timeout)


def assert_refused(result: subprocess.CompletedProcess[str], out: Path, expected: list[str]) -> None:
    """Exit 1, exactly the expected `Error: …` lines, no traceback, and no output folder."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.stderr.splitlines() == [f"Error: {line}" for line in expected]
    assert not out.exists()


def nested_folders(root: Path, depth: int, name: str = "d") -> Path:
    """`depth` folders inside one another under root, made one at a time through open folders
    (os.makedirs recurses, and a path that long is too long for the system)."""
    handle = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=handle)
            inner = os.open(name, os.O_RDONLY, dir_fd=handle)
            os.close(handle)
            handle = inner
    finally:
        os.close(handle)
    return root / name


def remove_nested(root: Path, name: str = "d") -> None:
    """Remove what `nested_folders` made, without recursion (shutil.rmtree would overflow)."""
    handles = [os.open(root, os.O_RDONLY)]
    while True:
        try:
            handles.append(os.open(name, os.O_RDONLY, dir_fd=handles[-1]))
        except FileNotFoundError:
            break
    os.close(handles.pop())
    while handles:
        os.rmdir(name, dir_fd=handles[-1])
        os.close(handles.pop())


# --- YAML: alias bombs ----------------------------------------------------------------------

def alias_bomb(prefix: str = "") -> str:
    """Eight lines of nested aliases, ten per line: about 2 KB that stand for 10⁸ values."""
    lines = [f"{prefix}a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{prefix}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    return "\n".join(lines)


def test_an_alias_bomb_in_front_matter_is_refused_at_its_first_alias(content: Path, tmp_path: Path) -> None:
    # It took 24 s (every line shifted through every alias), then built with warnings.
    chapter = content / CH3
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("title: Outlook", "title: Outlook\n" + alias_bomb(
        "x"), 1), encoding="utf-8")
    out = tmp_path / "dist"
    assert_refused(build(content, out), out, ["content/chapters/03-outlook.md:4: invalid YAML: aliases (*name) "
                                              "expand the document to 123456799 values (at most 100000)"])


def test_an_alias_bomb_in_a_data_file_is_refused(content: Path, tmp_path: Path) -> None:
    # Table cells join lists into text: 10⁸ values never finished.
    rows = ["- {state: x, b: &b0 [x, x, x, x, x, x, x, x, x, x]}"]
    rows += [f"- {{state: y, b: &b{i} [{', '.join([f'*b{i - 1}'] * 10)}]}}" for i in range(1, 8)]
    (content / "data" / "states.yaml").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "dist"
    assert_refused(build(content, out), out, ["content/data/states.yaml:2: invalid YAML: aliases (*name) expand "
                                              "the document to 123456821 values (at most 100000)"])


def test_aliases_of_long_text_count_in_full(content: Path) -> None:
    text = "x" * 100_000
    extra = f"x: &long {text}\ny: [{', '.join(['*long'] * 30)}]\n"
    before = (content / "report.yaml").read_text(encoding="utf-8")
    (content / "report.yaml").write_text(before + extra, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_report(content)
    [problem] = [str(p) for p in caught.value.problems]
    line = before.count("\n") + 2  # the line of the aliases
    found = re.fullmatch(rf"content/report\.yaml:{line}: invalid YAML: aliases \(\*name\) expand the document to "
                         r"(\d+) characters of text \(at most 2000000\)", problem)
    assert found and int(found.group(1)) > 30 * len(text), problem


def test_a_yaml_document_of_too_many_values_stops_early(content: Path) -> None:
    from publisher.yamlfile import parse_yaml

    text = "".join(f"- {{state: S{i}, share: {i} %}}\n" for i in range(30_000))  # 150,001 values in 1 MB
    data, problems = parse_yaml(text, "data.yaml")
    assert data is None
    assert [str(p) for p in problems] == ["data.yaml:20000: invalid YAML: the document has more than 100000 values"]


def test_expanded_size_measures_each_node_once() -> None:
    import yaml

    from publisher.yamlfile import expanded_size

    size = expanded_size(yaml.compose(alias_bomb()))  # (a failing assert would print the node: 10⁸ values)
    assert size == (123_456_797, 111_111_126, 9)


# --- Markdown ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # The footnote plugin looked for "]" to the end of the paragraph at every "[^": ~10 minutes.
    ("\n".join(["[^" * 4_300] * 7) + "\n\nA note.[^n]\n\n[^n]: The note.\n",
     "content/chapters/03-outlook.md:12: body: the paragraph has 60206 characters (at most 10000): split it"),
    ("\n".join(["[@" * 4_300] * 7) + "\n",
     "content/chapters/03-outlook.md:12: body: the paragraph has 60206 characters (at most 10000): split it"),
], ids=["footnote-calls", "citations"])
def test_quadratic_markdown_is_parsed_in_linear_time(content: Path, tmp_path: Path, text: str, expected: str) -> None:
    with (content / CH3).open("a", encoding="utf-8") as chapter:
        chapter.write("\n" + text)
    out = tmp_path / "dist"
    assert_refused(build(content, out), out, [expected])


def test_footnote_calls_still_work_and_long_labels_are_plain_text() -> None:
    from publisher.markdown import make_parser, parse_document

    label = "n" * limits.MAX_FOOTNOTE_LABEL
    longer = "n" * (limits.MAX_FOOTNOTE_LABEL + 1)
    document, problems = parse_document(make_parser(), f"A[^{label}] b[^x] c[^{longer}].\n\n[^{label}]: Note.\n",
                                        "x.md", 0, "x")
    assert [str(p) for p in problems] == ["x.md:1: footnote: footnote [^x] has no definition"]
    children = document.tokens[1].children
    assert [t.meta["label"] for t in children if t.type == "footnote_ref"] == [label, "x"]
    assert f"[^{longer}]" in "".join(t.content for t in children if t.type == "text")


def test_markdown_nested_beyond_the_parser_is_refused_not_dropped() -> None:
    # markdown-it drops what is nested deeper than its maxNesting without a word.
    from publisher.markdown import make_parser, parse_document

    md = make_parser()
    for depth in range(1, 2 * limits.MAX_BLOCK_DEPTH + 5):
        for text in ("> " * depth + "deep text\n", "".join("  " * i + "- item\n" for i in range(depth - 1))
                     + "  " * (depth - 1) + "- deep text\n", "".join("   " * i + "1. item\n" for i in range(depth))
                     + "   " * depth + "> deep text\n"):
            document, problems = parse_document(md, text, "x.md", 0, "x")
            kept = any(t.type == "inline" and t.content == "deep text" for t in document.tokens)
            assert kept or problems, (depth, text)
            containers = depth + text.startswith("1.")
            assert [str(p) for p in problems] == ([] if containers <= limits.MAX_BLOCK_DEPTH else [
                f"x.md:{1 if text.startswith('>') else limits.MAX_BLOCK_DEPTH + 1}: body: "
                "lists and block quotes are nested more than 20 deep"]), (depth, text)


# --- tables, charts, images ---------------------------------------------------------------------

def test_a_table_of_30000_rows_is_refused_at_once(content: Path, tmp_path: Path) -> None:
    # It ran for ten minutes at 1.5 GB per render process; its data file is too large a document.
    rows = "".join(f"- {{state: S{i}, share: {i} %}}\n" for i in range(30_000))
    (content / "data" / "states.yaml").write_text(rows, encoding="utf-8")
    out = tmp_path / "dist"
    assert_refused(build(content, out), out,
                   ["content/data/states.yaml:20000: invalid YAML: the document has more than 100000 values"])


def test_a_bar_chart_of_1200_rows_is_refused(content: Path, tmp_path: Path) -> None:
    # Cairo refused to draw its PNG copy for the EPUB (an image over 32,767 px): a traceback.
    rows = "".join(f"- {{label: River {i}, value: {i}}}\n" for i in range(1_200))
    (content / "data" / "flows.yaml").write_text(rows, encoding="utf-8")
    out = tmp_path / "dist"
    assert_refused(build(content, out, "epub"), out,
                   ["content/chapters/02-flows.md:8: figure: the chart's data has 1200 rows (at most 200)"])


def use_bomb(levels: int = 7, width: int = 10) -> bytes:
    """An SVG of 1.4 KB whose <use> elements draw 10⁷ rectangles."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs>'
             '<rect id="l0" width="1" height="1"/>']
    for level in range(1, levels + 1):
        parts.append(f'<g id="l{level}">' + f'<use href="#l{level - 1}"/>' * width + "</g>")
    parts.append(f'</defs><use href="#l{levels}"/></svg>')
    return "".join(parts).encode()


def test_svg_use_amplification_is_refused(content: Path) -> None:
    # The PDF renderer took minutes drawing it.
    (content / "images" / "bomb.svg").write_bytes(use_bomb())
    chapter = content / CH2
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("images/basin.png", "images/bomb.svg"),
                       encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_report(content)
    assert [str(p) for p in caught.value.problems] == [
        "content/chapters/02-flows.md:25: figure.src: images/bomb.svg: SVG refused: its <use> elements and url(#…) "
        "references draw 46913572 elements (at most 100000)"]


@pytest.mark.parametrize("svg, message", [
    (use_bomb(4), None),  # 10⁴ rectangles: a real drawing may reuse a symbol that often
    (b'<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#a"/></g></svg>',
     "SVG refused: <g> refers to itself"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><defs><clipPath id="c"><rect width="1" height="1" '
     b'clip-path="url(#c)"/></clipPath></defs></svg>', "SVG refused: <clipPath> refers to itself"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><defs><marker id="m"><path d="M0 0"/></marker></defs>'
     + b'<path d="M0 0" marker-start="url(#m)"/>' * 10 + b"</svg>", None),
    (b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * 101 + b"</g>" * 101 + b"</svg>",
     "SVG refused: elements are nested more than 100 levels deep"),
], ids=["ten-thousand", "use-loop", "url-loop", "markers", "deep"])
def test_svg_references_are_bounded(svg: bytes, message: str | None) -> None:
    from publisher.image import ImageError, check_svg

    if message is None:
        check_svg(svg)
    else:
        with pytest.raises(ImageError, match=re.escape(message)):
            check_svg(svg)


# --- folders: loops and depth -------------------------------------------------------------------

def test_deeply_nested_folders_are_walked_without_recursion(tmp_path: Path) -> None:
    # os.walk recursed once per level: 1,100 folders overflowed Python's stack.
    from publisher.files import regular_files
    from publisher.manifest import digest_paths
    from publisher.serve import watched_folders

    root = tmp_path / "content"
    root.mkdir()
    (root / "report.yaml").write_text("x", encoding="utf-8")
    nested_folders(root, 1_100)
    try:
        assert regular_files(root) == [root / "report.yaml"]
        assert len(watched_folders((root,))) == limits.MAX_PATH_DEPTH + 1
        assert len(digest_paths([root])) == 64
    finally:
        remove_nested(root)


def test_deep_folders_in_the_editions_archive_do_not_stop_a_build(fixture_built, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(fixture_built.content, content)
    (tmp_path / "editions").mkdir()
    nested_folders(tmp_path / "editions", 1_100)
    out = tmp_path / "dist"
    shutil.copytree(fixture_built.out, out)
    try:
        result = build(content, out, "web")
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    finally:
        remove_nested(tmp_path / "editions")


def test_a_loop_of_links_as_a_recorded_source_is_unreadable(content: Path, tmp_path: Path) -> None:
    from publisher.manifest import current_sources

    os.symlink("loop", content / "loop")
    assert current_sources(content, {"loop": "x", "report.yaml": "y"})["loop"] == "unreadable"


# --- numbers, names and characters ---------------------------------------------------------------

def test_lone_surrogates_and_control_characters_never_reach_a_terminal_or_a_file() -> None:
    assert printable("bad \udcff name\x1b[2J") == "bad \\udcff name\\x1b[2J"


def test_a_lone_surrogate_in_the_archive_is_refused(tmp_path: Path) -> None:
    from publisher.archive import releases

    folder = tmp_path / "editions" / "1"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"edition": 1, "date": "2026-01-01", "note": "x\\ud800", "files": []}',
                                          encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        releases(tmp_path / "editions")
    assert [str(p) for p in caught.value.problems] == [
        f"{folder / 'manifest.json'}: invalid JSON: U+D800 is half of a UTF-16 surrogate pair, not a character"]


def test_an_edition_folder_of_5000_digits_is_no_edition(tmp_path: Path) -> None:
    # int() refuses more than 4,300 digits: a ValueError while sorting the archive.
    from publisher.archive import releases

    (tmp_path / "editions" / ("9" * 5_000)[:200]).mkdir(parents=True)  # a name may have 255 bytes at most
    (tmp_path / "editions" / ("9" * 11)).mkdir()
    assert releases(tmp_path / "editions") == ()


# --- the editions archive: diffs and digests --------------------------------------------------------

def test_comparing_large_snapshots_takes_linear_time(tmp_path: Path) -> None:
    # difflib over the words of a 300 KB chapter with scattered edits took 89 s (and grows faster).
    script = tmp_path / "compare.py"
    script.write_text("""
import sys
from publisher.changes import compare
sentence = "The commission meets every spring to agree on the quotas of the year. "
old = [sentence.replace("spring", f"spring {i}") for i in range(6000)]
new = [s.replace("quotas", "water quotas") if i % 40 == 0 else s for i, s in enumerate(old)]
def snap(sentences):
    return {"chapters": [{"slug": "c", "title": "C", "sections": [{"id": "", "title": "", "text": "".join(sentences)}]}],
            "figures": {}, "tables": {}, "references": {}}
change = compare(snap(old), snap(new), 1, "").chapters[0]
print(change.words_added, change.words_removed)
""", encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["150", "0"]


@pytest.mark.parametrize("seed", range(20))
def test_word_counts_of_normal_edits_match_difflib(seed: int) -> None:
    import difflib
    import random

    from publisher.changes import _words, word_changes

    text = (ROOT / "content" / "chapters" / "05-connectivity.md").read_text(encoding="utf-8")
    sentences = re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", text))
    before = [{"text": " ".join(sentences[i:i + 5])} for i in range(0, len(sentences), 5)]
    after = [dict(section) for section in before]
    chance = random.Random(seed)
    for _ in range(chance.randint(1, 4)):
        section = chance.choice(after)
        words = section["text"].split(" ")
        at = chance.randrange(len(words))
        words[at:at + chance.randint(0, 3)] = chance.choice([[], ["new"], ["two", "words"], ["A", "new", "one."]])
        section["text"] = " ".join(words)
    whole = [[w for s in sections for w in _words(s["text"])] for sections in (before, after)]
    plus = minus = 0
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, *whole, autojunk=False).get_opcodes():
        minus += (a2 - a1) * (op in ("replace", "delete"))
        plus += (b2 - b1) * (op in ("replace", "insert"))
    assert word_changes(before, after) == (plus, minus)


def sparse(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no space on disk (or skip if the file system cannot)."""
    try:
        with path.open("wb") as handle:
            handle.truncate(size)
    except OSError as exc:
        pytest.skip(f"no sparse file of {size} bytes here: {exc.strerror}")
    return path


def test_a_huge_file_in_the_archive_is_not_read_whole(tmp_path: Path) -> None:
    # digest_paths read every archive file whole: a 15 TB sparse file was a MemoryError.
    from publisher.manifest import digest_paths

    archive = tmp_path / "editions"
    archive.mkdir()
    huge = sparse(archive / "huge.pdf", 1 << 40)
    first = digest_paths([archive])
    os.utime(huge, ns=(0, 0))
    assert digest_paths([archive]) != first  # a change of a file too large to read is still noticed


@pytest.mark.slow
def test_release_hashes_only_the_files_the_report_uses(content: Path, tmp_path: Path) -> None:
    # The release's revision hashed every file of the content folder: 1 TB of zeros.
    from publisher.revision import content_digest

    sparse(content / "unused.bin", 1 << 40)
    out, archive = tmp_path / "dist", content.parent / "editions"
    result = build(content, out, "release", timeout=300)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    manifest = (archive / "2" / "manifest.json").read_text(encoding="utf-8")
    assert f'"revision": "sha256:{content_digest(load_report(content)[0].sources)}"' in manifest


# --- the output folder ------------------------------------------------------------------------------

def test_an_output_folder_inside_the_content_is_refused(content: Path) -> None:
    # A usage error (exit 2), before anything is read or written (tests/test_consistency.py has the rest).
    os.chdir(content.parent)
    result = run_cli("--content", "content", "--out", "content/dist")
    assert result.exit_code == 2
    assert "the output folder content/dist is inside the content folder" in result.output
    assert "Traceback" not in result.output and not (content / "dist").exists()
    assert run_cli("serve", "--content", "content", "--out", "content").exit_code == 2


def test_an_output_folder_below_a_file_is_refused(content: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    result = run_cli("--content", str(content), "--out", str(tmp_path / "notes.txt" / "dist"))
    assert result.exit_code == 1
    assert result.output == (f"Error: {tmp_path / 'notes.txt' / 'dist'}: cannot make the output folder: "
                             f"{tmp_path / 'notes.txt'} is a file, not a folder\n")


@pytest.fixture
def read_only(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A folder that cannot be written: by its mode, or for root (who may write anything) a
    read-only tmpfs mount."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a read-only file system here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_output_folder_is_refused(content: Path, read_only: Path) -> None:
    result = run_cli("--content", str(content), "--out", str(read_only / "dist"))
    assert result.exit_code == 1
    assert result.output == (f"Error: {read_only / 'dist'}: cannot write the output folder: {read_only} "
                             "is read-only\n")


def test_a_full_disk_is_an_error_and_leaves_no_output(content: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("publisher.output.os.fsync", full)
    out = tmp_path / "dist"
    result = run_cli("epub", "--content", str(content), "--out", str(out), "-q")
    assert result.exit_code == 1
    assert re.fullmatch(rf"Error: {re.escape(str(out))}/\S+: No space left on device\n", result.output), result.output
    assert [p for p in out.rglob("*") if p.is_file() and ".build" not in p.parts] == []


# --- proof and check on broken PDFs ------------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs pdftoppm (poppler-utils)")
def test_proof_of_a_broken_pdf_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\nnot really\n")
    result = run_cli("proof", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'broken.pdf'}: cannot be rendered as a PDF (pdftoppm: ")
    assert "Traceback" not in result.output and not (tmp_path / "proof" / "broken.png").exists()


def test_check_of_a_truncated_pdf_is_a_finding(fixture_built, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    shutil.copytree(fixture_built.out, out)
    screen = out / "river-basin-note-ed2-screen.pdf"
    screen.write_bytes(screen.read_bytes()[:2000])
    monkeypatch.setattr("publisher.check.check_epub", lambda path: [])  # EPUBCheck is tested elsewhere
    result = run_cli("check", "--content", str(fixture_built.content), "--out", str(out))
    assert result.exit_code == 1
    assert any(line.startswith(f"Error: {screen}: cannot be read as a PDF (") for line in result.output.splitlines())
    assert "Traceback" not in result.output


# --- the limits are documented ---------------------------------------------------------------------

def test_every_limit_is_in_the_documentation() -> None:
    text = (ROOT / "docs" / "content-format.md").read_text(encoding="utf-8")
    section = text[text.index("## Limits"):text.index("## Field reference")]
    numbers = set(re.findall(r"\d[\d,]*", section))
    missing = [name for name, value in vars(limits).items()
               if name.startswith("MAX_") and f"{value:,}" not in numbers]
    assert not missing, f"limits not in docs/content-format.md, Limits: {missing}"
