"""The cover wrap of the printed softcover: back cover, spine and front cover on one sheet.

A perfect-bound book's cover is one sheet wrapped round the book block: the back cover on the
left, the spine, the front cover on the right, with bleed all round. Its width therefore
depends on the book block: the spine is as thick as the pages (`spine_mm`, from the page count
and the paper in `report.yaml`'s print settings), and the sheet is

    2 × trim width + spine + 2 × bleed    wide,    trim height + 2 × bleed    high.

The spine carries the title and the publisher only when it is at least SPINE_TEXT_MM wide (a
narrower spine cannot hold legible type with the clearance the fold needs: print-on-demand
services refuse spine text below about 6 mm). The back carries the standfirst and, when the
report has an ISBN, its EAN-13 barcode (barcode.py). The wrap is written by the print
edition's renderer, as soon as the book block's page count is known (pdf.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jinja2

from .barcode import isbn_barcode
from .formats import FONTS
from .model import PrintSettings, Report
from .templates import render

TRIM = (210.0, 297.0)  # mm: A4, the book block's trim
BLEED = 3.0  # mm
SPINE_TEXT_MM = 6.0  # the narrowest spine that carries text
SPINE_CLEARANCE = 1.5  # mm kept clear of text on each side of the spine (the folds wander)
SPINE_END = 20.0  # mm kept clear at the head and foot of the spine
# Leaf thickness (mm) when report.yaml gives none: 80 g/m² uncoated offset (bulk 1.25 cm³/g) and
# a coated stock of the same weight (bulk 0.9).
DEFAULT_CALIPER = {"uncoated": 0.1, "coated": 0.07}
CALIPER_RANGE = (0.04, 0.5)  # mm per leaf: from bible paper to thick board-like stock
PPI_RANGE = (100, 1200)  # pages per inch, the same range


def leaf_mm(settings: PrintSettings) -> float:
    """The thickness of one leaf (two pages) in mm: the caliper given, or the one the pages per
    inch imply (25.4 mm × 2 / ppi), or the paper's default."""
    if settings.caliper is not None:
        return float(settings.caliper)
    if settings.ppi is not None:
        return 25.4 * 2 / settings.ppi
    return DEFAULT_CALIPER[settings.paper]


def spine_mm(pages: int, settings: PrintSettings) -> float:
    """The spine's width in mm for a book block of `pages` pages (an even count: leaves × 2),
    rounded to a tenth of a millimetre as printers quote it (the cover's glue and board add
    nothing for a softcover's paper cover)."""
    return round(pages / 2 * leaf_mm(settings), 1)


@dataclass(frozen=True)
class Wrap:
    """The cover wrap's geometry, in mm."""

    pages: int  # of the book block
    spine: float

    @property
    def width(self) -> float:
        """The trimmed wrap: back + spine + front."""
        return 2 * TRIM[0] + self.spine

    @property
    def height(self) -> float:
        return TRIM[1]

    @property
    def sheet(self) -> tuple[float, float]:
        """The sheet with its bleed: 2 × trim width + spine + 2 × bleed, trim height + 2 × bleed."""
        return self.width + 2 * BLEED, self.height + 2 * BLEED

    @property
    def spine_text(self) -> bool:
        return self.spine >= SPINE_TEXT_MM


def wrap_for(pages: int, settings: PrintSettings) -> Wrap:
    return Wrap(pages, spine_mm(pages, settings))


@lru_cache(maxsize=4)
def _font(size: float) -> object:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONTS / "Inter-Bold.otf"), max(1, round(size * 10)))


def text_width_mm(text: str, size_pt: float) -> float:
    """How long a line of Inter Bold is at `size_pt`, in mm (measured with the bundled font)."""
    font = _font(size_pt)
    return font.getlength(text) / 10 * 25.4 / 72  # type: ignore[attr-defined]


def spine_type(wrap: Wrap, title: str, publisher: str) -> float:
    """The size (pt) of the spine's type: as large as the spine's width allows with its clearance
    (cap height about 0.7 em), at most 12 pt, and small enough for title and publisher to fit
    the spine's length between its clear ends. 0 when the spine is too narrow for text."""
    if not wrap.spine_text:
        return 0.0
    size = min(12.0, (wrap.spine - 2 * SPINE_CLEARANCE) / 0.7 / 25.4 * 72)
    room = wrap.height - 2 * SPINE_END
    while size > 5 and text_width_mm(title, size) + 10 + text_width_mm(publisher, size * 0.85) > room:
        size -= 0.25
    return round(size, 2)


def wrap_html(report: Report, env: jinja2.Environment, pages: int) -> str:
    """The cover wrap of a book block of `pages` pages as one HTML document for WeasyPrint."""
    meta = report.meta
    wrap = wrap_for(pages, meta.print)
    return render(env, "print/wrap.html", meta=meta, wrap=wrap, trim=TRIM, bleed=BLEED,
                  spine_size=spine_type(wrap, meta.title, meta.publisher.name),
                  barcode=isbn_barcode(meta.isbn) if meta.isbn else None)
