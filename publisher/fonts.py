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
from collections.abc import Callable, Iterator
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
            return text[at], f"{shown}:{text.count(chr(10), 0, at) + 1}: {field_at(shown, text, at)}"
    return None


def field_at(shown: str, text: str, at: int) -> str:
    """The field that the character at offset `at` of a content file (or catalogue) belongs to,
    as errors name fields: the innermost YAML key whose value holds it (found by composing the
    YAML with PyYAML, which knows where each node starts and ends), prefixed with the block's
    kind inside a Markdown ```figure or ~~~table block; `text` in a Markdown body; `msgstr` in a
    message catalogue."""
    if shown.endswith(".po"):
        return "msgstr"
    if not shown.endswith(".md"):
        return _yaml_key(text, at) or "text"
    head = re.match(r"---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|$)", text, re.S)
    if head and at < head.end():
        return _yaml_key(head.group(1) or "", at - head.start(1)) if head.group(1) else "text"
    fence, kind, body = None, "", 0
    for line in re.finditer(r"^.*$", text, re.M):
        if line.start() > at and fence is None:
            break
        mark = re.match(r" {0,3}(`{3,}|~{3,})[ \t]*([\w-]*)", line.group())
        if fence is None and mark:
            fence, kind, body = mark.group(1), mark.group(2), line.end() + 1
        elif fence is not None and re.fullmatch(rf" {{0,3}}{fence[0]}{{{len(fence)},}}[ \t]*", line.group()):
            if body <= at < line.start():
                key = _yaml_key(text[body:line.start()], at - body) if kind else ""
                return f"{kind}.{key}" if key else kind or "text"
            fence = None
    return "text"


def _yaml_key(text: str, at: int) -> str:
    """The innermost mapping key whose value spans offset `at` of the YAML `text` ("" if none,
    or if the text is not YAML)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return ""
    key = ""
    while node is not None:
        inner = None
        if isinstance(node, yaml.MappingNode):
            for name, value in node.value:
                if name.start_mark.index <= at < max(value.end_mark.index, name.end_mark.index + 1):
                    key, inner = str(name.value), value
                    break
        elif isinstance(node, yaml.SequenceNode):
            inner = next((item for item in node.value if item.start_mark.index <= at < item.end_mark.index), None)
        node = inner
    return key


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


_PDF_TEXT: ContextVar[str] = ContextVar("pdf_font_text", default="")


@contextmanager
def pdf_font_subsetting(cache: Path | None = None, text: str = "") -> Iterator[None]:
    """While writing PDFs, WeasyPrint subsets each font with `subset_glyphs` (fontTools, here),
    keeping the cuts in `cache`.

    WeasyPrint 70 subsets with the system's libharfbuzz-subset when it is installed and with
    fontTools otherwise, and the two give different bytes: the same report made different PDFs
    on different machines. Its other choices stay as they are: the text is shaped with the
    bundled fonts themselves, and the PDF maps only the glyphs drawn, each to the text it was
    drawn for (so ligatures such as "fi" keep their text, which embedding whole fonts with
    `full_fonts=True` would lose: its ToUnicode map comes from the fonts' character maps, where
    ligatures and contextual forms have no entry).

    With `text` (every character an edition may draw), each subset also keeps the glyphs of those
    characters and the ligatures made of them (`shared_glyphs`): the parts of an edition, laid
    out and written one by one (pdf.py), then embed the same cut of a font, which the join
    (stitch.py) keeps once — one subset per font in the edition, as a one-piece render has.

    The method is replaced once per process, for good: no build should subset another way.
    """
    import weasyprint.pdf
    from weasyprint.pdf import fonts as weasyprint_fonts

    with _INSTALL:
        if not getattr(weasyprint_fonts.Font.subset, "publisher", False):
            weasyprint_fonts.Font.subset = _subset_drawn_glyphs
        if not getattr(weasyprint.pdf.build_fonts_dictionary, "publisher", False):
            weasyprint.pdf.build_fonts_dictionary = _with_ligature_texts(weasyprint.pdf.build_fonts_dictionary)
    token = _PDF_CACHE.set(cache)
    text_token = _PDF_TEXT.set(text)
    try:
        yield
    finally:
        _PDF_TEXT.reset(text_token)
        _PDF_CACHE.reset(token)


def _subset_drawn_glyphs(font: Any, to_unicode: dict[int, str], hinting: bool) -> None:
    """weasyprint.pdf.fonts.Font.subset, made by `subset_glyphs`."""
    if to_unicode:
        glyphs = set(to_unicode)
        if _PDF_TEXT.get():
            glyphs |= shared_glyphs(font.file_content, font.index, _PDF_TEXT.get())
        font.file_content = subset_glyphs(font.file_content, glyphs, _PDF_CACHE.get(), index=font.index,
                                          hinting=hinting, notdef_outline=bool(font.missing))


_subset_drawn_glyphs.publisher = True  # type: ignore[attr-defined]


def _with_ligature_texts(build: Callable[..., Any]) -> Callable[..., Any]:
    """weasyprint.pdf.build_fonts_dictionary, with the text of every ligature glyph repaired first.

    WeasyPrint 70 gives a glyph the text of the first place it is drawn, and a ligature drawn
    across a soft hyphen ("dif-fer" unbroken: the "ff" glyph) gets none: every "ff" of the PDF
    then copies, searches and reads aloud as nothing ("di er"). A glyph whose recorded text is
    empty or holds a soft hyphen takes the text of its components from the font's ligature
    table (OpenType GSUB lookup type 4), or loses the soft hyphen."""

    def repaired(pdf: Any, fonts: dict[Any, Any], *args: Any) -> Any:
        for font in fonts.values():
            broken = [g for g, text in font.to_unicode.items() if not text or "\u00ad" in text]
            if broken:
                ligatures = ligature_texts(font.file_content, font.index)
                for glyph in broken:
                    font.to_unicode[glyph] = ligatures.get(glyph) or font.to_unicode[glyph].replace("\u00ad", "")
        return build(pdf, fonts, *args)

    repaired.publisher = True  # type: ignore[attr-defined]
    return repaired


def shared_glyphs(data: bytes, index: int, text: str) -> frozenset[int]:
    """The glyph ids of a font that the characters of `text` (and their other case: CSS may
    transform it) map to, closed under the substitutions a shaper applies by default
    (`DEFAULT_FEATURES`: contextual forms, local forms, ligatures; OpenType GSUB lookup types 1, 2,
    4, and those that contextual lookups (5, 6) call): a cut every part of an edition shares."""
    wanted = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    key = f"{hashlib.sha256(data).hexdigest()}:{index}:{wanted}"
    if key not in _SHARED:
        characters = set(text) | {c.upper() for c in text if len(c.upper()) == 1} | {c.lower() for c in text
                                                                                  if len(c.lower()) == 1}
        with TTFont(io.BytesIO(data), lazy=True, fontNumber=index) as font:
            names = font.getBestCmap()
            glyphs = {names[ord(c)] for c in characters if ord(c) in names}
            glyphs = _substitution_closure(font, glyphs)
            _SHARED[key] = frozenset(font.getGlyphID(name) for name in glyphs)
    return _SHARED[key]


# The GSUB features HarfBuzz applies to horizontal text in every script (hb-ot-shape.cc):
# glyph composition, localized forms, required and contextual ligatures, contextual alternates.
DEFAULT_FEATURES = frozenset({"ccmp", "locl", "rlig", "liga", "clig", "calt", "rclt"})


def _substitution_closure(font: Any, glyphs: set[str]) -> set[str]:
    """`glyphs` (names) and every glyph the default features' substitutions can make of them."""
    if "GSUB" not in font or font["GSUB"].table.LookupList is None or font["GSUB"].table.FeatureList is None:
        return glyphs
    table = font["GSUB"].table
    lookups = table.LookupList.Lookup
    todo = [i for record in table.FeatureList.FeatureRecord if record.FeatureTag in DEFAULT_FEATURES
            for i in record.Feature.LookupListIndex]
    chosen: set[int] = set()
    while todo:  # the lookups the features name, and those their contextual lookups call
        index = todo.pop()
        if index in chosen or index >= len(lookups):
            continue
        chosen.add(index)
        for subtable in lookups[index].SubTable:
            subtable = getattr(subtable, "ExtSubTable", subtable)
            for rule in _context_rules(subtable):
                todo += [record.LookupListIndex for record in getattr(rule, "SubstLookupRecord", None) or ()]
    glyphs = set(glyphs)
    while True:
        found = set()
        for index in sorted(chosen):
            for subtable in lookups[index].SubTable:
                subtable = getattr(subtable, "ExtSubTable", subtable)
                kind = type(subtable).__name__
                for source, target in (subtable.mapping.items() if kind in ("SingleSubst", "MultipleSubst")
                                       else ()):  # types 1 and 2
                    if source in glyphs:
                        found.update([target] if isinstance(target, str) else target)
                for first, ligatures in (subtable.ligatures.items() if kind == "LigatureSubst" else ()):  # type 4
                    if first in glyphs:
                        found.update(lig.LigGlyph for lig in ligatures if set(lig.Component) <= glyphs)
        if found <= glyphs:
            return glyphs
        glyphs |= found


def _context_rules(subtable: Any) -> list[Any]:
    """The rules of a contextual (type 5) or chained contextual (type 6) substitution subtable."""
    rules = [subtable]
    for attribute in ("SubRuleSet", "SubClassSet", "ChainSubRuleSet", "ChainSubClassSet"):
        for group in getattr(subtable, attribute, None) or ():
            if group is not None:
                rules += [*(getattr(group, "SubRule", None) or ()), *(getattr(group, "SubClassRule", None) or ()),
                          *(getattr(group, "ChainSubRule", None) or ()),
                          *(getattr(group, "ChainSubClassRule", None) or ())]
    return rules


_SHARED: dict[str, frozenset[int]] = {}


def ligature_texts(data: bytes, index: int = 0) -> dict[int, str]:
    """Glyph id → the characters it stands for, for every ligature glyph of a font (GSUB lookup
    type 4, also inside extension lookups), components named through the font's character map."""
    key = hashlib.sha256(data).hexdigest() + f":{index}"
    if key not in _LIGATURES:
        _LIGATURES[key] = _read_ligatures(data, index)
    return _LIGATURES[key]


_LIGATURES: dict[str, dict[int, str]] = {}


def _read_ligatures(data: bytes, index: int) -> dict[int, str]:
    found: dict[int, str] = {}
    with TTFont(io.BytesIO(data), lazy=True, fontNumber=index) as font:
        if "GSUB" not in font or font["GSUB"].table.LookupList is None:
            return found
        characters: dict[str, str] = {}
        for code, name in sorted(font.getBestCmap().items(), reverse=True):
            characters[name] = chr(code)  # the lowest code point wins
        for lookup in font["GSUB"].table.LookupList.Lookup:
            for table in lookup.SubTable:
                table = table.ExtSubTable if lookup.LookupType == 7 else table
                for first, ligatures in (getattr(table, "ligatures", None) or {}).items():
                    for ligature in ligatures:
                        names = [first, *ligature.Component]
                        if all(name in characters for name in names):
                            found.setdefault(font.getGlyphID(ligature.LigGlyph),
                                             "".join(characters[name] for name in names))
    return found
