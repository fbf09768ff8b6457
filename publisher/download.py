"""The files the detail page offers for download, described from what is on disk."""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from .epub import epub_name
from .model import Report
from .pdf import pdf_name

FORMATS = {".pdf": ("PDF", "application/pdf"), ".epub": ("EPUB", "application/epub+zip")}

# A /Type /Pages dictionary and its /Count; the root of the page tree has the largest count.
PAGES_DICT = re.compile(rb"<<(?:(?!<<|>>).)*?/Type\s*/Pages\b(?:(?!<<|>>).)*>>", re.S)
COUNT = re.compile(rb"/Count\s+(\d+)")
OBJECT_STREAM = re.compile(rb"<<(?:(?!>>).)*?/ObjStm(?:(?!>>).)*?>>\s*stream\r?\n", re.S)


@dataclass(frozen=True)
class Download:
    """A file offered on the detail page."""

    name: str
    label: str
    format: str
    media_type: str
    size: int
    sha256: str
    pages: int | None


def offered(report: Report) -> list[tuple[str, str]]:
    """The outputs the detail page offers, in display order: (file name, label)."""
    return [(pdf_name(report, "screen"), "PDF for screens"), (pdf_name(report, "print"), "PDF for print"),
            (epub_name(report), "EPUB e-book"), (pdf_name(report, "archive"), "PDF/A for archives")]


def page_count(data: bytes) -> int | None:
    """The number of pages of a PDF, read from its page tree without a PDF library.

    WeasyPrint may put the page tree into compressed object streams, so those are
    inflated and searched too.
    """
    chunks = [data]
    for match in OBJECT_STREAM.finditer(data):
        try:
            chunks.append(zlib.decompressobj().decompress(data[match.end():]))
        except zlib.error:
            continue
    counts = [int(count.group(1)) for chunk in chunks for tree in PAGES_DICT.finditer(chunk)
              for count in COUNT.finditer(tree.group(0))]
    return max(counts) if counts else None


def describe(path: Path, label: str, pages: int | None = None) -> Download:
    """Size, SHA-256 and (for a PDF) page count of one output file; pages if the caller knows them."""
    data = path.read_bytes()
    kind, media_type = FORMATS[path.suffix]
    if pages is None and path.suffix == ".pdf":
        pages = page_count(data)
    return Download(path.name, label, kind, media_type, len(data), hashlib.sha256(data).hexdigest(), pages)


def downloads(out: Path, names: list[tuple[str, str]], pages: dict[str, int]) -> list[Download]:
    """Describe the files that exist in the output folder, in the order given.

    Files from an earlier build count too: the page describes what a reader can download.
    `pages` holds the page counts the PDF writer reported in this run, by file name.
    """
    return [describe(out / name, label, pages.get(name)) for name, label in names if (out / name).is_file()]
