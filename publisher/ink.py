"""The printer's colours: each colour the publisher uses, as the CMYK build the printer's files
(the print edition and the cover wrap) specify instead of its screen RGB.

The builds were taken from the default output profile (PSO Uncoated ISO12647, relative
colorimetric, through LittleCMS) and rounded to clean percentages, with two rules of the trade:
text, rules and greys are black ink only (body text in 100 % K, never a four-colour "rich
black" that blurs when the plates are slightly out of register), and no build covers more than
260 % ink in total (the limit for uncoated paper). The screen editions keep their RGB.
"""

from __future__ import annotations

import re
from functools import lru_cache

# sRGB as written in the stylesheets and charts → (C, M, Y, K), 0–1.
BUILDS: dict[str, tuple[float, float, float, float]] = {
    # greys and black: black ink only
    "#000": (0, 0, 0, 1), "#1a1a1a": (0, 0, 0, 1), "#333": (0, 0, 0, 0.85), "#444": (0, 0, 0, 0.8),
    "#555": (0, 0, 0, 0.72), "#666": (0, 0, 0, 0.65), "#8c8c8c": (0, 0, 0, 0.5), "#ccc": (0, 0, 0, 0.22),
    "#d8d2c8": (0, 0, 0, 0.2), "#fff": (0, 0, 0, 0),
    # the publisher's accent and tints
    "#8a3b12": (0.1, 0.75, 1, 0.35), "#f6f1ea": (0.02, 0.04, 0.07, 0), "#0b4f8a": (1, 0.75, 0.05, 0.2),
    # the cover: navy ground, warm accent, pale blue
    "#1f3a5a": (1, 0.7, 0.15, 0.6), "#f2c49b": (0, 0.25, 0.42, 0), "#dfe7f0": (0.13, 0.05, 0, 0),
    # the charts' palette (Okabe–Ito, figure.py)
    "#d55e00": (0, 0.6, 1, 0), "#0072b2": (1, 0.5, 0, 0.05), "#009e73": (0.95, 0, 0.85, 0),
    "#e69f00": (0, 0.3, 1, 0), "#cc79a7": (0.2, 0.75, 0, 0),
    # the charts' greys (chart.py: axes, grid, labels, the map's land) and its blues (the map's
    # sea and highlighted states, routes), the blues converted as above
    "#222222": (0, 0, 0, 0.9), "#595959": (0, 0, 0, 0.7), "#6b6b6b": (0, 0, 0, 0.62),
    "#c8c8c8": (0, 0, 0, 0.24), "#dddddd": (0, 0, 0, 0.15), "#e4e4e4": (0, 0, 0, 0.12),
    "#08306b": (1, 1, 0.05, 0.2), "#0b5394": (1, 0.75, 0, 0.1), "#2f6fae": (1, 0.6, 0, 0),
    "#7fb2dc": (0.6, 0.2, 0, 0), "#a9cfe8": (0.35, 0.05, 0, 0), "#c6dcef": (0.25, 0.05, 0, 0),
}


def _six(colour: str) -> str:
    """#abc as #aabbcc, lower case: one spelling per colour."""
    colour = colour.lower()
    return "#" + "".join(2 * ch for ch in colour[1:]) if len(colour) == 4 else colour


BUILDS = {_six(key): value for key, value in BUILDS.items()}

# A colour given as an SVG paint attribute, in any CSS form (#hex, rgb(), a name …): chart
# engines write all of them (Vega writes the map's fills as rgb()).
_PAINT = re.compile(r'\b(fill|stroke|stop-color|flood-color|color)="([^"]+)"')
_NOT_COLOURS = {"none", "transparent", "currentcolor", "inherit"}


def cmyk(colour: str) -> str:
    """The CSS `device-cmyk()` of a colour (`#8a3b12`, `rgb(228, 228, 228)`, `steelblue`).

    The publisher's own colours have chosen builds (BUILDS). Any other — an author's Vega-Lite
    colour, an engine's default — is converted: a grey (R = G = B) to black ink only, in
    proportion to its darkness; a colour through the default output profile (PSO Uncoated
    ISO12647, relative colorimetric, by LittleCMS in Pillow), rounded to 5 %. Raises ValueError
    for text that is not a CSS colour.
    """
    from PIL import ImageColor

    red, green, blue = ImageColor.getrgb(colour.strip().lower())[:3]
    c, m, y, k = BUILDS.get(f"#{red:02x}{green:02x}{blue:02x}") or _converted(red, green, blue)
    return f"device-cmyk({c:g} {m:g} {y:g} {k:g})"


@lru_cache(maxsize=256)
def _converted(red: int, green: int, blue: int) -> tuple[float, float, float, float]:
    """An sRGB colour (0–255) as CMYK (0–1): see cmyk()."""
    if red == green == blue:
        return (0, 0, 0, round(1 - red / 255, 2))
    from PIL import Image, ImageCms

    transform = _transform()
    ink = ImageCms.applyTransform(Image.new("RGB", (1, 1), (red, green, blue)), transform).getpixel((0, 0))
    return tuple(round(v / 255 / 0.05) * 0.05 for v in ink)  # type: ignore[return-value]


@lru_cache(maxsize=1)
def _transform() -> object:
    from PIL import ImageCms

    from .formats import PROFILES

    return ImageCms.buildTransform(ImageCms.createProfile("sRGB"),
                                   ImageCms.getOpenProfile(str(PROFILES / "PSO_Uncoated_ISO12647_eci.icc")),
                                   "RGB", "CMYK", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)


def _paint(match: re.Match[str]) -> str:
    attribute, value = match.group(1), match.group(2)
    if value.strip().lower() in _NOT_COLOURS or value.strip().startswith(("url(", "device-cmyk(")):
        return match.group(0)
    return f'{attribute}="{cmyk(value)}"'


def press_svg(svg: str) -> str:
    """A chart's SVG with every colour given as its CMYK build (for the printer's files), and black
    ink as the paint of what gives none (SVG's initial fill is black: a line's unused fill would
    otherwise reach the PDF as an RGB colour)."""
    svg = _PAINT.sub(_paint, svg)
    return re.sub(r"<svg\b(?![^>]*\bfill=)", f'<svg fill="{cmyk("#000")}"', svg)
