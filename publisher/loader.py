"""Read and validate a content folder into a frozen Report, before anything is written."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from . import schema
from .errors import ContentError, Problem, display_path
from .files import UnsafeFile, read_regular
from .figure import (
    bar_svg, cell_text, figure_html, image_html, picture_html, svg_file, svg_png, table_html, timeline_svg,
)
from .image import ImageError, check_image
from .markdown import (
    CITATION, Block, Context, Ref, Scan, Target, html_id, install_rules, make_parser, render_markdown,
    find_refs, scan_markdown, scan_text,
)
from .model import Asset, Chapter, Edition, Figure, GlossaryEntry, Heading, Meta, Person, Reference, Report, Table
from .reference import format_reference
from .yamlfile import CONTROL, Node, Seq, decode_text, parse_yaml

log = logging.getLogger(__name__)

MAX_YAML = 1_000_000  # bytes: a report.yaml or data file larger than this is a mistake
MAX_CHAPTER = 2_000_000
MAX_IMAGE = 10_000_000
MODES = ("print", "epub", "web")
CHAPTER_NAME = re.compile(r"(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md")


@dataclass
class _Doc:
    """A chapter or front section between pass one and pass two."""

    path: Path
    shown: str
    slug: str
    number: int | None
    meta: Node
    body: str
    offset: int
    scan: Scan
    specs: dict[int, dict[str, Any]] = field(default_factory=dict)  # fence line → block spec
    rows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    refs: list[Ref] = field(default_factory=list)  # made in key points, captions, sources and cells


class Loader:
    """Collects every problem of a content folder, then builds the Report."""

    def __init__(self, content: Path, strict: bool = False) -> None:
        self.root = content.resolve()
        self.strict = strict
        self.problems: list[Problem] = []
        self.md: MarkdownIt = make_parser(scan=True)
        self.renderer: MarkdownIt = install_rules(make_parser(scan=False))
        self.assets: dict[str, Asset] = {}
        self.data_cache: dict[str, Any] = {}
        # Every content file this report reads, with its SHA-256 ("absent" for an optional file
        # that is not there): the up-to-date check hashes these and nothing else.
        self.sources: dict[str, str] = {}

    # --- reading -------------------------------------------------------------------------
    def shown(self, path: Path) -> str:
        return display_path(path, self.root.parent)

    def inside(self, relative: Any, where: str, line: int, name: str) -> Path | None:
        """Resolve a path from the content; refuse URLs, anything outside the folder (also by a
        symbolic link) and anything that is not a regular file."""
        text = str(relative)
        if re.match(r"[a-z][a-z0-9+.-]*:", text, re.I):
            self.problems.append(Problem(where, line, name,
                                         f"{text!r} is a URL: content may only use files inside the content folder"))
            return None
        path = (self.root / text).resolve()
        if not path.is_relative_to(self.root):
            self.problems.append(Problem(where, line, name, f"{text!r} points outside the content folder"))
            return None
        if not path.exists():
            self.problems.append(Problem(where, line, name, f"file {text!r} does not exist"))
            return None
        if not path.is_file():
            self.problems.append(Problem(where, line, name, f"{text!r} is not a regular file"))
            return None
        return path

    def read(self, path: Path, limit: int) -> bytes | None:
        """The bytes of a content file (a resolved path inside the folder), recorded in `sources`."""
        try:
            data = read_regular(path, limit)
        except UnsafeFile as exc:
            self.problems.append(Problem(self.shown(path), 0, "", str(exc)))
            return None
        self.sources[path.relative_to(self.root).as_posix()] = hashlib.sha256(data).hexdigest()
        return data

    def text(self, path: Path, limit: int) -> str | None:
        data = self.read(path, limit)
        if data is None:
            return None
        text, problems = decode_text(data, self.shown(path))
        self.problems += problems
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

    def check(self, data: Any, fields: tuple[schema.Field, ...], shown: str, prefix: str = "") -> bool:
        problems = schema.check(data, fields, shown, self.strict, prefix)
        self.problems += problems
        return not any(p.severity == "error" for p in problems)

    def seq(self, data: Any, shown: str, what: str) -> Seq:
        if data is None:
            return Seq()
        if not isinstance(data, Seq):
            self.problems.append(Problem(shown, getattr(data, "line", 1), "", f"expected a list of {what}"))
            return Seq()
        return data

    # --- documents -----------------------------------------------------------------------
    def read_doc(self, relative: Any, line: int, number: int | None) -> _Doc | None:
        report = self.shown(self.root / "report.yaml")
        path = self.inside(relative, report, line, "chapters" if number else "front")
        if path is None:
            return None
        shown = self.shown(path)
        name = CHAPTER_NAME.fullmatch(path.name)
        if number is not None and not name:
            self.problems.append(Problem(report, line, "chapters",
                                         f"chapter file {path.name!r} must be named NN-slug.md"))
            return None
        slug = name.group(2) if name else re.sub(r"[^a-z0-9-]", "-", path.stem.lower())
        text = self.text(path, MAX_CHAPTER)
        if text is None:
            return None
        match = re.match(r"---[ \t]*\n(.*?\n)?---[ \t]*\n", text, re.S)
        if not match:
            self.problems.append(Problem(shown, 1, "", "missing YAML front matter (--- … ---)"))
            return None
        meta, problems = parse_yaml(match.group(1) or "", shown, first_line=2)
        self.problems += problems
        if meta is None or not self.check(meta, schema.CHAPTER, shown):
            if meta is None and not problems:
                self.problems.append(Problem(shown, 2, "title", "required field is missing"))
            return None
        offset = text.count("\n", 0, match.end())
        body = text[match.end():]
        scan = scan_markdown(self.md, body, shown, offset, slug)
        self.problems += scan.problems
        if scan.words == 0 and not scan.blocks:
            self.problems.append(Problem(shown, offset + 1, "body", "the chapter has no text"))
        doc = _Doc(path, shown, slug, number, meta, body, offset, scan)
        points = meta.get("key_points") or []
        for i, point in enumerate(points):
            self.scan_field(doc, str(point), shown, points.line_of(i), f"key_points[{i + 1}]")
        for block in scan.blocks.values():
            self.read_block(doc, block)
        return doc

    def scan_field(self, doc: _Doc, text: str, shown: str, line: int, name: str) -> None:
        """Inline Markdown held in YAML: the body's rules (no raw HTML, only http(s) links)."""
        found = scan_text(self.md, text, shown, line, name)
        self.problems += found.problems
        doc.refs += [dataclasses.replace(ref, path=shown) for ref in found.refs]

    def read_block(self, doc: _Doc, block: Block) -> None:
        spec, problems = parse_yaml(block.spec, doc.shown, first_line=block.line + 1)
        self.problems += problems
        fields = schema.FIGURE if block.kind == "figure" else schema.TABLE
        if spec is None or not self.check(spec, fields, doc.shown, f"{block.kind}."):
            if spec is None and not problems:
                self.problems.append(Problem(doc.shown, block.line, block.kind, "empty block"))
            return
        found = self.block_rows(doc, block, spec)
        if found is None:
            return
        rows, rows_path = found
        for key in ("caption", "source"):
            if spec.get(key):
                self.scan_field(doc, str(spec[key]), doc.shown, spec.line_of(key), f"{block.kind}.{key}")
        for i, row in enumerate(rows, 1):
            for key, value in row.items():
                if value is None:
                    continue
                if block.kind == "table":  # the cells are inline Markdown too
                    self.scan_field(doc, cell_text(value), rows_path, row.line_of(str(key)), f"row {i}: {key}")
                else:  # a chart's data is drawn as plain text; its citations back the figure
                    doc.refs += find_refs(str(value), rows_path, row.line_of(str(key)))
        doc.specs[block.line - doc.offset - 1] = spec
        doc.rows[block.line - doc.offset - 1] = [dict(r) for r in rows]

    def block_rows(self, doc: _Doc, block: Block, spec: Node) -> tuple[list[Node], str] | None:
        """The rows of a figure or table block, and the file they come from (for messages)."""
        name = f"{block.kind}.data"
        if block.kind == "figure" and spec["kind"] == "image":
            src = spec.get("src")
            if not src:
                self.problems.append(Problem(doc.shown, spec.line, "figure.src", "an image figure needs src"))
                return None
            path = self.inside(src, doc.shown, spec.line_of("src"), "figure.src")
            if path is None:
                return None
            rel = path.relative_to(self.root).as_posix()
            if rel not in self.assets:
                data = self.read(path, MAX_IMAGE)
                if data is None:
                    return None
                try:
                    media = check_image(data, path.name)
                except ImageError as exc:
                    self.problems.append(Problem(doc.shown, spec.line_of("src"), "figure.src", f"{src}: {exc}"))
                    return None
                self.assets[rel] = Asset(rel, data, media)
            return [], doc.shown
        rows_path = doc.shown
        if "rows" in spec and block.kind == "table":
            rows = spec["rows"]
        elif spec.get("data"):
            path = self.inside(spec["data"], doc.shown, spec.line_of("data"), name)
            if path is None:
                return None
            key = str(path)
            if key not in self.data_cache:
                self.data_cache[key] = self.yaml_file(path)
            rows = self.data_cache[key]
            rows_path = self.shown(path)
        else:
            self.problems.append(Problem(doc.shown, spec.line, name,
                                         "needs a data file" + (" or inline rows" if block.kind == "table" else "")))
            return None
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            self.problems.append(Problem(doc.shown, spec.line_of("data"), name,
                                         "data must be a non-empty list of mappings"))
            return None
        needed = {"timeline": ("date", "level"), "bar": ("label", "value")}.get(spec.get("kind", ""), ())
        for i, row in enumerate(rows):
            if any(isinstance(v, str) and CONTROL.search(v) for v in row.values()):
                self.problems.append(Problem(doc.shown, spec.line_of("data"), name,
                                             f"row {i + 1} contains a control character"))
                return None
            for key in needed:
                if key not in row:
                    self.problems.append(Problem(doc.shown, spec.line_of("data"), name,
                                                 f"row {i + 1} has no {key!r}"))
                    return None
            if spec.get("kind") == "timeline" and schema.parse_date(str(row["date"])):
                self.problems.append(Problem(doc.shown, spec.line_of("data"), name,
                                             f"row {i + 1}: {schema.parse_date(str(row['date']))}"))
                return None
            if spec.get("kind") == "bar" and (isinstance(row["value"], bool)
                                              or not isinstance(row["value"], (int, float))):
                self.problems.append(Problem(doc.shown, spec.line_of("data"), name,
                                             f"row {i + 1}: value must be a number"))
                return None
        return list(rows), rows_path

    # --- the whole report ------------------------------------------------------------------
    def load(self) -> tuple[Report, list[Problem]]:
        report_path = self.root / "report.yaml"
        shown = self.shown(report_path)
        data = self.yaml_file(report_path)
        if data is None:
            raise ContentError(self.errors() or [Problem(shown, 1, "", "the file is empty")])
        valid = self.check(data, schema.REPORT, shown)
        refs = self.seq(self.yaml_file(self.root / "references.yaml", required=False),
                        self.shown(self.root / "references.yaml"), "references")
        glossary = self.seq(self.yaml_file(self.root / "glossary.yaml", required=False),
                            self.shown(self.root / "glossary.yaml"), "glossary entries")
        references = self.keyed(refs, schema.REFERENCE, "key", "references.yaml")
        terms = self.keyed(glossary, schema.GLOSSARY, "abbr", "glossary.yaml")
        docs: list[_Doc] = []
        if valid:
            for i, rel in enumerate(data.get("front") or []):
                doc = self.read_doc(rel, data["front"].line_of(i), None)
                docs += [doc] if doc else []
            for i, rel in enumerate(data["chapters"]):
                doc = self.read_doc(rel, data["chapters"].line_of(i), i + 1)
                docs += [doc] if doc else []
        if self.errors():
            raise ContentError(self.errors())
        return self.assemble(data, docs, references, terms), self.warnings()

    def keyed(self, items: Seq, fields: tuple[schema.Field, ...], key: str, name: str) -> dict[str, Node]:
        shown = self.shown(self.root / name)
        result: dict[str, Node] = {}
        for i, item in enumerate(items):
            if not self.check(item, fields, shown, f"[{i + 1}]."):
                continue
            value = str(item[key])
            if value in result:
                self.problems.append(Problem(shown, item.line_of(key), key,
                                             f"duplicate {key} {value!r} (first on line {result[value].line_of(key)})"))
            result[value] = item
        return result

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def assemble(self, data: Node, docs: list[_Doc], refs: dict[str, Node],
                 terms: dict[str, Node]) -> Report:
        numbering = _Numbering(self.problems)
        for doc in docs:
            numbering.add(doc)
        intro_scan = scan_text(self.md, str(data["introduction"]), self.shown(self.root / "report.yaml"),
                               data.line_of("introduction"), "introduction", block=True)
        self.problems += intro_scan.problems
        numbering.cite_order(intro_scan.refs)
        for doc in docs:
            numbering.cite_order(doc.scan.refs + doc.refs)
        self.check_refs(docs, intro_scan, numbering, refs, terms)
        if self.errors():
            raise ContentError(self.errors())
        glossary = {k: (f"gls-{html_id(k.lower())}", str(v["expansion"])) for k, v in terms.items()}
        stems = {d.slug: _stem(d.slug, d.number) for d in docs}
        chapters = [self.render(doc, numbering, glossary, stems) for doc in docs]
        intro = {mode: self.render_text(str(data["introduction"]), mode, numbering, glossary, stems)
                 for mode in (*MODES, "page")}
        return Report(
            meta=_meta(data, intro),
            front=tuple(c for c in chapters if c.number is None),
            chapters=tuple(c for c in chapters if c.number is not None),
            references=tuple(Reference(k, n, *format_reference(refs[k]))
                             for k, n in sorted(numbering.citations.items(), key=lambda kv: kv[1])),
            glossary=tuple(GlossaryEntry(k, glossary[k][0], str(v["expansion"]), str(v.get("definition") or ""))
                           for k, v in sorted(terms.items(), key=lambda kv: kv[0].lower())),
            assets=tuple(self.assets[k] for k in sorted(self.assets)),
            sources=tuple(sorted(self.sources.items())),
        )

    def check_refs(self, docs: list[_Doc], intro: Scan, numbering: _Numbering,
                   refs: dict[str, Node], terms: dict[str, Node]) -> None:
        used: set[str] = set()
        scans = [(self.shown(self.root / "report.yaml"), intro.refs)]
        scans += [(d.shown, d.scan.refs + d.refs) for d in docs]
        for default, found in scans:
            for ref in found:
                shown = ref.path or default
                if ref.kind == "cite":
                    used.add(ref.key)
                    if ref.key not in refs:
                        self.problems.append(Problem(shown, ref.line, "citation", f"unknown reference key {ref.key!r}"))
                elif ref.kind == "gls":
                    if ref.key[4:] not in terms:
                        self.problems.append(Problem(shown, ref.line, "abbreviation",
                                                     f"unknown glossary key {ref.key[4:]!r}"))
                elif ref.key not in numbering.targets:
                    self.problems.append(Problem(shown, ref.line, "cross-reference",
                                                 f"unknown target {ref.key!r}"))
        shown = self.shown(self.root / "references.yaml")
        for key, item in refs.items():
            if key not in used:
                self.problems.append(Problem(shown, item.line_of("key"), "key",
                                             f"reference {key!r} is never cited",
                                             "error" if self.strict else "warning"))

    def context(self, mode: str, slug: str, numbering: _Numbering, glossary: dict[str, tuple[str, str]],
                stems: dict[str, str], blocks: dict[int, str] | None = None,
                headings: dict[int, tuple[str, str]] | None = None) -> Context:
        def href(doc: str, anchor: str) -> str:
            if mode == "print":
                return f"#{anchor}"
            stem = stems.get(doc, doc)
            if stem == stems.get(slug, slug):
                return f"#{anchor}"
            extension = ".xhtml" if mode == "epub" else ".html"
            prefix = "read/" if mode == "page" else ""
            return f"{prefix}{stem}{extension}#{anchor}"

        return Context(mode, slug, numbering.targets, numbering.citations, glossary, href,
                       blocks or {}, headings or {})

    def render_text(self, text: str, mode: str, numbering: _Numbering,
                    glossary: dict[str, tuple[str, str]], stems: dict[str, str]) -> str:
        ctx = self.context(mode, "introduction", numbering, glossary, stems)
        return render_markdown(self.renderer, text, ctx)[0]

    def render(self, doc: _Doc, numbering: _Numbering, glossary: dict[str, tuple[str, str]],
               stems: dict[str, str]) -> Chapter:
        html: dict[str, str] = {}
        for mode in MODES:
            ctx = self.context(mode, doc.slug, numbering, glossary, stems,
                               headings=numbering.heading_map[doc.slug])

            def inline(text: str, ctx: Context = ctx) -> str:
                return self.renderer.renderInline(text, {"ctx": ctx})

            ctx.blocks = {line: self.block_html(doc, line, spec, numbering, inline, mode)
                          for line, spec in doc.specs.items()}
            points = [inline(str(p)) for p in doc.meta.get("key_points") or []]
            box = ('<aside class="key-points" aria-label="Key points"><p class="key-points-title">Key points</p><ul>'
                   + "".join(f"<li>{p}</li>" for p in points) + "</ul></aside>\n") if points else ""
            body, notes = render_markdown(self.renderer, doc.body, ctx)
            html[mode] = box + body + notes
        title = str(doc.meta["title"])
        return Chapter(
            slug=doc.slug, number=doc.number, title=title,
            short_title=str(doc.meta.get("short_title") or title),
            summary=str(doc.meta.get("summary") or ""),
            html_print=html["print"], html_epub=html["epub"], html_web=html["web"],
            headings=tuple(numbering.headings[doc.slug]),
            figures=tuple(numbering.figures[doc.slug]), tables=tuple(numbering.tables[doc.slug]),
            word_count=doc.scan.words, source_path=doc.shown,
        )

    def block_html(self, doc: _Doc, line: int, spec: dict[str, Any], numbering: _Numbering,
                   inline: Any, mode: str) -> str:
        target = numbering.targets[spec["id"]]
        number = target.number
        rows = doc.rows[line]
        if "columns" in spec:
            return table_html(spec, number, rows, inline)
        ident, alt = html_id(spec["id"]), str(spec["alt"])
        if spec["kind"] == "timeline":
            body = timeline_svg(ident, rows, alt)
        elif spec["kind"] == "bar":
            body = bar_svg(ident, rows, alt, str(spec.get("unit") or ""))
        else:
            body = image_html(str(spec["src"]), alt)
        if mode == "epub" and spec["kind"] != "image":
            # E-books get the chart as files with a PNG fallback (Kindle rejects inline SVG).
            stem = f"images/{ident}"
            self.assets[f"{stem}.svg"] = Asset(f"{stem}.svg", svg_file(body), "image/svg+xml")
            self.assets[f"{stem}.png"] = Asset(f"{stem}.png", svg_png(body), "image/png")
            body = picture_html(stem, alt)
        return figure_html(spec, number, body, inline)


class _Numbering:
    """Numbers for chapters, sections, figures, tables and citations, and the id registry."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.targets: dict[str, Target] = {}
        self.defined_at: dict[str, str] = {}
        self.citations: dict[str, int] = {}
        self.headings: dict[str, list[Heading]] = {}
        self.heading_map: dict[str, dict[int, tuple[str, str]]] = {}
        self.figures: dict[str, list[Figure]] = {}
        self.tables: dict[str, list[Table]] = {}

    def define(self, ref: str, target: Target, where: str) -> None:
        if ref in self.targets:
            path, line = where.rsplit(":", 1)
            self.problems.append(Problem(path, int(line), "id",
                                         f"duplicate id {ref!r} (first defined at {self.defined_at[ref]})"))
            return
        self.targets[ref] = target
        self.defined_at[ref] = where

    def add(self, doc: _Doc) -> None:
        label = f"Chapter {doc.number}" if doc.number else str(doc.meta["title"])
        self.define(f"ch:{doc.slug}", Target(label, doc.slug, f"ch-{doc.slug}"), f"{doc.shown}:2")
        self.headings[doc.slug], self.heading_map[doc.slug] = [], {}
        self.figures[doc.slug], self.tables[doc.slug] = [], []
        counters = [0, 0]
        for level, ref, title, line in doc.scan.headings:
            number = ""
            if doc.number and level in (2, 3):
                counters[level - 2] += 1
                if level == 2:
                    counters[1] = 0
                number = f"{doc.number}.{counters[0]}" + (f".{counters[1]}" if level == 3 else "")
            anchor = html_id(ref)
            self.define(ref, Target(f"Section {number}" if number else f"“{title}”", doc.slug, anchor),
                        f"{doc.shown}:{line}")
            self.headings[doc.slug].append(Heading(anchor, number, _plain(title), level))
            self.heading_map[doc.slug][line - doc.offset - 1] = (anchor, number)
        for line in sorted(doc.specs):
            spec = doc.specs[line]
            where = f"{doc.shown}:{line + doc.offset + 1}"
            if "columns" in spec:
                number = sum(len(t) for t in self.tables.values()) + 1
                self.define(spec["id"], Target(f"Table {number}", doc.slug, html_id(spec["id"]), number), where)
                self.tables[doc.slug].append(Table(html_id(spec["id"]), number, _plain(str(spec["caption"])), doc.slug))
            else:
                number = sum(len(f) for f in self.figures.values()) + 1
                self.define(spec["id"], Target(f"Figure {number}", doc.slug, html_id(spec["id"]), number), where)
                self.figures[doc.slug].append(Figure(html_id(spec["id"]), number, _plain(str(spec["caption"])),
                                                     str(spec["alt"]), doc.slug))

    def cite_order(self, refs: list[Any]) -> None:
        for ref in refs:
            if ref.kind == "cite" and ref.key not in self.citations:
                self.citations[ref.key] = len(self.citations) + 1


def _plain(text: str) -> str:
    """Caption or heading text without Markdown syntax or citations, for lists and bookmarks."""
    text = CITATION.sub("", text)
    text = re.sub(r"[*_`]", "", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _stem(slug: str, number: int | None) -> str:
    return f"{number:02d}-{slug}" if number else slug


def _meta(data: Node, intro: dict[str, str]) -> Meta:
    edition = data["edition"]
    rights = data["rights"]
    derived = uuid.uuid5(uuid.NAMESPACE_URL, "report:" + str(data["id"]))
    identifier = str(data.get("identifier") or f"urn:uuid:{derived}")
    return Meta(
        id=str(data["id"]), title=str(data["title"]), subtitle=str(data.get("subtitle") or ""),
        standfirst=str(data["standfirst"]).strip(),
        introduction_print=intro["print"], introduction_epub=intro["epub"],
        introduction_web=intro["web"], introduction_page=intro["page"],
        category=str(data["category"]), language=str(data["language"]),
        published=str(data["published"]),
        edition=Edition(int(edition["number"]), str(edition["date"]), str(edition.get("note") or "").strip()),
        history=tuple(Edition(int(e["number"]), str(e["date"]), str(e.get("note") or "").strip())
                      for e in edition.get("history") or []),
        publisher=str(data["publisher"]["name"]), publisher_url=str(data["publisher"].get("url") or ""),
        authors=tuple(Person(str(a["name"]), str(a.get("role") or "author")) for a in data["authors"]),
        keywords=tuple(str(k) for k in data.get("keywords") or []),
        licence=str(rights["licence"]), licence_url=str(rights.get("url") or ""),
        rights_holder=str(rights.get("holder") or data["publisher"]["name"]),
        identifier=identifier, isbn=str(data.get("isbn") or ""),
    )


def load_report(content: Path, strict: bool = False) -> tuple[Report, list[Problem]]:
    """Load and validate a content folder. Raises ContentError listing every error."""
    return Loader(content, strict).load()
