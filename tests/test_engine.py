"""The chart engine (publisher/engine.py) runs apart from the build: a build draws what its cache
lacks in one short-lived process, never starts the engine in its own, and redraws a chart only
when the chart itself changed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher import chart, engine
from publisher.chart import OUTPUTS
from publisher.formats import FONTS
from publisher.loader import load_report
from tests.conftest import MINIMAL, ROOT
from tests.test_charts import charts


def _texts(report_folder: Path) -> dict[tuple[str, str], str]:
    report, _ = load_report(report_folder)
    return {(f.spec.id, name): chart._text(f, OUTPUTS[name])  # noqa: SLF001 - the cache's key
            for f in report.figures if f.spec.kind != "image" for name in OUTPUTS}


def test_a_drawing_made_apart_is_the_drawing_made_here() -> None:
    texts = [chart._text(f, OUTPUTS[name]) for f, name in zip(charts(), ["print", "web", "narrow"] * 3)]  # noqa: SLF001
    texts.append(json.dumps({"mark": "no-such-mark", "data": {"values": [{"a": 1}]}}))
    apart = engine.draw_apart(texts, str(FONTS))
    assert apart == [engine.draw(text, str(FONTS)) for text in texts]
    assert [ok for ok, _ in apart] == [True] * (len(texts) - 1) + [False]


def test_editing_or_renumbering_chapters_changes_no_chart(tmp_path: Path) -> None:
    before = _texts(MINIMAL)
    assert before, "the minimal report has charts"
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    chapters = sorted((content / "chapters").glob("*.md"))
    for chapter in chapters:  # every chapter's text edited
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nAn added sentence.\n", encoding="utf-8")
    # and a chapter with a figure put in front of the others: every chapter and figure is numbered anew
    report = content / "report.yaml"
    text = report.read_text(encoding="utf-8")
    first = chapters[0].relative_to(content).as_posix()
    block = re.search(r"```figure\n.*?\n```\n", chapters[0].read_text(encoding="utf-8"), re.S)
    assert block is not None
    added = re.sub(r"^id: fig:(\S+)", r"id: fig:\1-again", block.group(0), flags=re.M)
    (content / "chapters" / "00-new.md").write_text(f"---\ntitle: A new first chapter\n---\n\nIts text.\n\n{added}",
                                                     encoding="utf-8")
    assert f"  - {first}\n" in text
    report.write_text(text.replace(f"  - {first}\n", f"  - chapters/00-new.md\n  - {first}\n"), encoding="utf-8")
    reloaded, _ = load_report(content)
    assert [f.number for f in reloaded.figures] != [f.number for f in load_report(MINIMAL)[0].figures]
    after = _texts(content)
    assert {key: after[key] for key in before} == before  # the same specifications: the same cache keys


@pytest.mark.slow
def test_a_build_draws_only_what_changed_and_never_in_its_own_process(tmp_path: Path) -> None:
    """Every output (the PDF writer draws its charts into the HTML before it forks its renderers),
    built in a fresh interpreter (the test process may have started the engine itself)."""
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    script = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(ROOT)!r})
from publisher import chart, engine
from publisher.options import BuildOptions
from publisher.pipeline import build

apart = []
drawn = engine.draw_apart
engine.draw_apart = lambda texts, fonts: (texts and apart.append(len(texts))) or drawn(texts, fonts)
content, out = Path({str(content)!r}), Path({str(tmp_path / "out")!r})
build(BuildOptions(content, out))
assert "vl_convert" not in sys.modules, "the build started the chart engine in its own process"
assert len(apart) == 1 and apart[0] > 0, apart  # one drawing process for every chart
kept = sorted(p.name for p in (out / ".build" / "cache" / "charts").glob("*.svg"))
assert len(kept) == apart[0], (kept, apart)
chapter = sorted((content / "chapters").glob("*.md"))[1]
chapter.write_text(chapter.read_text(encoding="utf-8") + "\\nAn added sentence.\\n", encoding="utf-8")
build(BuildOptions(content, out, force=True))
assert len(apart) == 1, apart  # nothing to draw: no process started
assert sorted(p.name for p in (out / ".build" / "cache" / "charts").glob("*.svg")) == kept
assert "vl_convert" not in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_chart_the_engine_refuses_names_its_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    own = charts()[-1]
    bad = json.loads(own.vegalite)
    bad["mark"] = "no-such-mark"
    import dataclasses

    figure = dataclasses.replace(own, vegalite=json.dumps(bad))
    monkeypatch.setattr(chart, "_CACHE", [tmp_path])
    monkeypatch.setattr(chart, "_DRAWN", {})
    assert chart.prepare([figure], ["narrow"]) == 1
    assert not list(tmp_path.iterdir())  # a refusal is not kept
    monkeypatch.setattr(chart, "_draw", lambda text: pytest.fail("drawn again in the test's process"))
    with pytest.raises(chart.ChartError, match=r"content/x\.json: figure\.vegalite: figure fig:own cannot be drawn"):
        chart.svg(figure, OUTPUTS["narrow"])


def test_a_chart_is_the_same_whatever_the_engine_drew_before() -> None:
    the_map = next(f for f in charts() if f.spec.kind == "map")  # drawn with clip paths
    texts = [chart._text(the_map, OUTPUTS[name]) for name in ("narrow", "web")]  # noqa: SLF001
    alone = engine.draw_apart(texts[1:], str(FONTS))[0][1]
    after = engine.draw_apart(texts, str(FONTS))[1][1]
    assert 'id="clip' in alone
    assert chart._numbered(alone) == chart._numbered(after)  # noqa: SLF001


def test_a_drawing_process_that_fails_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.errors import RenderError

    monkeypatch.setattr(sys, "executable", shutil.which("false") or "/bin/false")
    with pytest.raises(RenderError, match=r"the chart engine stopped \(exit code 1\)"):
        engine.draw_apart(["{}"], str(FONTS))
