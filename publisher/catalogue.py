"""The message catalogues of the publisher's own words ("Contents", "Chapter 3", "How to cite"):
gettext PO files in locales/, managed with Babel.

`locales/messages.pot` holds every message of the templates and the code, extracted by Babel
(`python build.py messages`, which also brings each language's catalogue up to date);
`locales/<code>/LC_MESSAGES/messages.po` translates them into one language. A catalogue is
compiled in memory when it is loaded (cached by the digest of its bytes), so there is no
compiled file that could go stale. A message a catalogue does not translate (missing, empty or
fuzzy) falls back to the English of the templates; `untranslated` lists them for `check`.

Adding a language is described in docs/languages.md.
"""

from __future__ import annotations

import copy
import gettext
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .formats import LOCALES, PROJECT

DOMAIN = "messages"
TEMPLATE = LOCALES / f"{DOMAIN}.pot"
# What Babel extracts messages from, and how (the Jinja options are the environment's: templates.py).
METHODS = [("publisher/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.xhtml", "jinja2")]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true",
                 "newstyle_gettext": "true"}


def catalogue_path(code: str) -> Path:
    """locales/<code>/LC_MESSAGES/messages.po: the catalogue of one language (`ru`, `kk`, `pt_BR`)."""
    return LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def available() -> tuple[str, ...]:
    """The languages with a catalogue, by their code (`en`, `kk`, `ru`)."""
    return tuple(sorted(p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def catalogue_code(tag: str) -> str | None:
    """The catalogue a BCP 47 tag reads: `kk-KZ` reads `kk_KZ` if there is one, else `kk`; None
    when the language has none."""
    parts = tag.replace("_", "-").split("-")
    candidates = [f"{parts[0].lower()}_{parts[1].upper()}"] if len(parts) > 1 else []
    for code in [*candidates, parts[0].lower()]:
        if catalogue_path(code).is_file():
            return code
    return None


def translations(tag: str) -> gettext.NullTranslations:
    """The compiled catalogue for a language (NullTranslations, i.e. English, without one).
    Raises babel's errors for a catalogue that is not a valid PO file (a project file, not content)."""
    code = catalogue_code(tag)
    if code is None:
        return gettext.NullTranslations()
    data = catalogue_path(code).read_bytes()
    return _compiled(code, hashlib.sha256(data).hexdigest(), data)


@lru_cache(maxsize=16)
def _compiled(code: str, digest: str, data: bytes) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalogue = read_po(io.BytesIO(data), locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Untranslated:
    """A message of the templates or the code that a language's catalogue does not translate."""

    message: str
    context: str | None
    where: str  # the catalogue file and line, or the catalogue file when the message is missing

    def __str__(self) -> str:
        context = f" (context {self.context!r})" if self.context else ""
        return f"{self.where}: not translated: {self.message!r}{context}; English is used"


def untranslated(tag: str) -> list[Untranslated]:
    """The messages of locales/messages.pot that `tag`'s catalogue leaves in English (missing,
    empty or fuzzy); for a language without a catalogue, one entry naming the file to create.
    English needs no translation: its catalogue only fixes plural forms."""
    from babel.messages.pofile import read_po

    code = catalogue_code(tag)
    primary = tag.replace("_", "-").split("-")[0].lower()
    if primary == "en":
        return []
    if code is None:
        return [Untranslated("(every message)", None, str(catalogue_path(primary).relative_to(PROJECT)))]
    path = catalogue_path(code)
    with path.open("rb") as file:
        catalogue = read_po(file, locale=code, domain=DOMAIN)
    with TEMPLATE.open("rb") as file:
        template = read_po(file, domain=DOMAIN)
    shown = str(path.relative_to(PROJECT))
    found = []
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id, message.context)
        strings = entry.string if entry is not None and isinstance(entry.string, tuple) else (
            (entry.string,) if entry is not None else ())
        if entry is None or entry.fuzzy or not all(strings):
            text = message.id[0] if isinstance(message.id, tuple) else message.id
            where = f"{shown}:{entry.lineno}" if entry is not None else shown
            found.append(Untranslated(text, message.context, where))
    return found


def extract() -> object:
    """Every message of the templates and the code, as a Babel catalogue (the .pot's content)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalogue = Catalog(domain=DOMAIN, project="publisher", msgid_bugs_address="", charset="utf-8",
                        fuzzy=False)
    options = {pattern: JINJA_OPTIONS for pattern, method in METHODS if method == "jinja2"}
    for filename, line, message, comments, context in extract_from_dir(
            str(PROJECT), METHODS, options, comment_tags=("Translators:",), strip_comment_tags=True):
        catalogue.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return catalogue


def update() -> list[Path]:
    """Write locales/messages.pot from the templates and the code, and bring every language's
    catalogue up to date with it (new messages added untranslated, old ones marked obsolete,
    translations kept); the English catalogue gets each message as its own translation.
    Returns the files written."""
    from babel.messages.pofile import read_po, write_po

    template = extract()
    written = [TEMPLATE]
    _write(TEMPLATE, template, write_po, omit_header=False)
    for code in available():
        path = catalogue_path(code)
        with path.open("rb") as file:
            catalogue = read_po(file, locale=code, domain=DOMAIN)
        catalogue.update(copy.deepcopy(template), no_fuzzy_matching=True, update_header_comment=False)
        catalogue.obsolete.clear()
        if code == "en":
            for message in catalogue:
                if message.id and not message.string:
                    message.string = message.id if not isinstance(message.id, tuple) else tuple(
                        message.id[min(i, 1)] for i in range(catalogue.num_plurals))
        _write(path, catalogue, write_po, omit_header=False)
        written.append(path)
    return written


def _write(path: Path, catalogue: object, write_po: object, omit_header: bool) -> None:
    buffer = io.BytesIO()
    # No dates in the header and no line wrapping: an unchanged catalogue gives the same bytes.
    catalogue.creation_date = catalogue.revision_date = _EPOCH  # type: ignore[attr-defined]
    write_po(buffer, catalogue, width=0, omit_header=omit_header, sort_by_file=True,  # type: ignore[operator]
             include_previous=False)
    text = buffer.getvalue()
    if not path.exists() or path.read_bytes() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)


def _epoch() -> object:
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)


_EPOCH = _epoch()
