"""Read and validate a content folder into a frozen, format-neutral Report, before anything is
written: every file is read once, every field checked against the schema (model.py), every
Markdown text parsed and checked, and every chapter, section, figure, table and citation
numbered. Nothing is rendered here: each writer renders the parsed report in its own style.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import ContentError, Problem, display_path
from .files import UnsafeFile, read_regular, resolved
from .image import ImageError, check_image
from .formats import RESERVED_SLUGS
from .limits import (
    MAX_CHAPTER_FILE, MAX_CHART_JSON, MAX_CHART_ROWS, MAX_CHART_SERIES, MAX_DOCUMENTS, MAX_ELEMENTS, MAX_IMAGE_FILE,
    MAX_MAP_POINTS, MAX_NAME, MAX_PATH_DEPTH,
    MAX_REPORT_ELEMENTS, MAX_REPORT_IMAGES, MAX_REPORT_TEXT, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, MAX_TIMELINE_LEVELS,
    MAX_YAML_FILE,
)
from .markdown import (
    BlockSite, Document, Inline, Ref, count_elements, find_refs, freeze_rows, html_id, make_parser, number_notes,
    parse_document, parse_inline, phrasing, plain,
)
from .model import (
    CHART_ROWS, Asset, Chapter, ChapterMeta, Figure, FigureSpec, Meta, Reference, ReferenceEntry, Report, Table,
    TableSpec, Term, TimelineRow, PlaceRow, PointRow, SeriesRow,
)
from .language import Language, cross_label, language
from .schema import Hooks, convert, quoted
from .typography import QUOTES, curl
from .yamlfile import SURROGATE, Node, Seq, decode_text, parse_yaml

log = logging.getLogger(__name__)

MAX_YAML = MAX_YAML_FILE  # bytes: a report.yaml or data file larger than this is a mistake
MAX_CHAPTER = MAX_CHAPTER_FILE
MAX_IMAGE = MAX_IMAGE_FILE
_UNREADABLE = object()  # a data file whose problems are already reported
CHAPTER_NAME = re.compile(r"(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md")


@dataclass
class _Block:
    """A figure or table block as read, before it is numbered."""

    site: BlockSite
    spec: FigureSpec | TableSpec
    rows: tuple[Any, ...] = ()  # a chart's rows, or a table's cells
    asset: str = ""  # an image figure's file
    hidden: tuple[Inline, ...] = ()  # a table's values in no column: checked, never shown
    shapes: str = ""  # a map's boundaries (TopoJSON)
    vegalite: str = ""  # a vega-lite figure's specification (JSON)


@dataclass
class _Doc:
    """A chapter or front section while the report is being read."""

    shown: str
    slug: str
    number: int | None
    head: ChapterMeta
    body: Document
    blocks: list[_Block] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)  # made in key points, captions, sources and cells


class Loader:
    """Collects every problem of a content folder, then builds the Report."""

    def __init__(self, content: Path, strict: bool = False) -> None:
        self.root = content.resolve()
        self.strict = strict
        self.problems: list[Problem] = []
        self.md = make_parser()
        self.hooks = Hooks(markdown=self._markdown, prose=lambda text: curl(text, self.language))
        self.language = "en"  # the report's, once report.yaml is read: quotes follow it
        self.assets: dict[str, Asset] = {}
        self.data_cache: dict[str, Any] = {}
        # Every content file this report reads, with its SHA-256 ("absent" for an optional file
        # that is not there): the up-to-date check hashes these and nothing else.
        self.sources: dict[str, str] = {}
        # What the report-wide limits count: bytes of YAML and Markdown read, bytes of images,
        # elements (Markdown, table cells, chart rows).
        self.texts: dict[str, str] = {}  # every YAML and Markdown file read, by its shown path: where a
        #                                   character is (the glyph guard names its file and line)
        self.text_bytes = 0
        self.image_bytes = 0
        self.elements = 0

    # --- reading ---------------------------------------------------------------------------
    def shown(self, path: Path) -> str:
        return display_path(path, self.root.parent)

    def inside(self, relative: Any, where: str, line: int, name: str) -> Path | None:
        """Resolve a path from the content; refuse URLs, anything outside the folder (also by a
        symbolic link) and anything that is not a regular file."""
        text = str(relative)
        if re.match(r"[a-z][a-z0-9+.-]*:", text, re.I):
            self.problems.append(Problem(where, line, name, f"{quoted(text)} is a URL: content may only use files "
                                                            "inside the content folder"))
            return None
        try:
            path = resolved(self.root / text)
        except UnsafeFile as exc:
            self.problems.append(Problem(where, line, name, f"{quoted(text)} {exc}"))
            return None
        if not path.is_relative_to(self.root):
            self.problems.append(Problem(where, line, name, f"{quoted(text)} points outside the content folder"))
            return None
        if SURROGATE.search(str(path.relative_to(self.root))):  # a link to a name that is not UTF-8
            self.problems.append(Problem(where, line, name, f"{quoted(text)} leads to a file whose name is not "
                                                            "UTF-8 text"))
            return None
        if len(path.relative_to(self.root).parts) > MAX_PATH_DEPTH + 1:
            self.problems.append(Problem(where, line, name, f"{quoted(text)} is more than {MAX_PATH_DEPTH} folders "
                                                            "deep in the content folder"))
            return None
        try:
            exists, regular = path.exists(), path.is_file()
        except OSError as exc:
            self.problems.append(Problem(where, line, name, f"{quoted(text)} cannot be read ({exc.strerror})"))
            return None
        if not exists:
            self.problems.append(Problem(where, line, name, f"file {quoted(text)} does not exist"))
            return None
        if not regular:
            self.problems.append(Problem(where, line, name, f"{quoted(text)} is not a regular file"))
            return None
        return path

    def read(self, path: Path, limit: int) -> bytes | None:
        """The bytes of a content file (a resolved path inside the folder), recorded in `sources`."""
        try:
            data = read_regular(path, limit)
        except UnsafeFile as exc:
            self.problems.append(Problem(self.shown(path), 0, "", f"file {exc}"))
            return None
        self.sources[path.relative_to(self.root).as_posix()] = hashlib.sha256(data).hexdigest()
        return data

    def text(self, path: Path, limit: int) -> str | None:
        """A YAML or Markdown file as text; None (with a problem) if it cannot be read, is not
        UTF-8 or would take the report's files over MAX_REPORT_TEXT bytes together."""
        data = self.read(path, limit)
        if data is None:
            return None
        self.text_bytes += len(data)
        if self.text_bytes > MAX_REPORT_TEXT:
            self.problems.append(Problem(self.shown(path), 0, "", f"with this file the report's YAML and Markdown "
                                                                  f"files hold more than {MAX_REPORT_TEXT} bytes"))
            return None
        text, problems = decode_text(data, self.shown(path))
        self.problems += problems
        if text is not None:
            self.texts[self.shown(path)] = text
        return text

    def yaml_file(self, path: Path, required: bool = True) -> Any:
        """A top-level YAML file (report.yaml, references.yaml, glossary.yaml) or a data file."""
        shown = self.shown(path)
        if not path.exists() and not path.is_symlink():
            if required:
                self.problems.append(Problem(shown, 0, "", "file is missing"))
            else:
                self.sources[path.relative_to(self.root).as_posix()] = "absent"
            return None
        resolved = self.inside(path.relative_to(self.root).as_posix(), shown, 0, "")
        if resolved is None:
            return None
        text = self.text(resolved, MAX_YAML)
        if text is None:
            return None
        data, problems = parse_yaml(text, shown)
        self.problems += problems
        return data

    def convert(self, cls: type[Any], data: Any, shown: str, prefix: str = "") -> Any:
        value, problems = convert(cls, data, shown, self.strict, prefix, self.hooks)
        self.problems += problems
        return value

    def _markdown(self, text: str, path: str, line: int, name: str, block: bool) -> tuple[Any, list[Problem]]:
        """The schema's hook for Markdown fields: parsed and checked like a chapter body."""
        if not block:
            return self.inline(text, path, line, name)
        document, problems = parse_document(self.md, text, path, line, "introduction", sections=False)
        document, found = number_notes(document, document.calls, path, strict=self.strict)
        problems += found
        self.count(document.elements, path, line)
        return document, [Problem(p.path, p.line, name, p.message, p.severity) if p.field == "body" else p
                          for p in problems]

    def inline(self, text: str, path: str, line: int, name: str) -> tuple[Inline, list[Problem]]:
        """Inline Markdown of a YAML field or a table cell, parsed, checked and counted."""
        parsed, problems = parse_inline(self.md, text, path, line, name)
        self.count(count_elements(parsed.tokens) + 1, path, line)
        return parsed, problems

    def count(self, elements: int, path: str, line: int) -> None:
        """Count Markdown elements towards MAX_REPORT_ELEMENTS; the first text that goes over is
        reported (each element is laid out by the PDF renderer, so they bound its time). A
        document over its own limit (MAX_ELEMENTS, already reported) does not count."""
        if elements > MAX_ELEMENTS:
            return
        before, self.elements = self.elements, self.elements + elements
        if before <= MAX_REPORT_ELEMENTS < self.elements:
            self.problems.append(Problem(path, line, "", f"with this text the report has more than "
                                                         f"{MAX_REPORT_ELEMENTS} elements (paragraphs, emphasis, "
                                                         "citations, table cells …)"))

    def seq(self, data: Any, shown: str, what: str) -> Seq:
        if data is None:
            return Seq()
        if not isinstance(data, Seq):
            self.problems.append(Problem(shown, getattr(data, "line", 1), "", f"expected a list of {what}"))
            return Seq()
        return data

    # --- documents ---------------------------------------------------------------------------
    def read_doc(self, relative: str, line: int, number: int | None) -> _Doc | None:
        report = self.shown(self.root / "report.yaml")
        path = self.inside(relative, report, line, "chapters" if number else "front")
        if path is None:
            return None
        shown = self.shown(path)
        name = CHAPTER_NAME.fullmatch(path.name)
        if number is not None and not name:
            self.problems.append(Problem(report, line, "chapters",
                                         f"chapter file {quoted(path.name)} must be named NN-slug.md"))
            return None
        slug = name.group(2) if name else re.sub(r"[^a-z0-9-]", "-", path.stem.lower())
        if len(slug) > MAX_NAME:  # the slug names the chapter's files in the EPUB and the web edition
            self.problems.append(Problem(report, line, "chapters" if number else "front",
                                         f"{quoted(path.name)}: the name is {len(slug)} characters long without "
                                         f"its number (at most {MAX_NAME})"))
            return None
        if slug in RESERVED_SLUGS:
            self.problems.append(Problem(report, line, "chapters" if number else "front",
                                         f"{path.name!r}: the name {slug!r} is the publisher's own (the report's "
                                         f"{slug}); rename the file"))
            return None
        text = self.text(path, MAX_CHAPTER)
        if text is None:
            return None
        match = re.match(r"---[ \t]*\n(.*?\n)?---[ \t]*\n", text, re.S)
        if not match:
            self.problems.append(Problem(shown, 1, "", "missing YAML front matter (--- … ---)"))
            return None
        data, problems = parse_yaml(match.group(1) or "", shown, first_line=2)
        self.problems += problems
        if data is None:
            if not problems:
                self.problems.append(Problem(shown, 2, "title", "required field is missing"))
            return None
        head = self.convert(ChapterMeta, data, shown)
        if head is None:
            return None
        offset = text.count("\n", 0, match.end())
        body, problems = parse_document(self.md, text[match.end():], shown, offset, slug, number)
        self.problems += problems
        self.count(body.elements, shown, offset + 1)
        if body.words == 0 and not body.sites and not problems:
            self.problems.append(Problem(shown, offset + 1, "body", "the chapter has no text"))
        doc = _Doc(shown, slug, number, head, body)
        doc.refs += [ref for point in head.key_points for ref in point.refs]
        for site in body.sites:
            self.read_block(doc, site)
        doc.body, problems = number_notes(body, self.note_calls(doc), shown,
                                          [note for text in self.fields(doc) for note in text.notes], self.strict)
        self.problems += problems
        return doc

    def fields(self, doc: _Doc) -> list[Inline]:
        """Every inline Markdown field of a chapter (key points, captions, sources, table cells)."""
        texts = list(doc.head.key_points)
        for block in doc.blocks:
            texts += [t for t in (block.spec.caption, block.spec.source) if isinstance(t, Inline)]
            texts += [cell for row in block.rows if isinstance(row, tuple) for cell in row if isinstance(cell, Inline)]
        return texts + [cell for block in doc.blocks for cell in block.hidden]

    @staticmethod
    def note_calls(doc: _Doc) -> list[Ref]:
        """A chapter's note calls in reading order: its key points, then its text, each figure and
        table block where it stands (caption, cells row by row, source line: the order the
        renderer prints them in); then the calls in cells that are not shown (checked, never
        numbered first)."""
        placed: list[tuple[int, int, Ref]] = [(call.line, i, call) for i, call in enumerate(doc.body.calls)]
        for block in doc.blocks:
            texts = [block.spec.caption]
            texts += [cell for row in block.rows if isinstance(row, tuple) for cell in row]
            texts.append(block.spec.source)
            calls = [call for text in texts if isinstance(text, Inline) for call in text.calls]
            placed += [(block.site.line, len(placed) + i, call) for i, call in enumerate(calls)]
        hidden = [call for block in doc.blocks for cell in block.hidden for call in cell.calls]
        return ([call for point in doc.head.key_points for call in point.calls]
                + [call for _, _, call in sorted(placed, key=lambda item: item[:2])] + hidden)

    def read_block(self, doc: _Doc, site: BlockSite) -> None:
        data, problems = parse_yaml(site.spec, doc.shown, first_line=site.line + 1)
        self.problems += problems
        if data is None:
            if not problems:
                self.problems.append(Problem(doc.shown, site.line, site.kind, "empty block"))
            return
        cls = FigureSpec if site.kind == "figure" else TableSpec
        spec = self.convert(cls, data, doc.shown, f"{site.kind}.")
        if spec is None:
            return
        doc.refs += [ref for text in (spec.caption, spec.source) if text for ref in text.refs]
        if isinstance(spec, FigureSpec):
            self.read_figure(doc, site, spec, data)
        else:
            self.read_table(doc, site, spec, data)

    def read_figure(self, doc: _Doc, site: BlockSite, spec: FigureSpec, data: Node) -> None:
        if spec.kind == "image":
            asset = self.read_image(doc, spec, data)
            if asset is not None:
                doc.blocks.append(_Block(site, spec, asset=asset))
            return
        if spec.kind == "vega-lite":
            self.read_vegalite(doc, site, spec, data)
            return
        found = self.rows(doc, spec.data, data, "figure.data")
        if found is None:
            return
        rows, shown = found
        if len(rows) > MAX_CHART_ROWS:  # a bar chart grows by 30 px a row: Cairo refuses an image over 32,767 px
            self.problems.append(Problem(doc.shown, site.line, "figure", f"the chart's data has {len(rows)} rows "
                                                                         f"(at most {MAX_CHART_ROWS})"))
            return
        converted = []
        for i, row in enumerate(rows, 1):  # every bad row is reported, with its line in the data file
            value, problems = convert(CHART_ROWS[spec.kind], row, shown, self.strict, f"row {i}: ", self.hooks)
            self.problems += problems
            converted.append(value)
            for key, text in row.items():  # a chart's data is drawn as text; its citations back the figure
                if isinstance(text, str):
                    doc.refs += find_refs(text, shown, row.line_of(str(key)))
            if isinstance(value, PlaceRow) and not (-180 <= value.lon <= 180 and -90 <= value.lat <= 90):
                self.problems.append(Problem(shown, row.line, f"row {i}", f"{value.lon}, {value.lat} is not a "
                                             "position on Earth (longitude −180 to 180, latitude −90 to 90)"))
                converted[-1] = None
        if not all(converted):
            return
        self.count(3 * len(converted), doc.shown, site.line)  # a mark and its labels
        levels = {row.level for row in converted if isinstance(row, TimelineRow)}
        if len(levels) > MAX_TIMELINE_LEVELS:  # a lane each: the chart grows by 34 px a level
            self.problems.append(Problem(doc.shown, site.line, "figure", f"the timeline has {len(levels)} levels "
                                                                         f"(at most {MAX_TIMELINE_LEVELS})"))
            return
        series = {row.series for row in converted if isinstance(row, (SeriesRow, PointRow))}
        if len(series) > MAX_CHART_SERIES:  # a colour each, and only so many stay apart in greyscale
            self.problems.append(Problem(doc.shown, site.line, "figure", f"the chart has {len(series)} series "
                                                                         f"(at most {MAX_CHART_SERIES})"))
            return
        shapes = ""
        if spec.kind == "map":
            shapes = self.read_boundaries(doc, spec, data)
            if not shapes:
                return
        doc.blocks.append(_Block(site, spec, tuple(converted), shapes=shapes))

    def json_file(self, doc: _Doc, relative: str, data: Node, key: str) -> Any:
        """A JSON file the figure names (boundaries, a specification), parsed; None with a problem."""
        line = data.line_of(key)
        path = self.inside(relative, doc.shown, line, f"figure.{key}")
        if path is None:
            return None
        raw = self.read(path, MAX_CHART_JSON)
        if raw is None:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            self.problems.append(Problem(doc.shown, line, f"figure.{key}", f"{relative}: not JSON ({exc})"))
            return None
        except RecursionError:
            self.problems.append(Problem(doc.shown, line, f"figure.{key}", f"{relative}: nested too deeply"))
            return None

    def read_boundaries(self, doc: _Doc, spec: FigureSpec, data: Node) -> str:
        """A map's boundaries as TopoJSON text: a Topology whose object `countries` is a
        GeometryCollection of named polygons, with at most MAX_MAP_POINTS positions."""
        topo = self.json_file(doc, spec.boundaries, data, "boundaries")
        if topo is None:
            return ""
        problem = topology_problem(topo)
        if problem is None:
            names = {g.get("properties", {}).get("name") for g in topo["objects"]["countries"]["geometries"]}
            missing = [n for n in spec.highlight if n not in names]
            if missing:
                problem = f"no country named {quoted(missing[0])} (highlight)"
        if problem:
            self.problems.append(Problem(doc.shown, data.line_of("boundaries"), "figure.boundaries",
                                         f"{spec.boundaries}: {problem}"))
            return ""
        return json.dumps(topo, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def read_vegalite(self, doc: _Doc, site: BlockSite, spec: FigureSpec, data: Node) -> None:
        """An author's Vega-Lite specification: a JSON object that loads nothing (no `url`, no
        generated data), with the rows of the figure's data file (scalar values) as its data."""
        body = self.json_file(doc, spec.vegalite, data, "vegalite")
        if body is None:
            return
        problem = vegalite_problem(body)
        rows: list[dict[str, Any]] = []
        if problem is None and spec.data:
            found = self.rows(doc, spec.data, data, "figure.data")
            if found is None:
                return
            if len(found[0]) > MAX_CHART_ROWS:
                problem = f"the data has {len(found[0])} rows (at most {MAX_CHART_ROWS})"
            for row in found[0]:
                plain_row = {str(k): v for k, v in row.items()}
                if not all(isinstance(v, (str, int, float, bool)) or v is None for v in plain_row.values()):
                    problem = "data rows may hold only text, numbers and booleans"
                for key, text in plain_row.items():
                    if isinstance(text, str):
                        doc.refs += find_refs(text, found[1], row.line_of(key))
                rows.append(plain_row)
            body["data"] = {"values": rows}
        if problem:
            self.problems.append(Problem(doc.shown, data.line_of("vegalite"), "figure.vegalite",
                                         f"{spec.vegalite}: {problem}"))
            return
        self.count(3 * len(rows), doc.shown, site.line)
        text = json.dumps(body, sort_keys=True, ensure_ascii=False)
        doc.blocks.append(_Block(site, spec, vegalite=text))

    def read_image(self, doc: _Doc, spec: FigureSpec, data: Node) -> str | None:
        path = self.inside(spec.src, doc.shown, data.line_of("src"), "figure.src")
        if path is None:
            return None
        rel = path.relative_to(self.root).as_posix()
        if rel not in self.assets:
            raw = self.read(path, MAX_IMAGE)
            if raw is None:
                return None
            self.image_bytes += len(raw)
            if self.image_bytes > MAX_REPORT_IMAGES:
                self.problems.append(Problem(doc.shown, data.line_of("src"), "figure.src",
                                             f"with {spec.src} the report's images hold more than "
                                             f"{MAX_REPORT_IMAGES} bytes"))
                return None
            try:
                media = check_image(raw, path.name)
            except ImageError as exc:
                self.problems.append(Problem(doc.shown, data.line_of("src"), "figure.src", f"{spec.src}: {exc}"))
                return None
            self.assets[rel] = Asset(rel, raw, media)
        return rel

    def read_table(self, doc: _Doc, site: BlockSite, spec: TableSpec, data: Node) -> None:
        if spec.rows is not None and spec.data:
            self.problems.append(Problem(doc.shown, data.line_of("rows"), "table.rows",
                                         "give the rows either inline or in a data file, not both"))
            return
        if spec.rows is not None:
            rows, shown = list(spec.rows), doc.shown
            if not rows:
                self.problems.append(Problem(doc.shown, data.line_of("rows"), "table.rows",
                                             "data must be a non-empty list of mappings"))
                return
        else:
            found = self.rows(doc, spec.data, data, "table.data", inline_allowed=True)
            if found is None:
                return
            rows, shown = found
        if not self.table_size(doc, site, spec, rows):
            return
        if spec.rows is not None:  # the model is frozen: keep no live YAML nodes in it
            spec = dataclasses.replace(spec, rows=freeze_rows(spec.rows))
        cells = []
        hidden: list[Inline] = []
        for i, row in enumerate(rows, 1):
            parsed: dict[str, Inline] = {}
            for key, value in row.items():  # every value is inline Markdown, shown or not
                if value is not None:
                    text, problems = self.inline(cell_text(value), shown, row.line_of(str(key)), f"row {i}: {key}")
                    self.problems += problems
                    doc.refs += text.refs
                    parsed[str(key)] = text
            cells.append(tuple(parsed.get(c.key) for c in spec.columns))
            shown = {c.key for c in spec.columns}
            hidden += [text for key, text in parsed.items() if key not in shown]
        doc.blocks.append(_Block(site, spec, tuple(cells), hidden=tuple(hidden)))

    def table_size(self, doc: _Doc, site: BlockSite, spec: TableSpec, rows: list[Node]) -> bool:
        """Whether a table block has at most MAX_TABLE_ROWS rows and MAX_TABLE_COLUMNS columns (each
        cell costs the PDF renderer about a millisecond); if not, a problem at the block's line."""
        if len(rows) > MAX_TABLE_ROWS:
            self.problems.append(Problem(doc.shown, site.line, "table", f"the table has {len(rows)} rows "
                                                                        f"(at most {MAX_TABLE_ROWS})"))
            return False
        if len(spec.columns) > MAX_TABLE_COLUMNS:
            self.problems.append(Problem(doc.shown, site.line, "table", f"the table has {len(spec.columns)} columns "
                                                                        f"(at most {MAX_TABLE_COLUMNS})"))
            return False
        return True

    def rows(self, doc: _Doc, relative: str, data: Node, name: str,
             inline_allowed: bool = False) -> tuple[list[Node], str] | None:
        """The rows of a data file, and its shown path (for messages)."""
        if not relative:
            self.problems.append(Problem(doc.shown, data.line, name,
                                         "needs a data file" + (" or inline rows" if inline_allowed else "")))
            return None
        path = self.inside(relative, doc.shown, data.line_of("data"), name)
        if path is None:
            return None
        key = str(path)
        if key not in self.data_cache:
            before = len(self.problems)
            self.data_cache[key] = self.yaml_file(path)
            if len(self.problems) > before and self.data_cache[key] is None:
                self.data_cache[key] = _UNREADABLE
        rows = self.data_cache[key]
        if rows is _UNREADABLE:  # already reported
            return None
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            self.problems.append(Problem(doc.shown, data.line_of("data"), name,
                                         "data must be a non-empty list of mappings"))
            return None
        return list(rows), self.shown(path)

    # --- the whole report --------------------------------------------------------------------
    def load(self) -> tuple[Report, list[Problem]]:
        report_path = self.root / "report.yaml"
        shown = self.shown(report_path)
        data = self.yaml_file(report_path)
        if data is None:
            raise ContentError(self.errors() or [Problem(shown, 1, "", "the file is empty")])
        if isinstance(data, Node) and isinstance(data.get("language"), str):
            self.language = data["language"]
            # Quotation marks in Markdown text as in plain text fields: the language's.
            self.md.options["quotes"] = QUOTES.get(self.language.split("-")[0].lower(), QUOTES["en"])
        meta = self.convert(Meta, data, shown)
        if meta is not None:
            self.check_paper(meta, data, shown)
        ref_nodes = self.seq(self.yaml_file(self.root / "references.yaml", required=False),
                             self.shown(self.root / "references.yaml"), "references")
        refs = self.keyed(ref_nodes, ReferenceEntry, "key", "references.yaml")
        terms = self.keyed(self.seq(self.yaml_file(self.root / "glossary.yaml", required=False),
                                    self.shown(self.root / "glossary.yaml"), "glossary entries"),
                           Term, "abbr", "glossary.yaml")
        docs: list[_Doc] = []
        if meta is not None and len(meta.front) + len(meta.chapters) > MAX_DOCUMENTS:
            self.problems.append(Problem(shown, data.line_of("chapters"), "chapters",
                                         f"the report has {len(meta.front) + len(meta.chapters)} chapters and "
                                         f"front-matter sections (at most {MAX_DOCUMENTS})"))
        elif meta is not None:
            for i, rel in enumerate(meta.front):
                doc = self.read_doc(rel, data["front"].line_of(i), None)
                docs += [doc] if doc else []
            for i, rel in enumerate(meta.chapters):
                doc = self.read_doc(rel, data["chapters"].line_of(i), i + 1)
                docs += [doc] if doc else []
        if self.errors() or meta is None:
            raise ContentError(self.errors())
        return self.assemble(meta, docs, refs, terms, (data, ref_nodes)), self.warnings()

    def check_paper(self, meta: Meta, data: Node, shown: str) -> None:
        """The paper's thickness is given one way at most, within what paper can be (wrap.py)."""
        from .wrap import CALIPER_RANGE, PPI_RANGE

        settings, node = meta.print, data.get("print")
        line = node.line_of if isinstance(node, Node) else (lambda _key: data.line_of("print"))
        if settings.caliper is not None and settings.ppi is not None:
            self.problems.append(Problem(shown, line("ppi"), "print.ppi",
                                         "give the paper's caliper or its pages per inch, not both"))
        if settings.caliper is not None and not CALIPER_RANGE[0] <= settings.caliper <= CALIPER_RANGE[1]:
            self.problems.append(Problem(shown, line("caliper"), "print.caliper",
                                         f"{settings.caliper} mm is not the thickness of a leaf of book paper "
                                         f"({CALIPER_RANGE[0]}–{CALIPER_RANGE[1]} mm)"))
        if settings.ppi is not None and not PPI_RANGE[0] <= settings.ppi <= PPI_RANGE[1]:
            self.problems.append(Problem(shown, line("ppi"), "print.ppi",
                                         f"{settings.ppi} pages per inch is not a book paper's bulk "
                                         f"({PPI_RANGE[0]}–{PPI_RANGE[1]})"))

    def keyed(self, items: Seq, cls: type[Any], key: str, name: str) -> dict[str, tuple[Any, int]]:
        """The entries of references.yaml or glossary.yaml by key, with the line of each key."""
        shown = self.shown(self.root / name)
        result: dict[str, tuple[Any, int]] = {}
        for i, item in enumerate(items):
            entry = self.convert(cls, item, shown, f"[{i + 1}].")
            if entry is None:
                continue
            value, line = getattr(entry, key), item.line_of(key)
            if value in result:
                self.problems.append(Problem(shown, line, key,
                                             f"duplicate {key} {value!r} (first on line {result[value][1]})"))
            result[value] = (entry, line)
        return result

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def assemble(self, meta: Meta, docs: list[_Doc], refs: dict[str, tuple[Any, int]],
                 terms: dict[str, tuple[Any, int]], nodes: tuple[Any, Seq]) -> Report:
        """The report from what was read; `nodes`: report.yaml and references.yaml as parsed (their
        lines). Raises ContentError for what only the whole shows (references, targets, dates)."""
        numbering = _Numbering(self.problems, language(meta.language))
        for doc in docs:
            numbering.add(doc)
        citations: dict[str, int] = {}
        report_yaml = self.shown(self.root / "report.yaml")
        scans = [(report_yaml, list(meta.introduction.refs))] + [(d.shown, list(d.body.refs) + d.refs) for d in docs]
        for _, found in scans:
            for ref in found:
                if ref.kind == "cite" and ref.key not in citations:
                    citations[ref.key] = len(citations) + 1
        self.check_refs(scans, numbering, refs, terms)
        self.check_dates(meta, refs, set(citations), *nodes)
        if self.errors():
            raise ContentError(self.errors())
        chapters = [numbering.chapter(doc) for doc in docs]
        return Report(
            meta=meta,
            front=tuple(c for c in chapters if c.number is None),
            chapters=tuple(c for c in chapters if c.number is not None),
            references=tuple(Reference(n, refs[k][0]) for k, n in sorted(citations.items(), key=lambda kv: kv[1])),
            glossary=tuple(entry for _, (entry, _) in sorted(terms.items(), key=lambda kv: kv[0].lower())),
            assets=tuple(self.assets[k] for k in sorted(self.assets)),
            sources=tuple(sorted(self.sources.items())),
            texts=tuple(self.texts.items()),
        )

    def check_refs(self, scans: list[tuple[str, list[Ref]]], numbering: _Numbering,
                   refs: dict[str, tuple[Any, int]], terms: dict[str, tuple[Any, int]]) -> None:
        used: set[str] = set()
        for default, found in scans:
            for ref in found:
                shown = ref.path or default
                if ref.kind == "cite":
                    used.add(ref.key)
                    if ref.key not in refs:
                        self.problems.append(Problem(shown, ref.line, "citation", f"unknown reference key {ref.key!r}"))
                elif ref.kind == "bare":
                    if ref.key in refs:
                        self.problems.append(Problem(shown, ref.line, "citation", f"@{ref.key} is not a citation: "
                                                     f"write [@{ref.key}] (or \\@{ref.key} for the text)"))
                elif ref.kind == "gls":
                    if ref.key[4:] not in terms:
                        self.problems.append(Problem(shown, ref.line, "abbreviation",
                                                     f"unknown glossary key {ref.key[4:]!r}"))
                elif ref.key not in numbering.defined_at:
                    self.problems.append(Problem(shown, ref.line, "cross-reference", f"unknown target {ref.key!r}"))
        shown = self.shown(self.root / "references.yaml")
        for key, (_, line) in refs.items():
            if key not in used:
                self.problems.append(Problem(shown, line, "key", f"reference {key!r} is never cited",
                                             "error" if self.strict else "warning"))


    def check_dates(self, meta: Meta, refs: dict[str, tuple[Any, int]], cited: set[str], data: Any,
                    ref_nodes: Seq) -> None:
        """Dates that cannot all be true, each named by its file, line and field: an edition dated
        before the report was first published; a first edition dated otherwise than the
        publication; an earlier edition (history) dated after this one or numbered as high; a
        cited source dated, or read (`accessed`), after the edition that cites it (compared to the
        precision its date gives). A review draft before the publication (history) is allowed."""
        report_yaml = self.shown(self.root / "report.yaml")
        edition = meta.edition
        node = data.get("edition") if isinstance(data, Node) else None
        at = node.line_of("date") if isinstance(node, Node) else getattr(data, "line", 1)
        if edition.date < meta.published:
            self.problems.append(Problem(report_yaml, at, "edition.date", f"{edition.date} is before the report's "
                                         f"publication date ({meta.published})"))
        elif edition.number == 1 and edition.date != meta.published:
            self.problems.append(Problem(report_yaml, at, "edition.date", f"{edition.date}: the first edition is the "
                                         f"publication, dated {meta.published} (published)"))
        history = node.get("history") if isinstance(node, Node) else None
        for i, earlier in enumerate(edition.history):
            item = history[i] if isinstance(history, Seq) and i < len(history) else None
            where = f"edition.history[{i + 1}]"
            if earlier.date > edition.date:
                line = item.line_of("date") if isinstance(item, Node) else at
                self.problems.append(Problem(report_yaml, line, f"{where}.date", f"{earlier.date} is after the date "
                                             f"of this edition ({edition.date})"))
            if earlier.number >= edition.number:
                line = item.line_of("number") if isinstance(item, Node) else at
                self.problems.append(Problem(report_yaml, line, f"{where}.number", f"{earlier.number} is not an "
                                             f"earlier edition than this one ({edition.number})"))
        shown = self.shown(self.root / "references.yaml")
        for item in ref_nodes:
            key = item.get("key") if isinstance(item, Node) else None
            if key not in cited or key not in refs:
                continue
            entry = refs[key][0]
            for name, why in (("date", "a report cannot cite what was published after it"),
                              ("accessed", "a source cannot be read after the report that cites it")):
                value = getattr(entry, name, "")
                if value and value > edition.date[:len(value)]:
                    self.problems.append(Problem(shown, item.line_of(name), name, f"{value} is after the date of this "
                                                 f"edition ({edition.date}), which cites {key!r}: {why}"))


class _Numbering:
    """Numbers for figures and tables across the report, every target's label, the id registry."""

    def __init__(self, problems: list[Problem], words: Language) -> None:
        self.problems = problems
        self.words = words  # the report's language: how labels read
        self.defined_at: dict[str, str] = {}
        self.anchors: dict[str, str] = {}  # html_id(ref) → ref
        self.labels: dict[str, str] = {}  # target → "Figure 3", "Section 2.1", "Chapter 4", …
        self.numbers: dict[str, int] = {}  # figure or table id → its number
        self.counts = {"figure": 0, "table": 0}

    def define(self, ref: str, label: str, where: str) -> None:
        anchor = html_id(ref)  # two ids that differ only where the anchor spells out a character
        path, line = where.rsplit(":", 1)  # ("a.b", "a-dot-b") would be one element of the outputs
        if ref in self.defined_at:
            self.problems.append(Problem(path, int(line), "id",
                                         f"duplicate id {ref!r} (first defined at {self.defined_at[ref]})"))
            return
        if anchor in self.anchors:
            other = self.anchors[anchor]
            self.problems.append(Problem(path, int(line), "id",
                                         f"id {ref!r} names the same anchor ({anchor!r}) as {other!r} "
                                         f"(defined at {self.defined_at[other]}): choose another"))
            return
        self.defined_at[ref] = where
        self.anchors[anchor] = ref
        self.labels[ref] = label

    def add(self, doc: _Doc) -> None:
        """Define a document's targets: the chapter, its sections, its figures and tables."""
        def label(kind: str, number: object, title: str = "") -> str:
            return cross_label(self.words, kind, number, title).replace("\u00a0", " ")

        self.define(f"ch:{doc.slug}", label("ch", doc.number) if doc.number else doc.head.title, f"{doc.shown}:2")
        for heading in doc.body.headings:
            title = plain(heading.tokens, lambda kind, key: key)
            self.define(heading.ref, label("sec", heading.number, title), f"{doc.shown}:{heading.line}")
        for block in sorted(doc.blocks, key=lambda b: b.site.line):
            kind = block.site.kind
            self.counts[kind] += 1
            self.numbers[block.spec.id] = self.counts[kind]
            self.define(block.spec.id, label("fig" if kind == "figure" else "tbl", self.counts[kind]),
                        f"{doc.shown}:{block.site.line}")

    def label(self, kind: str, key: str) -> str:
        """How a cross-reference reads in plain text."""
        return key if kind == "gls" else self.labels.get(f"{kind}:{key}", key)

    def chapter(self, doc: _Doc) -> Chapter:
        """The numbered chapter, its headings and captions as plain text, its blocks in place."""
        headings = tuple(dataclasses.replace(h, title=plain(h.tokens, self.label), html=phrasing(h.tokens, self.label))
                         for h in doc.body.headings)
        figures, tables = [], []
        for block in sorted(doc.blocks, key=lambda b: b.site.line):
            number, anchor = self.numbers[block.spec.id], html_id(block.spec.id)
            caption = plain(block.spec.caption.tokens, self.label)
            html = phrasing(block.spec.caption.tokens, self.label)
            if isinstance(block.spec, TableSpec):
                tables.append(Table(anchor, number, block.spec, doc.slug, caption, block.rows, html))
            else:
                figures.append(Figure(anchor, number, block.spec, doc.slug, caption, block.rows, block.asset, html,
                                      block.shapes, block.vegalite, self.words.tag))
        body = dataclasses.replace(doc.body, headings=headings, blocks=MappingProxyType(
            {b.site.key: b.spec.id for b in doc.blocks}))
        return Chapter(doc.slug, doc.number, doc.head, body, tuple(figures), tuple(tables), doc.body.words, doc.shown)


def cell_text(value: Any) -> str:
    """A table cell's Markdown: a list of values is joined with semicolons."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def load_report(content: Path, strict: bool = False) -> tuple[Report, list[Problem]]:
    """Load and validate a content folder. Raises ContentError listing every error."""
    return Loader(content, strict).load()


def topology_problem(topo: Any) -> str | None:
    """What is wrong with a map's boundaries, or None: a TopoJSON Topology with arcs and an
    object `countries` (a GeometryCollection of polygons with a `name`), at most MAX_MAP_POINTS
    positions."""
    if not isinstance(topo, dict) or topo.get("type") != "Topology" or not isinstance(topo.get("arcs"), list):
        return "not a TopoJSON Topology"
    countries = topo.get("objects", {}).get("countries") if isinstance(topo.get("objects"), dict) else None
    if not isinstance(countries, dict) or not isinstance(countries.get("geometries"), list):
        return "no GeometryCollection named countries"
    if sum(len(arc) if isinstance(arc, list) else 0 for arc in topo["arcs"]) > MAX_MAP_POINTS:
        return f"more than {MAX_MAP_POINTS} positions"
    for geometry in countries["geometries"]:
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon", None):
            return "a country that is not a polygon"
        if not isinstance(geometry.get("properties", {}).get("name"), str):
            return "a country without a name"
    return None


LOADING = re.compile(r"^(url|sequence|graticule|sphere|href|image)$")


def vegalite_problem(body: Any) -> str | None:
    """What is wrong with an author's Vega-Lite specification, or None: it must be a JSON
    object, and nothing in it may load or generate data (`url`, `sequence`, `graticule`) or link
    or draw a file (`href`, `image`)."""
    if not isinstance(body, dict):
        return "a Vega-Lite specification is a JSON object"
    stack: list[Any] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if LOADING.match(str(key)) or value == "image":
                    return f"{quoted(str(key) if LOADING.match(str(key)) else value)} is not allowed: a chart " \
                           "draws only the data it is given"
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return None
