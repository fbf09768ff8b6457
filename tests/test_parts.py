"""Chapter-level PDF rendering: parts laid out on their own, cached by their HTML, joined.

An edited chapter costs the layout of that chapter (and of the parts whose page numbers moved);
the files are the same bytes as a cold build of the same content.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from publisher.part import MARK, UNKNOWN, split
from tests.conftest import run_cli
from tests.pdfcheck import page_texts

HEAD = '<html><head><title>t</title></head><body class="x">'


def test_a_part_shows_the_numbers_it_is_given_and_links_out_of_itself():
    html = (HEAD + MARK + '<section id="a"><a class="xref xref-fig" href="#f2">Figure 2</a>'
            '<a class="xref xref-ch" href="#b">Chapter 2</a><a href="#a">here</a></section>'
            + MARK + '<section id="b"><figure id="f2"></figure></section></body></html>')
    head, parts = split(html)
    assert head == HEAD and [p.ids for p in parts] == [frozenset({"a"}), frozenset({"b", "f2"})]
    assert parts[0].numbered == ("f2",)  # a chapter reference shows no page
    known = parts[0].html(head, 7, {"f2": 12}, "https://part.invalid/#")
    assert 'href="#f2" data-page="12"' not in known  # links out of the part are rewritten …
    assert 'href="https://part.invalid/#f2" data-page="12"' in known  # … and keep their number
    assert 'href="#a"' in known  # a link inside the part stays
    assert "counter-reset: page 7" in known and "break-before: right" in known  # page 7 is a recto
    assert f'data-page="{UNKNOWN}"' in parts[0].html(head, 8, {}, "x#")
    assert "break-before: left" in parts[0].html(head, 8, {}, "x#")


def test_text_outside_the_parts_is_refused():
    from publisher.errors import RenderError

    with pytest.raises(RenderError):
        split(HEAD + "<p>stray</p>" + MARK + "<section></section></body></html>")
    with pytest.raises(RenderError):
        split(HEAD + "<section></section></body></html>")


def _pdfs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.pdf"))}


def _parts(out: Path) -> set[str]:
    return {p.name for p in (out / ".build" / "cache" / "parts").glob("*.pdf")}


@pytest.mark.slow
def test_an_edited_chapter_is_laid_out_alone_and_gives_the_bytes_of_a_cold_build(content, tmp_path):
    out = tmp_path / "out"
    assert run_cli("pdf", "--content", str(content), "--out", str(out), "-q").exit_code == 0
    before = _parts(out)
    chapter = sorted((content / "chapters").glob("*.md"))[-1]
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA sentence added at the end.\n", encoding="utf-8")
    assert run_cli("pdf", "--content", str(content), "--out", str(out), "-q").exit_code == 0
    after = _parts(out)
    # One part per edition is new (the last chapter; nothing after it moved), the cover wrap is kept.
    assert len(after - before) == 2, sorted(after - before)
    cold = tmp_path / "cold"
    assert run_cli("pdf", "--content", str(content), "--out", str(cold), "-q").exit_code == 0
    assert _pdfs(out) == _pdfs(cold)
    assert "A sentence added at the end." in " ".join(page_texts(next(out.glob("*-screen.pdf"))))


@pytest.mark.slow
def test_one_render_process_gives_the_same_files_as_several(content, tmp_path, monkeypatch):
    made = {}
    for workers in ("1", "3"):
        monkeypatch.setenv("PUBLISHER_WORKERS", workers)
        out = tmp_path / workers
        assert run_cli("pdf", "--content", str(content), "--out", str(out), "-q").exit_code == 0
        made[workers] = _pdfs(out)
    assert made["1"] == made["3"] and len(made["1"]) >= 2


def test_a_ligature_drawn_across_a_soft_hyphen_keeps_its_text(tmp_path):
    from weasyprint import HTML

    from publisher.fonts import pdf_font_subsetting
    from publisher.formats import STYLES

    target = tmp_path / "ligature.pdf"
    with pdf_font_subsetting(None):
        HTML(string='<html lang="en"><body style="font-family: \'Charis SIL\'"><p>Sources dif\u00adfer; they '
                    "differ, affine, official.</p></body></html>", base_url=str(STYLES) + "/").write_pdf(
            target, stylesheets=[str(STYLES / "fonts.css")])
    text = page_texts(target)[0]
    assert "Sources differ; they differ, affine, official." in " ".join(text.split())


def test_the_cache_keeps_one_file_per_part_of_the_last_build(fixture_built):
    from publisher.pdf import render_html
    from publisher.templates import make_env

    parts = fixture_built.out / ".build" / "cache" / "parts"
    for edition in ("screen", "print"):
        wanted = len(split(render_html(fixture_built.report, make_env(), edition))[1])
        assert len(list(parts.glob(f"{edition}-*.pdf"))) == wanted, edition


@pytest.mark.parametrize("suffix", ["-screen.pdf", "-print.pdf"])
def test_a_stitched_edition_embeds_one_subset_of_each_font(fixture_built, suffix):
    from tests.pdfcheck import fonts

    path = next(fixture_built.out.glob(f"*{suffix}"))
    names = [row["name"].split("+", 1)[-1] for row in fonts(path)]
    assert names and len(names) == len(set(names)), names
    assert all(row["emb"] == "yes" and row["sub"] == "yes" and row["uni"] == "yes" for row in fonts(path))


def test_a_parts_findings_key_follows_its_own_lines_and_allowances_only():
    from publisher.preflight import Allowance, Inspection

    base = Inspection({"a": "ch/1.md:3", "b": "ch/2.md:9"}, (Allowance("widow", "ch/2.md", 0, "ok"),),
                      (("fig-b", ("straight quote",)),))
    assert base.key({"a"}) == Inspection({"a": "ch/1.md:3", "b": "ch/2.md:12"}).key({"a"})  # b moved: not a's
    assert base.key({"a"}) != Inspection({"a": "ch/1.md:4", "b": "ch/2.md:9"}).key({"a"})  # a moved
    assert base.key({"b", "fig-b"}) != Inspection({"a": "ch/1.md:3", "b": "ch/2.md:9"}).key({"b", "fig-b"})


def _load_problems(content: Path) -> str:
    from publisher.errors import ContentError
    from publisher.loader import load_report

    with pytest.raises(ContentError) as raised:
        load_report(content)
    return str(raised.value)


@pytest.mark.parametrize("where", ["markdown", "yaml"])
def test_a_link_to_the_reserved_domain_invalid_is_refused_with_its_line(content, where):
    # Such an address never resolves (RFC 2606), and it is the join's own marker for links
    # between parts (stitch.LINK_PREFIX): an author's must never be taken for one.
    if where == "markdown":
        chapter = content / "chapters" / "02-flows.md"
        chapter.write_text(chapter.read_text(encoding="utf-8").replace(
            "[link](https://example.org/)", "[link](https://part.invalid/#sec-flows-gauges)"), encoding="utf-8")
        expected = "02-flows.md:"
    else:
        references = content / "references.yaml"
        references.write_text(references.read_text(encoding="utf-8").replace(
            "https://example.org/atlas", "https://x.INVALID./atlas"), encoding="utf-8")
        expected = "references.yaml:7:"
    message = _load_problems(content)
    assert expected in message and ".invalid is reserved" in message, message


def test_two_ids_that_make_one_anchor_are_refused(content):
    chapter = content / "chapters" / "02-flows.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n## One {#sec:zz.yy}\n\nText.\n\n"
                       "## Two {#sec:zz-dot-yy}\n\nText.\n", encoding="utf-8")
    message = _load_problems(content)
    assert "'sec:zz-dot-yy' names the same anchor ('sec-zz-dot-yy') as 'sec:zz.yy'" in message, message


@pytest.mark.slow
def test_a_damaged_plan_in_the_cache_is_no_plan(content, tmp_path):
    out = tmp_path / "out"
    assert run_cli("pdf", "--content", str(content), "--out", str(out), "-q").exit_code == 0
    parts = out / ".build" / "cache" / "parts"
    for plan in parts.glob("*.plan.json"):
        plan.write_text('{"starts": ["a", "b"], "anchors": {"x": "zz"}}', encoding="utf-8")
    for meta in [m for m in parts.glob("*.json") if not m.name.endswith(".plan.json")][:3]:
        kept = json.loads(meta.read_text(encoding="utf-8"))  # the right digest, a wrong shape
        meta.write_text(json.dumps({**kept, "pages": str(kept["pages"])}), encoding="utf-8")
    chapter = sorted((content / "chapters").glob("*.md"))[0]
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    result = run_cli("pdf", "--content", str(content), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    cold = tmp_path / "cold"
    assert run_cli("pdf", "--content", str(content), "--out", str(cold), "-q").exit_code == 0
    assert _pdfs(out) == _pdfs(cold)
