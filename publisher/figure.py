"""Figures and tables generated from data at build time: the HTML of figures (charts drawn by
chart.py, images), their data as CSV and as a table, and HTML tables."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from markdown_it.common.utils import escapeHtml as esc

from .chart import OUTPUTS, level_name, place_name, svg, with_title
from .formats import asset_href
from .language import Language, language
from .markdown import Inline, html_id
from .model import Figure, Table

# The columns of a chart's data (CSV and table), in the order of its rows' fields; a field not
# listed is left out (where a label stands is not data).
def N_(message: str) -> str:
    """A message marked for the catalogues (Babel extracts it), translated where it is shown."""
    return message


COLUMNS = {"label": N_("Label"), "series": N_("Series"), "date": N_("Date"), "event": N_("Event"),
           "level": N_("Level"), "place": N_("Place"), "name": N_("Name"), "kind": N_("Kind"),
           "lon": N_("Longitude (°E)"), "lat": N_("Latitude (°N)"), "route": N_("Route"), "value": N_("Value"),
           "sources": N_("Sources")}


def draw(figure: Figure) -> str:
    """The figure's drawing as HTML for the PDF: the chart drawn for print as inline SVG (with
    the alternative text as its title), or the image (<img>)."""
    if figure.spec.kind == "image":
        return f'<img src="{esc(asset_href(figure.asset))}" alt="{esc(figure.alt)}"/>'
    return with_title(svg(figure, OUTPUTS["print"]), html_id(figure.spec.id), figure.alt)


def data_rows(figure: Figure, words: Language | None = None,
              shown: bool = False) -> tuple[list[str], list[list[str]]]:
    """A chart's data as (column names, in `words`'s language (English by default), rows of text):
    its data file's rows, or the data of a vega-lite specification. `shown`: as a reader reads
    it beside the chart (numbers and dates as the language writes them, timeline levels and kinds
    of place by the chart's own words); else as the data file gives it (the CSV)."""
    import json

    words = words or language("en")

    def cell(name: str, value: Any) -> str:
        if value is None:
            return ""
        if not shown:
            return _text(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return words.data_number(value)
        if name == "date" and re.fullmatch(r"\d{4}(-\d{2}){0,2}", str(value)):
            return words.date(str(value))
        if name == "level":
            return level_name(str(value), words)
        if name == "kind" and figure.spec.kind == "map":
            return place_name(str(value), words)
        return str(value)

    if figure.spec.kind == "vega-lite":
        values = json.loads(figure.vegalite).get("data", {})
        records = values.get("values", []) if isinstance(values, dict) else []
        records = [r for r in records if isinstance(r, dict)]
        keys = list(dict.fromkeys(k for r in records for k in r))
        return keys, [[cell("", r.get(k)) for k in keys] for r in records]
    if not figure.rows:
        return [], []
    names = [f.name for f in fields(figure.rows[0]) if f.name in COLUMNS]
    used = [n for n in names if any(getattr(r, n) not in ("", None) for r in figure.rows)]
    return ([words.gettext(COLUMNS[n]) for n in used], [[cell(n, getattr(r, n)) for n in used] for r in figure.rows])


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def data_csv(figure: Figure, words: Language | None = None) -> bytes:
    """The chart's data as CSV (UTF-8, a header row in `words`'s language, "\n" line ends)."""
    columns, rows = data_rows(figure, words)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def data_table_html(figure: Figure, csv_href: str, words: Language | None = None) -> str:
    """The chart's data as an accessible table folded under the drawing, with the CSV to
    download (the sources are in the figure's source line, not repeated); its words in `words`'s
    language (English by default)."""
    words = words or language("en")
    columns, rows = data_rows(figure, words, shown=True)
    keep = [i for i, c in enumerate(columns) if c != words.gettext(COLUMNS["sources"])]
    head = "".join(f'<th scope="col">{esc(columns[i])}</th>' for i in keep)
    # Each cell says its column (data-label): a phone shows the rows as cards (web.css, epub.css).
    body = "".join("<tr>" + "".join((f'<th scope="row">{esc(row[i])}</th>' if n == 0
                                     else f'<td data-label="{esc(columns[i])}">{esc(row[i])}</td>')
                                    for n, i in enumerate(keep)) + "</tr>" for row in rows)
    number = {"number": figure.number}
    summary = esc(words.gettext("Data of figure %(number)s as a table") % number)
    name = esc(words.gettext("Data of figure %(number)s") % number)
    download = esc(words.gettext("Download the data (CSV)"))
    # A wide table scrolls in its own box, which must then be focusable and named (as tables do).
    return (f'<details class="figure-data"><summary>{summary}</summary>'
            f'<div class="table-wrap" role="region" tabindex="0" aria-label="{name}">'
            f'<table class="data-table"><caption>{name}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{body}</tbody></table></div></details>'
            f'<p class="figure-download"><a href="{esc(csv_href)}" download="">{download}</a></p>')


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


def svg_file(drawing: str) -> bytes:
    """A chart as a standalone SVG file."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + drawing).encode("utf-8")


def svg_size(drawing: str) -> tuple[int, int]:
    """The width and height of a drawing (its root's attributes), in px."""
    found = re.search(r'<svg\b[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"', drawing)
    return (round(float(found.group(1))), round(float(found.group(2)))) if found else (0, 0)


def svg_png(drawing: str) -> bytes:
    """A raster copy of a chart at twice its size, for readers without SVG (older Kindles).

    Drawn by resvg from its wheel with the bundled fonts only: the same pixels on every machine
    (cairosvg drew its text in whatever fonts the system had, as its fontconfig set them up).
    """
    import hashlib

    import resvg_py

    from .chart import kept
    from .formats import FONTS

    folder = kept()
    key = folder / (hashlib.sha256(drawing.encode("utf-8")).hexdigest() + ".png") if folder else None
    if key is not None and key.is_file():
        return key.read_bytes()
    fonts = [str(path) for path in sorted(FONTS.glob("*.[ot]tf"))]
    # A text holding Japanese is set in the Japanese face outright: for a character Inter lacks
    # resvg falls back to the first file that has it, whatever the weight (all of it was bold).
    drawing = re.sub(r'(<text\b[^>]*?font-family=")Inter("[^>]*>[^<]*[\u2e80-\U0002ffff])',
                     r"\1Noto Sans CJK JP\2", drawing)
    data = bytes(resvg_py.svg_to_bytes(svg_string=drawing, zoom=2, skip_system_fonts=True, font_files=fonts,
                                       font_family="Inter", sans_serif_family="Inter", serif_family="Charis SIL"))
    if key is not None:
        from .output import write_atomic

        write_atomic(key, data)
    return data


def image_html(src: str, alt: str, size: tuple[int, int]) -> str:
    """A chart file shown through a plain <img> at up to its own size (every reading system
    shows one; its PNG fallback is declared in the EPUB's manifest)."""
    return (f'<img class="chart" src="{esc(src)}" alt="{esc(alt)}" width="{size[0]}" height="{size[1]}"/>')


def picture_html(stem: str, alt: str, size: tuple[int, int]) -> str:
    """The wide drawing, and the narrow one on screens up to 40em wide (a browser's <picture>):
    the files sit beside the page."""
    return (f'<picture><source media="(max-width: 40em)" srcset="{esc(stem)}-narrow.svg" type="image/svg+xml"/>'
            f'{image_html(stem + ".svg", alt, size)}</picture>')


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
