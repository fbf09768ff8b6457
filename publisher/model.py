"""The frozen, format-neutral Report model: built once by the loader, read by every writer.

The classes in the first part *are* the content schema: each field of each YAML file is
declared here once, with `spec()` (its type, whether it is required, its rule and a one-line
description); `schema.convert` fills them from YAML and `schema.reference` documents them.
The second part holds what the loader derives: numbered chapters with their parsed Markdown,
figures, tables, references and the glossary. Nothing here is rendered: each writer renders
the parsed content in its own style (render.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from .archive import Release
from .changes import Changes
from .markdown import Document, Heading, Inline
from .limits import MAX_ID, MAX_NAME
from .preflight import RULE_NAMES
from .schema import KEY, SLUG, spec

# --- report.yaml -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Person:
    """An author, editor or contributor."""

    name: str = spec("The person's or team's name.", required=True, prose=True)
    role: str = spec("Their part in the report.", default="author", choices=("author", "editor", "contributor"))


@dataclass(frozen=True, kw_only=True)
class EditionRecord:
    """One edition of the report."""

    number: int = spec("Edition number, counting from 1.", required=True)
    date: str = spec("Date of the edition.", kind="date", required=True)
    note: str = spec("What changed in this edition, for readers.", kind="text", default="", prose=True)


@dataclass(frozen=True, kw_only=True)
class Edition(EditionRecord):
    """The current edition, and the earlier ones."""

    history: tuple[EditionRecord, ...] = spec("The earlier editions, newest first.", default=())


@dataclass(frozen=True, kw_only=True)
class Publisher:
    """Who publishes the report."""

    name: str = spec("The publisher's name.", required=True, prose=True)
    url: str = spec("The publisher's web site.", kind="url", default="")


@dataclass(frozen=True, kw_only=True)
class Rights:
    """Copyright and licence."""

    licence: str = spec("The licence, e.g. CC BY 4.0.", required=True)
    url: str = spec("Where the licence is published.", kind="url", default="")
    holder: str = spec("The copyright holder (default: the publisher).", default="")


@dataclass(frozen=True, kw_only=True)
class PrintSettings:
    """How the PDF editions are typeset and printed."""

    never_hyphenate: tuple[str, ...] = spec("Words never to break at a line end (besides names, which never are).",
                                            default=())
    hyphenation: tuple[str, ...] = spec(
        "Words with their break points marked by hyphens (Berdi-mu-ha-medov): they break only there, "
        "names included (TeX's \\hyphenation list).", default=(), pattern=r"^[^\W\d_](?:[^\W\d_]|-(?=[^\W\d_]))*$")
    paper: str = spec("The printed book's paper: its CMYK output profile (uncoated: PSO Uncoated ISO12647, FOGRA47; "
                      "coated: PSO Coated NPscreen ISO12647, FOGRA43) and, unless `caliper` or `ppi` says "
                      "otherwise, its thickness.", default="uncoated", choices=("uncoated", "coated"))
    caliper: float | None = spec("Thickness of one leaf (two pages) in millimetres, as the paper's data sheet gives "
                                 "it; the spine is pages ÷ 2 × caliper (default 0.1 mm: 80 g/m² uncoated offset; "
                                 "0.07 mm for coated).", default=None)
    ppi: int | None = spec("Pages per inch, as printers quote a paper's bulk (instead of `caliper`): the spine is "
                           "pages ÷ ppi inches.", default=None)


@dataclass(frozen=True, kw_only=True)
class Translation:
    """An edition of the report in another language: its own content folder, built on its own."""

    language: str = spec("Its language (BCP 47).", required=True, pattern=r"[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*")
    url: str = spec("Its detail page: the detail pages link each other (hreflang).", kind="url", required=True)


@dataclass(frozen=True, kw_only=True)
class Meta:
    """report.yaml: everything about the report that is not a chapter."""

    id: str = spec("Slug that names the output files.", required=True, pattern=SLUG, max_length=MAX_NAME)
    title: str = spec("Title of the report.", required=True, prose=True)
    subtitle: str = spec("Subtitle shown on the cover and title page.", default="", prose=True)
    standfirst: str = spec("One-paragraph summary of the report.", kind="text", required=True, prose=True)
    introduction: Document = spec("The document introduction.", required=True)
    category: str = spec("Category, shown as the breadcrumb 'Files / <category>'.", required=True)
    kind: str = spec("What the document is, shown above the title on the cover (Analytical report, Policy brief …).",
                     default="Report", prose=True)
    url: str = spec("The report's public page (its detail page), an absolute https URL: the suggested citation gives "
                    "it, and the page's metadata (Open Graph, JSON-LD) is made absolute with it.", kind="url",
                    default="")
    language: str = spec("BCP 47 language tag.", required=True, pattern=r"[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*")
    published: str = spec("Publication date.", kind="date", required=True)
    edition: Edition = spec("The current edition and the earlier ones.", required=True)
    publisher: Publisher = spec("The publisher.", required=True)
    authors: tuple[Person, ...] = spec("Authors, editors and contributors, in order.", required=True, min_items=1)
    keywords: tuple[str, ...] = spec("Keywords for metadata.", default=())
    rights: Rights = spec("Copyright and licence.", required=True)
    identifier: str = spec("A stable URN; derived from the id when absent.", default="",
                           pattern=r"urn:[a-z0-9][a-z0-9-]{0,31}:\S+")
    isbn: str = spec("ISBN-13 of the printed book (hyphens allowed; the check digit is checked): the imprint and the "
                     "detail page give it, and the cover wrap's back carries it as an EAN-13 barcode.", kind="isbn",
                     default="")
    print: PrintSettings = spec("How the PDF editions are typeset and printed.", default=PrintSettings())
    translations: tuple[Translation, ...] = spec(
        "The report in other languages (each its own content folder; docs/languages.md): the detail page links "
        "them.", default=())
    front: tuple[str, ...] = spec("Front-matter Markdown files, in order.", default=())
    chapters: tuple[str, ...] = spec("Chapter Markdown files, in order.", required=True, min_items=1)

    @property
    def urn(self) -> str:
        """The identifier, or one derived from the id (stable across builds and editions)."""
        return self.identifier or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'report:' + self.id)}"

    @property
    def holder(self) -> str:
        """The copyright holder: the rights' holder, else the publisher."""
        return self.rights.holder or self.publisher.name


# --- chapter front matter, figure and table blocks ---------------------------------------------

CHART_KINDS = ("bar", "grouped-bar", "stacked-bar", "line", "timeline", "map")  # drawn from a data file


@dataclass(frozen=True, kw_only=True)
class Allowed:
    """A layout preflight finding the author accepts on purpose (see docs/preflight.md)."""

    rule: str = spec("The preflight rule.", required=True, choices=RULE_NAMES)
    line: int = spec("The line of this file the finding names (0 or absent: anywhere in the file).", default=0)
    reason: str = spec("Why it is accepted; the preflight prints it.", kind="text", required=True)


@dataclass(frozen=True, kw_only=True)
class TranslatedFrom:
    """The chapter a translated chapter was translated from, as it was then."""

    file: str = spec("The source chapter, a path inside the source report's content folder.", required=True)
    sha256: str = spec("The SHA-256 of the source chapter's file when it was translated: `check --source` reports "
                       "the translation out of date when the source has changed since.", required=True,
                       pattern=r"[0-9a-f]{64}")


@dataclass(frozen=True, kw_only=True)
class ChapterMeta:
    """The YAML front matter of a chapter or front-matter file."""

    title: str = spec("Chapter title.", required=True, prose=True)
    short_title: str = spec("Shorter title for running heads.", default="", prose=True)
    summary: str = spec("One sentence under the chapter title.", kind="text", default="", prose=True)
    key_points: tuple[Inline, ...] = spec("Key points shown at the chapter head.", default=())
    translated_from: TranslatedFrom | None = spec("In a translation: the chapter it was translated from.",
                                                  default=None)
    preflight: tuple[Allowed, ...] = spec("Layout preflight findings accepted on purpose, each with its reason.",
                                          default=())


@dataclass(frozen=True, kw_only=True)
class FigureSpec:
    """A `figure` block: a chart drawn from data, or an image."""

    id: str = spec("The figure's id, for @fig: references.", required=True, pattern=f"fig:{KEY}",
                   max_length=MAX_ID)
    kind: str = spec("What the figure is: a chart drawn from its data file (bar, grouped-bar, stacked-bar, line, "
                     "timeline, map), a chart of the author's own Vega-Lite specification (vega-lite), or an image.",
                     required=True, choices=(*CHART_KINDS, "vega-lite", "image"))
    caption: Inline = spec("The caption, after 'Figure N.'.", required=True)
    alt: str = spec("A text alternative that says what the figure shows.", kind="text", required=True, prose=True)
    data: str = spec("The data file, a path inside the content folder (for vega-lite: optional, its rows replace "
                     "the specification's data).", default="", required_when=("kind", CHART_KINDS))
    src: str = spec("The image file (PNG, JPEG or SVG), a path inside the content folder.", default="",
                    required_when=("kind", ("image",)))
    unit: str = spec("The unit of a bar chart's values (a line chart's value axis title).", default="", prose=True)
    boundaries: str = spec("A map's country boundaries: a TopoJSON file inside the content folder whose object "
                           "`countries` holds a geometry per country with its `name`.", default="",
                           required_when=("kind", ("map",)))
    highlight: tuple[str, ...] = spec("The countries a map fills in colour, by their `name` in the boundaries.",
                                      default=())
    vegalite: str = spec("A Vega-Lite specification (JSON) inside the content folder, for kind vega-lite: drawn with "
                         "the house theme at each output's size; it may not load anything.", default="",
                         required_when=("kind", ("vega-lite",)))
    source: Inline | None = spec("The source line under the caption.", default=None)


@dataclass(frozen=True, kw_only=True)
class Column:
    """A column of a `table` block."""

    key: str = spec("The key of the rows' values shown in this column.", required=True)
    label: str = spec("The column heading.", required=True, prose=True)
    width: str = spec("The column's share of the table width.", default="", pattern=r"\d{1,2}%")


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    """A `table` block: a numbered table from a data file or inline rows."""

    id: str = spec("The table's id, for @tbl: references.", required=True, pattern=f"tbl:{KEY}",
                   max_length=MAX_ID)
    caption: Inline = spec("The caption, after 'Table N.'.", required=True)
    columns: tuple[Column, ...] = spec("The columns, in order.", required=True, min_items=1)
    data: str = spec("A data file with the rows, a path inside the content folder.", default="")
    rows: Any = spec("The rows, inline, when there is no data file.", default=None)  # checked by the loader
    source: Inline | None = spec("The source line under the table.", default=None)


# --- references.yaml, glossary.yaml ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReferenceEntry:
    """An entry of references.yaml."""

    key: str = spec("Citation key, for [@key].", required=True, pattern=KEY, max_length=MAX_NAME)
    type: str = spec("What kind of source it is.", required=True,
                     choices=("webpage", "report", "article", "document", "news", "book", "statement", "dataset"))
    title: str = spec("The source's title.", required=True, prose=True)
    author: str = spec("Author (a person or an organisation).", default="", prose=True)
    publisher: str = spec("Publisher or site.", default="", prose=True)
    date: str = spec("Date of the source; leave it out when the source gives none (n.d.).", kind="partial-date",
                     default="")
    url: str = spec("Where the source is published.", kind="url", default="")
    accessed: str = spec("When the URL was read.", kind="partial-date", default="")
    language: str = spec("The source's language, if not the report's (BCP 47).", default="")
    note: str = spec("A note for readers.", kind="text", default="", prose=True)


@dataclass(frozen=True, kw_only=True)
class Term:
    """An entry of glossary.yaml."""

    abbr: str = spec("The abbreviation; also the key for @gls:.", required=True, pattern=KEY, max_length=MAX_NAME)
    expansion: str = spec("What it stands for.", required=True, prose=True)
    definition: str = spec("A short definition.", kind="text", default="", prose=True)



@dataclass(frozen=True, kw_only=True)
class TimelineRow:
    """A row of a timeline chart's data file: one event."""

    date: str = spec("When it happened.", kind="partial-date", required=True)
    event: str = spec("What happened.", kind="text", default="", prose=True)
    level: str = spec("The lane it is drawn on (summit, ministerial, …).", required=True)
    place: str = spec("Where it happened.", default="")
    label: str = spec("A short label drawn beside the mark.", default="", prose=True)
    sources: str = spec("The sources of the row, as citations [@key].", kind="text", default="")


@dataclass(frozen=True, kw_only=True)
class BarRow:
    """A row of a bar chart's data file: one bar."""

    label: str = spec("What the bar stands for.", required=True, prose=True)
    value: float = spec("Its length, a number.", required=True)
    sources: str = spec("The sources of the value, as citations [@key].", kind="text", default="")


@dataclass(frozen=True, kw_only=True)
class SeriesRow:
    """A row of a grouped or stacked bar chart's data file: one bar (or one part of a bar)."""

    label: str = spec("The group the bar belongs to (a row of the chart).", required=True, prose=True)
    series: str = spec("The series it belongs to (its colour, named in the legend).", required=True, prose=True)
    value: float = spec("Its length, a number.", required=True)
    sources: str = spec("The sources of the value, as citations [@key].", kind="text", default="")


@dataclass(frozen=True, kw_only=True)
class PointRow:
    """A row of a line chart's data file: one value at one date."""

    date: str = spec("When the value was measured.", kind="partial-date", required=True)
    value: float = spec("The value, a number.", required=True)
    series: str = spec("The line it belongs to (named in the legend when there are several).", default="",
                       prose=True)
    sources: str = spec("The sources of the value, as citations [@key].", kind="text", default="")


@dataclass(frozen=True, kw_only=True)
class PlaceRow:
    """A row of a map's data file: a place marked and named, or a point a route passes."""

    name: str = spec("The place's name, drawn beside its mark (empty for a waypoint).", default="", prose=True)
    lon: float = spec("Longitude in degrees east (−180 to 180).", kind="signed", required=True)
    lat: float = spec("Latitude in degrees north (−90 to 90).", kind="signed", required=True)
    kind: str = spec("What the place is: capital, city, port, or waypoint (a point of a route, not marked).",
                     default="city", choices=("capital", "city", "port", "waypoint"))
    label_at: str = spec("Where its name stands: right, left, above or below its mark.", default="right",
                         choices=("right", "left", "above", "below"))
    route: str = spec("The route it lies on, as the map's key names it: the places of a route are joined in the "
                      "file's order.", default="", prose=True)
    arrow: bool = spec("An arrowhead here, ending a stretch of the route (its next place starts another).",
                       default=False)
    sources: str = spec("The sources of the place or route, as citations [@key].", kind="text", default="")


CHART_ROWS = {"timeline": TimelineRow, "bar": BarRow, "grouped-bar": SeriesRow, "stacked-bar": SeriesRow,
              "line": PointRow, "map": PlaceRow}


# The YAML documents the content format consists of, for the field reference.
DOCUMENTS = [("report.yaml", Meta), ("Chapter front matter", ChapterMeta), ("`figure` blocks", FigureSpec),
             ("Rows of a timeline's data file", TimelineRow), ("Rows of a bar chart's data file", BarRow),
             ("Rows of a grouped or stacked bar chart's data file", SeriesRow),
             ("Rows of a line chart's data file", PointRow), ("Rows of a map's data file", PlaceRow),
             ("`table` blocks", TableSpec), ("references.yaml (each entry)", ReferenceEntry),
             ("glossary.yaml (each entry)", Term)]

# --- derived by the loader --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A numbered figure: its block, its data rows (charts) or image file (images)."""

    id: str  # its anchor
    number: int
    spec: FigureSpec
    chapter: str  # the slug of the chapter that holds it
    caption: str  # as plain text, for lists of figures and bookmarks
    rows: tuple[Any, ...] = ()  # the rows of its data file (model.CHART_ROWS)
    asset: str = ""  # the image's path inside the content folder (an Asset's name)
    caption_html: str = ""  # as HTML phrasing content (markdown.phrasing), for lists of figures
    shapes: str = ""  # a map's boundaries, TopoJSON as checked at load
    vegalite: str = ""  # a vega-lite figure's specification as JSON, its data file's rows in it
    language: str = "en"  # the report's (BCP 47): how its chart writes numbers and the publisher's words

    @property
    def alt(self) -> str:
        return self.spec.alt


@dataclass(frozen=True)
class Table:
    """A numbered table: its block and rows, each cell parsed Markdown (or None)."""

    id: str  # its anchor
    number: int
    spec: TableSpec
    chapter: str
    caption: str  # as plain text, for lists of tables
    rows: tuple[tuple[Inline | None, ...], ...] = ()
    caption_html: str = ""  # as HTML phrasing content (markdown.phrasing), for lists of tables


@dataclass(frozen=True)
class Chapter:
    """A chapter (numbered) or a front-matter section (number None), parsed and numbered."""

    slug: str
    number: int | None
    head: ChapterMeta
    body: Document
    figures: tuple[Figure, ...]
    tables: tuple[Table, ...]
    word_count: int
    source_path: str = field(compare=False, repr=False, default="")

    @property
    def title(self) -> str:
        return self.head.title

    @property
    def short_title(self) -> str:
        return self.head.short_title or self.head.title

    @property
    def summary(self) -> str:
        return self.head.summary

    @property
    def anchor(self) -> str:
        return f"ch-{self.slug}"

    @property
    def headings(self) -> tuple[Heading, ...]:
        return self.body.headings

    @property
    def sections(self) -> tuple[Heading, ...]:
        """The level-two headings: the chapter's sections in contents lists."""
        return tuple(h for h in self.body.headings if h.level == 2)

    @property
    def label(self) -> str:
        return f"Chapter {self.number}" if self.number else self.title


@dataclass(frozen=True)
class Reference:
    """A bibliography entry, numbered in order of first citation."""

    number: int
    entry: ReferenceEntry

    @property
    def key(self) -> str:
        return self.entry.key


@dataclass(frozen=True)
class Asset:
    """A file the outputs carry (an image a figure uses), checked at load."""

    name: str
    data: bytes
    media_type: str


@dataclass(frozen=True)
class Report:
    """The whole report, validated, numbered and parsed; format-neutral."""

    meta: Meta
    front: tuple[Chapter, ...]
    chapters: tuple[Chapter, ...]
    references: tuple[Reference, ...]
    glossary: tuple[Term, ...]
    assets: tuple[Asset, ...]
    sources: tuple[tuple[str, str], ...] = ()  # content files read: (path in the folder, SHA-256)
    # The YAML and Markdown files read, in the order read: (shown path, text); where a character is.
    texts: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    # Filled from the editions archive after loading (pipeline.with_editions).
    releases: tuple[Release, ...] = ()
    changes: Changes | None = None

    @property
    def documents(self) -> tuple[Chapter, ...]:
        return self.front + self.chapters

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(f for c in self.documents for f in c.figures)

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(t for c in self.documents for t in c.tables)

    @property
    def word_count(self) -> int:
        return sum(c.word_count for c in self.documents)
