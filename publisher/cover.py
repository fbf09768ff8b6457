"""The raster cover image (EPUB cover, web thumbnail), drawn with Pillow from the metadata."""

from __future__ import annotations

import io
import re
import textwrap

from PIL import Image, ImageDraw, ImageFont

from .fonts import code_points
from .formats import FONTS
from .language import language
from .model import Meta

NAVY, ACCENT, PALE = (31, 58, 90), (242, 196, 155), (223, 231, 240)
COVER_WIDTH = 480  # px: the detail page's thumbnail, drawn at twice the size it is shown at


# Japanese and Chinese text may break between any two characters, except before closing
# punctuation and small kana, or after opening brackets (JIS X 4051's "strict" rules, as the CSS
# `line-break: strict`).
CJK = r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"
NO_BREAK_BEFORE = "、。，．・：；？！）」』】〕〉》ー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"
NO_BREAK_AFTER = "「『（【〔〈《"
UNIT = re.compile(rf"[{NO_BREAK_AFTER}]*(?:{CJK}|[^\s\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+)"
                  rf"[{NO_BREAK_BEFORE}]*\s*")


def _font(name: str, text: str, size: int) -> ImageFont.FreeTypeFont:
    """The bundled font `name` at `size` px, or the Japanese face of the same weight when `name`
    lacks a character of `text` (Pillow draws with one font: it has no fallback)."""
    path = FONTS / name
    if any(ord(c) not in code_points(path) for c in text if not c.isspace()):
        path = FONTS / ("NotoSansCJKjp-Bold.otf" if "Bold" in name else "NotoSansCJKjp-Regular.otf")
    return ImageFont.truetype(str(path), size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy wrapping by measured width, so long words never run off the page: at spaces, and in
    Japanese between characters (never before closing punctuation or a small kana)."""
    lines: list[str] = []
    for paragraph in textwrap.wrap(text, 200, break_long_words=False) or [""]:
        line = ""
        for unit in UNIT.findall(paragraph):
            trial = line + unit
            if draw.textlength(trial.rstrip(), font=font) <= width or not line.strip():
                line = trial
            else:
                lines.append(line.rstrip())
                line = unit
        lines.append(line.rstrip())
    return lines


def cover_jpeg(meta: Meta, width: int = 1600) -> bytes:
    """A 2:3 cover in the design of the PDF cover (`width` px): what the document is, title,
    subtitle, authors, publisher, edition and date; deterministic bytes for the same metadata."""
    height = width * 3 // 2
    image = Image.new("RGB", (width, height), NAVY)
    draw = ImageDraw.Draw(image)
    margin = width // 10
    written = language(meta.language)
    edition = written.gettext("Edition %(number)s") % {"number": meta.edition.number,
                                                       "ordinal": written.ordinal(meta.edition.number)}
    foot_line = f"{edition} · {written.date(meta.edition.date)}"
    authors = " · ".join(a.name for a in meta.authors)
    sans_bold = _font("Inter-Bold.otf", meta.title, width // 15)
    sans = _font("Inter-Regular.otf", meta.kind + authors + meta.publisher.name + foot_line, width // 40)
    serif = _font("CharisSIL-Regular.ttf", meta.subtitle, width // 30)
    y = height // 4
    draw.text((margin, y), meta.kind.upper(), font=sans, fill=ACCENT)
    y += width // 14
    for line in _wrap(draw, meta.title, sans_bold, width - 2 * margin):
        draw.text((margin, y), line, font=sans_bold, fill=(255, 255, 255))
        y += int(sans_bold.size * 1.18)
    y += width // 30
    for line in _wrap(draw, meta.subtitle, serif, width - 2 * margin):
        draw.text((margin, y), line, font=serif, fill=PALE)
        y += int(serif.size * 1.35)
    y += width // 20
    for line in _wrap(draw, authors, sans, width - 2 * margin):
        draw.text((margin, y), line, font=sans, fill=(255, 255, 255))
        y += int(sans.size * 1.4)
    foot = height - margin - width // 12
    draw.line((margin, foot, width - margin, foot), fill=ACCENT, width=3)
    draw.text((margin, foot + 24), meta.publisher.name, font=sans, fill=(255, 255, 255))
    draw.text((margin, foot + 24 + int(sans.size * 1.5)), foot_line, font=sans, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88, optimize=True)
    return buffer.getvalue()
