"""Charts from data: a declarative Vega-Lite specification per figure kind, in the house theme,
rendered offline to SVG by vl-convert (Vega and Vega-Lite in an embedded JavaScript engine: no
browser, no network) at the size each output needs.

Authors write data; the publisher supplies the theme (typeface, palette, sizes). Each output
gets the same specification at its own size (`OUTPUTS`): print (the text column, labels
7.5–9 pt), web (a wide drawing) and narrow (phones and e-readers: text at least 10 CSS px when
the drawing is shown at 320 px or more). Kinds (`KINDS`): bar, grouped-bar, stacked-bar, line,
timeline, map, and vega-lite (an author's own specification, themed and sized the same way).

Every chart's text is Inter, measured by charttext with the same font files vl-convert draws
with (registered from styles/fonts, never the system's), so a drawing does not depend on the
machine. Raises ChartError when a specification cannot be drawn.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import RenderError
from .charttext import ASCENT, DESCENT, text_width
from .formats import FONTS
from .language import Language, language
from .model import BarRow, Figure, PlaceRow, PointRow, SeriesRow, TimelineRow

KINDS = ("bar", "grouped-bar", "stacked-bar", "line", "timeline", "map", "vega-lite")

# --- the house theme ---------------------------------------------------------------------------
FONT = "Inter"
INK = "#222222"
MUTED = "#595959"
RULE = "#c8c8c8"
LAND = "#e4e4e4"
ACCENT = "#0b5394"  # single-series marks: a dark blue that prints as a solid mid-grey
# Series in order of appearance: lightness steps that stay apart in greyscale and in CMYK
# (sequential blues, then Okabe–Ito orange and vermillion for a fifth and sixth series).
SERIES = ("#08306b", "#2f6fae", "#7fb2dc", "#c6dcef", "#e69f00", "#6b6b6b")
# Timeline levels: Okabe–Ito colours (told apart with the common colour-vision deficiencies),
# each with its own shape, so that the levels also separate in greyscale.
LEVELS = {
    "summit": ("#d55e00", "diamond"),
    "ministerial": ("#0072b2", "circle"),
    "senior-officials": ("#009e73", "square"),
    "expert": ("#e69f00", "triangle-up"),
    "business": ("#cc79a7", "cross"),
}
OTHER_LEVEL = ("#595959", "triangle-down")
FOCUS = "#a9cfe8"  # the countries a map is about
ROUTE = "#d55e00"  # routes on a map, and the ports on them
# A map's places: their mark and its colour (what the key calls them: `place_names`).
PLACES = {"capital": ("circle", INK), "city": ("circle", MUTED), "port": ("square", ROUTE)}


def level_name(level: str, words: Language) -> str:
    """A timeline level as the chart and its data table name it: the publisher's word for a
    known level (the catalogue), else the author's name with its hyphens as spaces, capitalised."""
    return _level_names(words).get(level) or level.replace("-", " ").capitalize()


def place_name(kind: str, words: Language) -> str:
    """A kind of place on a map as its key and its data table name it (the catalogue)."""
    return _place_names(words).get(kind, kind)


def _level_names(words: Language) -> dict[str, str]:
    """What a timeline calls its known levels, in the report's language (the catalogue)."""
    return {"summit": words.pgettext("timeline level", "Summit"),
            "ministerial": words.pgettext("timeline level", "Ministerial"),
            "senior-officials": words.pgettext("timeline level", "Senior officials"),
            "expert": words.pgettext("timeline level", "Expert"),
            "business": words.pgettext("timeline level", "Business")}


def _place_names(words: Language) -> dict[str, str]:
    """What a map calls each kind of place, in the report's language (the catalogue)."""
    return {"capital": words.pgettext("place on a map", "Capital"), "city": words.pgettext("place on a map", "City"),
            "port": words.pgettext("place on a map", "Port"),
            "waypoint": words.pgettext("place on a map", "Waypoint")}


@dataclass(frozen=True)
class Output:
    """The size a chart is drawn at for one output, in CSS px (1 px = 0.75 pt)."""

    name: str
    width: float  # the whole drawing
    text: float  # labels and values
    small: float  # axis tick labels
    strong: float  # lane and panel titles (semibold)
    narrow: bool  # labels above bars and lanes, maps in panels


# Print: the A4 text column (210 − 24 − 22 mm = 164 mm = 620 px); labels 8 pt, ticks 7.5 pt,
# titles 8.5 pt. Web: the column of a wide screen. Narrow: a phone or e-reader (shown at up to
# its own width, and at 300 px still 10.9 px text).
OUTPUTS = {
    "print": Output("print", 620, 32 / 3, 10.0, 34 / 3, False),
    "web": Output("web", 640, 12.0, 12.0, 12.5, False),
    "narrow": Output("narrow", 330, 12.0, 12.0, 12.5, True),
}


class ChartError(RenderError):
    """A chart that cannot be drawn (a bad specification of the author's): a build error that
    names the file and the figure (svg())."""


# --- rendering -------------------------------------------------------------------------------

_CACHE: list[Path] = []  # where drawings are kept between builds (use_cache)
# Drawings made apart for the builds of this process (`prepare`), by cache key: (True, SVG) or
# (False, the engine's reason); only those of the latest call are held.
_DRAWN: dict[str, tuple[bool, str]] = {}


def use_cache(folder: Path) -> None:
    """Keep drawings in `folder` between builds: a build whose charts did not change does not
    start the engine."""
    _CACHE[:] = [folder]


def kept() -> Path | None:
    """The folder drawings (and their PNG copies) are kept in between builds, if any."""
    return _CACHE[0] if _CACHE else None


@lru_cache(maxsize=1)
def _engine_key() -> str:
    """What else a drawing depends on: the engine's version and the bundled fonts (read once per
    process, not per drawing)."""
    from importlib import metadata

    fonts = sorted((p.name, p.stat().st_size) for p in FONTS.glob("*.[ot]tf"))
    return json.dumps([metadata.version("vl-convert-python"), fonts])


def _key(text: str) -> str:
    """A drawing's cache key: the digest of its specification (JSON text) and of the engine."""
    return hashlib.sha256((_engine_key() + text).encode("utf-8")).hexdigest()


def _text(figure: Figure, output: Output) -> str:
    """The specification of a figure's drawing as the JSON text the engine is given (and the
    cache is keyed by): nothing but the figure's own fields and the output's size go into it."""
    return json.dumps(spec(figure, output), sort_keys=True, ensure_ascii=False)


def prepare(figures: Sequence[Figure], outputs: Sequence[str]) -> int:
    """Draw every chart among `figures` at each of `outputs` (names in OUTPUTS) that is not kept
    yet, all in one short-lived process (engine.draw_apart), so that `svg` later only reads the
    drawings: a build calls this before any writer runs. Returns how many were drawn.

    A specification the engine refuses is remembered with its reason, for `svg` to raise; one
    that cannot even be written (a bad figure) is left for `svg` to raise on. Raises RenderError
    if the drawing process stops.
    """
    from .engine import draw_apart

    wanted: dict[str, str] = {}
    for figure in figures:
        if figure.spec.kind == "image":
            continue
        for name in outputs:
            try:
                text = _text(figure, OUTPUTS[name])
            except Exception:  # noqa: BLE001 - svg() raises it, with the figure's file
                continue
            wanted[_key(text)] = text
    folder = _CACHE[0] if _CACHE else None
    found = {key: _DRAWN[key] for key in wanted if key in _DRAWN}  # drawn for an earlier build of this process
    missing = [key for key in wanted if key not in found and not (folder and (folder / f"{key}.svg").is_file())]
    found.update(zip(missing, draw_apart([wanted[k] for k in missing], str(FONTS)), strict=True))
    for key, (ok, drawing) in found.items():
        if ok and folder is not None and not (folder / f"{key}.svg").is_file():
            from .output import write_atomic

            write_atomic(folder / f"{key}.svg", drawing)
    _DRAWN.clear()  # only this build's: a long-running preview does not gather every drawing it made
    _DRAWN.update(found)
    return len(missing)


def _render(text: str) -> str:
    """The SVG the engine draws for a specification (JSON text): made apart by `prepare`, or
    kept in the build's cache, or else drawn in this process (and kept). Raises ChartError."""
    key = _key(text)
    drawing = _DRAWN.get(key)
    kept_file = _CACHE[0] / f"{key}.svg" if _CACHE else None
    if drawing is None and kept_file is not None and kept_file.is_file():
        return kept_file.read_text(encoding="utf-8")
    if drawing is None:
        drawing = _draw(text)
        if drawing[0] and kept_file is not None:
            from .output import write_atomic

            write_atomic(kept_file, drawing[1])
    if not drawing[0]:
        raise ChartError(drawing[1])
    return drawing[1]


@lru_cache(maxsize=64)
def _draw(text: str) -> tuple[bool, str]:
    from .engine import draw

    return draw(text, str(FONTS))


def spec(figure: Figure, output: Output) -> dict[str, Any]:
    """The figure's Vega-Lite specification for `output`, theme included."""
    kind = figure.spec.kind
    body = _BUILDERS[kind](figure, output)
    body.setdefault("$schema", "https://vega.github.io/schema/vega-lite/v5.json")
    body["config"] = _config(output, language(figure.language))
    body.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
    body.setdefault("width", output.width)
    return body


def svg(figure: Figure, output: Output) -> str:
    """The figure drawn as an SVG document (no XML declaration) `output.width` px wide.

    Its ids are prefixed with the figure's, so that several charts can share a page; text
    hidden by the engine (labels it dropped for lack of room) is removed. Raises ChartError.
    """
    from .markdown import html_id

    try:
        drawn = _render(_text(figure, output))
    except ChartError as exc:
        source = figure.spec.vegalite or figure.spec.data or figure.chapter
        field = "figure.vegalite" if figure.spec.vegalite else "figure"
        raise ChartError(f"content/{source}: {field}: figure {figure.spec.id} cannot be drawn: "
                         f"{str(exc) or 'the chart engine gave no reason'}") from None
    drawn = re.sub(r"<text\b[^>]*\bopacity=\"0\"[^>]*>.*?</text>", "", drawn, flags=re.S)
    drawn = _numbered(drawn)
    prefix = html_id(figure.spec.id)
    drawn = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', drawn)
    drawn = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{prefix}-{m.group(1)})", drawn)
    drawn = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', drawn)
    return drawn


def _numbered(drawing: str) -> str:
    """The drawing with its numbered ids (`clip3`) numbered from 1 within it, in order of
    appearance, and every reference to them likewise.

    The engine numbers clip paths with a counter that runs on across everything its process
    draws, so the same chart came out with other ids (other bytes) depending on what had been
    drawn before it: on which outputs a build made and which drawings its cache held."""
    names: dict[str, str] = {}
    counts: dict[str, int] = {}
    for match in re.finditer(r'\bid="([A-Za-z_-]*?)(\d+)"', drawing):
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        names[match.group(1) + match.group(2)] = f"{match.group(1)}{counts[match.group(1)]}"
    if not names:
        return drawing
    return re.sub(r'(\bid="|url\(#|href="#)([^")]+)', lambda m: m.group(1) + names.get(m.group(2), m.group(2)),
                  drawing)


def with_title(drawing: str, ident: str, alt: str) -> str:
    """The drawing as an image with a title (inline SVG: the PDF's figure alternative)."""
    from markdown_it.common.utils import escapeHtml as esc

    return re.sub(r"<svg\b", f'<svg role="img" aria-labelledby="{ident}-title"', drawing, count=1).replace(
        ">", f'><title id="{ident}-title">{esc(alt)}</title>', 1) if "<svg" in drawing else drawing


def standalone(drawing: str, text: str, cache: Any = None) -> str:
    """The drawing as a file shown through <img>: the fonts it uses embedded, since an image
    cannot use the page's — Inter, and the Japanese face where the drawing holds CJK characters
    (its own or the catalogue's words: "閣僚"), which no reading system is sure to have. `text`:
    the characters the fonts keep (those of every chart of the report, so that one cut serves
    them all; subsetting is cached in `cache`)."""
    from .fonts import FALLBACK_FACES, visible_text

    kept = "".join(sorted(set(text)))
    faces = []
    for weight, name in ((400, "Inter-Regular.otf"), (600, "Inter-SemiBold.otf"), (700, "Inter-Bold.otf")):
        if weight == 400 or _uses(drawing, weight):
            faces.append(_face("Inter", weight, name, kept, cache))
    family = "Inter, sans-serif"
    if any(c >= "\u2e80" for c in visible_text(drawing)):  # fonts.subset_font: where the fallback face starts
        for weight, name in zip((400, 700), FALLBACK_FACES, strict=True):
            if weight == 400 or _uses(drawing, 600) or _uses(drawing, 700):
                faces.append(_face("Noto Sans CJK JP", weight, name, kept, cache))
        family = "Inter, 'Noto Sans CJK JP', sans-serif"
    style = "<style>" + "".join(faces) + "</style>"
    drawing = re.sub(r'font-family="Inter"', f'font-family="{family}"', drawing)
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + style, drawing, count=1)


def _uses(drawing: str, weight: int) -> bool:
    """Whether a drawing sets text in `weight` (600, or 700: also written "bold")."""
    return re.search(rf'font-weight="({weight}|{"bold" if weight == 700 else "x"})"', drawing) is not None


@lru_cache(maxsize=8)
def _face(family: str, weight: int, name: str, text: str, cache: Any) -> str:
    """An @font-face rule for `family` with the bundled font `name` cut to `text`, as a data URL."""
    from .fonts import subset_font

    data = base64.b64encode(subset_font(FONTS / name, text, cache)).decode("ascii")
    return (f'@font-face{{font-family:"{family}";font-weight:{weight};'
            f'src:url(data:font/otf;base64,{data}) format("opentype")}}')


def chart_text(drawings: Sequence[str]) -> str:
    """The characters of some drawings' text (what their embedded fonts must hold)."""
    from .fonts import visible_text

    return "".join(sorted(set("".join(visible_text(d) for d in drawings))))


# --- the theme -------------------------------------------------------------------------------

def _config(out: Output, words: Language) -> dict[str, Any]:
    axis = {"labelFont": FONT, "labelFontSize": out.small, "labelColor": INK, "titleFont": FONT,
            "titleFontSize": out.text, "titleColor": INK, "titleFontWeight": "normal", "domainColor": "#333333",
            "tickColor": "#333333", "gridColor": "#dddddd", "labelLimit": 0, "labelOverlap": True}
    return {
        "font": FONT, "background": "#ffffff", "padding": 2, "aria": False,
        "view": {"stroke": None},
        "axis": axis,
        "legend": {"labelFont": FONT, "labelFontSize": out.text, "labelColor": INK, "titleFont": FONT,
                   "titleFontSize": out.text, "titleColor": INK, "titleFontWeight": 600, "labelLimit": 0,
                   "orient": "top", "direction": "vertical" if out.narrow else "horizontal",
                   "symbolType": "square", "columnPadding": 12, "offset": 8},
        "text": {"font": FONT, "fontSize": out.text, "color": INK},
        "title": {"font": FONT, "fontSize": out.strong, "color": INK},
        "range": {"category": list(SERIES)},
        # Axis numbers and dates as the report's language writes them (CLDR: "12 345,5" in Russian).
        "locale": words.vega_locale(),
    }


def _shown(value: float, unit: str, words: Language) -> str:
    """A value as its label shows it: with the language's separators (CLDR) and as many decimals
    as the data gives ("1,500 meetings", "12,5 км", "0,00001 т"), then its unit."""
    return f"{words.data_number(value)} {unit}".strip()


def _rows(figure: Figure) -> list[dict[str, Any]]:
    return [{f.name: getattr(row, f.name) for f in fields(row)} for row in figure.rows]


# --- bar charts ------------------------------------------------------------------------------

def _bar(figure: Figure, out: Output) -> dict[str, Any]:
    """Horizontal bars in the order given, each labelled with its value (and unit) at its end;
    wide, the labels stand left of the bars, narrow above them."""
    rows: Sequence[BarRow] = figure.rows  # type: ignore[assignment]
    words = language(figure.language)
    values = [{"label": r.label, "value": r.value, "shown": _shown(r.value, figure.spec.unit, words)} for r in rows]
    peak = max(float(r.value) for r in rows) or 1.0
    bar = round(out.text * 1.6)
    x = {"field": "value", "type": "quantitative", "axis": None, "scale": {"domain": [0, peak], "nice": False}}
    value_text = {"mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 5},
                  "encoding": {"x": x, "text": {"field": "shown"}}}
    if not out.narrow:
        return {"data": {"values": values}, "height": {"step": bar + round(out.text * 0.9)},
                "encoding": {"y": {"field": "label", "type": "nominal", "sort": None,
                                   "axis": {"title": None, "ticks": False, "domain": False, "labelPadding": 8,
                                            "labelFontSize": out.text}}},
                "layer": [{"mark": {"type": "bar", "color": ACCENT, "size": bar}, "encoding": {"x": x}},
                          value_text]}
    # Above its bar a label has the drawing's width: a longer one wraps onto more lines, the
    # last line just above the bar (shorter labels are padded at the top with empty lines).
    height = out.text * 1.2
    wrapped = [_wrapped(str(v["label"]), out.width - 4, out.text) for v in values]
    most = max(len(lines) for lines in wrapped)
    for value, lines in zip(values, wrapped, strict=True):
        value["lines"] = [""] * (most - len(lines)) + lines
    above = round(out.text * 0.7) - bar / 2 - 3  # the label's foot, from the band's middle
    step = max(bar + round(out.text * 2.4), math.ceil(2 * (most * height - above)))
    return {"data": {"values": values}, "height": {"step": step},
            "encoding": {"y": {"field": "label", "type": "nominal", "sort": None, "axis": None,
                               "scale": {"paddingInner": 0, "paddingOuter": 0}}},
            "layer": [{"mark": {"type": "bar", "color": ACCENT, "size": bar, "yOffset": round(out.text * 0.7)},
                       "encoding": {"x": x}},
                      {**value_text, "mark": {**value_text["mark"], "yOffset": round(out.text * 0.7)}},
                      {"mark": {"type": "text", "align": "left", "baseline": "top", "lineHeight": height,
                                "yOffset": above - most * height},
                       "encoding": {"x": {"datum": 0, "type": "quantitative", "scale": x["scale"]},
                                    "text": {"field": "lines"}}}]}


def _wrapped(text: str, width: float, size: float) -> list[str]:
    """TEXT broken between words into lines at most WIDTH px wide at SIZE px (measured with the
    chart's typeface: charttext.text_width); a word wider than the line stands on its own."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [text]


def _series(figure: Figure, out: Output) -> dict[str, Any]:
    """Bars by label and series: grouped (a bar per series, side by side) or stacked (one bar
    per label, the series end to end, the total at its end)."""
    rows: Sequence[SeriesRow] = figure.rows  # type: ignore[assignment]
    words = language(figure.language)
    stacked = figure.spec.kind == "stacked-bar"
    series = list(dict.fromkeys(r.series for r in rows))
    labels = list(dict.fromkeys(r.label for r in rows))
    values = [{"label": r.label, "series": r.series, "value": r.value,
               "shown": _shown(r.value, figure.spec.unit, words)} for r in rows]
    colour = {"field": "series", "type": "nominal", "sort": series, "title": None,
              "scale": {"domain": series, "range": list(SERIES[:len(series)])}}
    bar = round(out.text * (1.6 if stacked else 1.05))
    if stacked:
        totals: dict[str, float] = {}
        for r in rows:
            totals[r.label] = totals.get(r.label, 0.0) + float(r.value)
        peak = max(totals.values()) or 1.0
        x = {"field": "value", "type": "quantitative", "axis": None, "stack": "zero",
             "scale": {"domain": [0, peak], "nice": False}}
        marks = [{"mark": {"type": "bar", "size": bar, "stroke": "#ffffff", "strokeWidth": 0.75},
                  "encoding": {"x": x, "color": colour, "order": {"field": "order", "type": "quantitative"}}},
                 {"data": {"values": [{"label": k, "total": v, "shown": _shown(v, figure.spec.unit, words)}
                                      for k, v in totals.items()]},
                  "mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 5},
                  "encoding": {"x": {"field": "total", "type": "quantitative", "scale": x["scale"]},
                               "text": {"field": "shown"}}}]
        for value in values:
            value["order"] = series.index(value["series"])
        step = bar + round(out.text * 0.9)
    else:
        peak = max(float(r.value) for r in rows) or 1.0
        x = {"field": "value", "type": "quantitative", "axis": None, "scale": {"domain": [0, peak], "nice": False}}
        offset = {"field": "series", "type": "nominal", "sort": series,
                  "scale": {"paddingInner": 0.1, "paddingOuter": 0.5 * 0}}
        marks = [{"mark": {"type": "bar", "size": bar}, "encoding": {"x": x, "color": colour, "yOffset": offset}},
                 {"mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 4},
                  "encoding": {"x": x, "text": {"field": "shown"}, "yOffset": offset}}]
        step = len(series) * (bar + 2) + round(out.text * 0.8)
    y: dict[str, Any] = {"field": "label", "type": "nominal", "sort": labels,
                         "scale": {"paddingInner": 0, "paddingOuter": 0},
                         "axis": {"title": None, "ticks": False, "domain": False, "labelPadding": 8,
                                  "labelFontSize": out.text}}
    inner = bar if stacked else len(series) * (bar + 2)
    if not out.narrow:
        return {"data": {"values": values}, "height": step * len(labels), "encoding": {"y": y}, "layer": marks}
    # Narrow: each label above its bars, the legend above the chart.
    label = round(out.text * 1.5)
    step = label + inner + round(out.text * 0.9)
    y["axis"] = None
    for layer in marks:
        if stacked:
            layer["mark"]["yOffset"] = label + inner / 2 - step / 2
        else:
            layer["encoding"]["yOffset"]["scale"] = {"range": [label, label + inner], "paddingInner": 0.1}
    marks.append({"data": {"values": [{"label": k} for k in labels]},
                  "mark": {"type": "text", "align": "left", "baseline": "middle", "yOffset": label / 2 - step / 2},
                  "encoding": {"x": {"datum": 0, "type": "quantitative", "scale": x["scale"]},
                               "text": {"field": "label"}}})
    return {"data": {"values": values}, "height": step * len(labels), "encoding": {"y": y}, "layer": marks}


# --- lines -----------------------------------------------------------------------------------

def _year(value: str) -> float:
    """A YYYY[-MM[-DD]] date as a fractional year (a partial date: the middle of its month or
    year), so that no time zone or calendar library takes part in drawing it."""
    parts = [int(p) for p in str(value).split("-")]
    if len(parts) == 1:
        return parts[0] + 0.5
    start = date(parts[0], 1, 1).toordinal()
    days = date(parts[0] + 1, 1, 1).toordinal() - start if parts[0] < 9999 else 365
    day = date(parts[0], parts[1], parts[2] if len(parts) == 3 else 15).toordinal()
    return parts[0] + (day - start) / days


def _year_ticks(first: int, last: int, room: float, widest: float) -> list[int]:
    """Whole years from `first` to `last` as far apart as their labels need (`room` px for the
    span, `widest` px the widest label)."""
    step = 1
    while (last - first) // step > 0 and room * step / (last - first) < widest + 12:
        step = next(s for s in (2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000) if s > step)
    start = first + (-first) % step if step > 1 else first
    return list(range(start, last + 1, step)) or [first]


def _line(figure: Figure, out: Output) -> dict[str, Any]:
    """Values over time, a line per series with a mark at each value; years on the axis."""
    rows: Sequence[PointRow] = figure.rows  # type: ignore[assignment]
    series = list(dict.fromkeys(r.series for r in rows))
    values = [{"t": _year(r.date), "value": r.value, "series": r.series} for r in rows]
    first, last = int(min(v["t"] for v in values)), int(max(v["t"] for v in values)) + 1
    ticks = _year_ticks(first, last, out.width - 60, text_width("0000", out.small))
    x = {"field": "t", "type": "quantitative", "title": None,
         "scale": {"domain": [first, last], "nice": False, "zero": False},
         "axis": {"values": ticks, "format": "d", "grid": False}}
    y = {"field": "value", "type": "quantitative", "title": figure.spec.unit or None,
         "axis": {"tickCount": 5, "format": ",~f"}}  # grouped digits, never "1e+3"
    colour = ({"field": "series", "type": "nominal", "sort": series, "title": None,
               "scale": {"domain": series, "range": list(SERIES[:len(series)])}}
              if len(series) > 1 else {"value": ACCENT})
    return {"data": {"values": values}, "height": round(out.width * (0.6 if out.narrow else 0.4)),
            "encoding": {"x": x, "y": y, "color": colour},
            "layer": [{"mark": {"type": "line", "strokeWidth": 2}},
                      {"mark": {"type": "point", "filled": True, "size": 36, "opacity": 1}}]}


# --- timelines -------------------------------------------------------------------------------



def _timeline(figure: Figure, out: Output) -> dict[str, Any]:
    """Events on one lane per level along an axis of whole years. Wide, the lanes are named on
    the left; narrow, above each lane. Each short label is placed by its mark where it touches
    no text placed before it (above, below, then further out), inside the drawing."""
    rows: Sequence[TimelineRow] = figure.rows  # type: ignore[assignment]
    levels = [lv for lv in LEVELS if any(r.level == lv for r in rows)]
    levels += sorted({r.level for r in rows} - set(levels))
    words = language(figure.language)
    names = {lv: level_name(lv, words) for lv in levels}
    times = [_year(r.date) for r in rows]
    first, last = int(min(times)), int(max(times)) + 1
    pad = 2  # the theme's padding
    axis_room = 0 if out.narrow else math.ceil(max(text_width(n, out.text) for n in names.values()) + 10)
    plot = out.width - axis_room - 2 * pad - 2  # 2: the axis line's half pixels
    # Narrow, a lane holds its name, a band of labels above its line and one below.
    lane = round(out.text * (5.4 if out.narrow else 3.8))
    room = max(out.text * 0.75, text_width(str(last), out.small) / 2 + 1)  # px beyond the first and last
    #                                                          year: their marks and tick labels
    low, high = first - (last - first) * room / plot, last + (last - first) * room / plot

    def x(t: float) -> float:
        return plot * (t - low) / (high - low)

    boxes: list[tuple[float, float, float, float]] = []  # text placed so far: left, top, right, bottom
    if out.narrow:  # lane names above their lanes
        for i, level in enumerate(levels):
            top = lane * i + 2
            boxes.append((0, top, text_width(names[level], out.strong, bold=True), top + out.strong * 1.1))
    half = out.text * (ASCENT + DESCENT) / 2
    labels = []
    for row, t in zip(rows, times, strict=True):
        if not row.label:
            continue
        width = text_width(row.label, out.text)
        centre = min(max(x(t), width / 2), plot - width / 2)
        middle = lane * (levels.index(row.level) + 0.5)
        near = out.text * (0.95 if out.narrow else 1.15)
        # Above, below, then further out (crowded data may reach into the next lanes).
        tiers = [sign * (near + out.text * 1.15 * step) for step in range(8) for sign in (-1, 1)]
        for dy in tiers:
            box = (centre - width / 2 - 3, middle + dy - half - 1, centre + width / 2 + 3, middle + dy + half + 1)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
                break
        boxes.append(box)
        labels.append({"t": low + (high - low) * centre / plot, "level": row.level, "label": row.label,
                       "dy": dy})
    events = [{"t": t, "level": r.level} for r, t in zip(rows, times, strict=True)]
    ticks = _year_ticks(first, last, plot, text_width("0000", out.small))
    x_enc = {"field": "t", "type": "quantitative", "title": None,
             "scale": {"domain": [low, high], "nice": False, "zero": False},
             "axis": {"values": ticks, "format": "d", "grid": False, "labelFlush": False, "tickSize": 4}}
    y_axis = None if out.narrow else {"title": None, "ticks": False, "domain": False, "labelPadding": 10,
                                      "labelFontSize": out.text, "labelExpr": _names_expr(names),
                                      "minExtent": axis_room, "maxExtent": axis_room}
    y = {"field": "level", "type": "nominal", "scale": {"type": "point", "padding": 0.5, "domain": levels},
         "axis": y_axis}
    colour = {"field": "level", "type": "nominal", "legend": None,
              "scale": {"domain": levels, "range": [LEVELS.get(lv, OTHER_LEVEL)[0] for lv in levels]}}
    shape = {"field": "level", "type": "nominal", "legend": None,
             "scale": {"domain": levels, "range": [LEVELS.get(lv, OTHER_LEVEL)[1] for lv in levels]}}
    layers: list[dict[str, Any]] = [
        {"data": {"values": [{"level": lv, "t": first} for lv in levels]},  # t: the layers' x field
         "mark": {"type": "rule", "color": RULE, "strokeWidth": 1},
         "encoding": {"x": {"datum": first, "type": "quantitative"}, "x2": {"datum": last}}},
        {"data": {"values": events},
         "mark": {"type": "point", "filled": True, "size": round(out.text * 6.5), "opacity": 0.9,
                  "stroke": "#ffffff", "strokeWidth": 0.75},
         "encoding": {"x": x_enc, "color": colour, "shape": shape}},
        {"data": {"values": labels},
         "mark": {"type": "text", "baseline": "middle", "align": "center"},
         "encoding": {"x": {"field": "t", "type": "quantitative"}, "text": {"field": "label"},
                      "yOffset": {"field": "dy", "type": "quantitative", "scale": None}}},
    ]
    if out.narrow:
        layers.append({"data": {"values": [{"level": lv, "name": names[lv], "t": first} for lv in levels]},
                       "mark": {"type": "text", "align": "left", "baseline": "top", "fontWeight": 600,
                                "fontSize": out.strong, "yOffset": 2 - lane / 2},
                       "encoding": {"x": {"datum": low, "type": "quantitative"}, "text": {"field": "name"}}})
    return {"width": plot, "height": {"step": lane}, "autosize": {"type": "pad"},
            "encoding": {"y": y, "x": {"field": "t", "type": "quantitative", "scale": x_enc["scale"],
                                       "axis": x_enc["axis"], "title": None}},
            "layer": layers}


def _names_expr(names: dict[str, str]) -> str:
    """A Vega expression naming each level (its axis labels)."""
    return "".join(f"datum.value === {json.dumps(k)} ? {json.dumps(v)} : " for k, v in names.items()) + "datum.value"


# --- maps ------------------------------------------------------------------------------------

def _map(figure: Figure, out: Output) -> dict[str, Any]:
    """Country boundaries (the figure's TopoJSON, object `countries`), the highlighted ones
    filled, places marked and named where their rows say (right, left, above, below), and routes
    drawn through their places in the order given, with an arrowhead at the end; a key below.
    Wide, one map framed on every place and highlighted country; narrow, a panel per group of
    places more than 30 degrees of longitude apart, one above the other."""
    rows: Sequence[PlaceRow] = figure.rows  # type: ignore[assignment]
    topo = json.loads(figure.shapes)
    shapes = _land_boxes(topo, set(figure.spec.highlight))
    groups: list[list[PlaceRow]] = []
    for row in sorted(rows, key=lambda r: r.lon):
        if out.narrow and groups and row.lon - groups[-1][-1].lon <= 30 or not out.narrow and groups:
            groups[-1].append(row)
        else:
            groups.append([row])
    groups = [[r for r in rows if r in group] for group in groups]  # each in the file's order (routes)
    frames = [_frame(group, shapes) for group in groups]
    # One scale for every panel (the widest fills the drawing): distances compare across panels.
    scale = min((out.width - 6) / math.radians(f[2] - f[0]) for f in frames)
    panels = [_map_panel(topo, group, figure.spec.highlight, frame, scale * math.radians(frame[2] - frame[0]), out)
              for group, frame in zip(groups, frames, strict=True)]
    return {"vconcat": [*panels, _map_key(rows, out, language(figure.language))], "spacing": round(out.text * 0.8),
            "autosize": {"type": "pad"}}


def _land_boxes(topo: dict[str, Any], names: set[str]) -> list[tuple[float, float, float, float]]:
    """The bounding boxes (west, south, east, north in degrees) of the named countries' polygons
    larger than 2 square degrees (small islands do not widen a map's frame)."""
    scale, shift = (topo.get("transform") or {}).get("scale", [1, 1]), (topo.get("transform") or {}).get(
        "translate", [0, 0])
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0.0
        points = []
        for position in arc:
            x, y = (x + position[0], y + position[1]) if "transform" in topo else (position[0], position[1])
            points.append((x * scale[0] + shift[0], y * scale[1] + shift[1]))
        arcs.append(points)
    boxes = []
    for geometry in topo["objects"]["countries"]["geometries"]:
        if geometry.get("properties", {}).get("name") not in names:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            ring = [p for index in polygon[0] for p in arcs[index if index >= 0 else ~index]]
            west, east = min(p[0] for p in ring), max(p[0] for p in ring)
            south, north = min(p[1] for p in ring), max(p[1] for p in ring)
            if (east - west) * (north - south) >= 2:
                boxes.append((west, south, east, north))
    return boxes


def _mercator_aspect(west: float, south: float, east: float, north: float) -> float:
    """Height over width of a frame in the Mercator projection: straight parallels, so that a
    rectangle of longitudes and latitudes fills the drawing (a conic projection's curved frame
    leaves its corners to whatever lies beyond)."""
    def y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    return (y(north) - y(south)) / math.radians(east - west)


def _frame(rows: Sequence[PlaceRow], shapes: list[tuple[float, float, float, float]]) -> tuple[float, ...]:
    """The longitudes and latitudes a panel shows (west, south, east, north): its places and the
    highlighted land near them, with a margin of 1.5 degrees."""
    west, east = min(r.lon for r in rows), max(r.lon for r in rows)
    south, north = min(r.lat for r in rows), max(r.lat for r in rows)
    for box in shapes:  # the highlighted land near these places
        if box[0] <= east + 15 and box[2] >= west - 15:
            west, south, east, north = min(west, box[0]), min(south, box[1]), max(east, box[2]), max(north, box[3])
    return west - 1.5, south - 1.5, east + 1.5, north + 1.5


def _map_panel(topo: dict[str, Any], rows: Sequence[PlaceRow], highlight: Sequence[str], frame_box: tuple[float, ...],
               width: float, out: Output) -> dict[str, Any]:
    west, south, east, north = frame_box
    height = round(width * _mercator_aspect(west, south, east, north))
    frame = {"type": "MultiPoint", "coordinates": [[lon, lat] for lon in (west, east) for lat in (south, north)]}
    projection = {"type": "mercator", "fit": frame}
    places = [{"name": r.name, "lon": r.lon, "lat": r.lat, "kind": r.kind, "at": r.label_at}
              for r in rows if r.kind != "waypoint"]
    position = {"longitude": {"field": "lon", "type": "quantitative"},
                "latitude": {"field": "lat", "type": "quantitative"}}
    layers: list[dict[str, Any]] = [
        {"data": {"values": topo, "format": {"type": "topojson", "feature": "countries"}},
         "transform": [{"calculate": f"indexof({json.dumps(list(highlight))}, datum.properties.name) >= 0 ? 1 : 0",
                        "as": "focus"}],
         "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.7, "clip": True},
         "encoding": {"color": {"field": "focus", "type": "quantitative", "legend": None,
                                "scale": {"domain": [0, 1], "range": [LAND, FOCUS]}}}},
    ]
    for path in _stretches(rows):
        layers.append({"data": {"values": [{"lon": r.lon, "lat": r.lat, "order": i} for i, r in enumerate(path)]},
                       "mark": {"type": "line", "color": ROUTE, "strokeWidth": 2.2, "strokeDash": [4, 2]},
                       "encoding": {**position, "order": {"field": "order", "type": "quantitative"}}})
        if path[-1].arrow:
            layers.append({"data": {"values": [{"lon": path[-1].lon, "lat": path[-1].lat}]},
                           "mark": {"type": "point", "shape": "triangle-up", "filled": True, "color": ROUTE,
                                    "size": round(out.text * 7), "angle": _bearing(path[-2], path[-1]),
                                    "opacity": 1},
                           "encoding": position})
    layers.append({"data": {"values": places},
                   "mark": {"type": "point", "filled": True, "size": round(out.text * 4), "opacity": 1,
                            "stroke": "#ffffff", "strokeWidth": 0.75},
                   "encoding": {**position,
                                "shape": {"field": "kind", "type": "nominal", "legend": None,
                                          "scale": {"domain": list(PLACES), "range": [v[0] for v in PLACES.values()]}},
                                "color": {"field": "kind", "type": "nominal", "legend": None,
                                          "scale": {"domain": list(PLACES),
                                                    "range": [v[1] for v in PLACES.values()]}}}})
    gap = out.text * 0.6
    for at, align, baseline, dx, dy in (("right", "left", "middle", gap, 0), ("left", "right", "middle", -gap, 0),
                                        ("above", "center", "bottom", 0, -gap * 0.8),
                                        ("below", "center", "top", 0, gap * 0.8)):
        chosen = [p for p in places if p["at"] == at and p["name"]]
        if chosen:
            layers.append({"data": {"values": chosen},
                           "mark": {"type": "text", "align": align, "baseline": baseline, "dx": dx, "dy": dy,
                                    "fontWeight": 600},
                           "encoding": {**position, "text": {"field": "name"}}})
    return {"width": width, "height": height, "projection": projection, "layer": layers}


def _stretches(rows: Sequence[PlaceRow]) -> list[list[PlaceRow]]:
    """The lines a map draws: each route's places in the file's order, a stretch ending at each
    place with an arrow (stretches of one place are not drawn)."""
    found: list[list[PlaceRow]] = []
    for route in dict.fromkeys(r.route for r in rows if r.route):
        stretch: list[PlaceRow] = []
        for row in (r for r in rows if r.route == route):
            stretch.append(row)
            if row.arrow:
                found.append(stretch)
                stretch = []
        found.append(stretch)
    return [s for s in found if len(s) > 1]


def _map_key(rows: Sequence[PlaceRow], out: Output, words: Language) -> dict[str, Any]:
    """The map's key: an entry per kind of place and per route (wide: side by side)."""
    entries = [(kind, place_name(kind, words)) for kind in PLACES if any(r.kind == kind for r in rows)]
    entries += [("route", route) for route in dict.fromkeys(r.route for r in rows if r.route)]
    symbols, texts = [], []
    x, y = 0.0, out.text * 0.75
    for kind, text in entries:
        width = text_width(text, out.text) + out.text * 2.2
        if x and x + width > out.width - 4:
            x, y = 0.0, y + out.text * 1.5
        symbols.append({"x": x + out.text * 0.5, "y": y, "kind": kind})
        texts.append({"x": x + out.text * 1.5, "y": y, "text": text})
        x += width + out.text * 1.2
    shapes = {k: v[0] for k, v in PLACES.items()}
    colours = {k: v[1] for k, v in PLACES.items()}
    pixels = {"x": {"field": "x", "type": "quantitative", "scale": None},
              "y": {"field": "y", "type": "quantitative", "scale": None}}
    lines = [{"x": p["x"] - out.text * 0.4, "x2": p["x"] + out.text * 0.6, "y": p["y"]}
             for p in symbols if p["kind"] == "route"]
    return {"width": out.width - 4, "height": round(y + out.text * 0.75),
            "layer": [*([{"data": {"values": lines},
                         "mark": {"type": "rule", "color": ROUTE, "strokeWidth": 2.2, "strokeDash": [4, 2]},
                         "encoding": {**pixels, "x2": {"field": "x2"}}}] if lines else []),
                      {"data": {"values": [p for p in symbols if p["kind"] != "route"]},
                       "mark": {"type": "point", "filled": True, "size": round(out.text * 4), "opacity": 1,
                                "strokeWidth": 2.2},
                       "encoding": {**pixels,
                                    "shape": {"field": "kind", "type": "nominal", "legend": None,
                                              "scale": {"domain": list(shapes), "range": list(shapes.values())}},
                                    "color": {"field": "kind", "type": "nominal", "legend": None,
                                              "scale": {"domain": list(colours), "range": list(colours.values())}}}},
                      {"data": {"values": texts}, "mark": {"type": "text", "align": "left", "baseline": "middle"},
                       "encoding": {**pixels, "text": {"field": "text"}}}]}


def _bearing(start: PlaceRow, end: PlaceRow) -> float:
    """The direction from `start` to `end` on the map, in degrees clockwise from north (roughly:
    the arrowhead's angle)."""
    dx = (end.lon - start.lon) * math.cos(math.radians((start.lat + end.lat) / 2))
    dy = end.lat - start.lat
    return round(math.degrees(math.atan2(dx, dy)) % 360, 1)


# --- an author's own specification ---------------------------------------------------------

def _own(figure: Figure, out: Output) -> dict[str, Any]:
    """The author's Vega-Lite specification, with the figure's data (when it has a data file) as
    its data, sized to the output; the house theme replaces its config."""
    body: dict[str, Any] = json.loads(figure.vegalite)
    if figure.rows:
        body["data"] = {"values": [dict(row.values) for row in figure.rows]}  # type: ignore[attr-defined]
    body.pop("config", None)
    body.pop("width", None)
    return body


_BUILDERS = {"bar": _bar, "grouped-bar": _series, "stacked-bar": _series, "line": _line, "timeline": _timeline,
             "map": _map, "vega-lite": _own}
