"""The one Jinja environment every writer renders with."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from markupsafe import Markup, escape

from .errors import RenderError
from .formats import FORMATS, TEMPLATES
from .model import Reference
from .reference import format_date, format_reference
from .typography import bind
from .render import reference_anchor, term_anchor


def day_first(value: str) -> str:
    """2026-01-10 → 10/01/2026, the date style of the detail page."""
    year, month, day = str(value).split("-")
    return f"{day}/{month}/{year}"


def human_size(size: int) -> str:
    """A file size in bytes as people read it: 812 bytes, 12.3 KB, 4.1 MB (1 KB = 1024 bytes)."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def reference_html(reference: Reference, language: str) -> Markup:
    """A bibliography entry as HTML, the same in every format (reference.py escapes it)."""
    return Markup(format_reference(reference.entry, language)[0])


_TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")


def last_word(html: str | Markup) -> Markup:
    """Phrasing content (a heading's or caption's `html`, or plain text) with its last word in a
    `toc-last` span, which the contents keep on one line with the dot leader after it; markup
    open at the last space is closed before the span and opened again inside it."""
    html = str(html if isinstance(html, Markup) else escape(html))
    at, open_tags, position = -1, [], 0
    stack: list[re.Match[str]] = []
    for match in _TAG.finditer(html + "<end>"):
        space = html.rfind(" ", position, match.start())
        if space >= 0:
            at, open_tags = space, list(stack)
        position = match.end()
        if match.group(1):
            stack = stack[:-1]
        elif match.group(2) != "end":
            stack.append(match)
    if at < 0:
        return Markup(f'<span class="toc-last">{html}</span>')
    closing = "".join(f"</{m.group(2)}>" for m in reversed(open_tags))
    opening = "".join(m.group(0) for m in open_tags)
    return Markup(f'{html[:at]}{closing} <span class="toc-last">{opening}{html[at + 1:]}</span>')


def make_env(templates: Path = TEMPLATES) -> jinja2.Environment:
    """StrictUndefined so that a typo fails the build; autoescape for every markup file."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        auto_reload=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # A date is not broken between its day and month ("20 / December").
    env.filters["long_date"] = lambda value: format_date(value).replace(" ", "\u00a0", 1)
    env.filters["day_first"] = day_first
    env.filters["tie"] = bind  # no-break spaces where a line must not break (typography.bind)
    env.filters["human_size"] = human_size
    env.filters["reference_html"] = reference_html
    env.filters["reference_anchor"] = reference_anchor
    env.filters["term_anchor"] = term_anchor
    env.filters["last_word"] = last_word
    env.globals["FORMATS"] = FORMATS
    return env


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render a template; turn Jinja's errors into a one-line RenderError with the template."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"templates/{exc.name or name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"templates/{name}: template not found: {exc.name}") from None
    except jinja2.UndefinedError as exc:
        raise RenderError(f"templates/{name}: undefined value: {exc.message}") from None
