"""The one Jinja environment every writer renders with.

The publisher's own words in the templates are gettext messages (`{{ _("Contents") }}`, Jinja's
i18n extension with new-style gettext: autoescaped, `%(name)s` placeholders filled from keyword
arguments); `render` gives each template the messages of the report's language (language.py),
so one environment serves reports in every language. Filters that write dates and sizes use
the same language.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from markupsafe import Markup, escape

from .errors import RenderError
from .formats import FORMATS, TEMPLATES
from .language import Language, language
from .model import Reference
from .citation import full_title
from .reference import format_reference
from .typography import SPACED_NOT, bind, east_asian_spacing, no_full_stop, one_stop
from .render import reference_anchor, term_anchor


def day_first(value: str) -> str:
    """2026-01-10 → 10/01/2026, the date style of the detail page."""
    year, month, day = str(value).split("-")
    return f"{day}/{month}/{year}"


def human_size(size: int, tag: str = "en") -> str:
    """A file size in bytes as people read it, in language `tag`: 812 bytes, 12.3 KB, 4.1 MB
    (1 KB = 1024 bytes)."""
    return language(tag).size(size)


@jinja2.pass_context
def size_filter(context: Any, size: int) -> str:
    """human_size in the page's language."""
    return _language(context).size(size)


@jinja2.pass_context
def long_date(context: Any, value: str) -> str:
    """A date written out in the page's language (CLDR's long form), never broken between its day
    and month ("20 / December")."""
    written = _language(context)
    return written.tie_date(written.date(value))


@jinja2.pass_context
def ordinal(context: Any, number: int) -> str:
    """An ordinal numeral in the page's language ("2nd")."""
    return _language(context).ordinal(number)


@jinja2.pass_context
def role(context: Any, name: str) -> str:
    """A person's part in the report (model.Person.role) in the page's language."""
    words = _language(context)
    return {"author": words.pgettext("role", "author"), "editor": words.pgettext("role", "editor"),
            "contributor": words.pgettext("role", "contributor")}.get(name, name)


def autonym(tag: str) -> str:
    """A language's name in itself ("Русский", "日本語"): how a reader finds their language."""
    name = language(tag).name(tag)
    return name[:1].upper() + name[1:]


def _language(context: Any) -> Language:
    return context.get("l10n") or language("en")


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
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        auto_reload=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # gettext and its kin come with each render (`render`, from the report's language); these
    # make `_()` and {% trans %} new-style (escaped, with named placeholders).
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.filters["long_date"] = long_date
    env.filters["ordinal"] = ordinal
    env.filters["one_stop"] = one_stop
    env.filters["no_full_stop"] = no_full_stop
    env.filters["role"] = role
    env.filters["autonym"] = autonym
    env.filters["day_first"] = day_first
    env.filters["tie"] = bind  # no-break spaces where a line must not break (typography.bind)
    env.filters["human_size"] = size_filter
    env.filters["reference_html"] = reference_html
    env.filters["reference_anchor"] = reference_anchor
    env.filters["term_anchor"] = term_anchor
    env.filters["last_word"] = last_word
    env.globals["FORMATS"] = FORMATS
    env.globals["full_title"] = full_title
    return env


def messages(written: Language) -> dict[str, Any]:
    """The gettext functions a template calls (`_`, `gettext`, `ngettext`, `pgettext`,
    `npgettext`) for one language, new-style: the result is escaped (Markup) and `%(name)s`
    placeholders are filled from the keyword arguments."""

    def escaped(text: str, variables: dict[str, Any], autoescape: bool) -> str:
        # Always a format string, as Jinja's own new-style gettext: "%%" is a percent sign. A
        # value that ends on an abbreviation before the message's full stop keeps one ("г.").
        filled = (Markup(text) if autoescape else text) % variables
        return one_stop(filled) if variables else filled

    @jinja2.pass_context
    def gettext(context: Any, message: str, **variables: Any) -> str:
        return escaped(written.gettext(message), variables, context.eval_ctx.autoescape)

    @jinja2.pass_context
    def ngettext(context: Any, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return escaped(written.ngettext(singular, plural, num), variables, context.eval_ctx.autoescape)

    @jinja2.pass_context
    def pgettext(context: Any, where: str, message: str, **variables: Any) -> str:
        return escaped(written.pgettext(where, message), variables, context.eval_ctx.autoescape)

    @jinja2.pass_context
    def npgettext(context: Any, where: str, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return escaped(written.npgettext(where, singular, plural, num), variables, context.eval_ctx.autoescape)

    return {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext, "l10n": written}


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render a template; turn Jinja's errors into a one-line RenderError with the template.

    The template's words are in the language of `context["meta"]` (the report's), English
    without one."""
    meta = context.get("meta")
    tag = meta.language if meta is not None else "en"
    context = {**messages(language(tag)), **context}
    try:
        page = env.get_template(name).render(**context)
        # Japanese and Chinese are set without the spaces Western habits leave in them.
        return east_asian_spacing(page) if tag.split("-")[0].lower() in SPACED_NOT else page
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"templates/{exc.name or name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"templates/{name}: template not found: {exc.name}") from None
    except jinja2.UndefinedError as exc:
        raise RenderError(f"templates/{name}: undefined value: {exc.message}") from None
