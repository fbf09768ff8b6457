"""Figures and tables generated from data at build time: SVG charts and HTML tables."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from markdown_it.common.utils import escapeHtml as esc

from .formats import asset_href
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
FONT = "Inter, 'Noto Sans', sans-serif"


def _svg_open(ident: str, width: int, height: int, alt: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-labelledby="{ident}-title" '
            f'font-family="{FONT}" font-size="11"><title id="{ident}-title">{esc(alt)}</title>')


def _as_date(value: str) -> date:
    """A partial date falls in the middle of its month or year."""
    parts = [int(p) for p in str(value).split("-")]
    if len(parts) == 1:
        return date(parts[0], 7, 1)
    if len(parts) == 2:
        return date(parts[0], parts[1], 15)
    return date(parts[0], parts[1], parts[2])


def timeline_svg(ident: str, rows: Sequence[TimelineRow], alt: str) -> str:
    """Events on one lane per level, along a time axis of whole years: an SVG 640 px wide, with
    `alt` as its title (`ident` names the title's id)."""
    dates = [_as_date(r.date) for r in rows]
    levels = [lv for lv in LEVEL_COLOURS if any(r.level == lv for r in rows)]
    levels += sorted({r.level for r in rows} - set(levels))
    first, last = min(dates).year, max(dates).year + 1
    left, right, top, lane = 120, 16, 16, 34
    width, height = 640, top + lane * len(levels) + 34
    span = (date(last, 1, 1) - date(first, 1, 1)).days

    def x(day: date) -> float:
        return left + (width - left - right) * (day - date(first, 1, 1)).days / span

    out = [_svg_open(ident, width, height, alt)]
    placed: list[tuple[float, float, float]] = []  # (y, left, right) of annotations so far
    for i, level in enumerate(levels):
        y = top + lane * i + lane / 2
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#333">'
                   f'{esc(level.replace("-", " ").capitalize())}</text>')
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   'stroke="#ccc" stroke-width="1"/>')
    axis = top + lane * len(levels) + 4
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{axis}" y2="{axis}" stroke="#333"/>')
    step = 1 if last - first <= 8 else 2 if last - first <= 24 else 5
    for year in range(first, last + 1, step):
        tick = x(date(year, 1, 1))
        out.append(f'<line x1="{tick:.1f}" x2="{tick:.1f}" y1="{axis}" y2="{axis + 4}" stroke="#333"/>')
        out.append(f'<text x="{tick:.1f}" y="{axis + 16}" text-anchor="middle" fill="#333">{year}</text>')
    for row, day in zip(rows, dates, strict=True):
        level = row.level
        y = top + lane * levels.index(level) + lane / 2
        colour = LEVEL_COLOURS.get(level, "#555")
        out.append(f'<circle cx="{x(day):.1f}" cy="{y:.1f}" r="5" fill="{colour}" '
                   'fill-opacity="0.85" stroke="#fff" stroke-width="1"/>')
        if row.label:
            out.append(_annotation(row.label, x(day), y, width - right, placed))
    out.append("</svg>")
    return "".join(out)


def _annotation(text: str, cx: float, cy: float, limit: float,
                placed: list[tuple[float, float, float]]) -> str:
    """A short label above a mark, or below it when it would collide with an earlier one."""
    half = len(text) * 2.6  # about half the width of 9-unit text
    left, right = cx - half, cx + half
    if right > limit:  # keep it inside the chart: anchor at the end
        left, right = limit - 2 * half, limit
    for y in (cy - 9, cy + 16):
        if not any(py == y and pl < right + 4 and left < pr + 4 for py, pl, pr in placed):
            break
    placed.append((y, left, right))
    return (f'<text x="{(left + right) / 2:.1f}" y="{y:.1f}" text-anchor="middle" font-size="9" '
            f'fill="#333">{esc(text)}</text>')


def bar_svg(ident: str, rows: Sequence[BarRow], alt: str, unit: str = "") -> str:
    """Horizontal bars in the order given, with the value (and `unit`) at the end of each bar:
    an SVG 640 px wide, with `alt` as its title."""
    left, right, top, bar, gap = 200, 60, 8, 20, 10
    width = 640
    height = top * 2 + len(rows) * (bar + gap)
    peak = max(float(r.value) for r in rows) or 1.0
    out = [_svg_open(ident, width, height, alt)]
    for i, row in enumerate(rows):
        y = top + i * (bar + gap)
        length = (width - left - right) * float(row.value) / peak
        value = f"{row.value:g}" if isinstance(row.value, float) else str(row.value)
        out.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" fill="#333">'
                   f"{esc(row.label)}</text>")
        out.append(f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="#0072B2"/>')
        out.append(f'<text x="{left + length + 6:.1f}" y="{y + 14}" fill="#333">'
                   f'{esc(value)}{" " + esc(unit) if unit else ""}</text>')
    out.append("</svg>")
    return "".join(out)


def draw(figure: Figure) -> str:
    """The figure's drawing as HTML: an inline SVG chart, or the image (<img>)."""
    ident, alt = html_id(figure.spec.id), figure.spec.alt
    if figure.spec.kind == "timeline":
        return timeline_svg(ident, figure.rows, alt)
    if figure.spec.kind == "bar":
        return bar_svg(ident, figure.rows, alt, figure.spec.unit)
    return f'<img src="{esc(asset_href(figure.asset))}" alt="{esc(alt)}"/>'


def figure_html(figure: Figure, body: str, inline: Callable[[Inline], str], boxed: bool = False) -> str:
    """A numbered figure with its caption and optional source line.

    `boxed`: the drawing scrolls in its own box, which must then be focusable and named.
    """
    spec = figure.spec
    anchor = html_id(spec.id)
    source = f' <span class="fig-source">Source: {inline(spec.source)}</span>' if spec.source else ""
    frame = (f'<div class="figure-body" role="region" tabindex="0" aria-label="Figure {figure.number}">' if boxed
             else '<div class="figure-body">')
    return (f'<figure class="figure figure-{spec.kind}" id="{anchor}">'
            f'{frame}{body}</div>'
            f'<figcaption><span class="label">Figure {figure.number}.</span> '
            f'{inline(spec.caption)}{source}</figcaption></figure>\n')


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
    """SVG where the reader supports it, PNG otherwise: both files sit beside the document."""
    return (f'<picture><source srcset="{stem}.svg" type="image/svg+xml"/>'
            f'<img src="{stem}.png" alt="{esc(alt)}"/></picture>')


def table_html(table: Table, inline: Callable[[Inline], str], wrap: str = "") -> str:
    """A numbered data table: caption, header cells with scope, cells as inline Markdown.

    `wrap` replaces the opening tag of the table's box (a web page's scrolling region).
    """
    spec = table.spec
    anchor = html_id(spec.id)
    head = "".join(f'<th scope="col">{esc(c.label)}</th>' for c in spec.columns)
    body = []
    for row in table.rows:
        cells = []
        for i, cell in enumerate(row):
            text = "" if cell is None else inline(cell)
            tag = "th" if i == 0 else "td"
            scope = ' scope="row"' if i == 0 else ""
            cells.append(f"<{tag}{scope}>{text}</{tag}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    source = f'<p class="table-source">Source: {inline(spec.source)}</p>' if spec.source else ""
    key_class = re.sub(r"[^a-z0-9-]", "", anchor)
    widths = ""
    if any(c.width for c in spec.columns):
        widths = "<colgroup>" + "".join(
            f'<col style="width: {c.width}"/>' if c.width else "<col/>" for c in spec.columns
        ) + "</colgroup>"
    opening = wrap or '<div class="table-wrap">'
    return (f'{opening}<table class="data-table {key_class}" id="{anchor}">'
            f'<caption><span class="label">Table {table.number}.</span> {inline(spec.caption)}'
            f"</caption>{widths}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"{source}</div>\n")
