"""The chart engine: Vega-Lite specifications drawn to SVG by vl-convert (Vega and Vega-Lite in
an embedded JavaScript engine: no browser, no network), with the bundled fonts registered.

Once started, the engine holds about 60 MB until its process ends, and starting it takes most
of a second. A build therefore never starts it in its own process (whose memory the PDF
renderers forked from it would share and the build would hold to its end): it draws whatever
its cache lacks in one short-lived process of its own (`draw_apart`, a fresh interpreter that
imports only this module and vl-convert), before anything heavy starts. `draw` is the same
drawing in the calling process (a chart drawn outside a build).

This module imports nothing else of the publisher's at load, so that the drawing process
starts in a few hundredths of a second.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from typing import Any

# One drawing: (True, the SVG) or (False, the engine's reason for refusing the specification:
# its first line, 300 characters at most).
Drawing = tuple[bool, str]

_LOCK = threading.Lock()  # the engine draws one specification at a time


@lru_cache(maxsize=1)
def _engine(fonts: str) -> Any:
    import vl_convert

    vl_convert.register_font_directory(fonts)  # the bundled fonts, whatever the system has
    return vl_convert


def draw(text: str, fonts: str) -> Drawing:
    """A specification (Vega-Lite JSON text) drawn in this process, with the fonts in the folder
    `fonts` (registered once per process; the same folder every time)."""
    engine = _engine(fonts)
    with _LOCK:
        try:
            return True, str(engine.vegalite_to_svg(json.loads(text), allowed_base_urls=[], format_locale="en-US",
                                                    time_format_locale="en-US"))
        except ValueError as exc:
            return False, str(exc).strip().splitlines()[0][:300]


def _serve() -> None:
    """The drawing process: a JSON object {"fonts": folder, "texts": [specification, ...]} on
    standard input, the list of drawings ([ok, SVG or reason], in order) as JSON on standard
    output."""
    import sys

    request = json.loads(sys.stdin.buffer.read())
    drawn = [draw(text, request["fonts"]) for text in request["texts"]]
    sys.stdout.buffer.write(json.dumps(drawn, ensure_ascii=False).encode("utf-8"))


def draw_apart(texts: list[str], fonts: str) -> list[Drawing]:
    """The specifications drawn, in order, by one process started for them: a fresh interpreter
    (this one's, with this package first on its path) that imports only this module and the
    engine, shares nothing with this process and ends when the last is drawn. A plain child
    process, not multiprocessing's spawn, which would also start its resource tracker for the
    rest of the build.

    Raises RenderError if that process fails.
    """
    import subprocess
    import sys
    from pathlib import Path

    if not texts:
        return []
    package = str(Path(__file__).resolve().parent.parent)
    code = f"import sys; sys.path.insert(0, {package!r}); from publisher.engine import _serve; _serve()"
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps({"fonts": fonts, "texts": texts}).encode(),
                          capture_output=True, check=False)
    try:
        drawn = [(bool(ok), str(text)) for ok, text in json.loads(done.stdout)] if done.returncode == 0 else []
    except (ValueError, TypeError):
        drawn = []
    if len(drawn) != len(texts):
        from .errors import RenderError

        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no reason given"]
        raise RenderError(f"the chart engine stopped (exit code {done.returncode}): {reason[0][:300]}")
    return drawn
