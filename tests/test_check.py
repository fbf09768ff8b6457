"""`python build.py check`: validates content and existing outputs without building."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli


@pytest.mark.slow
def test_check_passes_on_the_real_report(real_built):
    # EPUBCheck (errors and warnings), qpdf, embedded fonts and each edition's structure.
    result = run_cli("check", "--content", str(real_built.content), "--out", str(real_built.out))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Content and outputs are valid."


def test_check_reports_missing_and_broken_outputs(fixture_built, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(fixture_built.out, out)
    (out / "river-basin-note-ed2-print.pdf").unlink()
    epub = out / "river-basin-note-ed2.epub"
    epub.write_bytes(epub.read_bytes()[:5000])  # a truncated download
    before = sorted(p.name for p in out.iterdir())
    result = run_cli("check", "--content", str(fixture_built.content), "--out", str(out))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"Error: {out / 'river-basin-note-ed2-print.pdf'}: missing (build it first)" in lines
    assert any(line.startswith(f"Error: {epub}: EPUBCheck FATAL") for line in lines), lines
    assert sorted(p.name for p in out.iterdir()) == before  # nothing rebuilt


def test_check_reports_content_errors(content, tmp_path):
    (content / "chapters" / "03-outlook.md").write_text("no front matter\n", encoding="utf-8")
    result = run_cli("check", "--content", str(content), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert result.output == "Error: content/chapters/03-outlook.md:1: missing YAML front matter (--- … ---)\n"
