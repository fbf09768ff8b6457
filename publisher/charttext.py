"""Where the text of a chart sits: each <text> of an SVG measured with the chart's typeface.

The chart drawer places its labels with these measures, and the layout preflight checks any SVG
chart with them (text outside the drawing, text over text), whatever drew it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache

from .formats import FONTS

SVG = "{http://www.w3.org/2000/svg}"
ASCENT, DESCENT = 0.78, 0.22  # of the font size above and below the baseline (Inter's digits, capitals, descenders)
TOLERANCE = 0.5  # user units: what counts as running out or overlapping


@dataclass(frozen=True)
class TextBox:
    """One line of chart text and the box it covers, in the SVG's user units."""

    text: str
    left: float
    top: float
    right: float
    bottom: float
    size: float  # font size, user units

    def overlaps(self, other: TextBox) -> bool:
        return (self.left < other.right - TOLERANCE and other.left < self.right - TOLERANCE
                and self.top < other.bottom - TOLERANCE and other.top < self.bottom - TOLERANCE)


WEIGHTS = {400: "Inter-Regular.otf", 600: "Inter-SemiBold.otf", 700: "Inter-Bold.otf"}


@lru_cache(maxsize=4)
def _font(weight: int) -> object:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONTS / WEIGHTS[weight]), 200)


def _weight(value: str | None, inherited: int) -> int:
    """The bundled Inter weight that draws an SVG font-weight: 400, 600 (semibold) or 700."""
    if value is None:
        return inherited
    number = {"normal": 400, "bold": 700, "bolder": 700, "lighter": 400}.get(value.strip(), None)
    if number is None:
        number = int(_number(value, 400))
    return 700 if number >= 700 else 600 if number >= 550 else 400


def text_width(text: str, size: float, bold: bool | int = False) -> float:
    """The advance width of `text` set in Inter at `size` (both in user units or px); `bold`:
    True for semibold, or a weight (400, 600, 700)."""
    weight = bold if not isinstance(bold, bool) else 600 if bold else 400
    return float(_font(weight).getlength(text)) * size / 200  # type: ignore[attr-defined]


def _number(value: str | None, default: float = 0.0) -> float:
    match = re.match(r"\s*(-?[\d.]+(?:e-?\d+)?)", value or "")
    return float(match.group(1)) if match else default


def _translate(transform: str | None) -> tuple[float, float] | None:
    """The offset of a transform made only of translate(); None for anything else (rotations …)."""
    if not transform:
        return 0.0, 0.0
    dx = dy = 0.0
    for name, args in re.findall(r"(\w+)\s*\(([^)]*)\)", transform):
        if name != "translate":
            return None
        values = [float(v) for v in re.split(r"[\s,]+", args.strip()) if v]
        dx += values[0] if values else 0.0
        dy += values[1] if len(values) > 1 else 0.0
    return dx, dy


def text_boxes(svg: str) -> tuple[tuple[float, float, float, float], list[TextBox]]:
    """The drawing's viewBox (x, y, width, height) and a box per line of text (a <text> element,
    or each of its <tspan> lines).

    Only translations are followed; text under a rotation or scale is left out, and so is text
    not shown (opacity 0, display none). Font size, weight and text-anchor are inherited as in SVG.
    Raises ValueError if the SVG is not well-formed.
    """
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise ValueError(f"the chart is not well-formed SVG: {exc}") from None
    view = [float(v) for v in re.split(r"[\s,]+", (root.get("viewBox") or "").strip()) if v]
    if len(view) != 4:
        view = [0.0, 0.0, _number(root.get("width")), _number(root.get("height"))]
    boxes: list[TextBox] = []

    def walk(node: ET.Element, dx: float, dy: float, size: float, anchor: str, bold: int) -> None:
        offset = _translate(node.get("transform"))
        if offset is None or node.get("opacity") == "0" or node.get("display") == "none":
            return
        dx, dy = dx + offset[0], dy + offset[1]
        size = _number(node.get("font-size"), size)
        anchor = node.get("text-anchor") or anchor
        bold = _weight(node.get("font-weight"), bold)
        if node.tag == f"{SVG}text":
            x, y = dx + _number(node.get("x")), dy + _number(node.get("y"))
            spans = [child for child in node if child.tag == f"{SVG}tspan"]
            # A text of several lines (tspans, each placed by its own x, y or dy) is a box per line.
            lines = [(node.text or "", x, y)] if spans else [("".join(node.itertext()), x, y)]
            for span in spans:
                x = dx + _number(span.get("x")) if span.get("x") is not None else x
                y = dy + _number(span.get("y")) if span.get("y") is not None else y + _number(span.get("dy"))
                lines.append(("".join(span.itertext()), x, y))
            for text, left_x, base in lines:
                text = text.strip()
                if text:
                    width = text_width(text, size, bold)
                    left = left_x - width if anchor == "end" else left_x - width / 2 if anchor == "middle" else left_x
                    boxes.append(TextBox(text, left, base - ASCENT * size, left + width, base + DESCENT * size, size))
            return
        if node.tag in (f"{SVG}title", f"{SVG}desc", f"{SVG}defs", f"{SVG}style"):
            return
        for child in node:
            walk(child, dx, dy, size, anchor, bold)

    walk(root, 0.0, 0.0, 16.0, "start", 400)
    return (view[0], view[1], view[2], view[3]), boxes


def chart_problems(svg: str) -> list[str]:
    """What is wrong with a chart's text: a label outside the drawing, two labels overlapping, or
    a straight quote (typographic quotes in every text the reader sees, as in the running text)."""
    (x, y, width, height), boxes = text_boxes(svg)
    found = [f"a straight quote in “{box.text}”" for box in boxes if re.search(r"[\"']", box.text)]
    for box in boxes:
        if (box.left < x - TOLERANCE or box.right > x + width + TOLERANCE or box.top < y - TOLERANCE
                or box.bottom > y + height + TOLERANCE):
            found.append(f"“{box.text}” runs outside the chart")
    for index, box in enumerate(boxes):
        for other in boxes[index + 1:]:
            if box.overlaps(other):
                found.append(f"“{box.text}” overlaps “{other.text}”")
    return found
