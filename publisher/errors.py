"""Errors the publisher reports to its users: each one carries where it happened."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Characters that a terminal acts on or that reorder text: control characters (ESC starts
# escape sequences that can clear the screen or fake output), line separators, bidi controls;
# and lone surrogates (a file name that is not UTF-8), which cannot be written at all.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """Text from the content made safe to print on a terminal: every control, line-separator,
    bidi or lone surrogate character shown as an escape (\\x1b, \\u202e, \\udcff)."""
    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(escape, text)


class ReportError(Exception):
    """Base class: a problem with the user's input that stops the build."""


@dataclass(frozen=True)
class Problem:
    """One finding about the content: path, line, field and message."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return printable(text)


class ContentError(ReportError):
    """The content folder has one or more errors; all of them are listed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RenderError(ReportError):
    """A template or writer failed on otherwise valid content."""


class OutputError(ReportError):
    """A produced file failed a check (missing glyph, validator finding, …)."""


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as users should read it: relative to the working directory when possible.

    A path that cannot be resolved (a loop of symbolic links, a name too long) is shown by its
    resolved folder and its own name, or as given: naming a bad file must not fail itself.
    """
    try:
        real = path.resolve()
    except (OSError, RuntimeError, ValueError):
        try:
            real = path.parent.resolve() / path.name
        except (OSError, RuntimeError, ValueError):
            return str(path)
    for base in (Path.cwd(), root):
        if base is None:
            continue
        try:
            return str(real.relative_to(base.resolve()))
        except (OSError, RuntimeError, ValueError):
            continue
    return str(path)
