"""Figures and tables generated from data at build time: SVG charts and HTML tables."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from markdown_it.common.utils import escapeHtml as esc

from .charttext import ASCENT, DESCENT, text_width
from .formats import asset_href
from .language import Language, language
from .markdown import Inline, html_id
from .model import BarRow, Figure, Table, TimelineRow

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
LEVEL_COLOURS = {
    "summit": "#D55E00",
    "ministerial": "#0072B2",
    "senior-officials": "#009E73",
    "expert": "#E69F00",
    "business": "#CC79A7",
}
FONT = "Inter, 'Noto Sans CJK JP', 'Noto Sans', sans-serif"


WIDE, NARROW = 640, 320  # user units: the drawing for pages and wide screens, and for phones
TEXT = 11  # user units: chart text; on a phone the narrow drawing is shown at about its own size,
#            so text stays at least 10 CSS px (tests/test_browser.py)
GAP = 3  # user units kept clear around a label


def _svg_open(ident: str, width: int, height: float, alt: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height:.0f}" '
            f'width="{width}" height="{height:.0f}" role="img" aria-labelledby="{ident}-title" '
            f'font-family="{FONT}" font-size="{TEXT}"><title id="{ident}-title">{esc(alt)}</title>')


class _Labels:
    """Text already placed in a drawing, to place more without overlap (charttext measures)."""

    def __init__(self) -> None:
        self.boxes: list[tuple[float, float, float, float]] = []

    def free(self, left: float, baseline: float, width: float) -> bool:
        top, bottom = baseline - ASCENT * TEXT - GAP, baseline + DESCENT * TEXT + GAP
        return not any(left < r + GAP and x < left + width + GAP and top < b and t < bottom
                       for x, t, r, b in self.boxes)

    def add(self, left: float, baseline: float, width: float) -> None:
        self.boxes.append((left, baseline - ASCENT * TEXT, left + width, baseline + DESCENT * TEXT))


def _as_date(value: str) -> date:
    """A partial date falls in the middle of its month or year."""
    parts = [int(p) for p in str(value).split("-")]
    if len(parts) == 1:
        return date(parts[0], 7, 1)
    if len(parts) == 2:
        return date(parts[0], parts[1], 15)
    return date(parts[0], parts[1], parts[2])


def _year_start(year: int) -> int:
    """The day number (date.toordinal) of 1 January of `year`; for the year after 9999, which
    `date` cannot hold, the day after 31 December 9999."""
    if year > date.max.year:
        return date.max.toordinal() + 1
    return date(year, 1, 1).toordinal()


def _tick_step(years: int) -> int:
    """Years between the axis's ticks: every year for up to 8, every 2 for up to 24, then the
    smallest of 5, 10, 20, 50 … that keeps to 25 ticks (a span of 1 to 9999 has 20)."""
    if years <= 8:
        return 1
    if years <= 24:
        return 2
    return next(step for step in (5, 10, 20, 50, 100, 200, 500, 1000) if years <= 25 * step)


def timeline_svg(ident: str, rows: Sequence[TimelineRow], alt: str, width: int = WIDE) -> str:
    """Events on one lane per level, along a time axis of whole years: an SVG `width` user units
    wide, with `alt` as its title (`ident` names the title's id). Wide, the lanes are named on the
    left; narrow (under 400), above each lane. Annotations are placed where they touch no other
    text, above or below their mark, stacked further out when needed."""
    dates = [_as_date(r.date) for r in rows]
    levels = [lv for lv in LEVEL_COLOURS if any(r.level == lv for r in rows)]
    levels += sorted({r.level for r in rows} - set(levels))
    names = [level.replace("-", " ").capitalize() for level in levels]
    first, last = min(dates).year, max(dates).year + 1
    narrow = width < 400
    left = 8 if narrow else max(text_width(n, TEXT) for n in names) + 16
    right, top = 16 if not narrow else 8, 8
    lane = 58 if narrow else 40
    start = _year_start(first)
    span = _year_start(last) - start

    def x(day: date | int) -> float:
        ordinal = day if isinstance(day, int) else day.toordinal()
        return left + (width - left - right) * (ordinal - start) / span

    labels = _Labels()
    body: list[str] = []
    lanes = [top + lane * i + lane / 2 + (8 if narrow else 0) for i in range(len(levels))]
    for name, y in zip(names, lanes, strict=True):
        if narrow:
            body.append(f'<text x="{left}" y="{y - lane / 2 + 4:.1f}" fill="#333" font-weight="600">{esc(name)}</text>')
            labels.add(left, y - lane / 2 + 4, text_width(name, TEXT, bold=True))
        else:
            body.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#333">{esc(name)}</text>')
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc" '
                    'stroke-width="1"/>')
    axis = lanes[-1] + lane / 2 + 4
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{axis:.1f}" y2="{axis:.1f}" stroke="#333"/>')
    step = _tick_step(last - first)
    while True:  # as many year labels as fit side by side
        years = list(range(first, last + 1, step))
        spaced = [x(_year_start(year)) for year in years]
        widest = max(text_width(str(year), TEXT) for year in years)
        if len(spaced) < 2 or min(b - a for a, b in zip(spaced, spaced[1:], strict=False)) > widest + 2 * GAP:
            break
        step *= 2
    for year in years:
        tick = x(_year_start(year))
        half = text_width(str(year), TEXT) / 2
        centre = min(max(tick, half), width - half)  # the first and last stay inside the drawing
        body.append(f'<line x1="{tick:.1f}" x2="{tick:.1f}" y1="{axis:.1f}" y2="{axis + 4:.1f}" stroke="#333"/>')
        body.append(f'<text x="{centre:.1f}" y="{axis + 16:.1f}" text-anchor="middle" fill="#333">{year}</text>')
    marks = []
    for row, day in zip(rows, dates, strict=True):
        y = lanes[levels.index(row.level)]
        colour = LEVEL_COLOURS.get(row.level, "#555")
        marks.append(f'<circle cx="{x(day):.1f}" cy="{y:.1f}" r="5" fill="{colour}" '
                     'fill-opacity="0.85" stroke="#fff" stroke-width="1"/>')
    for row, day in zip(rows, dates, strict=True):
        if row.label:
            body.append(_annotation(row.label, x(day), lanes[levels.index(row.level)], width, labels))
    height = axis + 24
    return _svg_open(ident, width, height, alt) + "".join(body) + "".join(marks) + "</svg>"


def _annotation(text: str, cx: float, cy: float, width: float, labels: _Labels) -> str:
    """A short label by its mark, where it touches no text placed before it: above, below, then
    further out; kept inside the drawing."""
    size = text_width(text, TEXT)
    left = min(max(cx - size / 2, GAP), width - GAP - size)
    for baseline in (cy - 9, cy + 17, cy - 22, cy + 30):
        if labels.free(left, baseline, size):
            break
    labels.add(left, baseline, size)
    return f'<text x="{left:.1f}" y="{baseline:.1f}" fill="#333">{esc(text)}</text>'


def bar_svg(ident: str, rows: Sequence[BarRow], alt: str, unit: str = "", width: int = WIDE) -> str:
    """Horizontal bars in the order given, with the value (and `unit`) at the end of each bar: an
    SVG `width` user units wide, with `alt` as its title. Wide, the labels stand left of the
    bars; narrow (under 400), above them. Widths are measured, so no text leaves the drawing."""
    narrow = width < 400
    values = [(f"{r.value:g}" if isinstance(r.value, float) else str(r.value)) + (f" {unit}" if unit else "")
              for r in rows]
    label_room = 0.0 if narrow else max(text_width(r.label, TEXT) for r in rows) + 12
    left = 4.0 if narrow else label_room
    right = max(text_width(v, TEXT) for v in values) + 10
    bar, gap = 18, (28 if narrow else 10)
    top = 8 + (14 if narrow else 0)
    height = top + len(rows) * (bar + gap)
    peak = max(float(r.value) for r in rows) or 1.0
    out = [_svg_open(ident, width, height, alt)]
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        y = top + i * (bar + gap)
        length = (width - left - right) * float(row.value) / peak
        if narrow:
            out.append(f'<text x="{left}" y="{y - 5}" fill="#333">{esc(row.label)}</text>')
        else:
            out.append(f'<text x="{left - 8:.1f}" y="{y + 13}" text-anchor="end" fill="#333">'
                       f"{esc(row.label)}</text>")
        out.append(f'<rect x="{left:.1f}" y="{y}" width="{length:.1f}" height="{bar}" fill="#0072B2"/>')
        out.append(f'<text x="{left + length + 6:.1f}" y="{y + 13}" fill="#333">{esc(value)}</text>')
    out.append("</svg>")
    return "".join(out)


def draw(figure: Figure, width: int = WIDE) -> str:
    """The figure's drawing as HTML: an inline SVG chart `width` user units wide (WIDE, or NARROW
    for phones: its title id gets "-narrow"), or the image (<img>)."""
    ident, alt = html_id(figure.spec.id) + ("-narrow" if width != WIDE else ""), figure.spec.alt
    if figure.spec.kind == "timeline":
        return timeline_svg(ident, figure.rows, alt, width)
    if figure.spec.kind == "bar":
        return bar_svg(ident, figure.rows, alt, figure.spec.unit, width)
    return f'<img src="{esc(asset_href(figure.asset))}" alt="{esc(alt)}"/>'


def figure_html(figure: Figure, body: str, inline: Callable[[Inline], str], boxed: bool = False,
                words: Language | None = None) -> str:
    """A numbered figure with its caption and optional source line, labelled in `words`'s
    language (English by default).

    `boxed`: the drawing scrolls in its own box, which must then be focusable and named.
    """
    words = words or language("en")
    spec = figure.spec
    anchor = html_id(spec.id)
    caption = inline(spec.caption)  # before the source: notes are numbered in reading order
    said = esc(words.gettext("Source:"))
    source = f' <span class="fig-source">{said} {inline(spec.source)}</span>' if spec.source else ""
    name = esc(words.gettext("Figure %(number)s") % {"number": figure.number})
    frame = (f'<div class="figure-body" role="region" tabindex="0" aria-label="{name}">' if boxed
             else '<div class="figure-body">')
    label = esc(words.gettext("Figure %(number)s.") % {"number": figure.number})
    return (f'<figure class="figure figure-{spec.kind}" id="{anchor}">'
            f'{frame}{body}</div>'
            f'<figcaption><span class="label">{label}</span> '
            f'{caption}{source}</figcaption></figure>\n')


def svg_file(svg: str) -> bytes:
    """An inline chart as a standalone SVG file."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + svg).encode("utf-8")


def svg_png(svg: str) -> bytes:
    """A raster copy of a chart at twice its size, for readers without SVG (older Kindles).

    Drawn by resvg from its wheel with the bundled fonts only: the same pixels on every machine
    (cairosvg drew its text in whatever fonts the system had, as its fontconfig set them up).
    """
    import resvg_py

    from .formats import FONTS

    fonts = [str(path) for path in sorted(FONTS.glob("*.[ot]tf"))]
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=2, skip_system_fonts=True, font_files=fonts,
                                       font_family="Inter", sans_serif_family="Inter", serif_family="Charis SIL"))


def picture_html(stem: str, alt: str) -> str:
    """SVG where the reader supports it (the narrow drawing on screens up to 40em wide), PNG
    otherwise: the files sit beside the document."""
    return (f'<picture><source media="(max-width: 40em)" srcset="{stem}-narrow.svg" type="image/svg+xml"/>'
            f'<source srcset="{stem}.svg" type="image/svg+xml"/>'
            f'<img src="{stem}.png" alt="{esc(alt)}"/></picture>')


def table_html(table: Table, inline: Callable[[Inline], str], wrap: str = "", words: Language | None = None) -> str:
    """A numbered data table: caption, header cells with scope, cells as inline Markdown; its
    label in `words`'s language (English by default).

    `wrap` replaces the opening tag of the table's box (a web page's scrolling region).
    """
    words = words or language("en")
    spec = table.spec
    anchor = html_id(spec.id)
    head = "".join(f'<th scope="col">{esc(c.label)}</th>' for c in spec.columns)
    caption = inline(spec.caption)  # rendered in reading order: caption, cells, source (notes are numbered so)
    body = []
    for row in table.rows:
        cells = []
        for i, (cell, column) in enumerate(zip(row, spec.columns, strict=True)):
            text = "" if cell is None else inline(cell)
            tag = "th" if i == 0 else "td"
            scope = ' scope="row"' if i == 0 else ""
            # The label lets a narrow screen show each row as a card of labelled values.
            cells.append(f'<{tag}{scope} data-label="{esc(column.label)}">{text}</{tag}>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    said = esc(words.gettext("Source:"))
    source = f'<p class="table-source">{said} {inline(spec.source)}</p>' if spec.source else ""
    key_class = re.sub(r"[^a-z0-9-]", "", anchor)
    widths = ""
    if any(c.width for c in spec.columns):
        widths = "<colgroup>" + "".join(
            f'<col style="width: {c.width}"/>' if c.width else "<col/>" for c in spec.columns
        ) + "</colgroup>"
    opening = wrap or '<div class="table-wrap">'
    label = esc(words.gettext("Table %(number)s.") % {"number": table.number})
    return (f'{opening}<table class="data-table {key_class}" id="{anchor}">'
            f'<caption><span class="label">{label}</span> {caption}'
            f"</caption>{widths}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"{source}</div>\n")
