"""Safe YAML loading that remembers the line of every mapping key and list item."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import Problem

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


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
    """SafeLoader (no arbitrary objects) plus line tracking and duplicate-key detection."""

    duplicates: list[tuple[int, str]]


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    result = Node()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            loader.duplicates.append((key_node.start_mark.line + 1, str(key)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


# Dates stay strings: the schema checks them itself, so that an impossible date such as
# 2026-02-30 becomes a message with its line instead of a parser crash.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def parse_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, list[Problem]]:
    """Parse YAML text; return the data and the problems found (syntax, duplicate keys).

    `first_line` is the file line of the text's first line (front matter starts at 2).
    """
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters before parsing
        return None, [Problem(path, first_line, "", f"invalid YAML: {exc}".splitlines()[0])]
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        reason = (exc.problem or "invalid YAML").strip()
        return None, [Problem(path, line, "", f"invalid YAML: {reason}")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, first_line, "", f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    shift = first_line - 1
    if shift:
        _shift_lines(data, shift)
    problems = [
        Problem(path, line + shift, key, "duplicate key") for line, key in loader.duplicates
    ]
    return data, problems


def _shift_lines(data: Any, shift: int) -> None:
    if isinstance(data, Node):
        data.line += shift
        data.key_lines = {k: v + shift for k, v in data.key_lines.items()}
        for value in data.values():
            _shift_lines(value, shift)
    elif isinstance(data, Seq):
        data.line += shift
        data.item_lines = [line + shift for line in data.item_lines]
        for value in data:
            _shift_lines(value, shift)


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
        return None, [Problem(shown, line, "", f"control character U+{ord(bad.group()):04X} is not allowed")]
    return text, []
