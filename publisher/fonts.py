"""The bundled fonts, and the guard against characters they cannot show.

WeasyPrint silently drops a character that no font has; we check before rendering instead.
"""

from __future__ import annotations

import hashlib
import io
import re
from functools import lru_cache
from pathlib import Path
from html import unescape

from fontTools.ttLib import TTFont

from .errors import OutputError
from .model import Report
from .formats import FONTS




@lru_cache(maxsize=1)
def covered() -> frozenset[int]:
    """Code points that at least one bundled font has a glyph for."""
    points: set[int] = set()
    for path in sorted(FONTS.glob("*.[ot]tf")):
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
    for chapter in report.documents:
        if ch in chapter.body.source or any(ch in str(v) for v in vars(chapter.head).values()):
            where = chapter.source_path
            break
    else:
        if any(ch in str(v) for r in report.references for v in vars(r.entry).values()):
            where = "references.yaml"
    others = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    raise OutputError(f"{where}: character {ch!r} (U+{ord(ch):04X}) is not in any bundled font"
                      f"{others}; the PDF would silently drop it")


def subset_font(path: Path, text: str, cache: Path | None = None) -> bytes:
    """The font cut down to the characters of `text` (plus ASCII), for the EPUB.

    Subsetting takes a second or two for the eight fonts; the result depends only on the font
    and the set of characters, which an edit rarely changes, so it is kept in `cache`.
    """
    from fontTools import subset

    characters = "".join(sorted(set(text) | {chr(c) for c in range(32, 127)}))
    key = hashlib.sha256(path.read_bytes() + characters.encode("utf-8")).hexdigest()
    if cache and (cache / key).exists():
        return (cache / key).read_bytes()

    options = subset.Options()
    # Kerning, ligatures and mark positioning; not every stylistic feature (a third faster).
    options.layout_features = ["kern", "liga", "clig", "calt", "ccmp", "locl", "mark", "mkmk"]
    options.name_IDs = ["*"]  # keep the copyright and licence names the OFL asks for
    options.hinting = False  # e-readers render unhinted; a third smaller
    options.notdef_outline = True
    with subset.load_font(str(path), options, lazy=True) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        buffer = io.BytesIO()
        subset.save_font(font, buffer, options)
    if cache:
        from .output import write_atomic

        write_atomic(cache / key, buffer.getvalue())
    return buffer.getvalue()
