"""The content schema, declared once: typed dataclasses whose fields carry their YAML rules.

Every field of every YAML file is one dataclass field in `model.py`, declared with `spec()`:
its type (from the annotation), whether it is required, a one-line description, and its rule
(a kind such as "date" or "url", a pattern, a set of choices). `convert()` turns a parsed
YAML mapping (with its line numbers, see yamlfile.py) into that dataclass, reporting every
problem as `path:line: field: message`; `reference()` writes the field reference of
docs/content-format.md from the same declarations.

Kinds of values:
- str: one line of text; text: text that may span lines; url: an http(s) URL;
  date: YYYY-MM-DD (or YYYY[-MM[-DD]] where `partial`); int: a whole number ≥ 0;
- a nested dataclass: a mapping of its fields; tuple[X, ...]: a list of X;
- Inline / Block: Markdown, parsed and checked by the `markdown` hook (see `Hooks`).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .errors import Problem
from .yamlfile import CONTROL, Node, Seq, character_problem

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
# A key that text can refer to (a reference's key, an abbreviation, the part of an id after
# `fig:`): it may not end in punctuation, which in running text belongs to the sentence.
KEY = r"[A-Za-z0-9](?:[A-Za-z0-9_.+-]*[A-Za-z0-9_+])?"
LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Rule:
    """What `spec()` records about a field (kept in the dataclass field's metadata)."""

    doc: str
    kind: str = ""  # str, text, url, date, partial-date; "" = from the annotation
    required: bool = False
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    min_items: int = 0
    required_when: tuple[str, tuple[str, ...]] | None = None  # (other field, its values)
    prose: bool = False  # text a reader sees: its quotes are made typographic
    max_length: int = 0  # characters; 0: no limit of its own


def spec(doc: str, *, kind: str = "", required: bool = False, default: Any = None, pattern: str | None = None,
         choices: tuple[str, ...] = (), min_items: int = 0,
         required_when: tuple[str, tuple[str, ...]] | None = None, prose: bool = False, max_length: int = 0) -> Any:
    """Declare a content field: a dataclass field with its rule. Required fields have no default;
    `required_when=("kind", ("image",))` makes a field required when another has one of those values;
    `prose`: text a reader sees (its quotes are curled); `max_length` bounds a text in characters
    (ids that name files)."""
    rule = Rule(doc, kind, required, pattern, choices, min_items, required_when, prose, max_length)
    if required:
        return dataclasses.field(metadata={"rule": rule})
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for a default list")
    return dataclasses.field(default=default, metadata={"rule": rule})


def rule_of(item: dataclasses.Field[Any]) -> Rule:
    return item.metadata["rule"]  # type: ignore[no-any-return]


def quoted(value: Any, limit: int = 60) -> str:
    """A value quoted for a message (`'2026-02-30'`), shortened to about `limit` characters: a
    megabyte of text in a field must not make a megabyte of error."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def parse_date(value: str) -> str | None:
    """Return an error message for an invalid YYYY[-MM[-DD]] date, or None."""
    match = _PARTIAL_DATE.fullmatch(value)
    if not match:
        return f"expected a date as YYYY-MM-DD, got {quoted(value)}"
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        return f"impossible date {quoted(value)} ({exc})"
    return None


@dataclass
class Hooks:
    """What `convert` cannot do alone: Markdown fields are parsed by the caller's parser.

    `markdown(text, path, line, field, block)` returns the parsed text (an Inline or Block of
    markdown.py) and the problems found in it.
    """

    markdown: Callable[[str, str, int, str, bool], tuple[Any, list[Problem]]] | None = None
    prose: Callable[[str], str] | None = None  # typography for prose fields (quotes)


class _Context:
    def __init__(self, path: str, strict: bool, hooks: Hooks) -> None:
        self.path = path
        self.strict = strict
        self.hooks = hooks
        self.problems: list[Problem] = []

    def bad(self, line: int, name: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, name, message))


def convert(cls: type[Any], data: Any, path: str, strict: bool = False, prefix: str = "",
            hooks: Hooks | None = None) -> tuple[Any, list[Problem]]:
    """A YAML mapping as an instance of the dataclass `cls`, or None; and every problem found.

    Unknown fields are warnings (errors with `strict`). Raises nothing for bad content.
    """
    context = _Context(path, strict, hooks or Hooks())
    value = _mapping(cls, data, context, prefix, getattr(data, "line", 1))
    return value, context.problems


def _mapping(cls: type[Any], data: Any, context: _Context, prefix: str, line: int) -> Any:
    if not isinstance(data, Node):
        context.bad(getattr(data, "line", line), prefix.rstrip(".") or "", "expected a mapping of fields")
        return None
    fields = {f.name: f for f in dataclasses.fields(cls) if "rule" in f.metadata}
    hints = typing.get_type_hints(cls)
    for key in data:
        if not isinstance(key, str):
            context.bad(data.line_of(str(key)), prefix.rstrip("."), f"a field name must be text, got {_type_name(key)}")
        elif key not in fields:
            severity = "error" if context.strict else "warning"
            context.problems.append(Problem(context.path, data.line_of(key), prefix + key, "unknown field", severity))
    values: dict[str, Any] = {}
    failed = False
    for name, item in fields.items():
        rule = rule_of(item)
        if name not in data or data[name] is None:
            when = rule.required_when
            if rule.required or (when and str(data.get(when[0])) in when[1]):
                reason = f" (when {when[0]} is {data.get(when[0])})" if when and not rule.required else ""
                context.bad(data.line, prefix + name, f"required field is missing{reason}")
                failed = True
            continue
        before = len(context.problems)
        value = _value(hints[name], rule, data[name], context, prefix + name, data.line_of(name))
        if len(context.problems) > before and any(p.severity == "error" for p in context.problems[before:]):
            failed = True
        elif value is not None:
            values[name] = value
    return None if failed else cls(**values)


def _value(hint: Any, rule: Rule, value: Any, context: _Context, name: str, line: int) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
    if origin is tuple:
        return _sequence(typing.get_args(hint)[0], rule, value, context, name, line)
    if getattr(hint, "markdown", None):  # Inline or Document: parsed by the hook
        text = _text(Rule(rule.doc, "text"), value, context, name, line)
        if text is None or context.hooks.markdown is None:
            return None
        parsed, problems = context.hooks.markdown(text, context.path, line, name, hint.markdown == "block")
        context.problems += problems
        return parsed
    if dataclasses.is_dataclass(hint):
        return _mapping(hint, value, context, name + ".", line)
    if hint is float:  # a number: a whole number or a decimal, finite, of a sensible size
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return context.bad(line, name, f"expected a number, got {_type_name(value)}")
        if value != value or abs(value) > 1e15:
            return context.bad(line, name, f"{quoted(value)} is not a number that can be drawn")
        if value < 0 and rule.kind != "signed":
            return context.bad(line, name, "must not be negative")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            return context.bad(line, name, f"expected true or false, got {_type_name(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return context.bad(line, name, f"expected a whole number, got {_type_name(value)}")
        if value < 0:
            return context.bad(line, name, "must not be negative")
        if value > 1_000_000:
            return context.bad(line, name, "is too large")
        return value
    if hint is str:
        text = _text(rule, value, context, name, line)
        if text is not None and rule.prose and context.hooks.prose:
            return context.hooks.prose(text)
        return text
    if hint is typing.Any:  # free-form rows of a table block: checked by the loader
        if not isinstance(value, Seq) or not all(isinstance(r, Node) for r in value):
            return context.bad(line, name, "expected a list of mappings")
        return value
    raise AssertionError(f"no conversion for {hint!r} ({name})")


def _sequence(item: Any, rule: Rule, value: Any, context: _Context, name: str, line: int) -> Any:
    if not isinstance(value, Seq):
        return context.bad(line, name, f"expected a list, got {_type_name(value)}")
    if len(value) < rule.min_items:
        return context.bad(line, name, f"needs at least {rule.min_items} item{'s' * (rule.min_items > 1)}")
    found = []
    failed = False
    for i, element in enumerate(value):
        where = f"{name}[{i + 1}]"
        if dataclasses.is_dataclass(item) and not getattr(item, "markdown", None):
            if not isinstance(element, Node):
                context.bad(value.line_of(i), where, "expected a mapping of fields")
                failed = True
                continue
            converted = _mapping(item, element, context, where + ".", value.line_of(i))
        else:
            converted = _value(item, rule, element, context, where, value.line_of(i))
        if converted is None:
            failed = True
        else:
            found.append(converted)
    return None if failed else tuple(found)


def _text(rule: Rule, value: Any, context: _Context, name: str, line: int) -> str | None:
    kind = rule.kind or "str"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        hint = " (a colon followed by a space starts a mapping: quote the text)" if isinstance(value, Node) else ""
        return context.bad(line, name, f"expected text, got {_type_name(value)}{hint}")
    text = value if isinstance(value, str) else _number_text(value)
    if text is None:
        return context.bad(line, name, "the number is too long: quote it as text")
    if not text.strip():
        return context.bad(line, name, "must not be empty")
    bad = CONTROL.search(text)
    if bad:
        return context.bad(line, name, character_problem(bad.group()))
    if kind in ("str", "url", "date", "partial-date", "isbn") and LINE_BREAKS.search(text.strip()):
        return context.bad(line, name, "must be a single line")
    if kind == "url" and not re.fullmatch(r"https?://\S+", text):
        return context.bad(line, name, f"expected an http(s) URL, got {quoted(text)}")
    if kind == "url" and reserved_host(text):
        return context.bad(line, name, reserved_host(text))
    if kind == "isbn":
        from .isbn import isbn_problem

        message = isbn_problem(text)
        return context.bad(line, name, message) if message else text.strip()
    if kind in ("date", "partial-date"):
        message = parse_date(text)
        if not message and kind == "date" and not _FULL_DATE.fullmatch(text):
            message = f"expected a date as YYYY-MM-DD, got {quoted(text)}"
        return context.bad(line, name, message) if message else text
    if rule.max_length and len(text) > rule.max_length:
        return context.bad(line, name, f"is {len(text)} characters long (at most {rule.max_length})")
    if rule.pattern and not re.fullmatch(rule.pattern, text):
        return context.bad(line, name, f"{quoted(text)} does not match the pattern {rule.pattern}")
    if rule.choices and text not in rule.choices:
        return context.bad(line, name, f"{quoted(text)} is not one of: {', '.join(rule.choices)}")
    return text.strip() if kind == "text" else text


def reserved_host(url: str) -> str:
    """Why a link's address can never be followed, or "": its host is in the top-level domain
    `.invalid`, reserved so that no such name ever resolves (RFC 2606 §2) — and the publisher's
    own marker for links between the parts of a PDF edition (stitch.LINK_PREFIX)."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return ""
    if host == "invalid" or host.endswith(".invalid"):
        return f"{quoted(url)} cannot be followed: the domain .invalid is reserved never to exist (RFC 2606)"
    return ""


def _number_text(value: int | float) -> str | None:
    """A YAML number used where text is expected (e.g. a title "2025"), as written."""
    if isinstance(value, int) and abs(value) >= 10 ** 30:
        return None
    return str(value)


def _type_name(value: Any) -> str:
    if isinstance(value, Node):
        return "a mapping"
    if isinstance(value, Seq):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return {int: "a number", float: "a number", str: "text"}.get(type(value), type(value).__name__)


# --- the reference in docs/content-format.md -------------------------------------------------

def _describe(hint: Any, rule: Rule) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        return "list of " + ("mappings" if _is_mapping(inner) else _describe(inner, rule))
    if getattr(hint, "markdown", None):
        return f"Markdown ({hint.markdown})"
    if dataclasses.is_dataclass(hint):
        return "mapping"
    if hint is int:
        return "whole number"
    if hint is float:
        return "number (may be negative)" if rule.kind == "signed" else "number"
    if hint is bool:
        return "true or false"
    if hint is typing.Any:
        return "list of mappings"
    return {"": "text (one line)", "str": "text (one line)", "text": "text", "url": "http(s) URL",
            "date": "date YYYY-MM-DD", "partial-date": "date YYYY, YYYY-MM or YYYY-MM-DD",
            "isbn": "ISBN-13"}[rule.kind]


def _is_mapping(hint: Any) -> bool:
    return dataclasses.is_dataclass(hint) and not getattr(hint, "markdown", None)


def _rows(cls: type[Any], prefix: str = "") -> list[str]:
    hints = typing.get_type_hints(cls)
    rows = []
    for item in dataclasses.fields(cls):
        if "rule" not in item.metadata:
            continue
        rule, hint = rule_of(item), hints[item.name]
        kind = _describe(hint, rule)
        notes = [rule.doc]
        if rule.choices:
            notes.append("One of: " + ", ".join(f"`{c}`" for c in rule.choices) + ".")
        if rule.pattern and not rule.choices:
            notes.append(f"Pattern: `{rule.pattern}`.")
        if rule.min_items:
            notes.append(f"At least {rule.min_items}.")
        if rule.max_length:
            notes.append(f"At most {rule.max_length} characters.")
        if rule.required_when:
            other, values = rule.required_when
            notes.append(f"Required when `{other}` is " + " or ".join(f"`{v}`" for v in values) + ".")
        meaning = " ".join(notes).replace("|", "\\|")
        rows.append(f"| `{prefix}{item.name}` | {kind} | {'yes' if rule.required else ''} | {meaning} |")
        inner = typing.get_args(hint)[0] if typing.get_origin(hint) is tuple else hint
        if _is_mapping(inner):
            rows += _rows(inner, f"{prefix}{item.name}{'[]' if inner is not hint else ''}.")
    return rows


def reference(documents: list[tuple[str, type[Any]]]) -> str:
    """The field reference: one Markdown table per document, from the declarations."""
    parts = []
    for title, cls in documents:
        parts.append(f"### {title}\n\n| field | value | required | meaning |\n| --- | --- | --- | --- |\n"
                     + "\n".join(_rows(cls)) + "\n")
    return "\n".join(parts)
