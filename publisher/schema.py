"""The content schema, declared once: every field of every YAML file, with its type."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .errors import Problem
from .yamlfile import CONTROL, Node, Seq

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"


@dataclass(frozen=True)
class Field:
    """One field: its name, kind (str, text, int, date, bool, list, map, maps) and rules."""

    name: str
    kind: str = "str"
    required: bool = False
    doc: str = ""
    fields: tuple[Field, ...] = ()  # the sub-fields of a `map` or of each item of `maps`
    pattern: str | None = None
    choices: tuple[str, ...] = ()


def _map(name: str, *fields: Field, required: bool = False, doc: str = "") -> Field:
    return Field(name, "map", required, doc, fields)


def _maps(name: str, *fields: Field, required: bool = False, doc: str = "") -> Field:
    return Field(name, "maps", required, doc, fields)


EDITION_ENTRY = (
    Field("number", "int", True, "Edition number, counting from 1."),
    Field("date", "date", True, "Date of the edition (YYYY-MM-DD)."),
    Field("note", "text", False, "What changed in this edition."),
)

REPORT = (
    Field("id", "str", True, "Slug that names the output files.", pattern=SLUG),
    Field("title", "str", True, "Title of the report."),
    Field("subtitle", "str", False, "Subtitle shown on the cover and title page."),
    Field("standfirst", "text", True, "One-paragraph summary of the report."),
    Field("introduction", "text", True, "The document introduction (Markdown)."),
    Field("category", "str", True, "Category, shown as the breadcrumb 'Files / <category>'."),
    Field("language", "str", True, "BCP 47 language tag.", pattern=r"[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*"),
    Field("published", "date", True, "Publication date (YYYY-MM-DD)."),
    _map("edition", *EDITION_ENTRY, _maps("history", *EDITION_ENTRY), required=True,
         doc="The current edition and the earlier ones."),
    _map("publisher", Field("name", "str", True), Field("url", "url"), required=True),
    _maps("authors", Field("name", "str", True),
          Field("role", "str", choices=("author", "editor", "contributor")), required=True),
    Field("keywords", "list", False, "Keywords for metadata."),
    _map("rights", Field("licence", "str", True), Field("url", "url"), Field("holder", "str"),
         required=True),
    Field("identifier", "str", False, "A stable URN; derived from the id when absent.",
          pattern=r"urn:[a-z0-9][a-z0-9-]{0,31}:\S+"),
    Field("isbn", "str", False, "ISBN-13.", pattern=r"97[89][0-9-]{10,14}"),
    Field("front", "list", False, "Front-matter Markdown files, in order."),
    Field("chapters", "list", True, "Chapter Markdown files, in order."),
)

CHAPTER = (
    Field("title", "str", True, "Chapter title."),
    Field("short_title", "str", False, "Shorter title for running heads."),
    Field("summary", "text", False, "One sentence under the chapter title."),
    Field("key_points", "list", False, "Key points shown at the chapter head (Markdown)."),
)

REFERENCE = (
    Field("key", "str", True, "Citation key.", pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]*"),
    Field("type", "str", True, choices=("webpage", "report", "article", "document", "news",
                                         "book", "statement", "dataset")),
    Field("title", "str", True),
    Field("author", "str"),
    Field("publisher", "str"),
    Field("date", "date", False, "YYYY, YYYY-MM or YYYY-MM-DD; leave it out when the source gives none (n.d.)."),
    Field("url", "url"),
    Field("accessed", "date"),
    Field("language", "str"),
    Field("note", "text"),
)

GLOSSARY = (
    Field("abbr", "str", True, "The abbreviation; also the key for @gls:.",
          pattern=r"[A-Za-z0-9][A-Za-z0-9+.-]*"),
    Field("expansion", "str", True),
    Field("definition", "text"),
)

FIGURE = (
    Field("id", "str", True, pattern=r"fig:[A-Za-z0-9_-]+"),
    Field("kind", "str", True, choices=("timeline", "bar", "image")),
    Field("caption", "text", True),
    Field("alt", "text", True),
    Field("data", "str"),
    Field("src", "str"),
    Field("unit", "str"),
    Field("source", "text"),
)

TABLE = (
    Field("id", "str", True, pattern=r"tbl:[A-Za-z0-9_-]+"),
    Field("caption", "text", True),
    _maps("columns", Field("key", "str", True), Field("label", "str", True),
          Field("width", "str", pattern=r"\d{1,2}%"), required=True),
    Field("data", "str"),
    Field("rows", "rows"),
    Field("source", "text"),
)

_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_date(value: str) -> str | None:
    """Return an error message for an invalid YYYY[-MM[-DD]] date, or None."""
    match = _PARTIAL_DATE.fullmatch(value)
    if not match:
        return f"expected a date as YYYY-MM-DD, got {value!r}"
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        return f"impossible date {value!r} ({exc})"
    return None


def check(data: Any, fields: tuple[Field, ...], path: str, strict: bool,
          prefix: str = "") -> list[Problem]:
    """Check a mapping against fields; return every problem (errors and warnings)."""
    if not isinstance(data, Node):
        line = getattr(data, "line", 1)
        return [Problem(path, line, prefix.rstrip(".") or "", "expected a mapping of fields")]
    problems: list[Problem] = []
    known = {f.name for f in fields}
    for key in data:
        if str(key) not in known:
            severity = "error" if strict else "warning"
            problems.append(Problem(path, data.line_of(str(key)), prefix + str(key),
                                    "unknown field", severity))
    for field in fields:
        name = prefix + field.name
        if field.name not in data or data[field.name] is None:
            if field.required:
                problems.append(Problem(path, data.line, name, "required field is missing"))
            continue
        problems += _check_value(data[field.name], field, path, data.line_of(field.name), name,
                                 strict)
    return problems


def _check_value(value: Any, field: Field, path: str, line: int, name: str,
                 strict: bool) -> list[Problem]:
    kind = field.kind

    def bad(message: str) -> list[Problem]:
        return [Problem(path, line, name, message)]

    if kind in ("str", "text", "url", "date"):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return bad(f"expected text, got {_type_name(value)}")
        text = str(value)
        if not text.strip():
            return bad("must not be empty")
        if CONTROL.search(text):
            return bad(f"control character U+{ord(CONTROL.search(text).group()):04X} is not allowed")
        if kind == "str" and re.search("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", text.strip(" \t\n")):
            return bad("must be a single line")
        if kind == "url" and not re.fullmatch(r"https?://\S+", text):
            return bad(f"expected an http(s) URL, got {text!r}")
        if kind == "date":
            message = parse_date(text)
            return bad(message) if message else []
        if field.pattern and not re.fullmatch(field.pattern, text):
            return bad(f"{text!r} does not match the pattern {field.pattern}")
        if field.choices and text not in field.choices:
            return bad(f"{text!r} is not one of: {', '.join(field.choices)}")
        return []
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return bad(f"expected a whole number, got {_type_name(value)}")
        return [] if value >= 0 else bad("must not be negative")
    if kind == "list":
        if not isinstance(value, Seq):
            return bad(f"expected a list, got {_type_name(value)}")
        hint = " (a colon followed by a space starts a mapping: quote the text)"
        return [Problem(path, value.line_of(i), f"{name}[{i + 1}]",
                        f"expected text, got {_type_name(item)}" + (hint if isinstance(item, Node) else ""))
                for i, item in enumerate(value)
                if not isinstance(item, str) or not item.strip()]
    if kind == "map":
        return check(value, field.fields, path, strict, name + ".")
    if kind == "maps":
        if not isinstance(value, Seq):
            return bad(f"expected a list, got {_type_name(value)}")
        problems: list[Problem] = []
        for i, item in enumerate(value):
            if not isinstance(item, Node):
                problems.append(Problem(path, value.line_of(i), f"{name}[{i + 1}]",
                                        "expected a mapping of fields"))
                continue
            problems += check(item, field.fields, path, strict, f"{name}[{i + 1}].")
        return problems
    if kind == "rows":
        if not isinstance(value, Seq) or not all(isinstance(r, Node) for r in value):
            return bad("expected a list of mappings")
        return []
    raise AssertionError(f"unknown field kind {kind}")


def _type_name(value: Any) -> str:
    if isinstance(value, Node):
        return "a mapping"
    if isinstance(value, Seq):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return {int: "a number", float: "a number", str: "text"}.get(type(value), type(value).__name__)
