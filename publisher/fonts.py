"""The bundled fonts, the guard against characters they cannot show, and font subsetting.

WeasyPrint silently drops a character that no font has; we check before rendering instead.
Fonts are cut down to what a book or a PDF uses by fontTools in this process (`subset_font`,
`subset_glyphs`, with a cache), never by an optional system library, so that the bytes are
the same on every machine.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont

from .errors import OutputError
from .formats import FONTS
from .model import Report


@lru_cache(maxsize=1)
def covered() -> frozenset[int]:
    """Code points that at least one bundled font has a glyph for."""
    return frozenset().union(*(code_points(path) for path in sorted(FONTS.glob("*.[ot]tf"))))


@lru_cache(maxsize=32)
def code_points(path: Path) -> frozenset[int]:
    """The code points a font file maps to glyphs (its best Unicode cmap, fontTools).

    The glyphs are given plain names before the cmap is read: fontTools would otherwise name
    them from the font's own tables (the CFF charset, the post table), two thirds of the time,
    for names nothing here uses."""
    with TTFont(str(path), lazy=True) as font:
        font.setGlyphOrder([f"g{i}" for i in range(font["maxp"].numGlyphs)])
        return frozenset(font.getBestCmap())


@lru_cache(maxsize=1)
def bundled_families() -> frozenset[str]:
    """The font families the stylesheets declare for the bundled fonts (styles/fonts.css)."""
    css = (FONTS.parent / "fonts.css").read_text(encoding="utf-8")
    return frozenset(re.findall(r'font-family:\s*"([^"]+)"', css))


def visible_text(html: str) -> str:
    """The text a reader sees: no tags, no comments, entities decoded."""
    html = re.sub(r"<!--.*?-->|<title\b.*?</title>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def check_glyphs(html: str, report: Report) -> None:
    """Fail naming the file and line of the first character no bundled font has a glyph for (in
    the order the files were read: report.yaml, the chapters, references.yaml, glossary.yaml,
    the data files; or the message catalogue, for the publisher's words). Raises OutputError."""
    have = covered()
    missing = {ch for ch in visible_text(html) if ord(ch) not in have and not ch.isspace() and ord(ch) >= 32}
    if not missing:
        return
    found = _first(missing, report)
    ch, where = found if found else (min(missing), "content")
    others = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    raise OutputError(f"{where}: character {ch!r} (U+{ord(ch):04X}) is not in any bundled font"
                      f"{others}; the PDF would silently drop it")


def _first(missing: set[str], report: Report) -> tuple[str, str] | None:
    """The first of `missing` in the report's files (then the catalogue of its language), with
    `path:line`; None if none holds one."""
    from .catalogue import catalogue_code, catalogue_path
    from .formats import PROJECT

    files = list(report.texts)
    code = catalogue_code(report.meta.language)
    if code:
        path = catalogue_path(code)
        files.append((str(path.relative_to(PROJECT)), path.read_text(encoding="utf-8")))
    for shown, text in files:
        at = min((i for i in (text.find(ch) for ch in missing) if i >= 0), default=-1)
        if at >= 0:
            return text[at], f"{shown}:{text.count(chr(10), 0, at) + 1}"
    return None


@dataclass(frozen=True)
class Cut:
    """How a font is cut down (fontTools subset options), per use.

    Both cuts are made by fontTools in this process, never by a system library, so the bytes
    depend only on the font, what is kept, and the fontTools version.
    """

    name: str
    layout_features: tuple[str, ...] | None  # None: drop the layout tables (the shaping is done)
    retain_gids: bool
    name_ids: tuple[str, ...] | tuple[int, ...]
    desubroutinize: bool

    def options(self, hinting: bool, notdef_outline: bool) -> Any:
        from fontTools import subset

        options = subset.Options()
        options.hinting = hinting
        options.notdef_outline = notdef_outline
        options.retain_gids = self.retain_gids
        options.name_IDs = list(self.name_ids)
        options.desubroutinize = self.desubroutinize
        # Never the optional HarfBuzz repacker (uharfbuzz, where installed): other bytes.
        options.harfbuzz_repacker = False
        # Charis SIL's "Silt" table is SIL's own; fontTools cannot subset it (and would warn).
        options.drop_tables = [*options.drop_tables, "Silt"]
        if self.layout_features is None:
            options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF"]
        else:
            options.layout_features = list(self.layout_features)
        return options

    def key(self, font: bytes, selection: str, hinting: bool, notdef_outline: bool) -> str:
        """The cache key: the font (`font`: the SHA-256 of its bytes and its 4-byte index in a
        collection, `_digest`), what is kept and everything that shapes the bytes."""
        from fontTools import version

        recipe = json.dumps([dataclasses.asdict(self), hinting, notdef_outline, version], sort_keys=True)
        return hashlib.sha256(font + recipe.encode() + selection.encode()).hexdigest()


# E-books: the characters of the book; kerning, ligatures and mark positioning but not every
# stylistic feature (a third faster); the copyright and licence names the OFL asks for.
EPUB_CUT = Cut("epub", ("kern", "liga", "clig", "calt", "ccmp", "locl", "mark", "mkmk"), False, ("*",), False)
# PDFs: the glyphs the layout drew, under their own glyph ids (the page content names them),
# without the layout tables (the text is already shaped) — what WeasyPrint's own subsetting
# keeps, but made the same way on every machine.
PDF_CUT = Cut("pdf", None, True, (0, 1, 2, 3, 4, 5, 6), False)


def _digest(data: bytes, index: int) -> bytes:
    """What names a font in the cache keys: the SHA-256 of its bytes and its index."""
    return hashlib.sha256(data + index.to_bytes(4, "big")).digest()


@lru_cache(maxsize=32)
def _file_digest(path: Path, size: int, modified: int) -> bytes:
    """A bundled font file's `_digest`, read once per process (and again if the file changed)."""
    return _digest(path.read_bytes(), 0)


def _cut(data: bytes | Path, cut: Cut, selection: str, populate: dict[str, Any], cache: Path | None, *,
         hinting: bool = False, notdef_outline: bool = True, index: int = 0) -> bytes:
    """The font in `data` (its bytes, or a font file) cut as `cut` says, keeping what `populate`
    names; kept in `cache` (a cut found there neither reads the font nor loads fontTools' subsetter)."""
    if isinstance(data, Path):
        stat = data.stat()
        font = _file_digest(data, stat.st_size, stat.st_mtime_ns)
    else:
        font = _digest(data, index)
    key = cut.key(font, selection, hinting, notdef_outline)
    if cache and (cache / key).exists():
        return (cache / key).read_bytes()
    from fontTools import subset

    if isinstance(data, Path):
        data = data.read_bytes()
    options = cut.options(hinting, notdef_outline)
    options.font_number = index
    with subset.load_font(io.BytesIO(data), options, lazy=True) as font:
        for tag in set(options.drop_tables) & set(font.keys()):
            del font[tag]  # before fontTools looks into the layout tables (a third of the time)
        subsetter = subset.Subsetter(options)
        subsetter.populate(**populate)
        subsetter.subset(font)
        buffer = io.BytesIO()
        subset.save_font(font, buffer, options)
    if cache:
        from .output import write_atomic

        write_atomic(cache / key, buffer.getvalue())
    return buffer.getvalue()


# Faces that only ever set what the Latin faces before them in every stack lack (Japanese): a cut
# of them keeps those characters alone (and the space, which hides invisible characters).
FALLBACK_FACES = ("NotoSansCJKjp-Regular.otf", "NotoSansCJKjp-Bold.otf")


def subset_font(path: Path, text: str, cache: Path | None = None) -> bytes:
    """The font cut down to the characters of `text` (plus ASCII), for the EPUB and the web; a
    fallback face (FALLBACK_FACES) to the characters of `text` from U+2E80 on (CJK), plus the space.

    Subsetting takes a second or two for the eight fonts; the result depends only on the font
    and the set of characters, which an edit rarely changes, so it is kept in `cache`.
    """
    if path.name in FALLBACK_FACES:
        characters = "".join(sorted({c for c in text if c >= "\u2e80"} | {" "}))
    else:
        characters = "".join(sorted(set(text) | {chr(c) for c in range(32, 127)}))
    return _cut(path, EPUB_CUT, characters, {"text": characters}, cache)


def subset_glyphs(data: bytes, glyphs: set[int], cache: Path | None = None, *, index: int = 0,
                  hinting: bool = False, notdef_outline: bool = False) -> bytes:
    """The font in `data` (a collection's font `index`) cut down to the glyph ids `glyphs`,
    which keep their ids, without layout tables: what a PDF embeds."""
    with TTFont(io.BytesIO(data), lazy=True, fontNumber=index) as font:
        count = font["maxp"].numGlyphs
    kept = sorted({0} | {g for g in glyphs if 0 <= g < count})  # ids past the font are WeasyPrint's for
    # characters no font has (drawn as .notdef, glyph 0)
    return _cut(data, PDF_CUT, ",".join(map(str, kept)), {"gids": kept}, cache, hinting=hinting,
                notdef_outline=notdef_outline, index=index)


_PDF_CACHE: ContextVar[Path | None] = ContextVar("pdf_font_cache", default=None)
_INSTALL = threading.Lock()


@contextmanager
def pdf_font_subsetting(cache: Path | None = None) -> Iterator[None]:
    """While writing PDFs, WeasyPrint subsets each font with `subset_glyphs` (fontTools, here),
    keeping the cuts in `cache`.

    WeasyPrint 70 subsets with the system's libharfbuzz-subset when it is installed and with
    fontTools otherwise, and the two give different bytes: the same report made different PDFs
    on different machines. Its other choices stay as they are: the text is shaped with the
    bundled fonts themselves, and the PDF maps only the glyphs drawn, each to the text it was
    drawn for (so ligatures such as "fi" keep their text, which embedding whole fonts with
    `full_fonts=True` would lose: its ToUnicode map comes from the fonts' character maps, where
    ligatures and contextual forms have no entry).

    The method is replaced once per process, for good: no build should subset another way.
    """
    from weasyprint.pdf import fonts as weasyprint_fonts

    with _INSTALL:
        if not getattr(weasyprint_fonts.Font.subset, "publisher", False):
            weasyprint_fonts.Font.subset = _subset_drawn_glyphs
    token = _PDF_CACHE.set(cache)
    try:
        yield
    finally:
        _PDF_CACHE.reset(token)


def _subset_drawn_glyphs(font: Any, to_unicode: dict[int, str], hinting: bool) -> None:
    """weasyprint.pdf.fonts.Font.subset, made by `subset_glyphs`."""
    if to_unicode:
        font.file_content = subset_glyphs(font.file_content, set(to_unicode), _PDF_CACHE.get(), index=font.index,
                                          hinting=hinting, notdef_outline=bool(font.missing))


_subset_drawn_glyphs.publisher = True  # type: ignore[attr-defined]
