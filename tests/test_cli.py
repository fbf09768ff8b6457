"""The command line: exit codes, subsets, help."""

from __future__ import annotations

import hashlib

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
