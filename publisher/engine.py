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


def _drawer(texts: list[str], fonts: str, pipe: Any) -> None:
    """The drawing process: each specification's drawing sent back in order."""
    try:
        for text in texts:
            pipe.send(draw(text, fonts))
    finally:
        pipe.close()


def draw_apart(texts: list[str], fonts: str) -> list[Drawing]:
    """The specifications drawn, in order, by one process started for them (spawned: a fresh
    interpreter, which shares nothing with this one and ends when the last is drawn).

    Raises RenderError if that process stops before it has drawn them all.
    """
    import multiprocessing

    if not texts:
        return []
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_drawer, args=(texts, fonts, theirs), daemon=True, name="chart engine")
    process.start()
    theirs.close()
    drawn: list[Drawing] = []
    try:
        while len(drawn) < len(texts):
            drawn.append(mine.recv())
    except EOFError:
        from .errors import RenderError

        process.join()
        raise RenderError(f"the chart engine stopped (exit code {process.exitcode}) after {len(drawn)} of "
                          f"{len(texts)} drawings") from None
    finally:
        mine.close()
        if len(drawn) < len(texts):  # interrupted, or stopped: nothing more is wanted from it
            process.terminate()
        process.join()
    return drawn
