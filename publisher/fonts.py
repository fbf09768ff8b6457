"""The bundled fonts, and the guard against characters they cannot show.

WeasyPrint silently drops a character that no font has; we check before rendering instead.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path
from html import unescape

from fontTools.ttLib import TTFont

from .errors import OutputError
from .model import Report
from .templates import STYLES

FONT_DIR = STYLES / "fonts"


@lru_cache(maxsize=1)
def covered() -> frozenset[int]:
    """Code points that at least one bundled font has a glyph for."""
    points: set[int] = set()
    for path in sorted(FONT_DIR.glob("*.[ot]tf")):
        with TTFont(str(path), lazy=True) as font:
            points.update(font.getBestCmap())
    return frozenset(points)


def visible_text(html: str) -> str:
    """The text a reader sees: no tags, no comments, entities decoded."""
    html = re.sub(r"<!--.*?-->|<title\b.*?</title>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def check_glyphs(html: str, report: Report) -> None:
    """Fail naming the content file and the character when a font lacks a glyph."""
    have = covered()
    missing = sorted({ch for ch in visible_text(html) if ord(ch) not in have and not ch.isspace()
                      and ord(ch) >= 32})
    if not missing:
        return
    ch = missing[0]
    where = "content"
    for chapter in report.front + report.chapters:
        if ch in chapter.html_print:
            where = chapter.source_path
            break
    else:
        if any(ch in r.text for r in report.references):
            where = "references.yaml"
    others = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    raise OutputError(f"{where}: character {ch!r} (U+{ord(ch):04X}) is not in any bundled font"
                      f"{others}; the PDF would silently drop it")


def subset_font(path: Path, text: str) -> bytes:
    """The font cut down to the characters of `text` (plus ASCII), for the EPUB."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]  # keep kerning, ligatures and small caps
    options.name_IDs = ["*"]  # keep the copyright and licence names the OFL asks for
    options.notdef_outline = True
    with subset.load_font(str(path), options, lazy=True) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(set(text) | {chr(c) for c in range(32, 127)})))
        subsetter.subset(font)
        buffer = io.BytesIO()
        subset.save_font(font, buffer, options)
    return buffer.getvalue()
