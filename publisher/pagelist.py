"""Print page numbers for the EPUB: where each page of the print PDF begins.

The PDF writer records, for every element id, the page it starts on. The EPUB writer places a
page-break marker before the first element that starts each page, so that EPUB readers can
show and cite the print edition's page numbers. The map is kept in the output folder, so an
EPUB rebuilt on its own (while the PDFs are still rendering) reuses the last layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .output import write_atomic
from .pdf import RenderedPdf

CACHE = ".build"


@dataclass(frozen=True)
class PageBreak:
    """Page `label` of the print edition starts at the element with id `anchor`."""

    label: str
    anchor: str


def save_page_map(out: Path, pdfs: list[RenderedPdf]) -> None:
    for pdf in pdfs:
        payload = json.dumps({"pages": pdf.pages, "anchors": pdf.anchors}, sort_keys=True)
        write_atomic(out / CACHE / f"pages-{pdf.edition}.json", payload)


def load_page_map(out: Path, edition: str) -> dict[str, int]:
    """The element → page map of the last render of an edition (empty if never rendered)."""
    path = out / CACHE / f"pages-{edition}.json"
    if not path.exists():
        return {}
    return {str(k): int(v) for k, v in json.loads(path.read_text(encoding="utf-8"))["anchors"].items()}


def page_breaks(anchors: dict[str, int], order: list[str]) -> list[PageBreak]:
    """One break per page that has an element of `order` (ids in reading order) starting on it.

    A page on which no such element starts (a page taken by one long paragraph) gets its marker
    just before the next element, so that no page number is lost.
    """
    breaks: list[PageBreak] = []
    last = 0
    for anchor in order:
        page = anchors.get(anchor)
        if page is None or page <= last:
            continue
        breaks += [PageBreak(str(number), anchor) for number in range(last + 1 if last else page, page + 1)]
        last = page
    return breaks
