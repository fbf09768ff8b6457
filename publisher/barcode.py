"""The ISBN's EAN-13 barcode for the back of the cover wrap, drawn as SVG by python-barcode.

Sizes follow GS1's General Specifications for EAN-13 at 100 % magnification: a module (the
narrowest bar) of 0.33 mm, bars 22.85 mm high, light margins of 11 modules on the left and 7 on
the right. The bars are black ink only on an unprinted ground (the cover wrap sets the barcode
on a white panel): a scanner reads black on white, and one ink cannot be out of register. The
digits under the bars and the ISBN above them are set by the cover's HTML in its own typeface,
so that the SVG holds no text (and no system font reaches the PDF).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from .isbn import isbn_digits

MODULE = 0.33  # mm
BAR_HEIGHT = 22.85  # mm
LEFT_MARGIN, RIGHT_MARGIN = 11, 7  # modules
BLACK = "device-cmyk(0 0 0 1)"


@dataclass(frozen=True)
class Barcode:
    """An ISBN's barcode: the inline SVG (`width` × `height` mm), the ISBN as the author wrote it,
    and the digits as printed under the bars ("9 780306 406157")."""

    svg: str
    width: float
    height: float
    isbn: str
    digits: str


def isbn_barcode(isbn: str) -> Barcode:
    """The EAN-13 barcode of a valid ISBN-13 (checked by the loader: isbn.py).

    Raises barcode.errors.BarcodeError (python-barcode) if the digits are not an EAN-13.
    """
    import barcode
    from barcode.writer import SVGWriter

    digits = isbn_digits(isbn)
    code = barcode.get("ean13", digits, writer=SVGWriter())
    buffer = io.BytesIO()
    code.write(buffer, options={"write_text": False, "module_width": MODULE, "module_height": BAR_HEIGHT,
                                "quiet_zone": 0, "foreground": BLACK, "background": "none"})
    svg = buffer.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg"):]  # inline in HTML: no XML declaration, no DOCTYPE
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    # python-barcode lays the bars from x = 0 (no light margins: the panel adds them) and 1 mm
    # down; the drawing is given in mm, as the viewBox's units.
    svg = svg.replace('mm"', '"')
    bars = 95 * MODULE  # an EAN-13 is 95 modules wide
    svg = re.sub(r'width="[0-9.]+" height="[0-9.]+"',
                 f'width="{bars:.2f}mm" height="{BAR_HEIGHT:.2f}mm" viewBox="0 1 {bars:.2f} {BAR_HEIGHT:.2f}" '
                 'role="img" aria-label="EAN-13 barcode"', svg, count=1)
    return Barcode(svg, bars, BAR_HEIGHT, isbn, f"{digits[0]} {digits[1:7]} {digits[7:]}")
