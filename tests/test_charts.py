"""Charts drawn by Vega-Lite (publisher/chart.py): every kind at every output size, with long
labels, big values and crowded data, has no text outside its drawing and no text over other
text (measured with the bundled Inter, charttext), text at the output's sizes, and colours that
stay apart in greyscale."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from publisher.chart import LEVELS, OUTPUTS, SERIES, svg
from publisher.charttext import chart_problems, text_boxes
from publisher.model import BarRow, Figure, FigureSpec, PlaceRow, PointRow, SeriesRow, TimelineRow
from tests.conftest import CONTENT

LONG = "Senior Officials’ Meetings of the Dialogue"


def figure(kind: str, rows: tuple, **fields: object) -> Figure:
    spec = FigureSpec(id=f"fig:{kind}", kind=kind, caption=None, alt="A chart.", **fields)  # type: ignore[arg-type]
    return Figure(f"fig-{kind}", 1, spec, "c", "A chart", rows, **{k: v for k, v in fields.items() if False})


def _map() -> Figure:
    topo = json.dumps(json.loads((CONTENT / "data" / "central-asia-japan.topo.json").read_text()))
    rows = (PlaceRow(name="Astana", lon=71.45, lat=51.18, kind="capital"),
            PlaceRow(name="Tashkent", lon=69.22, lat=41.26, kind="capital", label_at="above"),
            PlaceRow(name="Bishkek", lon=74.59, lat=42.87, kind="capital"),
            PlaceRow(name="Aktau", lon=51.17, lat=43.66, kind="port", route="A route"),
            PlaceRow(lon=49.0, lat=42.9, kind="waypoint", route="A route", arrow=True),
            PlaceRow(name="Tokyo", lon=139.69, lat=35.69, kind="capital", label_at="below"))
    spec = FigureSpec(id="fig:map", kind="map", caption=None, alt="A map.", data="x", boundaries="y",  # type: ignore[arg-type]
                      highlight=("Kazakhstan", "Japan"))
    return Figure("fig-map", 1, spec, "c", "A map", rows, shapes=topo)


def _own() -> Figure:
    body = {"data": {"values": [{"a": "A long category name", "b": 28}, {"a": "B", "b": 55}]},
            "mark": "bar", "encoding": {"x": {"field": "a", "type": "nominal"}, "y": {"field": "b", "type": "quantitative"}}}
    spec = FigureSpec(id="fig:own", kind="vega-lite", caption=None, alt="A chart.", vegalite="x.json")  # type: ignore[arg-type]
    return Figure("fig-own", 1, spec, "c", "A chart", (), vegalite=json.dumps(body))


EIGHTY = "An extremely long category label that goes on and on to reach eighty characters xx"  # wraps narrow


def charts() -> list[Figure]:
    bars = (BarRow(label=LONG, value=1500), BarRow(label="B", value=3), BarRow(label="Business Dialogues", value=0),
            BarRow(label=EIGHTY, value=7))
    series = tuple(SeriesRow(label=label, series=name, value=value)
                   for label in (LONG, "Tokyo Dialogues", "B") for name, value in (("2018", 11), ("2019", 130), ("2022", 1500)))
    points = tuple(PointRow(date=f"{2004 + i}-0{1 + i % 9}", value=i * i, series=("One", "Two")[i % 2]) for i in range(20))
    events = tuple(TimelineRow(date=f"{2004 + i}-0{1 + i % 9}", level=("ministerial", "summit", "expert", "other")[i % 4],
                               label=("Action Plan adopted", "USD 700m pledge", "1st summit", "")[i % 4]) for i in range(22))
    return [figure("bar", bars, unit="meetings"), figure("grouped-bar", series), figure("stacked-bar", series, unit="km³"),
            figure("line", points, unit="meetings"), figure("timeline", events), _map(), _own()]


@pytest.mark.parametrize("output", sorted(OUTPUTS))
@pytest.mark.parametrize("chart", charts(), ids=lambda f: f.spec.kind)
def test_no_text_is_clipped_or_collides_and_sizes_fit_the_output(chart: Figure, output: str) -> None:
    out = OUTPUTS[output]
    drawing = svg(chart, out)
    assert chart_problems(drawing) == []
    (_, _, width, _), boxes = text_boxes(drawing)
    assert width <= out.width + 3, f"{width} px wide for {out.width}"
    assert boxes, "no text measured"
    sizes = {round(b.size, 2) for b in boxes}
    if output == "print":  # 7.5 to 9 pt (1 px = 0.75 pt)
        assert all(7.5 <= size * 0.75 <= 9 for size in sizes), sizes
    else:  # at least 12 px: 10 px or more when a phone shows the narrow drawing at 300 px
        assert min(sizes) >= 12, sizes


def test_a_label_over_another_is_found() -> None:
    # The test above can fail: two labels in one place are an overlap.
    drawing = svg(figure("bar", (BarRow(label="A", value=1), BarRow(label="B", value=2))), OUTPUTS["print"])
    text = re.findall(r"<text[^>]*>A</text>", drawing)[0]
    assert chart_problems(drawing.replace("</svg>", text.replace(">A<", ">A again<") + "</svg>", 1)) != []


def test_the_real_report_charts_draw_cleanly(report_figures: list[Figure]) -> None:
    for chart in report_figures:
        for out in OUTPUTS.values():
            assert chart_problems(svg(chart, out)) == [], (chart.spec.id, out.name)


@pytest.fixture(scope="module")
def report_figures() -> list[Figure]:
    from publisher.loader import load_report

    return [f for f in load_report(CONTENT)[0].figures if f.spec.kind != "image"]


def _grey(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b


def _cmyk(colour: str) -> tuple[float, ...]:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    k = 1 - max(r, g, b)
    return (0, 0, 0, 1) if k == 1 else tuple((1 - c - k) / (1 - k) for c in (r, g, b)) + (k,)


def test_series_colours_separate_in_greyscale_and_in_cmyk() -> None:
    # The first four series (a chart rarely has more) are lightness steps, apart in greyscale;
    # every pair differs by at least 20 % of one ink in CMYK.
    greys = [_grey(c) for c in SERIES[:4]]
    assert all(abs(a - b) >= 40 for i, a in enumerate(greys) for b in greys[i + 1:]), greys
    for i, a in enumerate(SERIES):
        for b in SERIES[i + 1:]:
            assert max(abs(x - y) for x, y in zip(_cmyk(a), _cmyk(b))) >= 0.2, (a, b)
    # Timeline levels whose colours are close in grey keep apart by their shapes.
    assert len({shape for _, shape in LEVELS.values()}) == len(LEVELS)


def test_a_timeline_reaching_year_9999_is_drawn() -> None:
    rows = (TimelineRow(date="0001", level="summit"), TimelineRow(date="9999-06-30", level="summit"),
            TimelineRow(date="9999-12-31", level="expert", label="End"))
    drawing = svg(figure("timeline", rows), OUTPUTS["print"])
    ticks = [b.text for b in text_boxes(drawing)[1] if b.text.isdigit()]
    assert 2 <= len(ticks) <= 25
    assert chart_problems(drawing) == []


def test_the_same_chart_is_the_same_bytes() -> None:
    chart = charts()[4]
    assert svg(chart, OUTPUTS["web"]) == svg(chart, OUTPUTS["web"])
    assert Path(__file__).name  # (across processes and environments: tests/test_reproducible.py)


def test_an_authors_specification_may_not_load_anything() -> None:
    from publisher.loader import vegalite_problem

    assert vegalite_problem({"mark": "bar", "encoding": {}}) is None
    assert "'url' is not allowed" in vegalite_problem({"data": {"url": "https://example.org/x.csv"}})
    assert "'sequence' is not allowed" in vegalite_problem({"layer": [{"data": {"sequence": {"stop": 1e9}}}]})
    assert "'image' is not allowed" in vegalite_problem({"mark": "image"})
    assert vegalite_problem([1, 2]) == "a Vega-Lite specification is a JSON object"


def test_boundaries_are_a_named_topology_of_bounded_size() -> None:
    from publisher.limits import MAX_MAP_POINTS
    from publisher.loader import topology_problem

    topo = json.loads((CONTENT / "data" / "central-asia-japan.topo.json").read_text())
    assert topology_problem(topo) is None
    assert topology_problem({"type": "FeatureCollection"}) == "not a TopoJSON Topology"
    assert topology_problem({**topo, "objects": {}}) == "no GeometryCollection named countries"
    assert topology_problem({**topo, "arcs": [[[0, 0]] * (MAX_MAP_POINTS + 1)]}) == f"more than {MAX_MAP_POINTS} positions"


@pytest.mark.parametrize(("tag", "decimal", "group", "words"), [
    ("ru", ",", "\u00a0", ("Министры", "Столица")), ("kk-KZ", ",", "\u00a0", ("Министрлер", "Елорда")),
    ("ja", ".", ",", ("閣僚", "首都")), ("en", ".", ",", ("Ministerial", "Capital"))])
def test_charts_write_numbers_and_words_as_the_reports_language_does(tag: str, decimal: str, group: str,
                                                                     words: tuple[str, ...]) -> None:
    """Every number a chart draws (value labels, axis ticks, an author's own specification's axes)
    follows the report language's CLDR separators, large values never turn into "1e+3", and the
    publisher's words in a chart (timeline levels, a map's key) come from the catalogue."""
    import dataclasses

    def shown(chart: Figure) -> list[str]:
        return [b.text for b in text_boxes(svg(dataclasses.replace(chart, language=tag), OUTPUTS["print"]))[1]]

    bars = shown(figure("bar", (BarRow(label="A", value=12345.5), BarRow(label="B", value=1500)), unit="t"))
    assert f"12{group}345{decimal}5 t" in bars and f"1{group}500 t" in bars
    points = tuple(PointRow(date=f"{2010 + i}", value=1200 + 1000 * i, series="S") for i in range(5))
    ticks = shown(figure("line", points))
    assert f"5{group}000" in ticks and not any("e+" in t for t in ticks), ticks
    assert f"1{group}000" in "".join(shown(_own_big()))
    events = (TimelineRow(date="2020", level="ministerial", label="x"), TimelineRow(date="2021", level="summit"))
    assert words[0] in shown(figure("timeline", events))
    assert words[1] in shown(_map())


def _own_big() -> Figure:
    body = {"data": {"values": [{"a": "A", "b": 2800}, {"a": "B", "b": 5500}]},
            "mark": "bar", "encoding": {"x": {"field": "a", "type": "nominal"}, "y": {"field": "b", "type": "quantitative"}}}
    spec = FigureSpec(id="fig:own", kind="vega-lite", caption=None, alt="A chart.", vegalite="x.json")  # type: ignore[arg-type]
    return Figure("fig-own", 1, spec, "c", "A chart", (), vegalite=json.dumps(body))


def test_a_chart_shown_as_an_image_carries_the_japanese_face_it_needs() -> None:
    """An <img> chart cannot use the page's fonts: one holding Japanese words (the catalogue's
    level names here) embeds the Japanese face too, cut to the charts' characters; one without
    CJK text embeds Inter alone."""
    import dataclasses

    from publisher.chart import standalone

    events = (TimelineRow(date="2020", level="ministerial", label="第1回"), TimelineRow(date="2021", level="summit"))
    japanese = svg(dataclasses.replace(figure("timeline", events), language="ja"), OUTPUTS["web"])
    shown = standalone(japanese, "".join(b.text for b in text_boxes(japanese)[1]))
    assert 'font-family:"Noto Sans CJK JP"' in shown and "'Noto Sans CJK JP'" in shown
    english = svg(figure("timeline", events[1:]), OUTPUTS["web"])
    assert "Noto Sans CJK JP" not in standalone(english, "Summit2021")


def test_a_charts_data_table_reads_as_the_chart_does_and_its_csv_keeps_the_data() -> None:
    """The table beside a chart (its text alternative) writes numbers and dates as the report's
    language does and names levels and kinds of place with the chart's own words, each cell
    labelled with its column (cards on a phone); the CSV keeps the data file's values."""
    import dataclasses

    from publisher.figure import data_csv, data_table_html
    from publisher.language import language

    ru = language("ru")
    events = (TimelineRow(date="2004-08-28", level="ministerial", label="x"), TimelineRow(date="2025", level="summit"))
    bars = (BarRow(label="A", value=12345.5), BarRow(label="B", value=0.00001))
    table = data_table_html(dataclasses.replace(figure("timeline", events), language="ru"), "t.csv", ru)
    assert "Министры" in table and "28 августа 2004\u202fг." in table and "ministerial" not in table
    table = data_table_html(dataclasses.replace(_map(), language="ru"), "m.csv", ru)
    assert "Столица" in table and "71,45" in table and ">capital<" not in table
    table = data_table_html(dataclasses.replace(figure("bar", bars), language="ru"), "b.csv", ru)
    assert "12\u00a0345,5" in table and "0,00001" in table
    assert all('data-label="' in cell for cell in re.findall(r"<td[^>]*>", table))
    assert "12345.5" in data_csv(figure("bar", bars), ru).decode() and "1e-05" in data_csv(figure("bar", bars), ru).decode()


def test_the_png_copy_keeps_the_weight_of_japanese_text() -> None:
    """The EPUB's PNG copy of a chart (resvg) sets Japanese text in the Japanese face of the
    weight asked for: regular labels are not drawn bold (resvg's fallback took the first file)."""
    import io

    from PIL import Image

    from publisher.figure import svg_png

    def ink(weight: str) -> int:
        drawing = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="5" y="28" '
                   f'font-family="Inter" font-size="20"{weight}>首脳会合 Tokyo</text></svg>')
        with Image.open(io.BytesIO(svg_png(drawing))) as image:
            return sum(image.convert("RGBA").getchannel("A").point(lambda a: 1 if a > 128 else 0).getdata())

    assert ink("") < 0.85 * ink(' font-weight="bold"')
