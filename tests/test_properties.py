"""Property-based tests: any Markdown or YAML either builds or stops with a content error,
never a traceback; whatever builds gives well-formed XHTML for the EPUB."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from publisher.errors import ContentError
from publisher.epub import EpubStyle
from publisher.loader import load_report
from publisher.render import Renderer
from tests.conftest import MINIMAL

# Fragments that exercise the parser's corners: our own syntax, Markdown syntax, HTML, YAML.
PIECES = st.sampled_from([
    "[@basin-atlas]", "[@flow-data, p. 3]", "[@nope]", "[@", "@sec:context-rules", "@fig:flows",
    "@tbl:nope", "@gls:ICWC", "@gls:", "[^n]", "\n\n[^n]: a note\n", "*", "**", "_", "`", "```",
    "\n```figure\nid: fig:x\n```\n", "\n```table\n", "<b>", "<script>", "&amp;", "&", "<", ">",
    "\n# ", "\n## ", "\n### Heading {#sec:h}\n", "{#sec:x}", "\n- item", "\n1. item", "\n> quote",
    "| a | b |\n|---|---|\n| 1 | 2 |\n", "[link](https://example.org)", "[x](javascript:1)",
    "![alt](images/basin.png)", "\n\n", "\\", "“", "—", "Oʻzbekiston", "Кыргызстан", "\u200b", "\t",
])
BODIES = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=25).map("".join)


def _write_chapter(content: Path, body: str, front: str = "title: Outlook") -> None:
    (content / "chapters" / "03-outlook.md").write_text(f"---\n{front}\n---\n\n{body}\n", encoding="utf-8")


def _xhtml_ok(html: str) -> None:
    wrapped = ('<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
               f"{html}</div>")
    etree.fromstring(wrapped.encode("utf-8"))  # raises on malformed markup


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_markdown_builds_or_reports(tmp_path_factory, body):
    content = tmp_path_factory.mktemp("prop") / "content"
    shutil.copytree(MINIMAL, content)
    _write_chapter(content, body)
    try:
        report, _ = load_report(content, strict=True)
    except ContentError as exc:
        assert exc.problems and all(str(p).startswith("content/") for p in exc.problems)
        return
    renderer = Renderer(report, EpubStyle())
    for chapter in report.documents:
        _xhtml_ok(renderer.chapter(chapter))


FRONT_VALUES = st.one_of(
    st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.lists(st.text(max_size=5), max_size=3),
    st.sampled_from(["[", "{", ": x", "'", '"', "- a", "!!python/object:os.system", "&a *a", "2026-02-30",
                     '"escaped \\x1f control"', "'é'", "|", ">"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["title", "short_title", "summary", "key_points", "unknown"]), value=FRONT_VALUES)
def test_front_matter_builds_or_reports(tmp_path_factory, key, value):
    content = tmp_path_factory.mktemp("prop") / "content"
    shutil.copytree(MINIMAL, content)
    line = f"{key}: {value}" if not isinstance(value, list) else f"{key}: {value!r}"
    front = f"title: Outlook\n{line}" if key != "title" else line
    _write_chapter(content, "Text [@basin-atlas].", front)
    try:
        report, _ = load_report(content, strict=True)
    except ContentError as exc:
        assert all(str(p).startswith("content/chapters/03-outlook.md") for p in exc.problems), exc.problems
        return
    _xhtml_ok(Renderer(report, EpubStyle()).chapter(report.chapters[2]))
