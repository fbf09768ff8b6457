"""The raster cover image (EPUB cover, web thumbnail), drawn with Pillow from the metadata."""

from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

from .formats import FONTS
from .model import Meta
from .reference import format_date

NAVY, ACCENT, PALE = (31, 58, 90), (242, 196, 155), (223, 231, 240)
COVER_WIDTH = 480  # px: the detail page's thumbnail, drawn at twice the size it is shown at


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy wrapping by measured width, so long words never run off the page."""
    lines: list[str] = []
    for paragraph in textwrap.wrap(text, 200) or [""]:
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def cover_jpeg(meta: Meta, width: int = 1600) -> bytes:
    """A 2:3 cover in the design of the PDF cover (`width` px): what the document is, title,
    subtitle, authors, publisher, edition and date; deterministic bytes for the same metadata."""
    height = width * 3 // 2
    image = Image.new("RGB", (width, height), NAVY)
    draw = ImageDraw.Draw(image)
    margin = width // 10
    sans_bold = ImageFont.truetype(str(FONTS / "Inter-Bold.otf"), width // 15)
    sans = ImageFont.truetype(str(FONTS / "Inter-Regular.otf"), width // 40)
    serif = ImageFont.truetype(str(FONTS / "CharisSIL-Regular.ttf"), width // 30)
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
    authors = " · ".join(a.name for a in meta.authors)
    for line in _wrap(draw, authors, sans, width - 2 * margin):
        draw.text((margin, y), line, font=sans, fill=(255, 255, 255))
        y += int(sans.size * 1.4)
    foot = height - margin - width // 12
    draw.line((margin, foot, width - margin, foot), fill=ACCENT, width=3)
    draw.text((margin, foot + 24), meta.publisher.name, font=sans, fill=(255, 255, 255))
    draw.text((margin, foot + 24 + int(sans.size * 1.5)),
              f"Edition {meta.edition.number} · {format_date(meta.edition.date)}", font=sans, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88, optimize=True)
    return buffer.getvalue()
