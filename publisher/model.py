"""The frozen Report model: built once by the loader, read by every writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .edition import Changes, Release


@dataclass(frozen=True)
class Person:
    """An author, editor or contributor."""

    name: str
    role: str = "author"


@dataclass(frozen=True)
class Edition:
    """One edition of the report."""

    number: int
    date: str
    note: str = ""


@dataclass(frozen=True)
class Meta:
    """Everything about the report that is not a chapter."""

    id: str
    title: str
    subtitle: str
    standfirst: str
    introduction_print: str  # rendered for the PDF
    introduction_epub: str
    introduction_web: str  # for pages in read/
    introduction_page: str  # for the detail page, which links into read/
    category: str
    language: str
    published: str
    edition: Edition
    history: tuple[Edition, ...]
    publisher: str
    publisher_url: str
    authors: tuple[Person, ...]
    keywords: tuple[str, ...]
    licence: str
    licence_url: str
    rights_holder: str
    identifier: str
    isbn: str


@dataclass(frozen=True)
class Heading:
    """A numbered section heading inside a chapter."""

    id: str
    number: str
    title: str
    level: int


@dataclass(frozen=True)
class Figure:
    """A numbered figure (generated chart or image)."""

    id: str
    number: int
    caption: str
    alt: str
    chapter: str


@dataclass(frozen=True)
class Table:
    """A numbered table."""

    id: str
    number: int
    caption: str
    chapter: str


@dataclass(frozen=True)
class Chapter:
    """A chapter (numbered) or a front-matter section (number None).

    The body is rendered once per target because notes and links differ:
    `print` puts notes at the foot of the page, `epub` makes pop-up notes, `web` endnotes.
    """

    slug: str
    number: int | None
    title: str
    short_title: str
    summary: str
    html_print: str
    html_epub: str
    html_web: str
    headings: tuple[Heading, ...]
    figures: tuple[Figure, ...]
    tables: tuple[Table, ...]
    word_count: int
    source_path: str = field(compare=False, repr=False, default="")

    @property
    def anchor(self) -> str:
        return f"ch-{self.slug}"

    @property
    def label(self) -> str:
        return f"Chapter {self.number}" if self.number else self.title


@dataclass(frozen=True)
class Reference:
    """A bibliography entry, numbered in order of first citation."""

    key: str
    number: int
    html: str
    text: str


@dataclass(frozen=True)
class GlossaryEntry:
    """An abbreviation and its expansion."""

    abbr: str
    anchor: str
    expansion: str
    definition: str


@dataclass(frozen=True)
class Asset:
    """A file copied into the outputs (an image a figure uses)."""

    name: str
    data: bytes
    media_type: str


@dataclass(frozen=True)
class Report:
    """The whole report, validated and rendered to HTML fragments."""

    meta: Meta
    front: tuple[Chapter, ...]
    chapters: tuple[Chapter, ...]
    references: tuple[Reference, ...]
    glossary: tuple[GlossaryEntry, ...]
    assets: tuple[Asset, ...]
    sources: tuple[tuple[str, str], ...] = ()  # content files read: (path in the folder, SHA-256)
    # Filled from the editions archive after loading (pipeline.with_editions).
    releases: tuple[Release, ...] = ()
    changes: Changes | None = None

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(f for c in self.front + self.chapters for f in c.figures)

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(t for c in self.front + self.chapters for t in c.tables)

    @property
    def word_count(self) -> int:
        return sum(c.word_count for c in self.front + self.chapters)
