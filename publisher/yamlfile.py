"""Safe YAML loading that remembers the line of every mapping key and list item."""

from __future__ import annotations

import hashlib
import pickle
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem
from .limits import MAX_NUMBER_DIGITS, MAX_YAML_DEPTH, MAX_YAML_NODES, MAX_YAML_TEXT

# Characters that XML (the EPUB) cannot hold or that are invisible in an editor: control
# characters other than tab and line ends, the non-characters U+FFFE and U+FFFF, and lone
# surrogates (halves of a UTF-16 pair, which only escapes such as "\ud800" can make).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
SURROGATE = re.compile("[\ud800-\udfff]")


def character_problem(char: str) -> str:
    """What is wrong with a character CONTROL found: "control character U+0007 is not allowed"."""
    if SURROGATE.fullmatch(char):
        return f"U+{ord(char):04X} is half of a UTF-16 surrogate pair, not a character"
    return f"control character U+{ord(char):04X} is not allowed"


class Node(dict):  # type: ignore[type-arg]
    """A YAML mapping that knows the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Seq(list):  # type: ignore[type-arg]
    """A YAML sequence that knows the line of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    """SafeLoader (no arbitrary objects) plus line tracking, duplicate-key detection and limits.

    `shift` is added to every line (front matter and blocks start further down their file);
    `depth` counts the lists and mappings open while composing, `nodes` the values composed;
    `first_alias` is the line of the first alias, where an alias bomb is reported.
    """

    duplicates: list[tuple[int, str]]
    shift: int = 0
    depth: int = 0
    nodes: int = 0
    first_alias: int = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """PyYAML's composer recurses once per level: refuse nesting over MAX_YAML_DEPTH before
        Python's stack runs out, and stop at MAX_YAML_NODES values (the parser is lazy: parsing
        stops there too, after about 3 s of pure-Python work). Raises ComposerError."""
        if self.check_event(yaml.AliasEvent):
            if not self.first_alias:
                self.first_alias = self.peek_event().start_mark.line + 1
            return super().compose_node(parent, index)
        self.nodes += 1
        nesting = not self.check_event(yaml.ScalarEvent)  # a list or a mapping
        self.depth += nesting
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"lists and mappings are nested more than {MAX_YAML_DEPTH} levels deep",
                    self.peek_event().start_mark)
            if self.nodes > MAX_YAML_NODES:
                raise yaml.composer.ComposerError(None, None, f"the document has more than {MAX_YAML_NODES} values",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= nesting

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """PyYAML's constructor, whose errors for a value that does not fit an explicit tag
        (`!!int abc`, `!!bool maybe`, `!!timestamp 2026-02-30`, `!!map [a]`) are Python
        exceptions: raised as a ConstructorError at the value instead."""
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            name = node.tag.rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(None, None, f"the value cannot be read as !!{name}",
                                                    node.start_mark) from None


def _line(loader: _Loader, node: yaml.Node) -> int:
    return node.start_mark.line + 1 + loader.shift


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    result = Node()
    result.line = _line(loader, node)
    result.key_lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
            raise yaml.constructor.ConstructorError(None, None, f"a key must be text, not {kind}",
                                                    key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            loader.duplicates.append((_line(loader, key_node), str(key)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = _line(loader, key_node)
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = _line(loader, node)
    result.item_lines = [_line(loader, child) for child in node.value]
    return result


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    """A whole number of at most MAX_NUMBER_DIGITS characters: Python refuses to read one of more
    than 4,300 digits, and no field needs a tenth of that. Raises ConstructorError."""
    if len(node.value) > MAX_NUMBER_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"a number of {len(node.value)} characters is too long (at most {MAX_NUMBER_DIGITS}): "
            "quote it if it is text", node.start_mark)
    return loader.construct_yaml_int(node)  # type: ignore[no-any-return]


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    """Text without lone surrogates (a "\\ud800" escape): they are not characters, and no file
    can hold them. Raises ConstructorError."""
    value = loader.construct_scalar(node)
    bad = SURROGATE.search(value)
    if bad:
        raise yaml.constructor.ConstructorError(None, None, character_problem(bad.group()), node.start_mark)
    return value  # type: ignore[no-any-return]


# Dates stay strings: the schema checks them itself, so that an impossible date such as
# 2026-02-30 becomes a message with its line instead of a parser crash.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG, _construct_str)


def expanded_size(node: yaml.Node) -> tuple[int, int, int]:
    """(values, characters of text, depth) of a composed YAML document with every alias expanded
    in full, as a program that walks the data sees it.

    Each node is measured once (memoized by identity), so a few lines of nested aliases cost a few
    steps, not the billions of values they stand for. Anchors come before their aliases, so the
    recursion follows the file's own nesting (at most MAX_YAML_DEPTH). Raises ValueError for an
    alias inside its own anchor (a recursive document).
    """
    sizes: dict[int, tuple[int, int, int] | None] = {}

    def measure(item: yaml.Node) -> tuple[int, int, int]:
        key = id(item)
        if key in sizes:
            known = sizes[key]
            if known is None:
                raise ValueError("an alias refers to a list or mapping that holds it")
            return known
        sizes[key] = None
        if isinstance(item, yaml.ScalarNode):
            found = (1, len(item.value), 0)
        else:
            children = [part for pair in item.value for part in pair] if isinstance(item, yaml.MappingNode) \
                else list(item.value)
            values, text, depth = 1, 0, 0
            for child in children:
                v, t, d = measure(child)
                values, text, depth = values + v, text + t, max(depth, d)
            found = (values, text, depth + 1)
        sizes[key] = found
        return found

    return measure(node)


def _check_expansion(loader: _Loader, node: yaml.Node) -> None:
    """Refuse a document whose aliases expand it over MAX_YAML_NODES values, MAX_YAML_TEXT
    characters or MAX_YAML_DEPTH levels (an alias bomb), at the line of its first alias.
    Raises yaml.composer.ComposerError."""
    mark = yaml.Mark("", 0, max(loader.first_alias, 1) - 1, 0, None, None)
    try:
        values, text, depth = expanded_size(node)
    except ValueError as exc:
        raise yaml.composer.ComposerError(None, None, str(exc), mark) from None
    if values > MAX_YAML_NODES:
        message = f"aliases (*name) expand the document to {values} values (at most {MAX_YAML_NODES})"
    elif text > MAX_YAML_TEXT:
        message = f"aliases (*name) expand the document to {text} characters of text (at most {MAX_YAML_TEXT})"
    elif depth > MAX_YAML_DEPTH:
        message = f"aliases (*name) nest lists and mappings {depth} levels deep (at most {MAX_YAML_DEPTH})"
    else:
        return
    raise yaml.composer.ComposerError(None, None, message, mark)


# Where parsed documents are kept between builds, and those parsed anew, to be written there
# once the report has loaded (kept_in).
_KEPT: ContextVar[tuple[Path, list[tuple[Path, bytes]]] | None] = ContextVar("kept_yaml", default=None)


@contextmanager
def kept_in(folder: Path) -> Iterator[None]:
    """Within the block, parsed documents are read from `folder`, and those parsed anew are
    written there when it ends without an exception (a report that does not load writes
    nothing). PyYAML's parser is pure Python, a third of loading the report, and most files do
    not change from one build to the next."""
    fresh: list[tuple[Path, bytes]] = []
    token = _KEPT.set((folder, fresh))
    try:
        yield
    finally:
        _KEPT.reset(token)
    from .output import write_atomic

    for path, data in fresh:
        write_atomic(path, data)


@lru_cache(maxsize=1)
def _recipe() -> bytes:
    """What else a parse depends on: this module, the limits and PyYAML's version."""
    here = Path(__file__).parent
    return hashlib.sha256(yaml.__version__.encode() + (here / "yamlfile.py").read_bytes()
                          + (here / "limits.py").read_bytes()).digest()


class _Kept(pickle.Unpickler):
    """Reads a kept document: mappings and lists with their lines, and plain values, nothing else
    (the cache is the build's own, but no file it finds there may name other classes)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name in ("Node", "Seq"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not kept")


def parse_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, list[Problem]]:
    """Parse YAML text; return the data and the problems found (syntax, duplicate keys, limits).

    `first_line` is the file line of the text's first line (front matter starts at 2). Limits:
    MAX_YAML_DEPTH levels of nesting, MAX_YAML_NODES values and MAX_YAML_TEXT characters with
    aliases expanded, numbers of at most MAX_NUMBER_DIGITS characters, keys that are text or
    numbers. Raises nothing for bad input. A document without problems is kept in the cache
    (`kept_in`), by its text, name and first line.
    """
    cache = _KEPT.get()
    if cache is None:
        return _parse(text, path, first_line)
    key = hashlib.sha256(_recipe() + f"{path}\0{first_line}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
    kept = cache[0] / key
    try:
        with kept.open("rb") as handle:
            return _Kept(handle).load(), []
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        pass  # not kept yet (or unreadable): parsed again
    data, problems = _parse(text, path, first_line)
    if not problems:
        cache[1].append((kept, pickle.dumps(data, protocol=5)))
    return data, problems


def _parse(text: str, path: str, first_line: int) -> tuple[Any, list[Problem]]:
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters before parsing
        return None, [Problem(path, first_line, "", f"invalid YAML: {exc}".splitlines()[0])]
    loader.duplicates = []
    loader.shift = first_line - 1
    try:
        node = loader.get_single_node()
        data = None
        if node is not None:
            _check_expansion(loader, node)
            data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        reason = (exc.problem or "invalid YAML").strip()
        return None, [Problem(path, line, "", f"invalid YAML: {reason}")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, first_line, "", f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    problems = [Problem(path, line, key, "duplicate key") for line, key in loader.duplicates]
    return data, problems


def decode_text(raw: bytes, shown: str) -> tuple[str | None, list[Problem]]:
    """Decode a content file's bytes as UTF-8 text, with Unix line ends and without a byte-order
    mark (both are common in files from Windows editors); report problems instead of raising."""
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, "", f"not valid UTF-8 (byte {exc.start})")]
    # Control characters cannot appear in XML (the EPUB) and are invisible in an editor.
    bad = CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        return None, [Problem(shown, line, "", character_problem(bad.group()))]
    return text, []
