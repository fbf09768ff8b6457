"""Print page numbers for the EPUB: where each page of the print PDF begins.

The PDF writer records, for every element id, the page it starts on (products.PageMap). The
EPUB writer places a page-break marker before the first element that starts each page, so
that EPUB readers can show and cite the print edition's page numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageBreak:
    """Page `label` of the print edition starts at the element with id `anchor`."""

    label: str
    anchor: str


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
