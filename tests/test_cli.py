"""The command line: exit codes, subsets, help."""

from __future__ import annotations

import hashlib
import shutil

from publisher.cli import main
from tests.conftest import run_cli


def test_builds_a_subset(content, tmp_path):
    out = tmp_path / "out"
    result = run_cli("epub", "--content", str(content), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["river-basin-note-ed2.epub"]


def test_unknown_option_is_a_usage_error():
    result = run_cli("--colour")
    assert result.exit_code == 2
    assert "No such option '--colour'" in result.output


def test_unknown_target_is_a_usage_error():
    result = run_cli("docx")
    assert result.exit_code == 2


def test_missing_content_folder(tmp_path):
    result = run_cli("--content", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_every_option_has_help():
    for command in main.commands.values():
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{command.name} {param.opts}"


def test_unchanged_source_gives_identical_files(content, tmp_path):
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert run_cli("--content", str(content), "--out", str(out), "-q").exit_code == 0
        digests.append({str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted(out.rglob("*")) if p.is_file()})
    assert digests[0] == digests[1]
    assert {"river-basin-note-ed2-screen.pdf", "river-basin-note-ed2-print.pdf",
            "river-basin-note-ed2.epub", "index.html"} <= digests[0].keys()


def test_progress_is_plain_log_lines_without_a_terminal(content, tmp_path):
    result = run_cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    steps = [line.split(" (")[0] for line in result.output.splitlines() if line.endswith(" s)")]
    assert steps == ["Laying out the PDF editions", "Writing the EPUB",
                     "Writing the PDF editions", "Writing the web pages", "Moving the files into place"]
    assert result.output.splitlines()[-1].startswith("Built ")


def test_progress_bar_on_a_terminal(capsys):
    import logging

    from publisher.progress import Progress

    logging.getLogger("publisher").setLevel(logging.INFO)
    progress = Progress(2, bar=True)
    progress.step("One")
    progress.step("Two")
    progress.close()
    assert "Building" in capsys.readouterr().err


def test_proof_sheets_are_all_made_or_none(fixture_built, tmp_path):
    """`proof` makes one contact sheet per PDF, a one-page file (the cover wrap) on a sheet as
    wide as its page; when one PDF cannot be rendered it fails naming it and writes no sheet."""
    from PIL import Image

    out = tmp_path / "out"
    out.mkdir()
    for pdf in fixture_built.out.glob("*.pdf"):
        shutil.copy(pdf, out / pdf.name)
    (out / "zz-broken.pdf").write_bytes(b"%PDF-1.7\n% cut short")
    result = run_cli("proof", "--out", str(out))
    assert result.exit_code == 1 and "zz-broken.pdf" in result.output
    assert not (out / "proof").exists() or not list((out / "proof").iterdir())
    (out / "zz-broken.pdf").unlink()
    assert run_cli("proof", "--out", str(out)).exit_code == 0
    sheets = sorted(p.name for p in (out / "proof").iterdir())
    assert sheets == sorted(p.stem + ".png" for p in out.glob("*.pdf"))
    with Image.open(next((out / "proof").glob("*-cover.png"))) as cover:
        assert cover.width < 2 * cover.height  # one wrap, not a grid of eight columns
